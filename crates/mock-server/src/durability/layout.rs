//! The binary layout of every record (data format 3), on the primitives of `binary.rs`.
//!
//! A payload starts with [`BINARY`] (a JSON record, of formats 1 and 2, starts with `{`), then
//! the record's kind and its fields in declaration order. The kinds and the event tags are
//! numbered once here and never reused: a new kind or event gets the next number, and a field
//! added to a type is a new record layout (a new kind), so what was written stays readable.

use wecom_types::api::{ContactType, GroupMemberType, JoinScene, Scene};

use super::binary::{AsJson, Bin, DecodeError, In, Out};
use super::record::{CorpImage, Record, SnapshotRecord};
use crate::core::model::{
    Clock, ContactWayRecord, EndReason, Event, GroupChatRecord, GroupMemberRecord, JoinWayRecord, Message, MessageKind,
    Relationship, TempSettings, Tenant, ViewCache, WelcomeCode,
};

/// The first byte of a binary payload: never the first byte of a JSON record (`{`).
pub(crate) const BINARY: u8 = 0x01;

/// Journal record kinds.
mod kind {
    pub(super) const EVENTS: u64 = 0;
    pub(super) const CORPS: u64 = 1;
    pub(super) const TOKENS_REVOKED: u64 = 2;
    pub(super) const CHECKPOINT: u64 = 3;
    /// Snapshot record kinds (a separate space, so a snapshot record in a journal is refused).
    pub(super) const META: u64 = 16;
    pub(super) const CORP: u64 = 17;
    pub(super) const REVOKED: u64 = 18;
    pub(super) const SNAPSHOT_CHECKPOINT: u64 = 19;
}

/// Whether a payload is a binary record (else it is JSON, of an earlier format).
pub(crate) fn is_binary(payload: &[u8]) -> bool {
    payload.first() == Some(&BINARY)
}

/// Writes the events of one write to one corp: the hot path, straight from the borrowed events.
pub(crate) fn put_events(out: &mut Vec<u8>, corpid: &str, seq: u64, events: &[Event]) {
    let mut out = Out(out);
    out.byte(BINARY);
    out.varint(kind::EVENTS);
    out.text(corpid);
    out.varint(seq);
    out.list(events.iter());
}

/// Writes a journal record.
pub(crate) fn put_record(out: &mut Vec<u8>, record: &Record) {
    if let Record::Events { corpid, seq, events } = record {
        return put_events(out, corpid, *seq, events);
    }
    let mut out = Out(out);
    out.byte(BINARY);
    match record {
        Record::Events { .. } => {}
        Record::Corps { seq, clear, removed, put } => {
            out.varint(kind::CORPS);
            seq.put(&mut out);
            clear.put(&mut out);
            removed.put(&mut out);
            put.put(&mut out);
        }
        Record::TokensRevoked { seq, corpid, before } => {
            out.varint(kind::TOKENS_REVOKED);
            seq.put(&mut out);
            corpid.put(&mut out);
            before.put(&mut out);
        }
        Record::Checkpoint { seq, corpid, name, image } => {
            out.varint(kind::CHECKPOINT);
            seq.put(&mut out);
            corpid.put(&mut out);
            name.put(&mut out);
            image.put(&mut out);
        }
    }
}

/// Reads a binary journal record (the payload starts with [`BINARY`]).
pub(crate) fn get_record(payload: &[u8]) -> Result<Record, DecodeError> {
    let mut inp = start(payload)?;
    let record = match inp.tag()? {
        kind::EVENTS => {
            Record::Events { corpid: Bin::get(&mut inp)?, seq: Bin::get(&mut inp)?, events: Bin::get(&mut inp)? }
        }
        kind::CORPS => Record::Corps {
            seq: Bin::get(&mut inp)?,
            clear: Bin::get(&mut inp)?,
            removed: Bin::get(&mut inp)?,
            put: Bin::get(&mut inp)?,
        },
        kind::TOKENS_REVOKED => {
            Record::TokensRevoked { seq: Bin::get(&mut inp)?, corpid: Bin::get(&mut inp)?, before: Bin::get(&mut inp)? }
        }
        kind::CHECKPOINT => Record::Checkpoint {
            seq: Bin::get(&mut inp)?,
            corpid: Bin::get(&mut inp)?,
            name: Bin::get(&mut inp)?,
            image: Bin::get(&mut inp)?,
        },
        tag => return Err(DecodeError::Tag { what: "journal record", tag }),
    };
    inp.finish()?;
    Ok(record)
}

