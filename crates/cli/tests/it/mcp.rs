//! `wecom mcp` driven over stdio by the `rmcp` client against the embedded mock: the tools are
//! listed with schemas and annotations, each runs its command's code path with its rails, and
//! stdout carries protocol messages only.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use rmcp::model::{CallToolRequestParams, CallToolResult, JsonObject, Tool};
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};
use wecom_mock::api::{FaultRule, RequestQuery};
use wecom_types::api::{AddContactWay, Scene};

use crate::harness::{Harness, read_lines};

/// Every tool of the spec but the mock's.
const TOOLS: [&str; 17] = [
    "add_contact_way",
    "get_contact_way",
    "list_contact_way",
    "update_contact_way",
    "del_contact_way",
    "close_temp_chat",
    "add_join_way",
    "get_join_way",
    "update_join_way",
    "del_join_way",
    "send_welcome_msg",
    "get_follow_user_list",
    "list_customers",
    "inventory",
    "prune",
    "ledger_list",
    "ledger_reconcile",
];
const MOCK_TOOLS: [&str; 4] = ["mock_scan", "mock_join", "mock_clock", "mock_messages"];

/// A running `wecom mcp --mock-tools` and the client connected to it; the server's stderr is
/// kept in a file of the scratch folder.
struct Session {
    client: RunningService<RoleClient, ()>,
}

fn start(h: &Harness, mock_tools: bool) -> Session {
    start_with(h, |command| {
        command.arg("mcp");
        if mock_tools {
            command.arg("--mock-tools");
        }
    })
}

/// `wecom` as `configure` makes it (global options, `mcp` and its options, variables).
fn start_with(h: &Harness, configure: impl FnOnce(&mut std::process::Command)) -> Session {
    let mut command = h.std_command();
    configure(&mut command);
    let stderr = std::fs::File::create(h.path("mcp.stderr")).expect("a stderr file");
    // A child process of tokio belongs to the runtime it is spawned on: the mock's.
    let client = h.block_on(async {
        let (transport, _) = TokioChildProcess::builder(tokio::process::Command::from(command))
            .stderr(stderr)
            .spawn()
            .expect("wecom mcp starts");
        ().serve(transport).await.expect("the MCP session starts")
    });
    Session { client }
}

impl Session {
    fn tools(&self, h: &Harness) -> Vec<Tool> {
        h.block_on(self.client.list_all_tools()).expect("tools/list")
    }

    fn call(&self, h: &Harness, name: &str, args: Value) -> CallToolResult {
        let Value::Object(args) = args else { panic!("arguments are an object") };
        let params = CallToolRequestParams::new(name.to_owned()).with_arguments(args);
        h.block_on(self.client.call_tool(params)).unwrap_or_else(|err| panic!("{name}: {err}"))
    }

    /// A call that must succeed: its structured content.
    #[track_caller]
    fn ok(&self, h: &Harness, name: &str, args: Value) -> Value {
        let result = self.call(h, name, args);
        assert_eq!(result.is_error, Some(false), "{name} failed: {result:?}");
        let structured = result.structured_content.clone().expect("structured content");
        assert_eq!(text(&result), structured.to_string(), "the text is the same JSON");
        structured
    }

    fn stop(self, h: &Harness) {
        h.block_on(self.client.cancel()).expect("the session ends");
    }
}

fn text(result: &CallToolResult) -> String {
    result.content.iter().filter_map(|content| content.as_text()).map(|text| text.text.clone()).collect()
}

fn args(value: Value) -> JsonObject {
    match value {
        Value::Object(map) => map,
        _ => JsonObject::new(),
    }
}

#[test]
fn every_tool_is_listed_with_its_schema_and_annotations() {
    let h = Harness::start();
    let session = start(&h, true);
    let tools = session.tools(&h);
    let names: Vec<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();
    let expected: Vec<&str> = TOOLS.iter().chain(MOCK_TOOLS.iter()).copied().collect();
    assert_eq!(names, expected);
    for tool in &tools {
        assert_eq!(tool.input_schema.get("type"), Some(&json!("object")), "{}", tool.name);
        assert!(tool.description.as_deref().is_some_and(|text| !text.is_empty()), "{}", tool.name);
        assert!(tool.annotations.is_some(), "{} has annotations", tool.name);
    }
    let tool = |name: &str| tools.iter().find(|tool| tool.name == name).expect("listed");
    let hints = |name: &str| {
        let annotations = tool(name).annotations.clone().expect("annotations");
        (annotations.read_only_hint, annotations.destructive_hint, annotations.idempotent_hint)
    };
    // (tool, readOnlyHint, destructiveHint, idempotentHint)
    let table = [
        ("get_contact_way", Some(true), Some(false), Some(true)),
        ("list_contact_way", Some(true), Some(false), Some(true)),
        ("inventory", Some(true), Some(false), Some(true)),
        ("ledger_list", Some(true), Some(false), Some(true)),
        ("add_contact_way", Some(false), Some(false), Some(false)),
        ("update_contact_way", Some(false), Some(true), Some(true)),
        ("del_contact_way", Some(false), Some(true), Some(true)),
        ("close_temp_chat", Some(false), Some(true), Some(true)),
        ("prune", Some(false), Some(true), Some(true)),
        ("mock_messages", Some(true), Some(false), Some(true)),
    ];
    for (name, read_only, destructive, idempotent) in table {
        assert_eq!(hints(name), (read_only, destructive, idempotent), "{name}");
    }
    // The wire types' schemas: C1's required fields and a bound from the limits.
    let add = &tool("add_contact_way").input_schema;
    assert_eq!(add.get("required"), Some(&json!(["scene", "type"])));
    assert!(add["properties"]["state"].to_string().contains("maxLength"), "{}", add["properties"]["state"]);
    assert!(tool("update_contact_way").input_schema["properties"].get("replace").is_some());
    assert!(tool("prune").input_schema["properties"].get("confirm").is_some());
    session.stop(&h);
}

