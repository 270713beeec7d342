//! Sequence generation (`proptest-state-machine`) and the property: for every generated
//! sequence, the server answers every op as the model predicts and ends in the model's state.
//!
//! The generator leans on the edges: lengths at their limits ±1 (in characters, with multi-byte
//! text), quotas of one to three units, deleted and unknown ids, `Patch::Clear` (the empty values
//! real SDKs send), pages whose size is exactly the number of configs left, clock moves that land
//! exactly on a temp chat's end, a QR code's expiry, a token's expiry or Beijing midnight.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Union};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use proptest_state_machine::ReferenceStateMachine;
use wecom_types::Patch;
use wecom_types::api::*;
use wecom_types::limits::{
    ACCESS_TOKEN_LIFETIME_SECS, DAY_SECS, DEFAULT_LIST_WINDOW_SECS, LIST_CUTOFF_UNIX, MAX_TEMP_EXPIRES_SECS,
    MAX_WELCOME_ATTACHMENTS, MAX_WELCOME_TEXT_BYTES, WELCOME_CODE_LIFETIME_SECS, next_beijing_midnight,
};

use crate::model::Model;
use crate::op::{CodeRef, CursorRef, Op, Ref};
use crate::session::{check_sequence, regression};
use crate::setup::{BIG_DEPARTMENT, Setup, T0};
use crate::step::{Bindings, Fresh, step};
use crate::target::Target;

/// What the generator knows while it builds a sequence: the model run on made-up ids.
#[derive(Clone)]
pub struct GenState {
    /// The corp.
    pub setup: Setup,
    /// The model.
    pub model: Model,
    /// Handles so far.
    pub bindings: Bindings,
    n: usize,
}

impl std::fmt::Debug for GenState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.setup)
    }
}

/// The state machine of the suite.
pub struct Machine;

/// Unknown config ids: well-formed but never issued, empty (41043), and malformed.
const UNKNOWN_IDS: [&str; 3] = ["0000000000000000000000000000dead", "", "not-a-config-id"];

const CUSTOMERS: [&str; 4] = ["wmcustomer0001", "wmcustomer0002", "wocustomer0003", "wmcustomer0004"];

fn text() -> BoxedStrategy<String> {
    prop_oneof![
        8 => Just("spring".to_owned()),
        1 => Just("a".repeat(30)),
        1 => Just("a".repeat(31)),
        1 => Just("销".repeat(30)),
        1 => Just("销".repeat(31)),
        3 => Just("x".to_owned()),
    ]
    .boxed()
}

fn opt_text() -> BoxedStrategy<Option<String>> {
    prop_oneof![3 => Just(None), 1 => Just(Some(String::new())), 3 => text().prop_map(Some)].boxed()
}

fn seconds() -> BoxedStrategy<i64> {
    prop_oneof![
        2 => Just(0),
        1 => Just(1),
        3 => Just(60),
        3 => Just(3600),
        2 => Just(DAY_SECS),
        1 => Just(MAX_TEMP_EXPIRES_SECS),
        1 => Just(MAX_TEMP_EXPIRES_SECS + 1),
        1 => Just(-1),
    ]
    .boxed()
}

fn conclusions() -> BoxedStrategy<Conclusions> {
    let text = |s: &str| Some(ConclusionText { content: Some(s.to_owned()) });
    let image = Some(ConclusionImage { media_id: Some("media-1".to_owned()), pic_url: None });
    let link = |title: &str, url: Option<&str>| {
        Some(ConclusionLink {
            title: Some(title.to_owned()),
            picurl: None,
            desc: Some("desc".to_owned()),
            url: url.map(str::to_owned),
        })
    };
    let mini = Some(ConclusionMiniprogram {
        title: Some("mini".to_owned()),
        pic_media_id: Some("media-2".to_owned()),
        appid: Some("wx123".to_owned()),
        page: Some("/index".to_owned()),
    });
    prop_oneof![
        3 => Just(Conclusions { text: text("bye"), ..Default::default() }),
        2 => Just(Conclusions { text: text("bye"), image: image.clone(), link: link("t", Some("https://x")), ..Default::default() }),
        1 => Just(Conclusions { link: link("t", Some("https://x")), miniprogram: mini.clone(), ..Default::default() }),
        1 => Just(Conclusions { miniprogram: mini, ..Default::default() }),
        1 => Just(Conclusions { text: Some(ConclusionText { content: None }), ..Default::default() }),
        1 => Just(Conclusions { text: text(&"b".repeat(4001)), ..Default::default() }),
        1 => Just(Conclusions { text: text(&"字".repeat(1334)), ..Default::default() }),
        1 => Just(Conclusions { link: link(&"t".repeat(129), Some("https://x")), ..Default::default() }),
        1 => Just(Conclusions { text: text("bye"), link: link("t", None), ..Default::default() }),
    ]
    .boxed()
}

