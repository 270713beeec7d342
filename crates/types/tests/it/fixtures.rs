//! Every API's documented request and answer bodies decode into our types and encode back to
//! the same JSON: no field is lost or renamed.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use wecom_types::api::*;
use wecom_types::wire::{decode_body, decode_response, encode_ok};
use wecom_types::{Api, Endpoint};

#[track_caller]
fn assert_lossless<T: Serialize + DeserializeOwned>(json: &str, decoded: T, encoded: Vec<u8>) {
    let _ = decoded;
    let before: Value = serde_json::from_str(json).expect("fixture is JSON");
    let after: Value = serde_json::from_slice(&encoded).expect("we write JSON");
    assert_eq!(before, after);
}

#[track_caller]
fn check<E: Endpoint>(request: &str, response: &str) {
    let req: E = decode_body(request.as_bytes()).expect("request fixture decodes");
    let encoded = serde_json::to_vec(&req).expect("request encodes");
    assert_lossless(request, req, encoded);

    let payload: E::Response = decode_response(response.as_bytes())
        .expect("response fixture is JSON")
        .unwrap_or_else(|err| panic!("fixture is an error answer: {err:?}"));
    let encoded = encode_ok(&payload);
    assert_lossless(response, payload, encoded);
}

macro_rules! fixture_tests {
    ($( $test:ident: $ty:ty => $file:literal; )*) => {
        $( #[test]
        fn $test() {
            check::<$ty>(
                include_str!(concat!("../fixtures/", $file, ".request.json")),
                include_str!(concat!("../fixtures/", $file, ".response.json")),
            );
        } )*

        #[test]
        fn every_api_has_a_fixture() {
            let covered = [$( <$ty as Endpoint>::API ),*];
            for api in Api::ALL {
                assert!(covered.contains(&api), "{api:?} has no fixture");
            }
        }
    };
}

fixture_tests! {
    gettoken_round_trips: GetToken => "gettoken";
    add_contact_way_round_trips: AddContactWay => "add_contact_way";
    get_contact_way_round_trips: GetContactWay => "get_contact_way";
    list_contact_way_round_trips: ListContactWay => "list_contact_way";
    update_contact_way_round_trips: UpdateContactWay => "update_contact_way";
    del_contact_way_round_trips: DelContactWay => "del_contact_way";
    close_temp_chat_round_trips: CloseTempChat => "close_temp_chat";
    add_join_way_round_trips: AddJoinWay => "add_join_way";
    get_join_way_round_trips: GetJoinWay => "get_join_way";
    update_join_way_round_trips: UpdateJoinWay => "update_join_way";
    del_join_way_round_trips: DelJoinWay => "del_join_way";
    get_external_contact_round_trips: GetExternalContact => "get_external_contact";
    get_group_chat_round_trips: GetGroupChat => "get_group_chat";
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
