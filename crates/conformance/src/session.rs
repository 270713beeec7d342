//! Runs a sequence against a server and the model side by side, comparing every answer and, at
//! the end, the whole state (the `/__admin` dump and the closing messages).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::TryStreamExt;
use serde_json::{Value, json};
use wecom_client::{Client, Error};
use wecom_types::api::*;
use wecom_types::{Api, ErrCode};

use crate::model::{Joined, Model, QR_MARK, Scanned, URL_MARK, view_contact_way, view_join_way};
use crate::op::{Op, Seq};
use crate::setup::Setup;
use crate::step::{Answer, Bindings, Fresh, step};
use crate::target::{AdminFailure, Target};

/// A sequence running against one corp of a target.
pub struct Session<'t> {
    target: &'t Target,
    /// The corp.
    pub corpid: String,
    clients: Vec<Client>,
    secrets: Vec<String>,
    /// The model.
    pub model: Model,
    /// Handles bound so far (real ids).
    pub bindings: Bindings,
    raw_tokens: Vec<String>,
    token_strings: BTreeMap<u64, String>,
    done: Vec<Op>,
}

/// The first difference between the model and the server.
#[derive(Debug, Clone)]
pub struct Mismatch {
    /// Which op (its index), `None` for the final state.
    pub at: Option<usize>,
    /// What differs.
    pub detail: String,
    /// The ops run up to and including the failing one, as pasteable calls.
    pub sequence: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.at {
            Some(i) => writeln!(f, "op #{i} disagrees with the model:")?,
            None => writeln!(f, "the final state disagrees with the model:")?,
        }
        writeln!(f, "{}", self.detail)?;
        writeln!(f, "sequence (paste into a regression test):")?;
        write!(f, "{}", self.sequence)
    }
}

fn error_answer(e: &Error) -> Answer {
    match e.code() {
        Some(code) => Answer::Err { code, sent: e.violation().is_none() },
        None => Answer::Broken(e.to_string()),
    }
}

fn admin_answer(e: &AdminFailure) -> Answer {
    if e.status == 0 {
        return Answer::Broken(e.message.clone());
    }
    Answer::Admin { status: e.status, error: e.error.clone() }
}

/// Treats `""` and `[]` as absent, and URLs the server invents as marks.
pub fn normalize_way(mut way: ContactWay) -> ContactWay {
    fn s(v: &mut Option<String>) {
        if v.as_deref() == Some("") {
            *v = None;
        }
    }
    s(&mut way.remark);
    s(&mut way.state);
    s(&mut way.unionid);
    if way.qr_code.is_some() {
        way.qr_code = Some(QR_MARK.to_owned());
    }
    if way.user.as_ref().is_some_and(Vec::is_empty) {
        way.user = None;
    }
    if way.party.as_ref().is_some_and(Vec::is_empty) {
        way.party = None;
    }
    if let Some(c) = &mut way.conclusions
        && let Some(image) = &mut c.image
        && image.pic_url.is_some()
    {
        image.pic_url = Some(URL_MARK.to_owned());
    }
    way
}

/// Keeps what the model predicts of a customer's detail: who follows them, when, how and with
/// which state, sorted by userid.
pub fn normalize_follows(follows: Vec<FollowUser>) -> Vec<FollowUser> {
    let mut out: Vec<FollowUser> = follows
        .into_iter()
        .map(|f| FollowUser {
            userid: f.userid,
            createtime: f.createtime,
            add_way: f.add_way,
            state: f.state.filter(|s| !s.is_empty()),
            ..Default::default()
        })
        .collect();
    out.sort_by(|a, b| a.userid.cmp(&b.userid));
    out
}

/// Keeps what the model predicts of a group's detail (members in order; a corp member's join
/// time and scene are the fixture's, which the model does not know).
pub fn normalize_group(group: GroupChat) -> GroupChat {
    GroupChat {
        chat_id: group.chat_id,
        name: group.name,
        owner: group.owner,
        member_list: group
            .member_list
            .into_iter()
            .map(|m| {
                let external = m.member_type == GroupMemberType::EXTERNAL;
                GroupMember {
                    userid: m.userid,
                    member_type: m.member_type,
                    join_time: if external { m.join_time } else { 0 },
                    join_scene: if external { m.join_scene } else { JoinScene::default() },
                    state: m.state.filter(|s| !s.is_empty()),
                    ..Default::default()
                }
            })
            .collect(),
        ..Default::default()
    }
}