/// Writes a snapshot record.
pub(crate) fn put_snapshot_record(out: &mut Vec<u8>, record: &SnapshotRecord<&CorpImage>) {
    let mut out = Out(out);
    out.byte(BINARY);
    match record {
        SnapshotRecord::Meta { covers, next_seq, corps } => {
            out.varint(kind::META);
            covers.put(&mut out);
            next_seq.put(&mut out);
            corps.put(&mut out);
        }
        SnapshotRecord::Corp { seq, image } => {
            out.varint(kind::CORP);
            seq.put(&mut out);
            image.put(&mut out);
        }
        SnapshotRecord::Revoked { corpid, before } => {
            out.varint(kind::REVOKED);
            corpid.put(&mut out);
            before.put(&mut out);
        }
        SnapshotRecord::Checkpoint { corpid, name, image } => {
            out.varint(kind::SNAPSHOT_CHECKPOINT);
            corpid.put(&mut out);
            name.put(&mut out);
            image.put(&mut out);
        }
    }
}

/// Reads a binary snapshot record (the payload starts with [`BINARY`]).
pub(crate) fn get_snapshot_record(payload: &[u8]) -> Result<SnapshotRecord, DecodeError> {
    let mut inp = start(payload)?;
    let record = match inp.tag()? {
        kind::META => SnapshotRecord::Meta {
            covers: Bin::get(&mut inp)?,
            next_seq: Bin::get(&mut inp)?,
            corps: Bin::get(&mut inp)?,
        },
        kind::CORP => SnapshotRecord::Corp { seq: Bin::get(&mut inp)?, image: Bin::get(&mut inp)? },
        kind::REVOKED => SnapshotRecord::Revoked { corpid: Bin::get(&mut inp)?, before: Bin::get(&mut inp)? },
        kind::SNAPSHOT_CHECKPOINT => SnapshotRecord::Checkpoint {
            corpid: Bin::get(&mut inp)?,
            name: Bin::get(&mut inp)?,
            image: Bin::get(&mut inp)?,
        },
        tag => return Err(DecodeError::Tag { what: "snapshot record", tag }),
    };
    inp.finish()?;
    Ok(record)
}

fn start(payload: &[u8]) -> Result<In<'_>, DecodeError> {
    let mut inp = In::new(payload);
    match inp.byte()? {
        BINARY => Ok(inp),
        tag => Err(DecodeError::Tag { what: "payload", tag: u64::from(tag) }),
    }
}

/// `Bin` for a struct: its fields in the order listed (which is their declaration order).
macro_rules! fields {
    ($t:ty { $($field:ident),* $(,)? } $(, $skipped:ident: $default:expr)*) => {
        impl Bin for $t {
            fn put(&self, out: &mut Out<'_>) {
                $(self.$field.put(out);)*
            }
            fn get(inp: &mut In<'_>) -> Result<Self, DecodeError> {
                Ok(Self { $($field: Bin::get(inp)?,)* $($skipped: $default,)* })
            }
        }
    };
}

/// `Bin` for a newtype of the API (an `i32` on the wire).
macro_rules! newtype {
    ($($t:ident),*) => {$(
        impl Bin for $t {
            fn put(&self, out: &mut Out<'_>) {
                self.0.put(out);
            }
            fn get(inp: &mut In<'_>) -> Result<Self, DecodeError> {
                Ok($t(Bin::get(inp)?))
            }
        }
    )*};
}
newtype!(ContactType, Scene, GroupMemberType, JoinScene);

/// `Bin` for a type kept as its JSON ([`AsJson`]).
macro_rules! json {
    ($($t:ty),*) => {$(
        impl Bin for $t {
            fn put(&self, out: &mut Out<'_>) {
                AsJson::put(out, self);
            }
            fn get(inp: &mut In<'_>) -> Result<Self, DecodeError> {
                AsJson::get(inp)
            }
        }
    )*};
}
json!(
    wecom_types::api::Conclusions,
    wecom_types::api::WelcomeText,
    wecom_types::api::Attachment,
    crate::core::model::Directory
);

