//! The requests the load tool sends and the answer the baseline serves, in one place so that the
//! baseline's body is the size of a real `get_contact_way` answer.

use wecom_types::api::{AddContactWay, ContactWay, GetContactWayResponse, Scene};
use wecom_types::wire::encode_ok;

/// The member every sample config is for (the default corp has it).
pub const MEMBER: &str = "zhangsan";

/// The config the load tool creates: a single-member QR code with a short remark and state,
/// like most real ones.
pub fn add_request(n: u64) -> AddContactWay {
    AddContactWay::single(MEMBER, Scene::QR_CODE).with_remark("wecom-bench").with_state(format!("wb{n:08}"))
}

/// The answer the mock gives to `get_contact_way` for [`add_request`], byte for byte when
/// `public_url` is the mock's (its `qr_code` URL is under it).
pub fn get_contact_way_answer(public_url: &str) -> Vec<u8> {
    // A config id is 32 hex characters; its value does not change the size.
    let config_id = "0123456789abcdef0123456789abcdef".to_owned();
    let req = add_request(0);
    let way = ContactWay {
        qr_code: Some(format!("{public_url}/qr/{config_id}")),
        config_id,
        contact_type: req.contact_type,
        scene: req.scene,
        style: None,
        remark: req.remark,
        skip_verify: Some(true),
        state: req.state,
        user: req.user,
        party: Some(Vec::new()),
        is_temp: Some(false),
        expires_in: None,
        chat_expires_in: None,
        unionid: None,
        is_exclusive: Some(false),
        conclusions: None,
        mark_source: Some(true),
    };
    encode_ok(&GetContactWayResponse { contact_way: way })
}