fn patch<T: Clone + std::fmt::Debug + 'static>(value: BoxedStrategy<T>) -> BoxedStrategy<Patch<T>> {
    prop_oneof![6 => Just(Patch::Keep), 1 => Just(Patch::Clear), 2 => value.prop_map(Patch::Set)].boxed()
}

impl GenState {
    fn members(&self) -> Vec<String> {
        let mut all = vec!["zhangsan", "lisi", "wangwu", "zhaoliu", "sunqi", "zhouba", "ghost"]
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>();
        if self.setup.big_department {
            all.push("bulk000".to_owned());
        }
        all
    }

    fn good_user(&self) -> BoxedStrategy<String> {
        prop_oneof![Just("zhangsan".to_owned()), Just("lisi".to_owned()), Just("wangwu".to_owned())].boxed()
    }

    fn any_user(&self) -> BoxedStrategy<String> {
        let all = self.members();
        prop_oneof![4 => self.good_user(), 1 => proptest::sample::select(all)].boxed()
    }

    fn users(&self) -> BoxedStrategy<Vec<String>> {
        prop_oneof![
            12 => self.good_user().prop_map(|u| vec![u]),
            2 => proptest::collection::vec(self.any_user(), 0..4),
            1 => Just(vec!["zhangsan".to_owned(), "zhangsan".to_owned()]),
            1 => Just(vec!["zhangsan".to_owned(), "lisi".to_owned(), "wangwu".to_owned()]),
        ]
        .boxed()
    }

    fn parties(&self) -> BoxedStrategy<Vec<u32>> {
        let mut choices = vec![vec![], vec![1], vec![2], vec![99], vec![2, 2]];
        if self.setup.big_department {
            choices.extend([vec![BIG_DEPARTMENT], vec![1]]);
        }
        proptest::sample::select(choices).boxed()
    }

    fn app(&self) -> BoxedStrategy<usize> {
        prop_oneof![20 => Just(0usize), 1 => Just(1usize), 2 => Just(2usize)].boxed()
    }

    fn cw_ref(&self) -> BoxedStrategy<Ref> {
        let n = self.bindings.cw.len();
        let unknown = proptest::sample::select(UNKNOWN_IDS.to_vec()).prop_map(|s| Ref::Lit(s.to_owned()));
        let mut options: Vec<(u32, BoxedStrategy<Ref>)> = vec![(1, unknown.boxed())];
        if n > 0 {
            options.push((8, (0..n).prop_map(Ref::Cw).boxed()));
            // The latest config is the one a sequence most often wants to touch again.
            options.push((4, Just(Ref::Cw(n - 1)).boxed()));
        }
        if !self.bindings.jw.is_empty() {
            options.push((1, (0..self.bindings.jw.len()).prop_map(Ref::Jw).boxed()));
        }
        Union::new_weighted(options).boxed()
    }

    fn jw_ref(&self) -> BoxedStrategy<Ref> {
        let n = self.bindings.jw.len();
        let unknown = proptest::sample::select(UNKNOWN_IDS.to_vec()).prop_map(|s| Ref::Lit(s.to_owned()));
        let mut options: Vec<(u32, BoxedStrategy<Ref>)> = vec![(1, unknown.boxed())];
        if n > 0 {
            options.push((8, (0..n).prop_map(Ref::Jw).boxed()));
            options.push((4, Just(Ref::Jw(n - 1)).boxed()));
        }
        if !self.bindings.cw.is_empty() {
            options.push((1, (0..self.bindings.cw.len()).prop_map(Ref::Cw).boxed()));
        }
        Union::new_weighted(options).boxed()
    }