fields!(ContactWayRecord {
    id, agentid, create_time, contact_type, scene, style, remark, skip_verify, state, users, parties,
    is_exclusive, mark_source, temp, next_member,
}, view: ViewCache::default());
fields!(TempSettings { expires_in, chat_expires_in, unionid, conclusions, valid_from, used });
fields!(JoinWayRecord {
    id,
    agentid,
    create_time,
    scene,
    remark,
    auto_create_room,
    room_base_name,
    room_base_id,
    chats,
    state,
    mark_source,
    rooms_created,
});
fields!(GroupChatRecord { chat_id, name, owner, member_limit, customer_group, create_time, members });
fields!(GroupMemberRecord { userid, member_type, join_time, join_scene, state, via });
fields!(Relationship {
    config_id,
    state,
    temp,
    chat_expires_at,
    create_time,
    add_way,
    welcome_code,
    customer_name,
    unionid,
    conclusions,
    seq,
});
fields!(WelcomeCode { code, external_userid, userid, issued_at, used });
fields!(Message { at, kind, to, from, conclusions, reason, event, status, attempts, agentid, text, attachment });
fields!(Tenant { name, token_sha256 });
fields!(Clock { frozen_at });
fields!(CorpImage {
    corpid, directory, clock, contact_ways, list_index, join_ways, group_chats, customers, temp_chats,
    shared_used, temp_days, messages, tenant, welcome_codes,
}, temp_day: None, temp_day_count: None);

/// `Bin` for a field-less enum: one byte per variant, numbered in the order listed.
macro_rules! unit_enum {
    ($t:ident { $($variant:ident),* }) => {
        impl Bin for $t {
            fn put(&self, out: &mut Out<'_>) {
                let variants = [$($t::$variant),*];
                let tag = variants.iter().position(|v| v == self).unwrap_or(0);
                out.varint(tag as u64);
            }
            fn get(inp: &mut In<'_>) -> Result<Self, DecodeError> {
                let tag = inp.tag()?;
                let variants = [$($t::$variant),*];
                usize::try_from(tag)
                    .ok()
                    .and_then(|i| variants.get(i).copied())
                    .ok_or(DecodeError::Tag { what: stringify!($t), tag })
            }
        }
    };
}
unit_enum!(EndReason { Closed, Expired });
unit_enum!(MessageKind { Conclusions, Callback, Welcome });

/// Event tags, in the order of [`Event`]'s variants.
mod event {
    pub(super) const CONTACT_WAY_CREATED: u64 = 0;
    pub(super) const CONTACT_WAY_REPLACED: u64 = 1;
    pub(super) const CONTACT_WAY_DELETED: u64 = 2;
    pub(super) const JOIN_WAY_CREATED: u64 = 3;
    pub(super) const JOIN_WAY_REPLACED: u64 = 4;
    pub(super) const JOIN_WAY_DELETED: u64 = 5;
    pub(super) const CUSTOMER_ADDED: u64 = 6;
    pub(super) const TEMP_CHAT_ENDED: u64 = 7;
    pub(super) const GROUP_CHAT_CREATED: u64 = 8;
    pub(super) const GROUP_JOINED: u64 = 9;
    pub(super) const CLOCK_SET: u64 = 10;
    pub(super) const MESSAGE_RECORDED: u64 = 11;
    pub(super) const WELCOME_CODE_USED: u64 = 12;
}

