//! The operations a sequence is made of, and how they print.
//!
//! A config, cursor, token or created chat is named by a handle (the order in which the
//! sequence obtained it: `cw(0)` is the first Contact Me config the sequence created), because
//! the server invents the real ids. Every op prints as the [`Seq`] builder call that makes it, so
//! a shrunk failure can be pasted into a regression test as it is:
//!
//! ```
//! use wecom_conformance::op::{Seq, cw};
//! use serde_json::json;
//!
//! let mut s = Seq::default();
//! s.add_contact_way(0, json!({"type": 1, "scene": 2, "user": ["zhangsan"]}));
//! s.update_contact_way(0, cw(0), json!({"user": []}));
//! assert_eq!(
//!     s.to_string(),
//!     "s.add_contact_way(0, json!({\"type\":1,\"scene\":2,\"user\":[\"zhangsan\"]}));\n\
//!      s.update_contact_way(0, cw(0), json!({\"user\":[]}));\n"
//! );
//! ```

use std::fmt;

use serde_json::Value;
use wecom_types::api::*;

/// A config id: one the sequence created (by handle) or a literal.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Ref {
    /// The n-th Contact Me config the sequence created.
    Cw(usize),
    /// The n-th Join Group config the sequence created.
    Jw(usize),
    /// A literal id (unknown, empty, malformed).
    Lit(String),
}

/// The n-th Contact Me config the sequence created.
pub fn cw(n: usize) -> Ref {
    Ref::Cw(n)
}

/// The n-th Join Group config the sequence created.
pub fn jw(n: usize) -> Ref {
    Ref::Jw(n)
}

/// A literal config id.
pub fn lit(id: &str) -> Ref {
    Ref::Lit(id.to_owned())
}

impl fmt::Debug for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ref::Cw(n) => write!(f, "cw({n})"),
            Ref::Jw(n) => write!(f, "jw({n})"),
            Ref::Lit(s) => write!(f, "lit({s:?})"),
        }
    }
}

/// A list cursor: one a page handed out (by handle) or a literal.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum CursorRef {
    /// The n-th non-empty `next_cursor` the sequence received.
    Handle(usize),
    /// A literal cursor.
    Lit(String),
}

impl fmt::Debug for CursorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CursorRef::Handle(n) => write!(f, "Some(cursor({n}))"),
            CursorRef::Lit(s) => write!(f, "Some(CursorRef::Lit({s:?}.into()))"),
        }
    }
}

/// The n-th cursor the sequence received.
pub fn cursor(n: usize) -> CursorRef {
    CursorRef::Handle(n)
}

/// A welcome code: the one the n-th successful scan answered (by handle) or a literal.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum CodeRef {
    /// The welcome code of the n-th successful scan of the sequence.
    Handle(usize),
    /// A literal code (unknown, empty).
    Lit(String),
}

impl fmt::Debug for CodeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodeRef::Handle(n) => write!(f, "code({n})"),
            CodeRef::Lit(s) => write!(f, "CodeRef::Lit({s:?}.into())"),
        }
    }
}

/// The welcome code of the n-th successful scan.
pub fn code(n: usize) -> CodeRef {
    CodeRef::Handle(n)
}