    fn add_contact_way(&self) -> BoxedStrategy<Op> {
        let single =
            (self.users(), prop_oneof![Just(Scene::QR_CODE), Just(Scene::MINI_PROGRAM)]).prop_map(|(user, scene)| {
                AddContactWay {
                    contact_type: Some(ContactType::SINGLE),
                    scene: Some(scene),
                    user: Some(user),
                    ..Default::default()
                }
            });
        let multi = (self.users(), self.parties(), prop_oneof![Just(Scene::QR_CODE), Just(Scene::MINI_PROGRAM)])
            .prop_map(|(user, party, scene)| AddContactWay {
                contact_type: Some(ContactType::MULTI),
                scene: Some(scene),
                user: (!user.is_empty()).then_some(user),
                party: Some(party),
                ..Default::default()
            });
        let temp = (
            self.good_user(),
            seconds(),
            seconds(),
            proptest::option::of(conclusions()),
            prop_oneof![
                3 => Just(None),
                1 => Just(Some("union-a".to_owned()))
            ],
        )
            .prop_map(|(user, expires_in, chat_expires_in, conclusions, unionid)| AddContactWay {
                is_temp: Some(true),
                expires_in: Some(expires_in),
                chat_expires_in: Some(chat_expires_in),
                conclusions,
                unionid,
                ..AddContactWay::single(user, Scene::QR_CODE)
            });
        let broken = prop_oneof![
            Just(AddContactWay {
                scene: Some(Scene::QR_CODE),
                user: Some(vec!["zhangsan".into()]),
                ..Default::default()
            }),
            Just(AddContactWay {
                contact_type: Some(ContactType::SINGLE),
                user: Some(vec!["zhangsan".into()]),
                ..Default::default()
            }),
            Just(AddContactWay {
                contact_type: Some(ContactType(3)),
                ..AddContactWay::single("zhangsan", Scene::QR_CODE)
            }),
            Just(AddContactWay {
                contact_type: Some(ContactType(0)),
                ..AddContactWay::single("zhangsan", Scene::QR_CODE)
            }),
            Just(AddContactWay { scene: Some(Scene(3)), ..AddContactWay::single("zhangsan", Scene::QR_CODE) }),
            Just(AddContactWay { is_temp: Some(true), ..AddContactWay::multi(["zhangsan"], [], Scene::QR_CODE) }),
        ];
        let body = prop_oneof![6 => single.boxed(), 3 => multi.boxed(), 3 => temp.boxed(), 1 => broken.boxed()];
        let extras = (
            opt_text(),
            opt_text(),
            proptest::option::of(prop_oneof![Just(0), Just(1), Just(2), Just(3), Just(4), Just(-1)]),
            proptest::option::of(any::<bool>()),
            proptest::option::of(any::<bool>()),
            proptest::option::of(any::<bool>()),
        );
        (self.app(), body, extras)
            .prop_map(|(app, mut req, (remark, state, style, skip_verify, is_exclusive, mark_source))| {
                req.remark = remark;
                req.state = state;
                req.style = style;
                req.skip_verify = skip_verify;
                req.is_exclusive = is_exclusive;
                req.mark_source = mark_source;
                Op::AddContactWay { app, req }
            })
            .boxed()
    }

    fn update_contact_way(&self) -> BoxedStrategy<Op> {
        let fields = (
            patch(text()),
            patch(any::<bool>().boxed()),
            patch(prop_oneof![Just(1), Just(2), Just(3), Just(4)].boxed()),
            patch(text()),
            patch(self.users()),
            patch(self.parties()),
            patch(seconds()),
            patch(seconds()),
            patch(Just("union-b".to_owned()).boxed()),
            patch(conclusions()),
        );
        (self.app(), self.cw_ref(), fields)
            .prop_map(
                |(
                    app,
                    id,
                    (remark, skip_verify, style, state, user, party, expires_in, chat_expires_in, unionid, conclusions),
                )| {
                    let req = UpdateContactWay {
                        config_id: None,
                        remark,
                        skip_verify,
                        style,
                        state,
                        user,
                        party,
                        expires_in,
                        chat_expires_in,
                        unionid,
                        conclusions,
                    };
                    Op::UpdateContactWay { app, id, req }
                },
            )
            .boxed()
    }

