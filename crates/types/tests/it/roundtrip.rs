//! Generated valid requests pass validation and survive encode → decode unchanged.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use wecom_types::Patch;
use wecom_types::api::*;
use wecom_types::limits::*;
use wecom_types::validate::{Validate, validate_update_against};
use wecom_types::wire::decode_body;

fn text(max_chars: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[a-zA-Z0-9_\\-销售群👍 ]{{1,{max_chars}}}")).expect("regex")
}

fn userid() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_.-]{0,15}"
}

fn chat_id() -> impl Strategy<Value = String> {
    "wr[A-Za-z0-9_-]{4,30}"
}

fn duration() -> impl Strategy<Value = i64> {
    1..=MAX_TEMP_EXPIRES_SECS
}

fn conclusions() -> impl Strategy<Value = Conclusions> {
    (
        option::of(text(200)),
        option::of("[A-Za-z0-9]{1,20}"),
        option::of((text(40), "https://[a-z]{1,10}\\.example/[a-z]{0,8}")),
    )
        .prop_filter("at least one part", |(t, i, l)| t.is_some() || i.is_some() || l.is_some())
        .prop_map(|(text, media_id, link)| Conclusions {
            text: text.map(|content| ConclusionText { content: Some(content) }),
            image: media_id.map(|media_id| ConclusionImage { media_id: Some(media_id), pic_url: None }),
            link: link.map(|(title, url)| ConclusionLink { title: Some(title), url: Some(url), ..Default::default() }),
            miniprogram: None,
        })
}

fn add_contact_way() -> impl Strategy<Value = AddContactWay> {
    let single = (userid(), any::<bool>(), option::of(duration()), option::of(duration()), option::of(conclusions()))
        .prop_map(|(user, temp, expires_in, chat_expires_in, conclusions)| {
            let mut req = AddContactWay::single(user, Scene::QR_CODE);
            if temp {
                req.is_temp = Some(true);
                req.expires_in = expires_in;
                req.chat_expires_in = chat_expires_in;
                req.conclusions = conclusions;
            }
            req
        });
    let multi = (vec(userid(), 0..=MAX_MEMBERS_PER_CONTACT_WAY), vec(1u32..1000, 0..5), 1..=2i32, option::of(1..=2i32))
        .prop_filter("a user or a party", |(u, p, _, _)| !u.is_empty() || !p.is_empty())
        .prop_map(|(users, parties, scene, style)| {
            let mut req = AddContactWay::multi(users, parties, Scene(scene));
            req.style = style;
            req
        });
    (
        prop_oneof![single, multi],
        option::of(text(MAX_REMARK_CHARS)),
        option::of(text(MAX_STATE_CHARS)),
        option::of(any::<bool>()),
    )
        .prop_map(|(mut req, remark, state, skip_verify)| {
            req.remark = remark;
            req.state = state;
            req.skip_verify = skip_verify;
            req
        })
}

fn patch<T: std::fmt::Debug + Clone>(value: impl Strategy<Value = T>) -> impl Strategy<Value = Patch<T>> {
    prop_oneof![Just(Patch::Keep), Just(Patch::Clear), value.prop_map(Patch::Set)]
}

fn update_contact_way() -> impl Strategy<Value = UpdateContactWay> {
    (
        "[0-9a-f]{32}",
        patch(text(MAX_REMARK_CHARS)),
        patch(text(MAX_STATE_CHARS)),
        patch(vec(userid(), 1..=MAX_MEMBERS_PER_CONTACT_WAY)),
        patch(vec(1u32..1000, 1..5)),
        patch(any::<bool>()),
        patch(1..=2i32),
        patch(duration()),
        patch(conclusions()),
    )
        .prop_map(|(id, remark, state, user, party, skip_verify, style, expires_in, conclusions)| {
            UpdateContactWay {
                remark,
                state,
                user,
                party,
                skip_verify,
                style,
                expires_in,
                conclusions,
                ..UpdateContactWay::new(id)
            }
        })
}