impl Bin for Event {
    fn put(&self, out: &mut Out<'_>) {
        match self {
            Event::ContactWayCreated { record } => {
                out.varint(event::CONTACT_WAY_CREATED);
                record.put(out);
            }
            Event::ContactWayReplaced { record } => {
                out.varint(event::CONTACT_WAY_REPLACED);
                record.put(out);
            }
            Event::ContactWayDeleted { id } => {
                out.varint(event::CONTACT_WAY_DELETED);
                id.put(out);
            }
            Event::JoinWayCreated { record } => {
                out.varint(event::JOIN_WAY_CREATED);
                record.put(out);
            }
            Event::JoinWayReplaced { record } => {
                out.varint(event::JOIN_WAY_REPLACED);
                record.put(out);
            }
            Event::JoinWayDeleted { id } => {
                out.varint(event::JOIN_WAY_DELETED);
                id.put(out);
            }
            Event::CustomerAdded { external_userid, userid, relationship } => {
                out.varint(event::CUSTOMER_ADDED);
                external_userid.put(out);
                userid.put(out);
                relationship.put(out);
            }
            Event::TempChatEnded { external_userid, userid, at, reason } => {
                out.varint(event::TEMP_CHAT_ENDED);
                external_userid.put(out);
                userid.put(out);
                at.put(out);
                reason.put(out);
            }
            Event::GroupChatCreated { chat } => {
                out.varint(event::GROUP_CHAT_CREATED);
                chat.put(out);
            }
            Event::GroupJoined { chat_id, member } => {
                out.varint(event::GROUP_JOINED);
                chat_id.put(out);
                member.put(out);
            }
            Event::ClockSet { frozen_at } => {
                out.varint(event::CLOCK_SET);
                frozen_at.put(out);
            }
            Event::MessageRecorded { message } => {
                out.varint(event::MESSAGE_RECORDED);
                message.put(out);
            }
            Event::WelcomeCodeUsed { code } => {
                out.varint(event::WELCOME_CODE_USED);
                code.put(out);
            }
        }
    }

    fn get(inp: &mut In<'_>) -> Result<Self, DecodeError> {
        Ok(match inp.tag()? {
            event::CONTACT_WAY_CREATED => Event::ContactWayCreated { record: Bin::get(inp)? },
            event::CONTACT_WAY_REPLACED => Event::ContactWayReplaced { record: Bin::get(inp)? },
            event::CONTACT_WAY_DELETED => Event::ContactWayDeleted { id: Bin::get(inp)? },
            event::JOIN_WAY_CREATED => Event::JoinWayCreated { record: Bin::get(inp)? },
            event::JOIN_WAY_REPLACED => Event::JoinWayReplaced { record: Bin::get(inp)? },
            event::JOIN_WAY_DELETED => Event::JoinWayDeleted { id: Bin::get(inp)? },
            event::CUSTOMER_ADDED => Event::CustomerAdded {
                external_userid: Bin::get(inp)?,
                userid: Bin::get(inp)?,
                relationship: Bin::get(inp)?,
            },
            event::TEMP_CHAT_ENDED => Event::TempChatEnded {
                external_userid: Bin::get(inp)?,
                userid: Bin::get(inp)?,
                at: Bin::get(inp)?,
                reason: Bin::get(inp)?,
            },
            event::GROUP_CHAT_CREATED => Event::GroupChatCreated { chat: Bin::get(inp)? },
            event::GROUP_JOINED => Event::GroupJoined { chat_id: Bin::get(inp)?, member: Bin::get(inp)? },
            event::CLOCK_SET => Event::ClockSet { frozen_at: Bin::get(inp)? },
            event::MESSAGE_RECORDED => Event::MessageRecorded { message: Bin::get(inp)? },
            event::WELCOME_CODE_USED => Event::WelcomeCodeUsed { code: Bin::get(inp)? },
            tag => return Err(DecodeError::Tag { what: "event", tag }),
        })
    }
}

#[cfg(test)]
mod tests {
    use wecom_types::api::{Attachment, Conclusions, WelcomeText};

    use super::*;
    use crate::core::fixtures::CorpFixture;
    use crate::core::model::{CorpState, Members};

    /// A one-member Contact Me, as the load test adds it.
    fn contact_way(temp: bool) -> ContactWayRecord {
        ContactWayRecord {
            id: 0x20be_85f6_8d8d_59a9_fc70_7c97_b052_1bed,
            agentid: 1_000_001,
            create_time: 1_750_000_000,
            contact_type: ContactType(1),
            scene: Scene(2),
            style: None,
            remark: "".into(),
            skip_verify: true,
            state: "load-17".into(),
            users: Members::from_slice(&[0]),
            parties: Box::new([]),
            is_exclusive: false,
            mark_source: true,
            temp: temp.then(|| {
                Box::new(TempSettings {
                    expires_in: 3600,
                    chat_expires_in: 60,
                    unionid: "oAAA".into(),
                    conclusions: Some(Conclusions::text("bye")),
                    valid_from: 1_750_000_000,
                    used: false,
                })
            }),
            next_member: 0,
            view: ViewCache::default(),
        }
    }

