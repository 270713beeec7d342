//! Every API's documented request and answer bodies decode into our types and encode back to
//! the same JSON: no field is lost or renamed.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use wecom_types::api::*;
use wecom_types::wire::{decode_body, decode_response, encode_ok};
use wecom_types::{Api, Endpoint, EndpointVisitor};

fn assert_lossless<T: Serialize + DeserializeOwned>(api: Api, json: &str, decoded: T, encoded: Vec<u8>) {
    let _ = decoded;
    let before: Value = serde_json::from_str(json).expect("fixture is JSON");
    let after: Value = serde_json::from_slice(&encoded).expect("we write JSON");
    assert_eq!(before, after, "{api:?}");
}

/// A fixture: `tests/fixtures/<name>.request.json` or `<name>.response.json`.
pub(crate) fn fixture_path(api: Api, kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(format!("{}.{kind}.json", api.name()))
}

/// The visited API's fixtures decode into its request and answer types and encode back to the
/// same JSON.
struct RoundTrips;

impl EndpointVisitor for RoundTrips {
    type Output = ();

    fn visit<E: Endpoint>(self) {
        let read = |kind| {
            let path = fixture_path(E::API, kind);
            std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{:?}: {}: {err}", E::API, path.display()))
        };
        let (request, response) = (read("request"), read("response"));
        let api = E::API;
        let req: E = decode_body(request.as_bytes()).unwrap_or_else(|err| panic!("{api:?}: request fixture: {err}"));
        let encoded = serde_json::to_vec(&req).expect("request encodes");
        assert_lossless(api, &request, req, encoded);

        let payload: E::Response = decode_response(response.as_bytes())
            .unwrap_or_else(|err| panic!("{api:?}: response fixture is not JSON: {err}"))
            .unwrap_or_else(|err| panic!("{api:?}: response fixture is an error answer: {err:?}"));
        let encoded = encode_ok(&payload);
        assert_lossless(api, &response, payload, encoded);
    }
}

#[test]
fn every_api_s_fixtures_round_trip() {
    for api in Api::ALL {
        api.visit(RoundTrips);
    }
}

#[test]
fn the_image_is_sent_as_media_id_and_read_back_as_pic_url() {
    let sent: AddContactWay =
        decode_body(include_str!("../fixtures/add_contact_way.request.json").as_bytes()).expect("decodes");
    let image = sent.conclusions.and_then(|c| c.image).expect("image part");
    assert_eq!(image.media_id.as_deref(), Some("MEDIA_ID"));
    assert_eq!(image.pic_url, None);

    let read: GetContactWayResponse =
        decode_response(include_str!("../fixtures/get_contact_way.response.json").as_bytes())
            .expect("json")
            .expect("ok answer");
    let image = read.contact_way.conclusions.and_then(|c| c.image).expect("image part");
    assert_eq!(image.media_id, None);
    assert!(image.pic_url.is_some_and(|url| url.starts_with("http")));
}

#[test]
fn wire_names_that_are_rust_keywords_are_renamed() {
    let read: GetContactWayResponse =
        decode_response(include_str!("../fixtures/get_contact_way.response.json").as_bytes())
            .expect("json")
            .expect("ok answer");
    assert_eq!(read.contact_way.contact_type, Some(ContactType::SINGLE));
    let group: GetGroupChatResponse =
        decode_response(include_str!("../fixtures/get_group_chat.response.json").as_bytes())
            .expect("json")
            .expect("ok answer");
    let customer = &group.group_chat.member_list[1];
    assert_eq!((customer.member_type, customer.join_scene), (GroupMemberType::EXTERNAL, JoinScene::QR_CODE));
    assert_eq!(customer.state.as_deref(), Some("klsdup3kj3s1"));
}