#[test]
fn the_mock_tools_are_listed_only_with_mock_tools() {
    let h = Harness::start();
    let session = start(&h, false);
    let names: Vec<String> = session.tools(&h).into_iter().map(|tool| tool.name.into_owned()).collect();
    assert_eq!(names, TOOLS);
    let refused =
        h.block_on(session.client.call_tool(CallToolRequestParams::new("mock_scan").with_arguments(args(json!({})))));
    assert!(refused.is_err(), "an unlisted tool is a protocol error: {refused:?}");
    session.stop(&h);
}

#[test]
fn a_create_goes_through_the_ledger_and_a_merged_update_keeps_the_other_fields() {
    let h = Harness::start();
    let session = start(&h, true);
    let created = session.ok(
        &h,
        "add_contact_way",
        json!({"type": 2, "scene": 2, "user": ["zhangsan", "lisi"], "state": "agent_01", "remark": "spring"}),
    );
    let config_id = created["config_id"].as_str().expect("a config_id").to_owned();
    assert!(created["qr_code"].is_string(), "{created}");

    let ledger = session.ok(&h, "ledger_list", json!({}));
    let entries = ledger["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 1, "{ledger}");
    assert_eq!(entries[0]["status"], "created");
    assert_eq!(entries[0]["config_id"], config_id.as_str());

    let updated = session.ok(&h, "update_contact_way", json!({"config_id": config_id, "remark": "autumn"}));
    assert_eq!(updated["remark"], "autumn");
    assert_eq!(updated["user"], json!(["zhangsan", "lisi"]), "members not mentioned are kept");
    assert_eq!(updated["state"], "agent_01");

    let read = session.ok(&h, "get_contact_way", json!({"config_id": config_id}));
    assert_eq!(read, updated);
    assert_eq!(h.get(&config_id).remark.as_deref(), Some("autumn"), "the mock stores the change");
    session.stop(&h);
}

#[test]
fn a_replace_update_sends_exactly_the_body() {
    let h = Harness::start();
    let id = h.seed(1, |_| AddContactWay::multi(["zhangsan", "lisi"], [], Scene::QR_CODE).with_state("x"))[0].clone();
    let session = start(&h, false);
    let updated = session.ok(&h, "update_contact_way", json!({"config_id": id, "user": ["wangwu"], "replace": true}));
    assert_eq!(updated["user"], json!(["wangwu"]));
    session.stop(&h);
}

#[test]
fn mock_scan_adds_a_customer_through_a_created_config() {
    let h = Harness::start();
    let session = start(&h, true);
    let created =
        session.ok(&h, "add_contact_way", json!({"type": 1, "scene": 2, "user": ["zhangsan"], "state": "s1"}));
    let scanned = session.ok(&h, "mock_scan", json!({"config_id": created["config_id"]}));
    assert_eq!(scanned["userid"], "zhangsan");
    assert_eq!(scanned["state"], "s1");
    assert!(scanned["external_userid"].as_str().is_some_and(|id| id.starts_with("wm")), "{scanned}");
    let clock = session.ok(&h, "mock_clock", json!({"set": 1_800_000_000}));
    assert_eq!(clock["now"], 1_800_000_000);
    let messages = session.ok(&h, "mock_messages", json!({}));
    assert!(messages["messages"].is_array(), "{messages}");
    session.stop(&h);
}

#[test]
fn the_mock_tools_send_the_admin_token_when_one_is_set() {
    let h = Harness::start_with(|mock| mock.admin_token("let-me-in"));
    let id = h.seed(1, |_| AddContactWay::single("zhangsan", Scene::QR_CODE))[0].clone();
    let refused = start(&h, true);
    let result = refused.call(&h, "mock_scan", json!({"config_id": id}));
    assert_eq!(result.is_error, Some(true), "without the token: {result:?}");
    assert_eq!(result.structured_content.expect("structured content")["status"], 401);
    refused.stop(&h);

    let session = start_with(&h, |command| {
        command.args(["mcp", "--mock-tools"]).env("WECOM_MOCK_ADMIN_TOKEN", "let-me-in");
    });
    let scanned = session.ok(&h, "mock_scan", json!({"config_id": id}));
    assert_eq!(scanned["userid"], "zhangsan");
    let tools = serde_json::to_string(&session.tools(&h)).expect("JSON");
    assert!(!tools.contains("let-me-in"), "the admin token is not in the tool list");
    session.stop(&h);
}

#[test]
fn from_the_scan_to_the_welcome_message() {
    let h = Harness::start();
    let session = start(&h, true);
    let created = session.ok(&h, "add_contact_way", json!({"type": 1, "scene": 2, "user": ["zhangsan"], "state": "w"}));
    let scanned = session.ok(&h, "mock_scan", json!({"config_id": created["config_id"]}));
    let members = session.ok(&h, "get_follow_user_list", json!({}));
    assert!(members["follow_user"].as_array().is_some_and(|list| list.contains(&json!("zhangsan"))), "{members}");
    let customers = session.ok(&h, "list_customers", json!({"userid": "zhangsan"}));
    assert_eq!(customers["external_userid"], json!([scanned["external_userid"]]));
    let code = scanned["welcome_code"].as_str().expect("a welcome code");
    let sent = session.ok(&h, "send_welcome_msg", json!({"welcome_code": code, "text": {"content": "hello"}}));
    assert_eq!(sent["sent"], true);
    let again = session.call(&h, "send_welcome_msg", json!({"welcome_code": code, "text": {"content": "hello"}}));
    assert_eq!(again.is_error, Some(true), "a code is used once");
    assert!(text(&again).starts_with("errcode "), "{}", text(&again));
    let messages = session.ok(&h, "mock_messages", json!({}));
    assert!(messages.to_string().contains("welcome"), "{messages}");
    session.stop(&h);
}

#[test]
fn a_dry_run_prune_changes_nothing_and_a_confirmed_one_backs_up_first() {
    let h = Harness::start();
    h.seed(6, |i| {
        AddContactWay::single("zhangsan", Scene::QR_CODE).with_state(if i < 4 {
            format!("old_{i}")
        } else {
            format!("keep_{i}")
        })
    });
    let before = h.mock.control().dump_bytes(h.mock.corpid()).expect("a dump");
    let session = start(&h, false);

    let dry = session.ok(&h, "prune", json!({"state_prefix": "old_"}));
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["matched"], 4);
    assert_eq!(dry["configs"].as_array().map(Vec::len), Some(4));
    assert_eq!(dry["backup"], Value::Null);
    assert_eq!(h.mock.control().dump_bytes(h.mock.corpid()).expect("a dump"), before, "nothing changed");

    let doomed: Vec<Value> = h
        .dumped_ways()
        .into_iter()
        .filter(|way| way.state.as_deref().is_some_and(|state| state.starts_with("old_")))
        .map(|way| serde_json::to_value(way).expect("JSON"))
        .collect();
    let done = session.ok(&h, "prune", json!({"state_prefix": "old_", "confirm": true}));
    assert_eq!(done["deleted"], 4);
    let mut kept: Vec<String> = h.dumped_ways().into_iter().filter_map(|way| way.state).collect();
    kept.sort();
    assert_eq!(kept, ["keep_4", "keep_5"]);
    let backup = std::path::PathBuf::from(done["backup"].as_str().expect("a backup path"));
    let mut backed_up = read_lines(&backup);
    backed_up.sort_by_key(|way| way["config_id"].as_str().map(str::to_owned));
    assert_eq!(backed_up, doomed, "each deleted config is in the backup in full");
    session.stop(&h);
}

