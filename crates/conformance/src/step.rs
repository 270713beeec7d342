//! One op applied to the model: the answer it predicts, in the same shape the harness gives the
//! server's answer, so the two can be compared with `==`.

use wecom_types::api::*;
use wecom_types::{ErrCode, Patch};

use crate::model::{Joined, Model, Scanned};
use crate::op::{CodeRef, CursorRef, Op, Ref};

/// An answer, predicted or observed.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// An API error. `sent` is `false` when the client refused the request before sending it.
    Err {
        /// The errcode.
        code: ErrCode,
        /// Whether the request reached the server.
        sent: bool,
    },
    /// A Contact Me config was created; `qr` tells whether a QR code came back.
    Added {
        /// A `qr_code` came back.
        qr: bool,
    },
    /// A Contact Me config read back.
    Way(Box<ContactWay>),
    /// One list page.
    Page {
        /// The ids.
        ids: Vec<String>,
        /// `next_cursor` was not empty.
        more: bool,
    },
    /// Every id of a list walk.
    Ids(Vec<String>),
    /// Success without payload.
    Ok,
    /// A Join Group config read back.
    JoinWay(Box<JoinWay>),
    /// A scan.
    Scanned(Scanned),
    /// A join.
    Joined(Joined),
    /// An admin error.
    Admin {
        /// HTTP status.
        status: u16,
        /// The `error` code (the model gives `None` where the spec names none).
        error: Option<String>,
    },
    /// A raw gettoken.
    Token {
        /// `expires_in`.
        expires_in: i64,
    },
    /// A raw call: its errcode only.
    Code(ErrCode),
    /// A customer's detail: who follows them (userid, createtime, add_way, state), by userid.
    Contact(Vec<FollowUser>),
    /// The member list (`get_follow_user_list`).
    Members(Vec<String>),
    /// A member's customers (`externalcontact/list`).
    Customers(Vec<String>),
    /// A group's detail (chat_id, name, owner, members with type, join scene, time and state).
    Group(Box<GroupChat>),
    /// Something no model answer looks like (a transport error, an undecodable answer).
    Broken(String),
}

impl Answer {
    /// Whether an observed answer matches this predicted one. Admin errors match on status and,
    /// where the spec names one, on the error code.
    pub fn matches(&self, observed: &Answer) -> bool {
        match (self, observed) {
            (Answer::Admin { status, error: None }, Answer::Admin { status: got, .. }) => {
                // The spec names no status for these refusals; any 4xx is a refusal.
                (400..500).contains(got) && (400..500).contains(status)
            }
            _ => self == observed,
        }
    }
}

/// What a sequence has obtained so far, by handle.
#[derive(Debug, Clone, Default)]
pub struct Bindings {
    /// Contact Me config ids.
    pub cw: Vec<String>,
    /// Join Group config ids.
    pub jw: Vec<String>,
    /// Cursors.
    pub cursors: Vec<String>,
    /// Token serials (the model's names for tokens).
    pub tokens: Vec<(usize, u64)>,
    /// Chats created by joins.
    pub chats: Vec<String>,
    /// Welcome codes answered by successful scans.
    pub codes: Vec<String>,
}

impl Bindings {
    /// The id a ref stands for; a handle not bound yet reads as an empty id.
    pub fn resolve(&self, r: &Ref) -> String {
        match r {
            Ref::Cw(n) => self.cw.get(*n).cloned().unwrap_or_default(),
            Ref::Jw(n) => self.jw.get(*n).cloned().unwrap_or_default(),
            Ref::Lit(s) => s.clone(),
        }
    }

    /// The cursor a ref stands for.
    pub fn resolve_cursor(&self, c: &CursorRef) -> String {
        match c {
            CursorRef::Handle(n) => self.cursors.get(*n).cloned().unwrap_or_default(),
            CursorRef::Lit(s) => s.clone(),
        }
    }

    /// The welcome code a ref stands for.
    pub fn resolve_code(&self, c: &CodeRef) -> String {
        match c {
            CodeRef::Handle(n) => self.codes.get(*n).cloned().unwrap_or_default(),
            CodeRef::Lit(s) => s.clone(),
        }
    }