/// The same for Join Group.
pub fn normalize_join_way(mut way: JoinWay) -> JoinWay {
    for v in [&mut way.remark, &mut way.state, &mut way.room_base_name] {
        if v.as_deref() == Some("") {
            *v = None;
        }
    }
    if way.qr_code.is_some() {
        way.qr_code = Some(QR_MARK.to_owned());
    }
    way
}

/// Drops empty strings, empty lists and nulls, and replaces invented URLs by marks, everywhere.
pub fn normalize_value(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|_, x| !matches!(x, Value::Null) && x != "" && !matches!(x, Value::Array(a) if a.is_empty()));
            for (k, x) in map.iter_mut() {
                match k.as_str() {
                    "qr_code" => *x = json!(QR_MARK),
                    "pic_url" => *x = json!(URL_MARK),
                    _ => normalize_value(x),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize_value),
        _ => {}
    }
}

impl<'t> Session<'t> {
    /// Creates (or replaces) `corpid` on the target from `setup`, with its clock frozen at the
    /// setup's start.
    pub async fn start(target: &'t Target, setup: &Setup, corpid: &str) -> Result<Session<'t>, String> {
        let fixture = setup.fixture(corpid);
        target.put_corp(&fixture).await.map_err(|e| format!("cannot create corp {corpid}: {e:?}"))?;
        target.clock(corpid, json!({"set": setup.start})).await.map_err(|e| format!("cannot set the clock: {e:?}"))?;
        let secrets: Vec<String> = fixture.apps.iter().map(|a| a.secret.clone()).collect();
        let clients = secrets
            .iter()
            .map(|s| target.client(corpid, s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        Ok(Session {
            target,
            corpid: corpid.to_owned(),
            clients,
            secrets,
            model: Model::new(setup.directory(corpid), setup.start),
            bindings: Bindings::default(),
            raw_tokens: Vec::new(),
            token_strings: BTreeMap::new(),
            done: Vec::new(),
        })
    }

    fn sequence(&self) -> String {
        Seq { ops: self.done.clone() }.to_string()
    }

    fn mismatch(&self, at: Option<usize>, detail: String) -> Mismatch {
        Mismatch { at, detail, sequence: self.sequence() }
    }

    fn client(&self, app: usize) -> &Client {
        &self.clients[app.min(self.clients.len() - 1)]
    }

    async fn raw_token(&mut self, app: usize) -> Result<String, String> {
        let secret = self.secrets.get(app).cloned().unwrap_or_default();
        self.target.token(&self.corpid, &secret).await.map(|(t, _)| t)
    }

    /// Runs `op` on the server, then on the model, and compares.
    pub async fn run(&mut self, op: &Op) -> Result<(), Mismatch> {
        self.done.push(op.clone());
        let index = self.done.len() - 1;
        let (observed, fresh, token) = self.observe(op).await;
        let expected = step(&mut self.model, &mut self.bindings, op, &fresh);
        if let (Op::GetToken { .. }, Some(token)) = (op, &token) {
            self.raw_tokens.push(token.clone());
            if let Some(&(_, serial)) = self.bindings.tokens.last() {
                match self.token_strings.get(&serial) {
                    Some(known) if known != token => {
                        return Err(self.mismatch(
                            Some(index),
                            "gettoken handed out a new token within the old one's validity".into(),
                        ));
                    }
                    Some(_) => {}
                    None => {
                        if self.token_strings.values().any(|t| t == token) {
                            return Err(self.mismatch(
                                Some(index),
                                "gettoken handed out an old token where a new one was due".into(),
                            ));
                        }
                        self.token_strings.insert(serial, token.clone());
                    }
                }
            }
        }
        tally(op, &observed);
        if !expected.matches(&observed) {
            return Err(self.mismatch(Some(index), format!("expected: {expected:?}\nobserved: {observed:?}")));
        }
        Ok(())
    }

    async fn observe(&mut self, op: &Op) -> (Answer, Fresh, Option<String>) {
        let mut fresh = Fresh::fake(10_000 + self.done.len());
        let b = &self.bindings;
        let answer = match op {
            Op::AddContactWay { app, req } => match self.client(*app).add_contact_way(req).await {
                Ok(created) => {
                    fresh.config_id = created.config_id;
                    Answer::Added { qr: created.qr_code.is_some() }
                }
                Err(e) => error_answer(&e),
            },
            Op::GetContactWay { app, id } => match self.client(*app).get_contact_way(&b.resolve(id)).await {
                Ok(way) => Answer::Way(Box::new(normalize_way(way))),
                Err(e) => error_answer(&e),
            },
            Op::ListContactWay { app, req, cursor } => {
                let req = ListContactWay { cursor: cursor.as_ref().map(|c| b.resolve_cursor(c)), ..req.clone() };
                match self.client(*app).list_contact_way(&req).await {
                    Ok(page) => {
                        let more = !page.next_cursor.is_empty();
                        fresh.cursor = page.next_cursor;
                        Answer::Page { ids: page.contact_way.into_iter().map(|i| i.config_id).collect(), more }
                    }
                    Err(e) => error_answer(&e),
                }
            }
            Op::ListAll { app, req } => {
                match self.client(*app).contact_way_ids(req.clone()).try_collect::<Vec<String>>().await {
                    Ok(ids) => Answer::Ids(ids),
                    Err(e) => error_answer(&e),
                }
            }
            Op::UpdateContactWay { app, id, req } => {
                let req = UpdateContactWay { config_id: Some(b.resolve(id)), ..req.clone() };
                match self.client(*app).update_contact_way(&req).await {
                    Ok(()) => Answer::Ok,
                    Err(e) => error_answer(&e),
                }
            }
            Op::DelContactWay { app, id } => match self.client(*app).del_contact_way(&b.resolve(id)).await {
                Ok(()) => Answer::Ok,
                Err(e) => error_answer(&e),
            },
            Op::CloseTempChat { app, userid, external_userid } => {
                match self.client(*app).close_temp_chat(userid, external_userid).await {
                    Ok(()) => Answer::Ok,
                    Err(e) => error_answer(&e),
                }
            }
            Op::AddJoinWay { app, req } => match self.client(*app).add_join_way(req).await {
                Ok(created) => {
                    fresh.config_id = created.config_id;
                    Answer::Ok
                }
                Err(e) => error_answer(&e),
            },
            Op::GetJoinWay { app, id } => match self.client(*app).get_join_way(&b.resolve(id)).await {
                Ok(way) => Answer::JoinWay(Box::new(normalize_join_way(way))),
                Err(e) => error_answer(&e),
            },
            Op::UpdateJoinWay { app, id, req } => {
                let req = UpdateJoinWay { config_id: Some(b.resolve(id)), ..req.clone() };
                match self.client(*app).update_join_way(&req).await {
                    Ok(()) => Answer::Ok,
                    Err(e) => error_answer(&e),
                }
            }
            Op::DelJoinWay { app, id } => match self.client(*app).del_join_way(&b.resolve(id)).await {
                Ok(()) => Answer::Ok,
                Err(e) => error_answer(&e),
            },
            Op::GetExternalContact { app, external_userid } => {
                match self.client(*app).get_external_contact(external_userid).await {
                    Ok(detail) if &detail.external_contact.external_userid != external_userid => Answer::Broken(
                        format!("asked for {external_userid}, got {}", detail.external_contact.external_userid),
                    ),
                    Ok(detail) => Answer::Contact(normalize_follows(detail.follow_user)),
                    Err(e) => error_answer(&e),
                }
            }
            Op::GetGroupChat { app, chat_id } => {
                match self.client(*app).get_group_chat(&GetGroupChat::new(chat_id.as_str())).await {
                    Ok(group) => Answer::Group(Box::new(normalize_group(group))),
                    Err(e) => error_answer(&e),
                }
            }
            Op::GetFollowUserList { app } => match self.client(*app).get_follow_user_list().await {
                Ok(members) => Answer::Members(members),
                Err(e) => error_answer(&e),
            },
            Op::ListExternalContact { app, userid } => match self.client(*app).list_external_contact(userid).await {
                Ok(customers) => Answer::Customers(customers),
                Err(e) => error_answer(&e),
            },
            Op::SendWelcomeMsg { app, code, req } => {
                let mut req = req.clone();
                req.welcome_code = Some(b.resolve_code(code));
                match self.client(*app).send_welcome_msg(&req).await {
                    Ok(()) => Answer::Ok,
                    Err(e) => error_answer(&e),
                }
            }
            Op::MergedUpdateContactWay { app, id, remark } => {
                let remark = remark.clone();
                match self.client(*app).update_contact_way_merged(&b.resolve(id), |w| w.remark = remark).await {
                    Ok(_) => Answer::Ok,
                    Err(e) => error_answer(&e),
                }
            }
            Op::MergedUpdateJoinWay { app, id, remark } => {
                let remark = remark.clone();
                match self.client(*app).update_join_way_merged(&b.resolve(id), |w| w.remark = remark).await {
                    Ok(_) => Answer::Ok,
                    Err(e) => error_answer(&e),
                }
            }
            Op::Scan { id, external_userid, unionid, userid } => {
                let mut body =
                    json!({"corpid": self.corpid, "config_id": b.resolve(id), "external_userid": external_userid});
                if let Some(u) = unionid {
                    body["unionid"] = json!(u);
                }
                if let Some(u) = userid {
                    body["userid"] = json!(u);
                }
                match self.target.scan(&body).await {
                    Ok(s) => {
                        fresh.welcome_code = s.welcome_code.clone();
                        Answer::Scanned(Scanned {
                            external_userid: s.external_userid,
                            userid: s.userid,
                            state: s.state,
                            temp: s.temp,
                            welcome_code: s.welcome_code,
                        })
                    }
                    Err(e) => admin_answer(&e),
                }
            }
            Op::Join { id, external_userid } => {
                let body =
                    json!({"corpid": self.corpid, "config_id": b.resolve(id), "external_userid": external_userid});
                match self.target.join(&body).await {
                    Ok(j) => {
                        if j.created_chat {
                            fresh.chat_id = j.chat_id.clone();
                        }
                        Answer::Joined(Joined { chat_id: j.chat_id, state: j.state, created_chat: j.created_chat })
                    }
                    Err(e) => admin_answer(&e),
                }
            }
            Op::AdvanceClock(secs) => match self.target.clock(&self.corpid, json!({"advance": secs})).await {
                Ok(()) => Answer::Ok,
                Err(e) => admin_answer(&e),
            },
            Op::SetClock(unix) => match self.target.clock(&self.corpid, json!({"set": unix})).await {
                Ok(()) => Answer::Ok,
                Err(e) => admin_answer(&e),
            },
            Op::RevokeTokens => match self.target.revoke_tokens(&self.corpid).await {
                Ok(()) => Answer::Ok,
                Err(e) => admin_answer(&e),
            },
            Op::GetToken { app } => {
                let secret = self.secrets.get(*app).cloned().unwrap_or_default();
                match self.target.token(&self.corpid, &secret).await {
                    Ok((token, expires_in)) => return (Answer::Token { expires_in }, fresh, Some(token)),
                    Err(e) => Answer::Broken(e),
                }
            }
            Op::CallWithToken { token } => {
                let token = self.raw_tokens.get(*token).cloned().unwrap_or_default();
                match self.target.post_raw(Api::ListContactWay, Some(&token), "{}").await {
                    Ok((_, answer)) => Answer::Code(Target::errcode(&answer)),
                    Err(e) => Answer::Broken(e),
                }
            }
            Op::Raw { app, api, body, id } => {
                let body = match id {
                    Some(r) => body.replace("$ID", &b.resolve(r)),
                    None => body.clone(),
                };
                let Some(api) = Api::ALL.into_iter().find(|a| a.short_name() == api) else {
                    return (Answer::Broken(format!("no API {api}")), fresh, None);
                };
                match self.raw_token(*app).await {
                    Ok(token) => match self.target.post_raw(api, Some(&token), &body).await {
                        Ok((_, answer)) => {
                            if let Some(id) = answer.get("config_id").and_then(Value::as_str) {
                                fresh.config_id = id.to_owned();
                            }
                            Answer::Code(Target::errcode(&answer))
                        }
                        Err(e) => Answer::Broken(e),
                    },
                    Err(e) => Answer::Broken(e),
                }
            }
        };
        (answer, fresh, None)
    }

    /// The model's state in the dump's shape.
    pub fn expected_dump(&self) -> Value {
        let m = &self.model;
        let contact_ways: Vec<Value> = m
            .contact_ways
            .iter()
            .map(|(id, cw)| {
                let mut v = serde_json::to_value(view_contact_way(id, cw)).unwrap_or(Value::Null);
                v["create_time"] = json!(cw.create_time);
                v["temp_used"] = json!(cw.temp_used);
                v
            })
            .collect();
        let join_ways: Vec<Value> = m
            .join_ways
            .iter()
            .map(|(id, jw)| serde_json::to_value(view_join_way(id, jw)).unwrap_or(Value::Null))
            .collect();
        let customers: Vec<Value> = m
            .customers
            .iter()
            .map(|((ext, user), rel)| {
                let mut v = json!({"external_userid": ext, "userid": user, "state": rel.state,
                                   "config_id": rel.config_id, "temp": rel.temp});
                if let Some(at) = rel.chat_expires_at {
                    v["chat_expires_at"] = json!(at);
                }
                v
            })
            .collect();
        let group_chats: Vec<Value> = m
            .groups
            .iter()
            .map(|(id, g)| json!({"chat_id": id, "name": g.name, "members": g.members.len(), "member_limit": g.member_limit}))
            .collect();
        json!({
            "corpid": self.corpid,
            "contact_ways": contact_ways,
            "join_ways": join_ways,
            "customers": customers,
            "group_chats": group_chats,
            "quota": {"contact_ways_used": m.shared_used, "temp_today_used": m.temp_today_used()},
        })
    }

    /// The model's closing messages in the shape of `/__admin/messages`.
    pub fn expected_messages(&self) -> Value {
        let messages: Vec<Value> = self
            .model
            .messages
            .iter()
            .map(|msg| {
                let mut v = json!({"at": msg.at, "from": msg.from, "to": msg.to, "reason": msg.reason});
                if let Some(c) = &msg.conclusions {
                    v["conclusions"] = serde_json::to_value(c).unwrap_or(Value::Null);
                }
                v
            })
            .collect();
        Value::Array(messages)
    }

    /// Compares the state dump (after every op: a refused request must not change anything,
    /// and a change must be exactly the one the model made).
    pub async fn check_dump(&self, at: Option<usize>) -> Result<(), Mismatch> {
        let mut observed = self
            .target
            .dump(&self.corpid)
            .await
            .map_err(|e| self.mismatch(at, format!("cannot read the dump: {e:?}")))?;
        let mut expected = self.expected_dump();
        normalize_value(&mut observed);
        normalize_value(&mut expected);
        if observed != expected {
            let detail = format!("the state after the op differs:\n{}", diff("dump", &expected, &observed));
            return Err(self.mismatch(at, detail));
        }
        Ok(())
    }

    /// Compares the whole state: the dump and the closing messages.
    pub async fn check_state(&self) -> Result<(), Mismatch> {
        let mut observed = self
            .target
            .dump(&self.corpid)
            .await
            .map_err(|e| self.mismatch(None, format!("cannot read the dump: {e:?}")))?;
        let mut expected = self.expected_dump();
        normalize_value(&mut observed);
        normalize_value(&mut expected);
        if observed != expected {
            return Err(self.mismatch(None, diff("dump", &expected, &observed)));
        }
        let messages = self
            .target
            .messages(&self.corpid)
            .await
            .map_err(|e| self.mismatch(None, format!("cannot read the messages: {e:?}")))?;
        let mut observed: Value = messages
            .get("messages")
            .and_then(Value::as_array)
            .map(|all| {
                all.iter()
                    .filter(|m| m.get("kind").and_then(Value::as_str) == Some("conclusions"))
                    .map(|m| {
                        let mut m = m.clone();
                        if let Some(o) = m.as_object_mut() {
                            o.remove("kind");
                            o.remove("corpid");
                        }
                        m
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut expected = self.expected_messages();
        normalize_value(&mut observed);
        normalize_value(&mut expected);
        if observed != expected {
            return Err(self.mismatch(None, diff("messages", &expected, &observed)));
        }
        Ok(())
    }

    /// Removes the corp from the target.
    pub async fn finish(self) {
        let _ = self.target.delete_corp(&self.corpid).await;
    }
}

/// Answers seen, by op kind and outcome (`add_contact_way → ok`, `… → 41045`), for judging
/// what a run covered.
pub static TALLY: std::sync::Mutex<BTreeMap<String, usize>> = std::sync::Mutex::new(BTreeMap::new());

fn tally(op: &Op, observed: &Answer) {
    let kind = op.to_string();
    let kind = kind.split('(').next().unwrap_or_default().to_owned();
    let outcome = match observed {
        Answer::Err { code, sent } => format!("{}{}", code.0, if *sent { "" } else { " (client)" }),
        Answer::Code(code) => format!("raw {}", code.0),
        Answer::Admin { status, error } => format!("{status} {}", error.as_deref().unwrap_or_default()),
        Answer::Page { more, ids } => format!("page of {} more={more}", ids.len().min(3)),
        Answer::Broken(_) => "broken".to_owned(),
        _ => "ok".to_owned(),
    };
    if let Ok(mut tally) = TALLY.lock() {
        *tally.entry(format!("{kind} → {outcome}")).or_default() += 1;
    }
}

/// A short description of where two JSON values differ.
pub fn diff(what: &str, expected: &Value, observed: &Value) -> String {
    fn walk(path: &str, e: &Value, o: &Value, out: &mut Vec<String>) {
        if out.len() >= 8 {
            return;
        }
        match (e, o) {
            (Value::Object(a), Value::Object(b)) => {
                let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
                for k in keys {
                    let (x, y) = (a.get(k).unwrap_or(&Value::Null), b.get(k).unwrap_or(&Value::Null));
                    if x != y {
                        walk(&format!("{path}.{k}"), x, y, out);
                    }
                }
            }
            (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    if x != y {
                        walk(&format!("{path}[{i}]"), x, y, out);
                    }
                }
            }
            _ => out.push(format!("  {path}: model {e} / server {o}")),
        }
    }
    let mut out = Vec::new();
    walk(what, expected, observed, &mut out);
    out.join("\n")
}

/// Runs `ops` in a fresh corp `corpid` of `target` and compares everything; counts the ops run in
/// `seen` (so shrinking can drop the ones after a failure).
pub async fn check_sequence(
    target: &Target,
    setup: &Setup,
    corpid: &str,
    ops: &[Op],
    seen: Option<&AtomicUsize>,
) -> Result<(), Mismatch> {
    let mut session = Session::start(target, setup, corpid).await.map_err(|detail| Mismatch {
        at: None,
        detail,
        sequence: String::new(),
    })?;
    let result = async {
        for op in ops {
            if let Some(seen) = seen {
                seen.fetch_add(1, Ordering::SeqCst);
            }
            if !session.bindings.can_run(op) {
                // A shrunk sequence may have lost the op that made a handle; skipping keeps the
                // rest meaningful (the model skips it too).
                session.done.push(op.clone());
                continue;
            }
            session.run(op).await?;
            session.check_dump(Some(session.done.len() - 1)).await?;
        }
        session.check_state().await
    }
    .await;
    session.finish().await;
    result
}

/// For reports: a setup and sequence as one pasteable regression test body.
pub fn regression(setup: &Setup, ops: &[Op], mismatch: &Mismatch) -> String {
    format!(
        "{mismatch}\nregression test (needs a running mock `mock` with the control surface):\n    let setup = {setup:?};\n    let mut s = Seq::default();\n{}    if let Err(m) = wecom_conformance::check_against(&mock.uri(), setup, &s).await {{ panic!(\"{{m}}\") }}\n",
        Seq { ops: ops.to_vec() }.to_string().lines().map(|l| format!("    {l}\n")).collect::<String>()
    )
}

/// Errcode helper for callers: the code of an answer, if it is an API error.
pub fn code_of(answer: &Answer) -> Option<ErrCode> {
    match answer {
        Answer::Err { code, .. } | Answer::Code(code) => Some(*code),
        _ => None,
    }
}