/// One step of a sequence. `app` is the index of the corp's app that makes the call (0 is the
/// app with customer contact and the whole corp visible).
#[derive(Clone, PartialEq)]
pub enum Op {
    /// C1 through the client.
    AddContactWay {
        /// Calling app.
        app: usize,
        /// The request.
        req: AddContactWay,
    },
    /// C2 through the client.
    GetContactWay {
        /// Calling app.
        app: usize,
        /// The config.
        id: Ref,
    },
    /// C3, one page, through the client.
    ListContactWay {
        /// Calling app.
        app: usize,
        /// The request without its cursor.
        req: ListContactWay,
        /// The cursor.
        cursor: Option<CursorRef>,
    },
    /// C3, every page, through the client's stream.
    ListAll {
        /// Calling app.
        app: usize,
        /// The filter.
        req: ListContactWay,
    },
    /// C4 through the client.
    UpdateContactWay {
        /// Calling app.
        app: usize,
        /// The config.
        id: Ref,
        /// The request (its config_id is replaced by `id`).
        req: UpdateContactWay,
    },
    /// C5 through the client.
    DelContactWay {
        /// Calling app.
        app: usize,
        /// The config.
        id: Ref,
    },
    /// C6 through the client.
    CloseTempChat {
        /// Calling app.
        app: usize,
        /// The member.
        userid: String,
        /// The customer.
        external_userid: String,
    },
    /// J1 through the client.
    AddJoinWay {
        /// Calling app.
        app: usize,
        /// The request.
        req: AddJoinWay,
    },
    /// J2 through the client.
    GetJoinWay {
        /// Calling app.
        app: usize,
        /// The config.
        id: Ref,
    },
    /// J3 through the client.
    UpdateJoinWay {
        /// Calling app.
        app: usize,
        /// The config.
        id: Ref,
        /// The request (its config_id is replaced by `id`).
        req: UpdateJoinWay,
    },
    /// J4 through the client.
    DelJoinWay {
        /// Calling app.
        app: usize,
        /// The config.
        id: Ref,
    },
    /// `externalcontact/get` through the client.
    GetExternalContact {
        /// Calling app.
        app: usize,
        /// The customer.
        external_userid: String,
    },
    /// `externalcontact/groupchat/get` through the client.
    GetGroupChat {
        /// Calling app.
        app: usize,
        /// The group.
        chat_id: String,
    },
    /// `get_follow_user_list` through the client.
    GetFollowUserList {
        /// Calling app.
        app: usize,
    },
    /// `externalcontact/list` through the client.
    ListExternalContact {
        /// Calling app.
        app: usize,
        /// The member.
        userid: String,
    },
    /// `send_welcome_msg` through the client.
    SendWelcomeMsg {
        /// Calling app.
        app: usize,
        /// The code (replaces the request's `welcome_code`).
        code: CodeRef,
        /// The message.
        req: SendWelcomeMsg,
    },
    /// C2 then C4 through the client's read-merge-write `update_contact_way_merged`, setting
    /// the remark (members are sent back as they were read).
    MergedUpdateContactWay {
        /// Calling app.
        app: usize,
        /// The config.
        id: Ref,
        /// The new remark (`None` removes it).
        remark: Option<String>,
    },
    /// J2 then J3 through the client's `update_join_way_merged`, setting the remark (the rest
    /// of the config is kept).
    MergedUpdateJoinWay {
        /// Calling app.
        app: usize,
        /// The config.
        id: Ref,
        /// The new remark.
        remark: Option<String>,
    },
    /// `POST /__admin/scan`.
    Scan {
        /// The config.
        id: Ref,
        /// The customer.
        external_userid: String,
        /// The customer's unionid.
        unionid: Option<String>,
        /// The member to add.
        userid: Option<String>,
    },
    /// `POST /__admin/join`.
    Join {
        /// The config.
        id: Ref,
        /// The customer.
        external_userid: String,
    },
    /// `POST /__admin/clock {"advance": secs}` for this corp.
    AdvanceClock(i64),
    /// `POST /__admin/clock {"set": unix}` for this corp.
    SetClock(i64),
    /// `POST /__admin/corps/{corpid}/tokens/revoke`.
    RevokeTokens,
    /// A raw `gettoken` for an app (remembered as the next token handle).
    GetToken {
        /// The app.
        app: usize,
    },
    /// A raw `list_contact_way {}` with a token obtained earlier by [`Op::GetToken`].
    CallWithToken {
        /// The token handle.
        token: usize,
    },
    /// A raw POST around the client (so the server's own checks answer): `$ID` in the body is
    /// replaced by the id `id` stands for.
    Raw {
        /// Calling app (its token is fetched raw).
        app: usize,
        /// The path's short name, e.g. `update_contact_way`.
        api: String,
        /// The body, sent as it is.
        body: String,
        /// What `$ID` stands for.
        id: Option<Ref>,
    },
}