    fn relationship() -> Relationship {
        Relationship {
            config_id: Some(7),
            state: "s".into(),
            temp: true,
            chat_expires_at: Some(-5),
            create_time: 1,
            add_way: 1,
            welcome_code: "cf5e".into(),
            customer_name: "客户".into(),
            unionid: None,
            conclusions: Some(Conclusions::text("bye")),
            seq: 3,
        }
    }

    fn join_way() -> JoinWayRecord {
        JoinWayRecord {
            id: u128::MAX,
            agentid: 1,
            create_time: 2,
            scene: Scene(2),
            remark: "r".into(),
            auto_create_room: 1,
            room_base_name: "R".into(),
            room_base_id: 1,
            chats: vec!["wrmockchat0001".into()],
            state: "j".into(),
            mark_source: false,
            rooms_created: 2,
        }
    }

    fn member() -> GroupMemberRecord {
        GroupMemberRecord {
            userid: "wm1".into(),
            member_type: GroupMemberType(2),
            join_time: 3,
            join_scene: JoinScene(3),
            state: Some("j".into()),
            via: Some(9),
        }
    }

    fn message() -> Message {
        Message {
            at: 1,
            kind: MessageKind::Welcome,
            to: "wm1".into(),
            from: Some("zhangsan".into()),
            conclusions: None,
            reason: None,
            event: None,
            status: Some(200),
            attempts: Some(1),
            agentid: Some(1_000_001),
            text: Some(WelcomeText { content: Some("hello".into()) }),
            attachment: Some(Box::new(Attachment::image("media"))),
        }
    }

    /// One event of every kind.
    fn every_event() -> Vec<Event> {
        vec![
            Event::ContactWayCreated { record: contact_way(false) },
            Event::ContactWayReplaced { record: contact_way(true) },
            Event::ContactWayDeleted { id: 1 },
            Event::JoinWayCreated { record: join_way() },
            Event::JoinWayReplaced { record: join_way() },
            Event::JoinWayDeleted { id: 2 },
            Event::CustomerAdded {
                external_userid: "wm1".into(),
                userid: "zhangsan".into(),
                relationship: relationship(),
            },
            Event::TempChatEnded {
                external_userid: "wm1".into(),
                userid: "u".into(),
                at: 4,
                reason: EndReason::Expired,
            },
            Event::GroupChatCreated {
                chat: GroupChatRecord {
                    chat_id: "wr1".into(),
                    name: "R1".into(),
                    owner: "zhangsan".into(),
                    member_limit: 200,
                    customer_group: true,
                    create_time: 5,
                    members: vec![member()],
                },
            },
            Event::GroupJoined { chat_id: "wr1".into(), member: member() },
            Event::ClockSet { frozen_at: None },
            Event::ClockSet { frozen_at: Some(i64::MIN) },
            Event::MessageRecorded { message: message() },
            Event::WelcomeCodeUsed { code: 0xcf5e },
        ]
    }

    fn image() -> CorpImage {
        let fixture = CorpFixture::default_corp();
        let (directory, chats) = fixture.build(0).expect("the default corp builds");
        let mut state = CorpState::new(fixture.corpid.clone(), directory, chats, Clock { frozen_at: Some(9) });
        for event in every_event() {
            state.apply(event);
        }
        CorpImage::of(&state)
    }

    fn encoded(record: &Record) -> Vec<u8> {
        let mut out = Vec::new();
        put_record(&mut out, record);
        out
    }

    #[test]
    fn every_event_round_trips_through_the_binary_layout() {
        for event in every_event() {
            let mut bytes = Vec::new();
            event.put(&mut Out(&mut bytes));
            let mut inp = In::new(&bytes);
            assert_eq!(Event::get(&mut inp).expect("decodes"), event);
            inp.finish().expect("every byte read");
        }
    }