fn add_join_way() -> impl Strategy<Value = AddJoinWay> {
    (
        1..=2i32,
        vec(chat_id(), 1..=MAX_CHATS_PER_JOIN_WAY),
        option::of(text(MAX_STATE_CHARS)),
        option::of((text(MAX_ROOM_BASE_NAME_CHARS), 0..10_000i64)),
    )
        .prop_map(|(scene, chats, state, auto)| {
            let mut req = AddJoinWay::new(Scene(scene), chats);
            req.state = state;
            if let Some((name, id)) = auto {
                req = req.with_auto_create_room(name, id);
            }
            req
        })
}

#[track_caller]
fn round_trips<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(req: &T) {
    let bytes = serde_json::to_vec(req).expect("encodes");
    let back: T = decode_body(&bytes).expect("decodes");
    assert_eq!(&back, req);
}

proptest! {
    #[test]
    fn valid_add_contact_way_round_trips(req in add_contact_way()) {
        prop_assert_eq!(req.validate(), Ok(()));
        round_trips(&req);
    }

    #[test]
    fn valid_update_contact_way_round_trips(req in update_contact_way()) {
        prop_assert_eq!(validate_update_against(&req, ContactType::MULTI, Scene::MINI_PROGRAM, true), Ok(()));
        round_trips(&req);
    }

    #[test]
    fn valid_add_join_way_round_trips(req in add_join_way()) {
        prop_assert_eq!(req.validate(), Ok(()));
        round_trips(&req);
        let update = req.into_update("cfg");
        prop_assert_eq!(update.validate(), Ok(()));
        round_trips(&update);
    }

    #[test]
    fn list_requests_round_trip(start in option::of(1i64..2_000_000_000), span in 0i64..1_000_000, limit in option::of(1i64..=1000), cursor in option::of("[A-Za-z0-9]{1,40}")) {
        let req = ListContactWay { start_time: start, end_time: start.map(|s| s + span), limit, cursor, ..Default::default() };
        prop_assert_eq!(req.validate(), Ok(()));
        round_trips(&req);
    }

    #[test]
    fn an_update_never_mentions_a_field_it_keeps(req in update_contact_way()) {
        let json: serde_json::Value = serde_json::to_value(&req).expect("encodes");
        let object = json.as_object().expect("an object");
        prop_assert_eq!(object.contains_key("user"), !req.user.is_keep());
        prop_assert_eq!(object.contains_key("party"), !req.party.is_keep());
        prop_assert_eq!(object.contains_key("remark"), !req.remark.is_keep());
        prop_assert_eq!(object.contains_key("conclusions"), !req.conclusions.is_keep());
    }
}

#[test]
fn the_update_checks_style_against_the_stored_type() {
    let mut req = UpdateContactWay::new("c");
    req.style = Patch::Set(3);
    assert!(validate_update_against(&req, ContactType::SINGLE, Scene::MINI_PROGRAM, false).is_ok());
    let err = validate_update_against(&req, ContactType::MULTI, Scene::MINI_PROGRAM, false).expect_err("3 > 2");
    assert_eq!((err.code.0, err.field), (41042, "style"));
    assert!(validate_update_against(&req, ContactType::MULTI, Scene::QR_CODE, false).is_ok(), "ignored for scene 2");
}

#[test]
fn the_update_checks_temp_fields_only_on_temp_configs() {
    let mut req = UpdateContactWay::new("c");
    req.expires_in = Patch::Set(MAX_TEMP_EXPIRES_SECS + 1);
    assert!(validate_update_against(&req, ContactType::SINGLE, Scene::QR_CODE, false).is_ok());
    let err = validate_update_against(&req, ContactType::SINGLE, Scene::QR_CODE, true).expect_err("over 14 days");
    assert_eq!((err.code.0, err.field), (40058, "expires_in"));
}