fn json_of<T: serde::Serialize>(value: &T) -> String {
    // Requests always encode; the fallback keeps Display infallible.
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::AddContactWay { app, req } => write!(f, "add_contact_way({app}, json!({}))", json_of(req)),
            Op::GetContactWay { app, id } => write!(f, "get_contact_way({app}, {id:?})"),
            Op::ListContactWay { app, req, cursor } => {
                let cursor = cursor.as_ref().map_or("None".to_owned(), |c| format!("{c:?}"));
                write!(f, "list_contact_way({app}, json!({}), {cursor})", json_of(req))
            }
            Op::ListAll { app, req } => write!(f, "list_all({app}, json!({}))", json_of(req)),
            Op::UpdateContactWay { app, id, req } => {
                let mut req = req.clone();
                req.config_id = None;
                write!(f, "update_contact_way({app}, {id:?}, json!({}))", json_of(&req))
            }
            Op::DelContactWay { app, id } => write!(f, "del_contact_way({app}, {id:?})"),
            Op::CloseTempChat { app, userid, external_userid } => {
                write!(f, "close_temp_chat({app}, {userid:?}, {external_userid:?})")
            }
            Op::AddJoinWay { app, req } => write!(f, "add_join_way({app}, json!({}))", json_of(req)),
            Op::GetJoinWay { app, id } => write!(f, "get_join_way({app}, {id:?})"),
            Op::UpdateJoinWay { app, id, req } => {
                let mut req = req.clone();
                req.config_id = None;
                write!(f, "update_join_way({app}, {id:?}, json!({}))", json_of(&req))
            }
            Op::DelJoinWay { app, id } => write!(f, "del_join_way({app}, {id:?})"),
            Op::GetExternalContact { app, external_userid } => {
                write!(f, "get_external_contact({app}, {external_userid:?})")
            }
            Op::GetGroupChat { app, chat_id } => write!(f, "get_group_chat({app}, {chat_id:?})"),
            Op::GetFollowUserList { app } => write!(f, "get_follow_user_list({app})"),
            Op::ListExternalContact { app, userid } => write!(f, "list_external_contact({app}, {userid:?})"),
            Op::SendWelcomeMsg { app, code, req } => {
                let mut req = req.clone();
                req.welcome_code = None;
                write!(f, "send_welcome_msg({app}, {code:?}, json!({}))", json_of(&req))
            }
            Op::MergedUpdateContactWay { app, id, remark } => {
                write!(f, "update_contact_way_merged({app}, {id:?}, {:?})", remark.as_deref())
            }
            Op::MergedUpdateJoinWay { app, id, remark } => {
                write!(f, "update_join_way_merged({app}, {id:?}, {:?})", remark.as_deref())
            }
            Op::Scan { id, external_userid, unionid, userid } => {
                write!(f, "scan({id:?}, {external_userid:?}, {unionid:?}, {userid:?})")
            }
            Op::Join { id, external_userid } => write!(f, "join({id:?}, {external_userid:?})"),
            Op::AdvanceClock(secs) => write!(f, "advance_clock({secs})"),
            Op::SetClock(unix) => write!(f, "set_clock({unix})"),
            Op::RevokeTokens => write!(f, "revoke_tokens()"),
            Op::GetToken { app } => write!(f, "get_token({app})"),
            Op::CallWithToken { token } => write!(f, "call_with_token({token})"),
            Op::Raw { app, api, body, id } => {
                let id = id.as_ref().map_or("None".to_owned(), |r| format!("Some({r:?})"));
                write!(f, "raw({app}, {api:?}, {body:?}, {id})")
            }
        }
    }
}

impl fmt::Debug for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s.{self}")
    }
}

/// Builds a sequence with one call per op; `Display` prints it back as those calls.
///
/// JSON bodies are decoded into the typed requests (a `Patch` field reads `null`, `""`, `[]`,
/// `0` and `{}` as `Clear`, an absent one as `Keep`); a body that does not decode is a bug in the
/// test and panics with the message.
#[derive(Clone, Default)]
pub struct Seq {
    /// The ops so far.
    pub ops: Vec<Op>,
}

fn decode<T: serde::de::DeserializeOwned>(body: Value) -> T {
    match serde_json::from_value(body) {
        Ok(req) => req,
        Err(err) => panic!("a sequence body does not decode: {err}"),
    }
}