#[test]
fn a_prune_without_a_filter_is_refused() {
    let h = Harness::start();
    h.seed(2, |_| AddContactWay::single("zhangsan", Scene::QR_CODE));
    let session = start(&h, false);
    let result = session.call(&h, "prune", json!({"confirm": true}));
    assert_eq!(result.is_error, Some(true));
    assert_eq!(h.dumped_ways().len(), 2);
    session.stop(&h);
}

#[test]
fn a_rule_breaking_input_is_refused_before_anything_is_sent() {
    let h = Harness::start();
    let session = start(&h, false);
    let cases = [
        // (tool, arguments, errcode)
        ("add_contact_way", json!({"type": 1, "scene": 2, "user": ["zhangsan"], "state": "s".repeat(31)}), 40058),
        ("add_contact_way", json!({"type": "one", "scene": 2, "user": ["zhangsan"]}), 40058),
        ("add_contact_way", json!({"type": 3, "scene": 2, "user": ["zhangsan"]}), 41039),
        ("update_contact_way", json!({"config_id": "c", "remark": "r".repeat(31)}), 40058),
        ("get_contact_way", json!({}), 41043),
    ];
    for (tool, arguments, errcode) in cases {
        let result = session.call(&h, tool, arguments.clone());
        assert_eq!(result.is_error, Some(true), "{tool} {arguments}");
        assert!(text(&result).starts_with(&format!("errcode {errcode}: ")), "{}", text(&result));
        let structured = result.structured_content.expect("structured content");
        assert_eq!(structured["errcode"], errcode);
        assert_eq!(structured["sent"], false);
    }
    let requests = h.mock.control().requests(&RequestQuery::default()).expect("the request log");
    assert!(requests.is_empty(), "nothing reached the mock: {requests:?}");
    assert_eq!(session.ok(&h, "ledger_list", json!({}))["entries"], json!([]), "no intent was recorded");
    session.stop(&h);
}