    /// Whether every handle `op` uses exists.
    pub fn can_run(&self, op: &Op) -> bool {
        let id_ok = |r: &Ref| match r {
            Ref::Cw(n) => *n < self.cw.len(),
            Ref::Jw(n) => *n < self.jw.len(),
            Ref::Lit(_) => true,
        };
        match op {
            Op::GetContactWay { id, .. }
            | Op::UpdateContactWay { id, .. }
            | Op::DelContactWay { id, .. }
            | Op::GetJoinWay { id, .. }
            | Op::MergedUpdateContactWay { id, .. }
            | Op::MergedUpdateJoinWay { id, .. }
            | Op::UpdateJoinWay { id, .. }
            | Op::DelJoinWay { id, .. }
            | Op::Scan { id, .. }
            | Op::Join { id, .. } => id_ok(id),
            Op::Raw { id: Some(id), .. } => id_ok(id),
            Op::ListContactWay { cursor: Some(CursorRef::Handle(n)), .. } => *n < self.cursors.len(),
            Op::CallWithToken { token } => *token < self.tokens.len(),
            Op::SendWelcomeMsg { code: CodeRef::Handle(n), .. } => *n < self.codes.len(),
            _ => true,
        }
    }
}

/// The ids the server invents for one op; the model adopts them.
#[derive(Debug, Clone, Default)]
pub struct Fresh {
    /// A created config's id.
    pub config_id: String,
    /// A page's `next_cursor`.
    pub cursor: String,
    /// A created chat's id.
    pub chat_id: String,
    /// The welcome code a scan's add issued.
    pub welcome_code: String,
}

impl Fresh {
    /// Made-up ids, unique per `n`, for generating sequences without a server.
    pub fn fake(n: usize) -> Fresh {
        Fresh {
            config_id: format!("{:016x}{:016x}", 0xc0ffee_u64, n),
            cursor: format!("model-cursor-{n}"),
            chat_id: format!("wrmodelchat{n:04}"),
            welcome_code: format!("{:032x}", 0xc0de_0000_u64 + n as u64),
        }
    }
}

fn refused(r: crate::model::Refusal) -> Answer {
    Answer::Err { code: r.code, sent: !r.pure }
}

/// Before a typed call the client fetches a token unless it refuses the request itself.
fn client_call<T>(
    model: &mut Model,
    app: usize,
    mut run: impl FnMut(&mut Model) -> crate::model::Outcome<T>,
) -> crate::model::Outcome<T> {
    // The token is fetched before the server sees the request; a request the client refuses
    // never fetches one. The model only knows afterwards whether its refusal is pure, so it
    // runs the call on a copy first.
    let mut probe = model.clone();
    probe.skip_permission = true;
    match run(&mut probe) {
        Err(r) if r.pure => Err(r),
        _ => {
            model.client_token(app);
            run(model)
        }
    }
}