    fn listable(&self) -> i64 {
        self.model.list_contact_way(0, &ListContactWay::default()).map(|p| p.ids.len() as i64).unwrap_or(0)
    }

    fn list_request(&self) -> BoxedStrategy<ListContactWay> {
        let now = self.model.now;
        let boundary = self.listable().max(1);
        let limit = prop_oneof![
            3 => Just(None),
            1 => Just(Some(0)),
            5 => Just(Some(1)),
            4 => Just(Some(2)),
            // Pages that end exactly on the last config.
            3 => Just(Some(boundary)),
            1 => Just(Some((boundary - 1).max(1))),
            1 => Just(Some(1000)),
            1 => Just(Some(1001)),
            1 => Just(Some(-1)),
        ];
        let window = prop_oneof![
            6 => Just((None, None)),
            1 => Just((Some(now), None)),
            1 => Just((Some(now - 10), Some(now))),
            1 => Just((Some(now), Some(now - 1))),
            1 => Just((Some(LIST_CUTOFF_UNIX - DAY_SECS), Some(now))),
            1 => Just((None, Some(now - DAY_SECS))),
        ];
        let userid =
            prop_oneof![6 => Just(None), 1 => Just(Some("zhangsan".to_owned())), 1 => Just(Some("ghost".to_owned()))];
        let skip = prop_oneof![6 => Just(None), 1 => Just(Some(true)), 1 => Just(Some(false))];
        (limit, window, userid, skip)
            .prop_map(|(limit, (start_time, end_time), userid, skip_verify)| ListContactWay {
                start_time,
                end_time,
                cursor: None,
                limit,
                userid,
                skip_verify,
            })
            .boxed()
    }

    fn list_page(&self) -> BoxedStrategy<Op> {
        let n = self.bindings.cursors.len();
        let mut cursors: Vec<(u32, BoxedStrategy<Option<CursorRef>>)> =
            vec![(3, Just(None).boxed()), (1, Just(Some(CursorRef::Lit("bogus-cursor".to_owned()))).boxed())];
        if n > 0 {
            cursors.push((6, (0..n).prop_map(|i| Some(CursorRef::Handle(i))).boxed()));
            cursors.push((6, Just(Some(CursorRef::Handle(n - 1))).boxed()));
        }
        (self.app(), self.list_request(), Union::new_weighted(cursors))
            .prop_map(|(app, req, cursor)| Op::ListContactWay { app, req, cursor })
            .boxed()
    }

    fn add_join_way(&self) -> BoxedStrategy<Op> {
        let good = (1..=6u32).map(|i| format!("wrmockchat000{i}")).collect::<Vec<_>>();
        let mut chats: Vec<(u32, BoxedStrategy<Vec<String>>)> = vec![
            (6, proptest::sample::subsequence(good[..3].to_vec(), 1..=3).boxed()),
            (2, proptest::sample::subsequence(good.clone(), 1..=5).boxed()),
            (1, Just(good.clone()).boxed()),
            (1, Just(vec![]).boxed()),
            (1, Just(vec!["wrmockinternal07".to_owned()]).boxed()),
            (1, Just(vec!["wrmockchat0001".to_owned(), "wrmissingchat99".to_owned()]).boxed()),
            (1, Just(vec!["bad-chat".to_owned()]).boxed()),
        ];
        if !self.bindings.chats.is_empty() {
            chats.push((2, proptest::sample::select(self.bindings.chats.clone()).prop_map(|c| vec![c]).boxed()));
        }
        let scene = prop_oneof![6 => Just(Some(Scene::QR_CODE)), 3 => Just(Some(Scene::MINI_PROGRAM)), 1 => Just(None), 1 => Just(Some(Scene(0)))];
        let room = prop_oneof![
            3 => Just((None, None, None)),
            2 => Just((Some(0), None, None)),
            3 => Just((Some(1), Some("销售群".to_owned()), Some(10))),
            1 => Just((Some(1), Some("n".repeat(41)), None)),
            1 => Just((Some(2), None, None)),
            1 => Just((Some(1), None, Some(-1))),
        ];
        let remark = prop_oneof![3 => Just(None), 1 => Just(Some("r".repeat(31))), 1 => Just(Some("销".repeat(40)))];
        (self.app(), scene, Union::new_weighted(chats), room, remark, opt_text(), proptest::option::of(any::<bool>()))
            .prop_map(|(app, scene, chats, (auto, base, base_id), remark, state, mark_source)| {
                let req = AddJoinWay {
                    scene,
                    remark,
                    auto_create_room: auto,
                    room_base_name: base,
                    room_base_id: base_id,
                    chat_id_list: Some(chats),
                    state,
                    mark_source,
                };
                (app, req)
            })
            .boxed()
            .prop_map(|(app, req)| Op::AddJoinWay { app, req })
            .boxed()
    }