    #[test]
    fn every_journal_record_kind_round_trips() {
        let records = [
            Record::Events { corpid: "wwmock0000000001".into(), seq: 1, events: every_event() },
            Record::Corps { seq: 2, clear: true, removed: vec!["wwgone".into()], put: vec![image()] },
            Record::TokensRevoked { seq: 3, corpid: "wwmock0000000001".into(), before: -1 },
            Record::Checkpoint {
                seq: 4,
                corpid: "wwmock0000000001".into(),
                name: "cp".into(),
                image: Box::new(image()),
            },
        ];
        for record in &records {
            let bytes = encoded(record);
            assert!(is_binary(&bytes));
            let back = get_record(&bytes).expect("decodes");
            assert_eq!(encoded(&back), bytes, "{record:?}");
        }
    }

    #[test]
    fn every_snapshot_record_kind_round_trips() {
        let image = image();
        let records = [
            SnapshotRecord::Meta { covers: 1, next_seq: 2, corps: 3 },
            SnapshotRecord::Corp { seq: 4, image: &image },
            SnapshotRecord::Revoked { corpid: "ww".into(), before: 5 },
            SnapshotRecord::Checkpoint { corpid: "ww".into(), name: "cp".into(), image: &image },
        ];
        for record in &records {
            let mut bytes = Vec::new();
            put_snapshot_record(&mut bytes, record);
            let back = get_snapshot_record(&bytes).expect("decodes");
            let back = match &back {
                SnapshotRecord::Meta { covers, next_seq, corps } => {
                    SnapshotRecord::Meta { covers: *covers, next_seq: *next_seq, corps: *corps }
                }
                SnapshotRecord::Corp { seq, image } => SnapshotRecord::Corp { seq: *seq, image: &**image },
                SnapshotRecord::Revoked { corpid, before } => {
                    SnapshotRecord::Revoked { corpid: corpid.clone(), before: *before }
                }
                SnapshotRecord::Checkpoint { corpid, name, image } => {
                    SnapshotRecord::Checkpoint { corpid: corpid.clone(), name: name.clone(), image: &**image }
                }
            };
            let mut again = Vec::new();
            put_snapshot_record(&mut again, &back);
            assert_eq!(again, bytes);
        }
        let SnapshotRecord::Corp { image: back, .. } = get_snapshot_record(&{
            let mut bytes = Vec::new();
            put_snapshot_record(&mut bytes, &SnapshotRecord::Corp { seq: 1, image: &image });
            bytes
        })
        .expect("decodes") else {
            panic!("a corp record")
        };
        let mut back = *back;
        // The member index is not stored: a decoded directory rebuilds it (`CorpImage::into_state`).
        back.directory.reindex();
        assert_eq!(back, image, "the image itself, field by field");
    }

    #[test]
    fn an_add_takes_at_most_a_fifth_of_the_bytes_of_its_json() {
        let events = [Event::ContactWayCreated { record: contact_way(false) }];
        let mut binary = Vec::new();
        put_events(&mut binary, "wwmock0000000001", 123_456, &events);
        let json = serde_json::to_vec(&Record::Events {
            corpid: "wwmock0000000001".into(),
            seq: 123_456,
            events: events.to_vec(),
        })
        .expect("encodes");
        assert!(binary.len() * 5 <= json.len(), "binary {} bytes, JSON {}", binary.len(), json.len());
    }

    #[test]
    fn every_cut_and_every_trailing_byte_is_refused() {
        let bytes = encoded(&Record::Events { corpid: "ww".into(), seq: 1, events: every_event() });
        for cut in 0..bytes.len() {
            assert!(get_record(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(get_record(&longer), Err(DecodeError::Trailing(1))));
    }

    #[test]
    fn unknown_kinds_and_tags_are_refused_not_guessed() {
        assert!(matches!(get_record(&[BINARY, 9]), Err(DecodeError::Tag { what: "journal record", tag: 9 })));
        let mut snapshot = Vec::new();
        put_snapshot_record(&mut snapshot, &SnapshotRecord::Meta { covers: 1, next_seq: 1, corps: 0 });
        assert!(get_record(&snapshot).is_err(), "a snapshot record is not a journal record");
        let mut event = Vec::new();
        put_events(&mut event, "ww", 1, &[]);
        *event.last_mut().expect("the count") = 1;
        event.push(13);
        assert!(matches!(get_record(&event), Err(DecodeError::Tag { what: "event", tag: 13 })));
    }
}