/// Applies `op` to the model and returns the answer it predicts; `fresh` names what the server
/// would invent. Binds new handles.
pub fn step(model: &mut Model, b: &mut Bindings, op: &Op, fresh: &Fresh) -> Answer {
    match op {
        Op::AddContactWay { app, req } => {
            match client_call(model, *app, |m| m.add_contact_way(*app, req, &fresh.config_id)) {
                Ok(qr) => {
                    b.cw.push(fresh.config_id.clone());
                    Answer::Added { qr }
                }
                Err(r) => refused(r),
            }
        }
        Op::GetContactWay { app, id } => {
            let req = GetContactWay::new(b.resolve(id));
            match client_call(model, *app, |m| m.get_contact_way(*app, &req)) {
                Ok(way) => Answer::Way(Box::new(way)),
                Err(r) => refused(r),
            }
        }
        Op::ListContactWay { app, req, cursor } => {
            let req = ListContactWay { cursor: cursor.as_ref().map(|c| b.resolve_cursor(c)), ..req.clone() };
            match client_call(model, *app, |m| m.list_contact_way(*app, &req)) {
                Ok(page) => {
                    let more = page.next.is_some();
                    if let Some(position) = page.next {
                        model.bind_cursor(&fresh.cursor, position);
                        b.cursors.push(fresh.cursor.clone());
                    }
                    Answer::Page { ids: page.ids, more }
                }
                Err(r) => refused(r),
            }
        }
        Op::ListAll { app, req } => {
            let walk = client_call(model, *app, |m| {
                let mut ids = Vec::new();
                let mut page = m.list_contact_way(*app, &ListContactWay { cursor: None, ..req.clone() })?;
                loop {
                    ids.extend(page.ids);
                    let Some(position) = page.next else { break };
                    // The walk follows cursors the model does not keep: resume by position.
                    let key = format!("walk:{}:{}", position.0, position.1);
                    m.bind_cursor(&key, position);
                    page = m.list_contact_way(*app, &req.at_cursor(key.as_str()))?;
                }
                Ok(ids)
            });
            model.cursors.retain(|k, _| !k.starts_with("walk:"));
            match walk {
                Ok(ids) => Answer::Ids(ids),
                Err(r) => refused(r),
            }
        }
        Op::UpdateContactWay { app, id, req } => {
            let req = UpdateContactWay { config_id: Some(b.resolve(id)), ..req.clone() };
            match client_call(model, *app, |m| m.update_contact_way(*app, &req)) {
                Ok(()) => Answer::Ok,
                Err(r) => refused(r),
            }
        }
        Op::DelContactWay { app, id } => {
            let req = DelContactWay::new(b.resolve(id));
            match client_call(model, *app, |m| m.del_contact_way(*app, &req)) {
                Ok(()) => Answer::Ok,
                Err(r) => refused(r),
            }
        }
        Op::CloseTempChat { app, userid, external_userid } => {
            let req = CloseTempChat::new(userid.as_str(), external_userid.as_str());
            match client_call(model, *app, |m| m.close_temp_chat(*app, &req)) {
                Ok(()) => Answer::Ok,
                Err(r) => refused(r),
            }
        }
        Op::AddJoinWay { app, req } => {
            match client_call(model, *app, |m| m.add_join_way(*app, req, &fresh.config_id)) {
                Ok(()) => {
                    b.jw.push(fresh.config_id.clone());
                    Answer::Ok
                }
                Err(r) => refused(r),
            }
        }
        Op::GetJoinWay { app, id } => {
            let req = GetJoinWay::new(b.resolve(id));
            match client_call(model, *app, |m| m.get_join_way(*app, &req)) {
                Ok(way) => Answer::JoinWay(Box::new(way)),
                Err(r) => refused(r),
            }
        }
        Op::UpdateJoinWay { app, id, req } => {
            let req = UpdateJoinWay { config_id: Some(b.resolve(id)), ..req.clone() };
            match client_call(model, *app, |m| m.update_join_way(*app, &req)) {
                Ok(()) => Answer::Ok,
                Err(r) => refused(r),
            }
        }
        Op::DelJoinWay { app, id } => {
            let req = DelJoinWay::new(b.resolve(id));
            match client_call(model, *app, |m| m.del_join_way(*app, &req)) {
                Ok(()) => Answer::Ok,
                Err(r) => refused(r),
            }
        }
        Op::GetExternalContact { app, external_userid } => {
            let req = GetExternalContact::new(external_userid.as_str());
            match client_call(model, *app, |m| m.get_external_contact(*app, &req)) {
                Ok(follows) => Answer::Contact(follows),
                Err(r) => refused(r),
            }
        }
        Op::GetGroupChat { app, chat_id } => {
            let req = GetGroupChat::new(chat_id.as_str());
            match client_call(model, *app, |m| m.get_group_chat(*app, &req)) {
                Ok(group) => Answer::Group(Box::new(group)),
                Err(r) => refused(r),
            }
        }
        Op::MergedUpdateContactWay { app, id, remark } => {
            let id = b.resolve(id);
            // Read, change the remark, send the whole member lists back plus the change: two
            // calls, each checked by the client on its own.
            let merged = client_call(model, *app, |m| m.get_contact_way(*app, &GetContactWay::new(id.as_str())))
                .and_then(|current| {
                    let remark = match (&current.remark, remark) {
                        (a, b) if a == b => Patch::Keep,
                        (_, None) => Patch::Clear,
                        (_, Some(r)) => Patch::Set(r.clone()),
                    };
                    let req = UpdateContactWay {
                        remark,
                        user: Patch::Set(current.user.clone().unwrap_or_default()),
                        party: Patch::Set(current.party.clone().unwrap_or_default()),
                        ..UpdateContactWay::new(id.as_str())
                    };
                    client_call(model, *app, |m| m.update_contact_way(*app, &req))
                });
            match merged {
                Ok(()) => Answer::Ok,
                Err(r) => refused(r),
            }
        }
        Op::MergedUpdateJoinWay { app, id, remark } => {
            let id = b.resolve(id);
            let merged =
                client_call(model, *app, |m| m.get_join_way(*app, &GetJoinWay::new(id.as_str()))).and_then(|current| {
                    let mut req = current.to_update();
                    req.remark = remark.clone();
                    client_call(model, *app, |m| m.update_join_way(*app, &req))
                });
            match merged {
                Ok(()) => Answer::Ok,
                Err(r) => refused(r),
            }
        }
        Op::Scan { id, external_userid, unionid, userid } => {
            match model.scan(
                &b.resolve(id),
                external_userid,
                unionid.as_deref(),
                userid.as_deref(),
                &fresh.welcome_code,
            ) {
                Ok(s) => {
                    b.codes.push(s.welcome_code.clone());
                    Answer::Scanned(s)
                }
                Err(e) => Answer::Admin { status: e.status, error: e.error.map(str::to_owned) },
            }
        }
        Op::GetFollowUserList { app } => match client_call(model, *app, |m| m.get_follow_user_list(*app)) {
            Ok(members) => Answer::Members(members),
            Err(r) => refused(r),
        },
        Op::ListExternalContact { app, userid } => {
            let req = ListExternalContact::new(userid.as_str());
            match client_call(model, *app, |m| m.list_external_contact(*app, &req)) {
                Ok(customers) => Answer::Customers(customers),
                Err(r) => refused(r),
            }
        }
        Op::SendWelcomeMsg { app, code, req } => {
            let mut req = req.clone();
            req.welcome_code = Some(b.resolve_code(code));
            match client_call(model, *app, |m| m.send_welcome_msg(*app, &req)) {
                Ok(()) => Answer::Ok,
                Err(r) => refused(r),
            }
        }
        Op::Join { id, external_userid } => match model.join(&b.resolve(id), external_userid, &fresh.chat_id) {
            Ok(j) => {
                if j.created_chat {
                    b.chats.push(j.chat_id.clone());
                }
                Answer::Joined(j)
            }
            Err(e) => Answer::Admin { status: e.status, error: e.error.map(str::to_owned) },
        },
        Op::AdvanceClock(secs) => {
            model.set_now(model.now + secs);
            Answer::Ok
        }
        Op::SetClock(unix) => {
            model.set_now(*unix);
            Answer::Ok
        }
        Op::RevokeTokens => {
            model.revoke_tokens();
            Answer::Ok
        }
        Op::GetToken { app } => {
            let (serial, expires_in) = model.gettoken(*app);
            b.tokens.push((*app, serial));
            Answer::Token { expires_in }
        }
        Op::CallWithToken { token } => {
            let Some(&(app, serial)) = b.tokens.get(*token) else { return Answer::Code(ErrCode::INVALID_ACCESS_TOKEN) };
            let code = model.token_check(serial);
            if code != ErrCode::OK {
                return Answer::Code(code);
            }
            match model.list_contact_way(app, &ListContactWay::default()) {
                Ok(_) => Answer::Code(ErrCode::OK),
                Err(r) => Answer::Code(r.code),
            }
        }
        Op::Raw { app, api, body, id } => {
            model.gettoken(*app);
            let body = match id {
                Some(r) => body.replace("$ID", &b.resolve(r)),
                None => body.clone(),
            };
            raw_step(model, b, *app, api, &body, fresh)
        }
    }
}