#[test]
fn a_wecom_error_is_a_tool_error_with_its_errcode() {
    let h = Harness::start();
    let session = start(&h, false);
    let result = session.call(&h, "get_contact_way", json!({"config_id": "no-such-config"}));
    assert_eq!(result.is_error, Some(true));
    assert!(text(&result).starts_with("errcode 41044: "), "{}", text(&result));
    let structured = result.structured_content.expect("structured content");
    assert_eq!(structured["errcode"], 41044);
    assert!(structured["errmsg"].is_string());
    session.stop(&h);
}

#[test]
fn a_create_whose_answer_is_lost_names_its_ledger_entry() {
    let h = Harness::start();
    h.mock
        .control()
        .add_fault(&FaultRule { times: Some(1), ..FaultRule::delay("add_contact_way", 3_000) })
        .expect("a fault");
    let session = start_with(&h, |command| {
        command.args(["--timeout", "1s", "mcp"]);
    });
    let result = session.call(&h, "add_contact_way", json!({"type": 1, "scene": 2, "user": ["lisi"], "state": "lost"}));
    assert_eq!(result.is_error, Some(true));
    assert!(text(&result).contains("may or may not have happened"), "{}", text(&result));
    assert!(text(&result).contains("(entry 1)"), "{}", text(&result));
    let structured = result.structured_content.expect("structured content");
    assert_eq!(structured["may_have_created"], true);
    assert_eq!(structured["ledger_entry"], 1);
    let pending = session.ok(&h, "ledger_list", json!({"status": ["pending"]}));
    assert_eq!(pending["entries"][0]["seq"], 1, "{pending}");
    session.stop(&h);
}

#[test]
fn the_secret_never_appears_in_the_tool_list_results_or_stderr() {
    let h = Harness::start();
    let session = start(&h, true);
    let mut seen = serde_json::to_string(&session.tools(&h)).expect("JSON");
    let created = session.call(&h, "add_contact_way", json!({"type": 1, "scene": 2, "user": ["zhangsan"]}));
    let failed = session.call(&h, "get_contact_way", json!({"config_id": "nope"}));
    for result in [created, failed] {
        seen.push_str(&serde_json::to_string(&result).expect("JSON"));
    }
    session.stop(&h);
    let stderr = std::fs::read_to_string(h.path("mcp.stderr")).unwrap_or_default();
    assert!(!seen.contains(h.mock.secret()), "the secret leaked into a tool list or result");
    assert!(!stderr.contains(h.mock.secret()), "the secret leaked into stderr: {stderr}");
}

/// Raw JSON-RPC lines, to see every byte the server writes.
#[test]
fn malformed_json_rpc_gets_a_protocol_error_and_the_server_keeps_serving() {
    let h = Harness::start();
    let mut child = h
        .std_command()
        .arg("mcp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("wecom mcp starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut send = |line: &str| {
        stdin.write_all(line.as_bytes()).and_then(|()| stdin.write_all(b"\n")).expect("writes");
    };
    let mut read = || {
        let mut line = String::new();
        stdout.read_line(&mut line).expect("reads");
        serde_json::from_str::<Value>(&line).unwrap_or_else(|err| panic!("not a JSON-RPC message ({err}): {line:?}"))
    };
    send(
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}"#,
    );
    assert_eq!(read()["id"], 1);
    send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
    send(r#"{"this is": "not JSON-RPC"}"#);
    let error = read();
    assert_eq!(error["error"]["code"], -32600, "{error}");
    send(r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#);
    let listed = read();
    assert_eq!(listed["id"], 2);
    assert_eq!(listed["result"]["tools"].as_array().map(Vec::len), Some(TOOLS.len()));
    drop(stdin);
    let status = child.wait().expect("exits");
    assert!(status.success(), "{status}");
}
