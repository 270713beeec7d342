//! The tool catalogue: each tool's name, what it does, its input JSON Schema and the MCP
//! annotations that are true of it. The names are the interface (agents' prompts and hosts'
//! allow-lists name them): keep them.

use std::sync::Arc;

use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Value, json};
use wecom_types::api::{
    AddContactWay, AddJoinWay, CloseTempChat, DelContactWay, DelJoinWay, GetContactWay, GetJoinWay, ListContactWay,
    ListExternalContact, SendWelcomeMsg, UpdateContactWay, UpdateJoinWay,
};

/// What a tool does to the world, as the MCP annotations say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hints {
    /// Changes nothing anywhere.
    pub(crate) read_only: bool,
    /// May delete or overwrite what was there.
    pub(crate) destructive: bool,
    /// The same call again changes nothing more.
    pub(crate) idempotent: bool,
    /// Talks to the WeCom service (or the mock standing in for it), not only local files.
    pub(crate) open_world: bool,
}

const READ: Hints = Hints { read_only: true, destructive: false, idempotent: true, open_world: true };
const CREATE: Hints = Hints { read_only: false, destructive: false, idempotent: false, open_world: true };
/// An update overwrites fields (and, with `replace`, whole lists): destructive, and the same
/// update twice stores the same config.
const UPDATE: Hints = Hints { read_only: false, destructive: true, idempotent: true, open_world: true };
const DELETE: Hints = Hints { read_only: false, destructive: true, idempotent: true, open_world: true };
const LOCAL_READ: Hints = Hints { read_only: true, destructive: false, idempotent: true, open_world: false };
/// The ledger's own bookkeeping: it writes the ledger file, never a config.
const LEDGER_WRITE: Hints = Hints { read_only: false, destructive: false, idempotent: true, open_world: true };
/// The mock's customer: adds customers, members of groups, messages; removes nothing.
const MOCK_ACT: Hints = Hints { read_only: false, destructive: false, idempotent: false, open_world: false };
const MOCK_READ: Hints = Hints { read_only: true, destructive: false, idempotent: true, open_world: false };

/// One tool.
pub(crate) struct ToolSpec {
    pub(crate) name: &'static str,
    pub(crate) description: &'static str,
    pub(crate) hints: Hints,
    /// Its input schema.
    pub(crate) input: fn() -> JsonObject,
    /// Listed only with `--mock-tools`.
    pub(crate) mock_only: bool,
}