fn decode<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, Answer> {
    // Order of checks, step 6: a body that is not a JSON object, or a field of the wrong JSON
    // type, is 40058.
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(_)) => {}
        _ => return Err(Answer::Code(ErrCode::INVALID_PARAMETER)),
    }
    serde_json::from_str(body).map_err(|_| Answer::Code(ErrCode::INVALID_PARAMETER))
}

fn code_of<T>(outcome: crate::model::Outcome<T>) -> Answer {
    Answer::Code(match outcome {
        Ok(_) => ErrCode::OK,
        Err(r) => r.code,
    })
}

fn raw_step(model: &mut Model, b: &mut Bindings, app: usize, api: &str, body: &str, fresh: &Fresh) -> Answer {
    if !model.dir.apps.get(app).is_some_and(|a| a.customer_contact) {
        return Answer::Code(ErrCode::API_FORBIDDEN);
    }
    let run = |model: &mut Model, b: &mut Bindings| -> Result<Answer, Answer> {
        Ok(match api {
            "add_contact_way" => {
                let out = model.add_contact_way(app, &decode(body)?, &fresh.config_id);
                if out.is_ok() {
                    b.cw.push(fresh.config_id.clone());
                }
                code_of(out)
            }
            "get_contact_way" => code_of(model.get_contact_way(app, &decode(body)?)),
            "list_contact_way" => code_of(model.list_contact_way(app, &decode(body)?)),
            "update_contact_way" => code_of(model.update_contact_way(app, &decode(body)?)),
            "del_contact_way" => code_of(model.del_contact_way(app, &decode(body)?)),
            "close_temp_chat" => code_of(model.close_temp_chat(app, &decode(body)?)),
            "add_join_way" => {
                let out = model.add_join_way(app, &decode(body)?, &fresh.config_id);
                if out.is_ok() {
                    b.jw.push(fresh.config_id.clone());
                }
                code_of(out)
            }
            "get_join_way" => code_of(model.get_join_way(app, &decode(body)?)),
            "update_join_way" => code_of(model.update_join_way(app, &decode(body)?)),
            "del_join_way" => code_of(model.del_join_way(app, &decode(body)?)),
            "send_welcome_msg" => code_of(model.send_welcome_msg(app, &decode(body)?)),
            "externalcontact/list" => code_of(model.list_external_contact(app, &decode(body)?)),
            "externalcontact/get_follow_user_list" => code_of(model.get_follow_user_list(app)),
            other => Answer::Broken(format!("no raw API {other}")),
        })
    };
    run(model, b).unwrap_or_else(|answer| answer)
}