    fn update_join_way(&self) -> BoxedStrategy<Op> {
        (self.add_join_way(), self.jw_ref())
            .prop_map(|(op, id)| match op {
                Op::AddJoinWay { app, req } => Op::UpdateJoinWay { app, id, req: req.into_update("") },
                other => other,
            })
            .boxed()
    }

    fn clock(&self) -> BoxedStrategy<Op> {
        let now = self.model.now;
        let mut edges: Vec<i64> =
            vec![1, 60, ACCESS_TOKEN_LIFETIME_SECS - 1, ACCESS_TOKEN_LIFETIME_SECS, DAY_SECS, 7 * DAY_SECS];
        let midnight = next_beijing_midnight(now) - now;
        edges.extend([midnight - 1, midnight]);
        for rel in self.model.customers.values() {
            if let Some(at) = rel.chat_expires_at {
                edges.extend([at - now - 1, at - now]);
            }
        }
        // The default list window: the oldest config drops out 90 days after its creation.
        if let Some(oldest) = self.model.contact_ways.values().map(|c| c.create_time).min() {
            let out = oldest + DEFAULT_LIST_WINDOW_SECS - now;
            edges.extend([out, out + 1]);
        }
        // A welcome code's last valid second and the first one after it.
        for code in self.model.welcome_codes.values() {
            let end = code.issued_at + WELCOME_CODE_LIFETIME_SECS - now;
            edges.extend([end, end + 1]);
        }
        for cw in self.model.contact_ways.values().filter(|c| c.is_temp) {
            let end = cw.valid_from + cw.expires_in - now;
            edges.extend([end - 1, end]);
        }
        edges.retain(|&e| e > 0);
        let set = prop_oneof![Just(LIST_CUTOFF_UNIX - 1), Just(LIST_CUTOFF_UNIX), Just(T0)];
        prop_oneof![
            8 => proptest::sample::select(edges).prop_map(Op::AdvanceClock),
            1 => set.prop_map(Op::SetClock),
        ]
        .boxed()
    }

    fn scan(&self) -> BoxedStrategy<Op> {
        let userid = prop_oneof![6 => Just(None), 1 => self.any_user().prop_map(Some)];
        let unionid =
            prop_oneof![4 => Just(None), 1 => Just(Some("union-a".to_owned())), 1 => Just(Some("union-b".to_owned()))];
        (self.cw_ref(), proptest::sample::select(CUSTOMERS.to_vec()), unionid, userid)
            .prop_map(|(id, ext, unionid, userid)| Op::Scan { id, external_userid: ext.to_owned(), unionid, userid })
            .boxed()
    }

    fn join(&self) -> BoxedStrategy<Op> {
        let n = self.n;
        self.jw_ref().prop_map(move |id| Op::Join { id, external_userid: format!("wmjoiner{n:04}") }).boxed()
    }

    fn close(&self) -> BoxedStrategy<Op> {
        let mut pairs: Vec<(String, String)> =
            self.model.customers.keys().map(|(e, u)| (u.clone(), e.clone())).collect();
        pairs.push(("zhangsan".to_owned(), CUSTOMERS[0].to_owned()));
        let odd = prop_oneof![
            Just(("zhangsan".to_owned(), "bad".to_owned())),
            Just(("zhangsan".to_owned(), String::new())),
            Just((String::new(), CUSTOMERS[0].to_owned())),
        ];
        (self.app(), prop_oneof![6 => proptest::sample::select(pairs), 1 => odd])
            .prop_map(|(app, (userid, external_userid))| Op::CloseTempChat { app, userid, external_userid })
            .boxed()
    }