/// Every tool, in the order they are listed.
pub(crate) const TOOLS: &[ToolSpec] = &[
    ToolSpec {
        name: "add_contact_way",
        description: "C1: create a Contact Me (联系我) config. Takes the add_contact_way body. The intent is written \
                      to the ledger before the request goes; answers {config_id, qr_code}. Each config takes a unit of \
                      the corp's 500 000 quota: never repeat a create whose answer was lost, reconcile the ledger.",
        hints: CREATE,
        input: request_schema::<AddContactWay>,
        mock_only: false,
    },
    ToolSpec {
        name: "get_contact_way",
        description: "C2: one Contact Me config in full.",
        hints: READ,
        input: request_schema::<GetContactWay>,
        mock_only: false,
    },
    ToolSpec {
        name: "list_contact_way",
        description: "C3: one page of Contact Me config ids created in a window (at most 90 days); pass next_cursor \
                      back as cursor for the next page. For every config in full use `inventory`.",
        hints: READ,
        input: request_schema::<ListContactWay>,
        mock_only: false,
    },
    ToolSpec {
        name: "update_contact_way",
        description: "C4: change a Contact Me config. Merged by default: reads the config, changes the fields given \
                      (null or absent: kept; \"\" or []: cleared) and writes every field back, so members and \
                      settings not mentioned are kept. `replace: true` sends exactly the body given (the raw C4 \
                      overwrite: a list sent replaces the stored one). Answers the config as stored.",
        hints: UPDATE,
        input: update_contact_way_schema,
        mock_only: false,
    },
    ToolSpec {
        name: "del_contact_way",
        description: "C5: delete a Contact Me config (frees its quota unit; its QR code stops working).",
        hints: DELETE,
        input: request_schema::<DelContactWay>,
        mock_only: false,
    },
    ToolSpec {
        name: "close_temp_chat",
        description: "C6: end a temp chat between a member and a customer; the config's conclusions are sent first.",
        hints: DELETE,
        input: request_schema::<CloseTempChat>,
        mock_only: false,
    },
    ToolSpec {
        name: "add_join_way",
        description: "J1 (and J2 for the QR code of scene 2): create a Join Group (加入群聊) config. Recorded in the \
                      ledger first: Join Group configs cannot be listed, the ledger is the only place their ids are \
                      kept. Answers {config_id, qr_code}.",
        hints: CREATE,
        input: request_schema::<AddJoinWay>,
        mock_only: false,
    },
    ToolSpec {
        name: "get_join_way",
        description: "J2: one Join Group config in full.",
        hints: READ,
        input: request_schema::<GetJoinWay>,
        mock_only: false,
    },
    ToolSpec {
        name: "update_join_way",
        description: "J3: change a Join Group config. Merged by default: J3 overwrites the whole config (a field not \
                      sent goes back to its default), so the config is read, the fields given changed and every \
                      field written back. `replace: true` sends exactly the body given. Answers the config as stored.",
        hints: UPDATE,
        input: update_join_way_schema,
        mock_only: false,
    },
    ToolSpec {
        name: "del_join_way",
        description: "J4: delete a Join Group config.",
        hints: DELETE,
        input: request_schema::<DelJoinWay>,
        mock_only: false,
    },
    ToolSpec {
        name: "send_welcome_msg",
        description: "Send the welcome message with the welcome_code of an add_external_contact event (within 20 s \
                      of the add): text and up to 9 attachments, every limit checked before sending. Never resent \
                      once it may have been delivered (a second send of the code is refused with 41051).",
        hints: Hints { read_only: false, destructive: false, idempotent: false, open_world: true },
        input: request_schema::<SendWelcomeMsg>,
        mock_only: false,
    },
    ToolSpec {
        name: "get_follow_user_list",
        description: "The members who may be put on a code (customer-contact enabled), as userids.",
        hints: READ,
        input: empty_schema,
        mock_only: false,
    },
    ToolSpec {
        name: "list_customers",
        description: "A member's customers (externalcontact/list), oldest first, as external_userids; none for a \
                      member without customers.",
        hints: READ,
        input: request_schema::<ListExternalContact>,
        mock_only: false,
    },
    ToolSpec {
        name: "inventory",
        description: "Every listed Contact Me config in full (whose state starts with state_prefix, when given; at \
                      most limit, default 1000) and a summary of all of them: configs found, quota used, counts by \
                      state prefix and by member. Temp-chat configs and Join Group configs are never listed by the API.",
        hints: READ,
        input: inventory_schema,
        mock_only: false,
    },
    ToolSpec {
        name: "prune",
        description: "Delete the Contact Me configs whose state starts with state_prefix and/or that were created \
                      before created_before (unix seconds). A DRY RUN unless confirm is true: it then answers what \
                      would be deleted and changes nothing. With confirm: true each config is appended to a backup \
                      file (fsynced) before it is deleted; answers the configs deleted and the backup file's path.",
        hints: DELETE,
        input: prune_schema,
        mock_only: false,
    },
    ToolSpec {
        name: "ledger_list",
        description: "The ledger of creates: every add_contact_way / add_join_way ever sent from this machine, with \
                      its status (pending, created, failed, not_found, dismissed, deleted) and config_id; of the \
                      configured corp unless all_corps.",
        hints: LOCAL_READ,
        input: ledger_list_schema,
        mock_only: false,
    },
    ToolSpec {
        name: "ledger_reconcile",
        description: "Resolve the ledger's pending Contact Me creates (answers lost on the way): lists the configs \
                      created within slack seconds of each intent and adopts the only one whose content equals it. \
                      Join Group and temp-chat intents cannot be resolved (the API cannot list those configs).",
        hints: LEDGER_WRITE,
        input: ledger_reconcile_schema,
        mock_only: false,
    },
    ToolSpec {
        name: "mock_scan",
        description: "wecom-mock only: a customer scans a Contact Me config (POST /__admin/scan): the customer is \
                      added, the callback and the welcome code follow. corpid defaults to the configured corp.",
        hints: MOCK_ACT,
        input: mock_scan_schema,
        mock_only: true,
    },
    ToolSpec {
        name: "mock_join",
        description: "wecom-mock only: a customer joins a group through a Join Group config (POST /__admin/join). \
                      corpid defaults to the configured corp.",
        hints: MOCK_ACT,
        input: mock_join_schema,
        mock_only: true,
    },
    ToolSpec {
        name: "mock_clock",
        description: "wecom-mock only: move the corp's virtual clock (POST /__admin/clock): {\"advance\": seconds} \
                      or {\"set\": unix} (which freezes it). Temp QR codes and temp chats expire on this clock. \
                      corpid defaults to the configured corp.",
        hints: MOCK_ACT,
        input: mock_clock_schema,
        mock_only: true,
    },
    ToolSpec {
        name: "mock_messages",
        description: "wecom-mock only: what the mock sent (GET /__admin/messages): callbacks, welcome messages, \
                      temp-chat conclusions, oldest first, of the configured corp.",
        hints: MOCK_READ,
        input: empty_schema,
        mock_only: true,
    },
];

/// The tool of this name, when it is served (mock tools only with `mock_tools`).
pub(crate) fn find(name: &str, mock_tools: bool) -> Option<&'static ToolSpec> {
    TOOLS.iter().find(|tool| tool.name == name && (mock_tools || !tool.mock_only))
}