impl Seq {
    /// C1.
    pub fn add_contact_way(&mut self, app: usize, body: Value) -> &mut Self {
        self.push(Op::AddContactWay { app, req: decode(body) })
    }
    /// C2.
    pub fn get_contact_way(&mut self, app: usize, id: Ref) -> &mut Self {
        self.push(Op::GetContactWay { app, id })
    }
    /// C3, one page.
    pub fn list_contact_way(&mut self, app: usize, body: Value, cursor: Option<CursorRef>) -> &mut Self {
        self.push(Op::ListContactWay { app, req: decode(body), cursor })
    }
    /// C3, every page.
    pub fn list_all(&mut self, app: usize, body: Value) -> &mut Self {
        self.push(Op::ListAll { app, req: decode(body) })
    }
    /// C4.
    pub fn update_contact_way(&mut self, app: usize, id: Ref, body: Value) -> &mut Self {
        self.push(Op::UpdateContactWay { app, id, req: decode(body) })
    }
    /// C5.
    pub fn del_contact_way(&mut self, app: usize, id: Ref) -> &mut Self {
        self.push(Op::DelContactWay { app, id })
    }
    /// C6.
    pub fn close_temp_chat(&mut self, app: usize, userid: &str, external_userid: &str) -> &mut Self {
        self.push(Op::CloseTempChat { app, userid: userid.to_owned(), external_userid: external_userid.to_owned() })
    }
    /// J1.
    pub fn add_join_way(&mut self, app: usize, body: Value) -> &mut Self {
        self.push(Op::AddJoinWay { app, req: decode(body) })
    }
    /// J2.
    pub fn get_join_way(&mut self, app: usize, id: Ref) -> &mut Self {
        self.push(Op::GetJoinWay { app, id })
    }
    /// J3.
    pub fn update_join_way(&mut self, app: usize, id: Ref, body: Value) -> &mut Self {
        self.push(Op::UpdateJoinWay { app, id, req: decode(body) })
    }
    /// J4.
    pub fn del_join_way(&mut self, app: usize, id: Ref) -> &mut Self {
        self.push(Op::DelJoinWay { app, id })
    }
    /// A customer's detail.
    pub fn get_external_contact(&mut self, app: usize, external_userid: &str) -> &mut Self {
        self.push(Op::GetExternalContact { app, external_userid: external_userid.to_owned() })
    }
    /// A group's detail.
    pub fn get_group_chat(&mut self, app: usize, chat_id: &str) -> &mut Self {
        self.push(Op::GetGroupChat { app, chat_id: chat_id.to_owned() })
    }
    /// The member list.
    pub fn get_follow_user_list(&mut self, app: usize) -> &mut Self {
        self.push(Op::GetFollowUserList { app })
    }
    /// A member's customers.
    pub fn list_external_contact(&mut self, app: usize, userid: &str) -> &mut Self {
        self.push(Op::ListExternalContact { app, userid: userid.to_owned() })
    }
    /// A welcome message with `code` (the body's `welcome_code` is replaced by it).
    pub fn send_welcome_msg(&mut self, app: usize, code: CodeRef, body: Value) -> &mut Self {
        self.push(Op::SendWelcomeMsg { app, code, req: decode(body) })
    }
    /// The client's merged Contact Me update, changing the remark.
    pub fn update_contact_way_merged(&mut self, app: usize, id: Ref, remark: Option<&str>) -> &mut Self {
        self.push(Op::MergedUpdateContactWay { app, id, remark: remark.map(str::to_owned) })
    }
    /// The client's merged Join Group update, changing the remark.
    pub fn update_join_way_merged(&mut self, app: usize, id: Ref, remark: Option<&str>) -> &mut Self {
        self.push(Op::MergedUpdateJoinWay { app, id, remark: remark.map(str::to_owned) })
    }
    /// A customer scans.
    pub fn scan(&mut self, id: Ref, external_userid: &str, unionid: Option<&str>, userid: Option<&str>) -> &mut Self {
        self.push(Op::Scan {
            id,
            external_userid: external_userid.to_owned(),
            unionid: unionid.map(str::to_owned),
            userid: userid.map(str::to_owned),
        })
    }
    /// A customer joins.
    pub fn join(&mut self, id: Ref, external_userid: &str) -> &mut Self {
        self.push(Op::Join { id, external_userid: external_userid.to_owned() })
    }
    /// Moves the corp's clock.
    pub fn advance_clock(&mut self, secs: i64) -> &mut Self {
        self.push(Op::AdvanceClock(secs))
    }
    /// Sets the corp's clock.
    pub fn set_clock(&mut self, unix: i64) -> &mut Self {
        self.push(Op::SetClock(unix))
    }
    /// Revokes every token of the corp.
    pub fn revoke_tokens(&mut self) -> &mut Self {
        self.push(Op::RevokeTokens)
    }
    /// A raw gettoken.
    pub fn get_token(&mut self, app: usize) -> &mut Self {
        self.push(Op::GetToken { app })
    }
    /// A raw call with an earlier token.
    pub fn call_with_token(&mut self, token: usize) -> &mut Self {
        self.push(Op::CallWithToken { token })
    }
    /// A raw POST around the client.
    pub fn raw(&mut self, app: usize, api: &str, body: &str, id: Option<Ref>) -> &mut Self {
        self.push(Op::Raw { app, api: api.to_owned(), body: body.to_owned(), id })
    }

    fn push(&mut self, op: Op) -> &mut Self {
        self.ops.push(op);
        self
    }
}

impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for op in &self.ops {
            writeln!(f, "{op:?};")?;
        }
        Ok(())
    }
}