    fn raw(&self) -> BoxedStrategy<Op> {
        let with_cw = |api: &str, body: &str| (api.to_owned(), body.to_owned(), true);
        let bare = |api: &str, body: &str| (api.to_owned(), body.to_owned(), false);
        let templates = vec![
            // Bodies real SDKs send: every field, unset ones as null / 0 / "" / [] / {}.
            bare(
                "add_contact_way",
                r#"{"type":1,"scene":2,"style":0,"remark":"","skip_verify":true,"state":"","user":["zhangsan"],"party":null,"is_temp":false,"expires_in":0,"chat_expires_in":0,"unionid":"","conclusions":{}}"#,
            ),
            bare("list_contact_way", r#"{"start_time":0,"end_time":0,"cursor":"","limit":0}"#),
            // The trap of C4: an SDK that sends every field wipes members.
            with_cw(
                "update_contact_way",
                r#"{"config_id":"$ID","remark":"sdk","style":0,"state":"","user":null,"party":null}"#,
            ),
            with_cw("update_contact_way", r#"{"config_id":"$ID","user":[],"party":[2]}"#),
            // Wrong JSON types and broken bodies: the server's own 40058.
            bare("add_contact_way", r#"{"type":"1","scene":2,"user":["zhangsan"]}"#),
            bare("add_contact_way", r#"{"type":1,"scene":2,"user":"zhangsan"}"#),
            bare("add_contact_way", "not json"),
            bare("add_contact_way", "[]"),
            with_cw("get_contact_way", r#"{"config_id":123}"#),
            // Rules the client would refuse, answered by the server instead.
            bare(
                "add_contact_way",
                r#"{"type":1,"scene":2,"user":["zhangsan"],"remark":"1234567890123456789012345678901"}"#,
            ),
            bare("add_contact_way", r#"{"type":1,"scene":2,"user":["zhangsan","lisi"]}"#),
            bare("add_contact_way", r#"{"scene":2,"user":["zhangsan"]}"#),
            bare("list_contact_way", r#"{"limit":1001}"#),
            bare("list_contact_way", r#"{"start_time":1750000000,"end_time":1749999999}"#),
            with_cw("update_contact_way", r#"{"config_id":"$ID","state":"1234567890123456789012345678901"}"#),
            bare("close_temp_chat", r#"{"userid":"zhangsan","external_userid":"wm!"}"#),
            bare(
                "add_join_way",
                r#"{"scene":2,"chat_id_list":["wrmockchat0001","wrmockchat0002","wrmockchat0003","wrmockchat0004","wrmockchat0005","wrmockchat0006"]}"#,
            ),
            bare(
                "add_join_way",
                r#"{"scene":2,"chat_id_list":["wrmockchat0001"],"remark":"1234567890123456789012345678901234"}"#,
            ),
            bare("update_join_way", r#"{"config_id":"0000000000000000000000000000dead","scene":2}"#),
        ];
        let cw = self.cw_ref();
        (prop_oneof![10 => Just(0usize), 1 => Just(1usize)], proptest::sample::select(templates), cw)
            .prop_map(|(app, (api, body, uses_id), id)| Op::Raw { app, api, body, id: uses_id.then_some(id) })
            .boxed()
    }

    fn read_backs(&self) -> BoxedStrategy<Op> {
        let mut customers: Vec<String> = CUSTOMERS.iter().map(|c| (*c).to_owned()).collect();
        customers.extend(self.model.customers.keys().map(|(e, _)| e.clone()));
        customers.push("bad-customer".to_owned());
        let mut chats: Vec<String> = (1..=6).map(|i| format!("wrmockchat000{i}")).collect();
        chats.extend(["wrmockinternal07".to_owned(), "wrnosuchchat0000".to_owned(), "bad".to_owned()]);
        chats.extend(self.bindings.chats.iter().cloned());
        prop_oneof![
            (self.app(), proptest::sample::select(customers))
                .prop_map(|(app, external_userid)| Op::GetExternalContact { app, external_userid }),
            (self.app(), proptest::sample::select(chats)).prop_map(|(app, chat_id)| Op::GetGroupChat { app, chat_id }),
        ]
        .boxed()
    }

    /// After the scan (§8): welcome messages with the codes scans answered (or unknown ones),
    /// some over a limit; the member list; a member's customers.
    fn after_scan(&self) -> BoxedStrategy<Op> {
        let codes = self.bindings.codes.len();
        let unknown = prop_oneof![
            Just(CodeRef::Lit("fedcba9876543210fedcba9876543210".to_owned())),
            Just(CodeRef::Lit(String::new())),
        ];
        let code = if codes > 0 {
            prop_oneof![8 => (0..codes).prop_map(CodeRef::Handle), 1 => unknown].boxed()
        } else {
            unknown.boxed()
        };
        let text = prop_oneof![
            6 => Just(Some("欢迎".to_owned())),
            1 => Just(Some("x".repeat(MAX_WELCOME_TEXT_BYTES + 1))),
            1 => Just(None),
        ];
        let attachments = prop_oneof![4 => Just(0usize), 2 => Just(1usize), 1 => Just(MAX_WELCOME_ATTACHMENTS + 1)];
        let send = (self.app(), code, text, attachments).prop_map(|(app, code, text, attachments)| {
            let mut req = SendWelcomeMsg::default();
            if let Some(text) = text {
                req = req.with_text(text);
            }
            for i in 0..attachments {
                req = req.with_attachment(Attachment::image(format!("MEDIA_{i}")));
            }
            Op::SendWelcomeMsg { app, code, req }
        });
        let members = self.app().prop_map(|app| Op::GetFollowUserList { app });
        let customers = (self.app(), self.any_user()).prop_map(|(app, userid)| Op::ListExternalContact { app, userid });
        prop_oneof![6 => send, 1 => members, 3 => customers].boxed()
    }

    fn merged(&self) -> BoxedStrategy<Op> {
        let remark = prop_oneof![3 => text().prop_map(Some), 1 => Just(None)];
        prop_oneof![
            (self.app(), self.cw_ref(), remark.clone()).prop_map(|(app, id, remark)| Op::MergedUpdateContactWay {
                app,
                id,
                remark
            }),
            (self.app(), self.jw_ref(), remark).prop_map(|(app, id, remark)| Op::MergedUpdateJoinWay {
                app,
                id,
                remark
            }),
        ]
        .boxed()
    }

    fn token_ops(&self) -> BoxedStrategy<Op> {
        let n = self.bindings.tokens.len();
        let mut options: Vec<(u32, BoxedStrategy<Op>)> =
            vec![(3, (0..2usize).prop_map(|app| Op::GetToken { app }).boxed()), (2, Just(Op::RevokeTokens).boxed())];
        if n > 0 {
            options.push((4, (0..n).prop_map(|token| Op::CallWithToken { token }).boxed()));
        }
        Union::new_weighted(options).boxed()
    }
}

impl ReferenceStateMachine for Machine {
    type State = GenState;
    type Transition = Op;

    fn init_state() -> BoxedStrategy<GenState> {
        let setup = (
            prop_oneof![5 => Just(true), 1 => Just(false)],
            prop_oneof![2 => Just(wecom_types::limits::CONTACT_WAY_QUOTA), 1 => Just(1u32), 2 => Just(2u32), 2 => Just(3u32)],
            prop_oneof![2 => Just(100_000u32), 1 => Just(1u32), 1 => Just(2u32)],
            prop_oneof![3 => Just(42001), 1 => Just(40014)],
            prop_oneof![1 => Just(200u32), 2 => Just(2u32), 1 => Just(3u32)],
            prop_oneof![4 => Just(false), 1 => Just(true)],
            prop_oneof![3 => Just(T0), 1 => Just(next_beijing_midnight(T0) - 30)],
        )
            .prop_map(
                |(medical, quota, temp_daily, expired_token_errcode, group_limit, big_department, start)| Setup {
                    medical,
                    quota,
                    temp_daily,
                    expired_token_errcode,
                    group_limit,
                    big_department,
                    start,
                },
            );
        setup
            .prop_map(|setup| {
                let model = Model::new(setup.directory("wwgenerated"), setup.start);
                GenState { setup, model, bindings: Bindings::default(), n: 0 }
            })
            .boxed()
    }

    fn transitions(state: &GenState) -> BoxedStrategy<Op> {
        let get = (state.app(), state.cw_ref()).prop_map(|(app, id)| Op::GetContactWay { app, id });
        let del = (state.app(), state.cw_ref()).prop_map(|(app, id)| Op::DelContactWay { app, id });
        let get_jw = (state.app(), state.jw_ref()).prop_map(|(app, id)| Op::GetJoinWay { app, id });
        let del_jw = (state.app(), state.jw_ref()).prop_map(|(app, id)| Op::DelJoinWay { app, id });
        let list_all = (state.app(), state.list_request()).prop_map(|(app, mut req)| {
            // The walk pages itself; a tiny page makes it take several.
            req.limit = req.limit.map(|l| if l > 0 { l.min(3) } else { l });
            Op::ListAll { app, req }
        });
        // Ops on configs are rare until there are configs to act on.
        let cws = if state.model.contact_ways.is_empty() { 1 } else { 4 };
        let jws = if state.model.join_ways.is_empty() { 1 } else { 4 };
        let temps = if state.model.customers.values().any(|r| r.temp) { 6 } else { 1 };
        Union::new_weighted(vec![
            (12, state.add_contact_way()),
            (2 * cws, get.boxed()),
            (2 * cws, state.update_contact_way()),
            (cws, del.boxed()),
            (3 * cws, state.list_page()),
            (cws, list_all.boxed()),
            (6, state.add_join_way()),
            (jws, get_jw.boxed()),
            (2 * jws, state.update_join_way()),
            (jws, del_jw.boxed()),
            (3 * cws, state.scan()),
            (2 * jws, state.join()),
            (temps, state.close()),
            (4, state.clock()),
            (3, state.token_ops()),
            (3, state.raw()),
            (3, state.read_backs()),
            (2 * cws, state.merged()),
            (if state.bindings.codes.is_empty() { 1 } else { 6 }, state.after_scan()),
        ])
        .boxed()
    }

    fn apply(mut state: GenState, op: &Op) -> GenState {
        if !state.bindings.can_run(op) {
            // Only while shrinking: the op that made this handle was deleted. The op is skipped
            // here and in the run alike, so that deleting a create stays a valid shrink.
            return state;
        }
        let fresh = Fresh::fake(state.n);
        state.n += 1;
        step(&mut state.model, &mut state.bindings, op, &fresh);
        state
    }

    fn preconditions(_state: &GenState, _op: &Op) -> bool {
        // Every op may run in every state: the two clock-backwards disagreements once kept
        // out here are fixed in the mock (tests/it/regressions.rs pins them).
        true
    }
}

/// Ops run by [`run_machine`] in this process, for the report of a run.
pub static OPS_RUN: AtomicUsize = AtomicUsize::new(0);

/// How many sequences a run checks: `PROPTEST_CASES`, or `default`.
pub fn cases_from_env(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Runs `cases` generated sequences of up to `max_ops` ops against `target` (which needs the
/// control surface). Returns the shrunk failure, printed as a regression test.
pub fn run_machine(rt: &tokio::runtime::Runtime, target: &Target, cases: u32, max_ops: usize) -> Result<u32, String> {
    run_machine_with(rt, target, cases, max_ops, false)
}

/// [`run_machine`], with a fixed random seed when `deterministic` (for tests that must see the
/// same sequences every time).
pub fn run_machine_with(
    rt: &tokio::runtime::Runtime,
    target: &Target,
    cases: u32,
    max_ops: usize,
    deterministic: bool,
) -> Result<u32, String> {
    let config = Config { cases, failure_persistence: None, max_shrink_iters: 2048, ..Config::default() };
    let mut runner = if deterministic {
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
    } else {
        TestRunner::new(config)
    };
    let corp_counter = AtomicUsize::new(0);
    let strategy = Machine::sequential_strategy(1..max_ops);
    let result = runner.run(&strategy, |(state, ops, seen): (GenState, Vec<Op>, Option<Arc<AtomicUsize>>)| {
        let corpid = format!("wwconformance{:06}", corp_counter.fetch_add(1, Ordering::SeqCst));
        OPS_RUN.fetch_add(ops.len(), Ordering::Relaxed);
        let outcome = rt.block_on(check_sequence(target, &state.setup, &corpid, &ops, seen.as_deref()));
        outcome.map_err(|m| TestCaseError::fail(regression(&state.setup, &ops, &m)))
    });
    match result {
        Ok(()) => Ok(cases),
        Err(TestError::Fail(reason, _)) => Err(reason.to_string()),
        Err(TestError::Abort(reason)) => Err(format!("aborted: {reason}")),
    }
}
