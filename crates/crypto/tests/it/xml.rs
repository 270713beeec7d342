//! Any text round-trips through an event written as `wecom-mock` writes it (every field an
//! [`element`] of CDATA sections), read back with [`xml_text`], through the encrypted envelope
//! too; and a strict, independent XML parser reads the same text.

use proptest::prelude::*;
use wecom_callback_crypto::{CallbackCrypto, element, envelope, xml_text};

const TOKEN: &str = "T0ken";
const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const CORPID: &str = "wwmock0000000001";

/// Text built from the pieces that break hand-written XML, between any other characters.
fn tricky_text() -> impl Strategy<Value = String> {
    let pieces = vec![
        "]]>",
        "]]",
        ">",
        "<",
        "&",
        "&amp;",
        "&#13;",
        "</State>",
        "<State>",
        "<State/>",
        "<![CDATA[",
        "\r",
        "\r\n",
        "\n",
        " ",
        "\t",
        "中文",
        "😀",
    ];
    let piece = prop_oneof![
        3 => any::<char>().prop_map(String::from),
        2 => prop::sample::select(pieces).prop_map(str::to_owned),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

/// A character XML 1.0 can carry at all (no other control characters, no U+FFFE / U+FFFF).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// An `add_external_contact` event, field by field as the mock writes it.
fn contact_added(state: &str) -> String {
    let fields = [
        element("ToUserName", CORPID),
        element("FromUserName", "sys"),
        "<CreateTime>1700000000</CreateTime>".to_owned(),
        element("MsgType", "event"),
        element("Event", "change_external_contact"),
        element("ChangeType", "add_external_contact"),
        element("UserID", "zhangsan"),
        element("ExternalUserID", "wmABCD"),
        element("State", state),
        element("WelcomeCode", "welcome"),
    ];
    format!("<xml>{}</xml>", fields.concat())
}

fn crypto() -> CallbackCrypto {
    CallbackCrypto::new(TOKEN, KEY, CORPID).unwrap_or_else(|e| panic!("valid settings: {e}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_state_round_trips_through_the_event_xml(state in tricky_text()) {
        let xml = contact_added(&state);
        prop_assert_eq!(xml_text(&xml, "State"), Some(state));
        // The fields around it are intact: nothing in the state ended or opened an element.
        prop_assert_eq!(xml_text(&xml, "ExternalUserID"), Some("wmABCD".to_owned()));
        prop_assert_eq!(xml_text(&xml, "WelcomeCode"), Some("welcome".to_owned()));
    }

    #[test]
    fn any_state_round_trips_through_the_encrypted_callback(state in tricky_text()) {
        let crypto = crypto();
        let sent = crypto.encrypt_message(&contact_added(&state), "1700000000", "42")
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let body = envelope(CORPID, &sent.encrypt, 1_000_001);
        let event = crypto.decrypt_message(&sent.msg_signature, &sent.timestamp, &sent.nonce, &body)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(xml_text(&event, "State"), Some(state));
    }

    #[test]
    fn a_strict_xml_parser_reads_the_same_state(state in tricky_text().prop_map(|s| s.chars().filter(|c| is_xml_char(*c)).collect::<String>())) {
        let xml = contact_added(&state);
        let document = roxmltree::Document::parse(&xml).map_err(|e| TestCaseError::fail(format!("{e}: {xml}")))?;
        let node = document.descendants().find(|n| n.has_tag_name("State"))
            .ok_or_else(|| TestCaseError::fail(format!("no State in {xml}")))?;
        let text: String = node.children().filter_map(|child| child.text()).collect();
        prop_assert_eq!(text, state);
    }
}

#[test]
fn a_closing_tag_in_the_state_reaches_the_handler_whole() {
    // Issue 12: `a</State>b` is a legal state; reading stopped at the first `</State>`.
    let xml = contact_added("a</State>b");
    assert_eq!(xml_text(&xml, "State").as_deref(), Some("a</State>b"));
    assert_eq!(xml_text("<State><![CDATA[a</State>b]]></State>", "State").as_deref(), Some("a</State>b"));
}