/// The tools as listed to the client.
pub(crate) fn listed(mock_tools: bool) -> Vec<Tool> {
    TOOLS.iter().filter(|tool| mock_tools || !tool.mock_only).map(ToolSpec::tool).collect()
}

impl ToolSpec {
    fn tool(&self) -> Tool {
        let annotations = ToolAnnotations::new()
            .read_only(self.hints.read_only)
            .destructive(self.hints.destructive)
            .idempotent(self.hints.idempotent)
            .open_world(self.hints.open_world);
        let mut tool = Tool::new(self.name, self.description, Arc::new((self.input)()));
        tool.annotations = Some(annotations);
        tool
    }
}

/// The JSON Schema of a wire request type, as the OpenAPI document has it (the deserialize
/// contract: the fields the service requires are required).
fn request_schema<T: JsonSchema>() -> JsonObject {
    let mut settings = SchemaSettings::draft2020_12();
    settings.meta_schema = None;
    match settings.into_generator().into_root_schema_for::<T>().to_value() {
        Value::Object(schema) => schema,
        _ => JsonObject::new(),
    }
}

/// `schema` with more properties.
fn with_properties(mut schema: JsonObject, more: Value) -> JsonObject {
    let properties = schema.entry("properties").or_insert_with(|| json!({}));
    if let (Some(properties), Value::Object(more)) = (properties.as_object_mut(), more) {
        properties.extend(more);
    }
    schema
}

/// An object schema of these properties, none required.
fn object(properties: Value) -> JsonObject {
    match json!({"type": "object", "properties": properties}) {
        Value::Object(schema) => schema,
        _ => JsonObject::new(),
    }
}

fn replace_property() -> Value {
    json!({"replace": {
        "type": "boolean",
        "default": false,
        "description": "Send exactly the body given (the raw overwrite) instead of the merged update."
    }})
}

fn update_contact_way_schema() -> JsonObject {
    with_properties(request_schema::<UpdateContactWay>(), replace_property())
}

fn update_join_way_schema() -> JsonObject {
    with_properties(request_schema::<UpdateJoinWay>(), replace_property())
}

fn inventory_schema() -> JsonObject {
    object(json!({
        "state_prefix": {"type": "string", "description": "Only configs whose state starts with this text."},
        "limit": {
            "type": "integer", "minimum": 0, "default": super::call::INVENTORY_LIMIT,
            "description": "At most this many configs in the answer (the summary counts all)."
        }
    }))
}

fn prune_schema() -> JsonObject {
    object(json!({
        "state_prefix": {"type": "string", "minLength": 1, "description": "Only configs whose state starts with this text."},
        "created_before": {"type": "integer", "description": "Only configs created before this time (unix seconds)."},
        "confirm": {
            "type": "boolean", "default": false,
            "description": "Delete for real (each config backed up first). Without it: a dry run that changes nothing."
        }
    }))
}

fn ledger_list_schema() -> JsonObject {
    object(json!({
        "status": {
            "type": "array",
            "items": {"enum": ["pending", "created", "failed", "not_found", "dismissed", "deleted"]},
            "description": "Only entries with one of these statuses (all when absent)."
        },
        "all_corps": {"type": "boolean", "default": false, "description": "Entries of every corp, not only the configured one."}
    }))
}

fn ledger_reconcile_schema() -> JsonObject {
    object(json!({
        "slack": {
            "type": "integer", "minimum": 0, "default": super::call::RECONCILE_SLACK_SECS,
            "description": "Configs created this many seconds before or after an intent are its candidates."
        }
    }))
}

fn corpid_property() -> Value {
    json!({"type": "string", "description": "The corp (default: the configured WECOM_CORPID)."})
}

fn mock_scan_schema() -> JsonObject {
    let mut schema = object(json!({
        "corpid": corpid_property(),
        "config_id": {"type": "string", "description": "The Contact Me config scanned."},
        "external_userid": {"type": "string", "description": "The customer (default: a new one)."},
        "unionid": {"type": "string", "description": "The customer's unionid (temp configs with a unionid check it)."},
        "userid": {"type": "string", "description": "The member the customer is added to (default: the config's pick)."}
    }));
    schema.insert("required".into(), json!(["config_id"]));
    schema
}

fn mock_join_schema() -> JsonObject {
    let mut schema = object(json!({
        "corpid": corpid_property(),
        "config_id": {"type": "string", "description": "The Join Group config used."},
        "external_userid": {"type": "string", "description": "The customer (default: a new one)."}
    }));
    schema.insert("required".into(), json!(["config_id"]));
    schema
}

fn mock_clock_schema() -> JsonObject {
    object(json!({
        "corpid": corpid_property(),
        "advance": {"type": "integer", "description": "Move the clock forward this many seconds."},
        "set": {"type": "integer", "description": "Put the clock at this unix time and freeze it there."}
    }))
}

fn empty_schema() -> JsonObject {
    object(json!({}))
}
