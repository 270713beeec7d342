//! Request bodies from flags and `--json` files: the file is the base, each flag given replaces
//! its field.

use std::io::Read;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use wecom_types::api::{
    AddContactWay, AddJoinWay, Conclusions, ContactType, ContactWay, JoinWay, Scene, UpdateContactWay, UpdateJoinWay,
};
use wecom_types::{Patch, wire};

use crate::cli::{
    ContactWayAddArgs, ContactWayFields, ContactWayUpdateArgs, JoinWayAddArgs, JoinWayFields, JoinWayUpdateArgs,
};
use crate::error::CliError;
use crate::output::warn;

/// Fields a read-back, an inventory line or a backup line carries that no request takes: left
/// out without a word, so that such a line can be fed back as a body.
const READ_ONLY_FIELDS: [&str; 4] = ["config_id", "qr_code", "create_time", "temp_used"];

/// Reads a whole file, or stdin for `-`.
pub(crate) fn read_input(path: &Path) -> Result<String, CliError> {
    let read_error = |source| CliError::Read { path: path.to_path_buf(), source };
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(read_error)?;
        Ok(text)
    } else {
        std::fs::read_to_string(path).map_err(read_error)
    }
}

/// A JSON object from a file, decoded by [`body_from_value`].
fn read_body<T: DeserializeOwned + Serialize>(path: &Path, drop_nulls: bool) -> Result<T, CliError> {
    let text = read_input(path)?;
    let what = format!("{}", path.display());
    let value: Value = serde_json::from_str(&text)
        .map_err(|source| CliError::Json { what: format!("{what}: not a JSON object of the request"), source })?;
    body_from_value(value, drop_nulls, &what)
}

/// A request body from a JSON object (a `--json` file, or a tool's arguments), without the
/// read-only fields, decoded as `T` the way the service decodes it (a wrongly typed field is
/// errcode 40058 naming the field); fields `T` does not know are named in a warning (a typo
/// should not pass unnoticed). With `drop_nulls`, a `null` field counts as not given.
pub(crate) fn body_from_value<T: DeserializeOwned + Serialize>(
    value: Value,
    drop_nulls: bool,
    what: &str,
) -> Result<T, CliError> {
    let Value::Object(mut fields) = value else {
        return Err(CliError::Usage(format!("{what}: the body must be a JSON object")));
    };
    for field in READ_ONLY_FIELDS {
        fields.remove(field);
    }
    if drop_nulls {
        fields.retain(|_, value| !value.is_null());
    }
    let bytes = serde_json::to_vec(&fields)
        .map_err(|source| CliError::Json { what: format!("{what}: not a JSON object of the request"), source })?;
    let body: T = wire::decode_body(&bytes).map_err(|source| CliError::Body { what: what.to_owned(), source })?;
    let unknown = unknown_fields(&fields, &body);
    if !unknown.is_empty() {
        let fields = if unknown.len() == 1 { "field" } else { "fields" };
        warn(format_args!("{what}: ignoring unknown {fields} {}", unknown.join(", ")));
    }
    Ok(body)
}

/// Keys of `given` that carry a value but do not survive a round trip through the typed body.
fn unknown_fields<T: Serialize>(given: &Map<String, Value>, body: &T) -> Vec<String> {
    let kept = match serde_json::to_value(body) {
        Ok(Value::Object(kept)) => kept,
        _ => Map::new(),
    };
    given
        .iter()
        .filter(|(key, value)| !value.is_null() && !kept.contains_key(*key))
        .map(|(key, _)| key.clone())
        .collect()
}

fn read_conclusions(path: &Path) -> Result<Conclusions, CliError> {
    let text = read_input(path)?;
    serde_json::from_str(&text)
        .map_err(|source| CliError::Json { what: format!("{}: not a conclusions object", path.display()), source })
}

/// The C1 body of `contact-way add`.
pub(crate) fn add_contact_way(args: &ContactWayAddArgs) -> Result<AddContactWay, CliError> {
    let mut add: AddContactWay = match &args.body.json {
        Some(path) => read_body(path, false)?,
        None => AddContactWay::default(),
    };
    set(&mut add.contact_type, args.contact_type.map(ContactType));
    set(&mut add.scene, args.scene.map(Scene));
    if !args.user.is_empty() {
        add.user = Some(args.user.clone());
    }
    if !args.party.is_empty() {
        add.party = Some(args.party.clone());
    }
    let common = &args.common;
    set(&mut add.state, common.state.clone());
    set(&mut add.remark, common.remark.clone());
    set(&mut add.skip_verify, common.skip_verify);
    set(&mut add.style, common.style);
    set(&mut add.expires_in, common.expires_in);
    set(&mut add.chat_expires_in, common.chat_expires_in);
    set(&mut add.unionid, common.unionid.clone());
    if let Some(path) = &common.conclusions {
        add.conclusions = Some(read_conclusions(path)?);
    }
    if args.temp {
        add.is_temp = Some(true);
    }
    if args.exclusive {
        add.is_exclusive = Some(true);
    }
    set(&mut add.mark_source, args.mark_source);
    Ok(add)
}

fn set<T>(field: &mut Option<T>, flag: Option<T>) {
    if flag.is_some() {
        *field = flag;
    }
}

/// A string flag as a patch: an empty string clears.
fn text_patch(flag: &Option<String>) -> Patch<String> {
    match flag {
        None => Patch::Keep,
        Some(text) if text.is_empty() => Patch::Clear,
        Some(text) => Patch::Set(text.clone()),
    }
}

fn value_patch<T: Clone>(flag: &Option<T>) -> Patch<T> {
    flag.clone().map_or(Patch::Keep, Patch::Set)
}

/// What `contact-way update` was asked to change, as a C4 patch: the `--json` file, then the
/// flags. The list edits (`--add-user`, …) are applied by the merged update only.
///
/// For the merged update a `null` in the file means "not given" (SDK-style bodies spell every
/// unset field as `null`, which is how members get wiped); `""` and `[]` still clear. With
/// `--replace` the file is sent as it is, and `null` clears as the real C4 does.
pub(crate) fn contact_way_patch(args: &ContactWayUpdateArgs) -> Result<UpdateContactWay, CliError> {
    let mut patch: UpdateContactWay = match &args.body.json {
        Some(path) => read_body(path, !args.replace)?,
        None => UpdateContactWay::default(),
    };
    patch.config_id = Some(args.config_id.clone());
    let common: &ContactWayFields = &args.common;
    override_patch(&mut patch.state, text_patch(&common.state));
    override_patch(&mut patch.remark, text_patch(&common.remark));
    override_patch(&mut patch.unionid, text_patch(&common.unionid));
    override_patch(&mut patch.skip_verify, value_patch(&common.skip_verify));
    override_patch(&mut patch.style, value_patch(&common.style));
    override_patch(&mut patch.expires_in, value_patch(&common.expires_in));
    override_patch(&mut patch.chat_expires_in, value_patch(&common.chat_expires_in));
    if !args.user.is_empty() {
        patch.user = Patch::Set(args.user.clone());
    }
    if !args.party.is_empty() {
        patch.party = Patch::Set(args.party.clone());
    }
    if let Some(path) = &common.conclusions {
        patch.conclusions = Patch::Set(read_conclusions(path)?);
    }
    Ok(patch)
}

/// A flag that was given wins over the `--json` file.
fn override_patch<T>(field: &mut Patch<T>, flag: Patch<T>) {
    if !flag.is_keep() {
        *field = flag;
    }
}

/// Applies a C4 patch to a stored config (what the server would store), then the list edits.
pub(crate) fn apply_contact_way_patch(way: &mut ContactWay, patch: &UpdateContactWay, edits: &ContactWayEdits) {
    fn apply<T: Clone>(field: &mut Option<T>, patch: &Patch<T>) {
        match patch {
            Patch::Keep => {}
            Patch::Clear => *field = None,
            Patch::Set(value) => *field = Some(value.clone()),
        }
    }
    apply(&mut way.remark, &patch.remark);
    apply(&mut way.skip_verify, &patch.skip_verify);
    apply(&mut way.style, &patch.style);
    apply(&mut way.state, &patch.state);
    apply(&mut way.user, &patch.user);
    apply(&mut way.party, &patch.party);
    apply(&mut way.expires_in, &patch.expires_in);
    apply(&mut way.chat_expires_in, &patch.chat_expires_in);
    apply(&mut way.unionid, &patch.unionid);
    apply(&mut way.conclusions, &patch.conclusions);
    edit_list(&mut way.user, &edits.user);
    edit_list(&mut way.party, &edits.party);
}

/// The list edits of a merged C4 update (`--add-user`, `--remove-party`, …).
#[derive(Debug, Default)]
pub(crate) struct ContactWayEdits {
    pub(crate) user: ListEdits<String>,
    pub(crate) party: ListEdits<u32>,
}

/// Items to add to a stored list and items to remove from it (merged updates only).
#[derive(Debug, Clone)]
pub(crate) struct ListEdits<T> {
    pub(crate) add: Vec<T>,
    pub(crate) remove: Vec<T>,
}

impl<T> Default for ListEdits<T> {
    fn default() -> Self {
        ListEdits { add: Vec::new(), remove: Vec::new() }
    }
}

/// Appends what is not there yet, then removes; an emptied list becomes `None`.
fn edit_list<T: Clone + PartialEq>(list: &mut Option<Vec<T>>, edits: &ListEdits<T>) {
    let (add, remove) = (&edits.add, &edits.remove);
    if add.is_empty() && remove.is_empty() {
        return;
    }
    let mut items = list.take().unwrap_or_default();
    for item in add {
        if !items.contains(item) {
            items.push(item.clone());
        }
    }
    items.retain(|item| !remove.contains(item));
    *list = (!items.is_empty()).then_some(items);
}

/// The lists a C4 patch would clear (present and empty), for the `--replace` warning.
pub(crate) fn cleared_lists(patch: &UpdateContactWay) -> Vec<&'static str> {
    let mut cleared = Vec::new();
    if patch.user == Patch::Clear || patch.user == Patch::Set(Vec::new()) {
        cleared.push("user");
    }
    if patch.party == Patch::Clear || patch.party == Patch::Set(Vec::new()) {
        cleared.push("party");
    }
    cleared
}

/// The J1 body of `join-way add`.
pub(crate) fn add_join_way(args: &JoinWayAddArgs) -> Result<AddJoinWay, CliError> {
    let mut add: AddJoinWay = match &args.body.json {
        Some(path) => read_body(path, false)?,
        None => AddJoinWay::default(),
    };
    if !args.chat.is_empty() {
        add.chat_id_list = Some(args.chat.clone());
    }
    let fields = &args.fields;
    set(&mut add.scene, fields.scene.map(Scene));
    set(&mut add.state, fields.state.clone());
    set(&mut add.remark, fields.remark.clone());
    set(&mut add.auto_create_room, fields.auto_create_room);
    set(&mut add.room_base_name, fields.room_base_name.clone());
    set(&mut add.room_base_id, fields.room_base_id);
    set(&mut add.mark_source, fields.mark_source);
    Ok(add)
}

/// What `join-way update` was given, as a J3 body: the `--json` file, then the flags.
pub(crate) fn join_way_given(args: &JoinWayUpdateArgs) -> Result<UpdateJoinWay, CliError> {
    let mut given: UpdateJoinWay = match &args.body.json {
        Some(path) => read_body(path, false)?,
        None => UpdateJoinWay::default(),
    };
    given.config_id = Some(args.config_id.clone());
    if !args.chat.is_empty() {
        given.chat_id_list = Some(args.chat.clone());
    }
    let fields: &JoinWayFields = &args.fields;
    set(&mut given.scene, fields.scene.map(Scene));
    set(&mut given.state, fields.state.clone());
    set(&mut given.remark, fields.remark.clone());
    set(&mut given.auto_create_room, fields.auto_create_room);
    set(&mut given.room_base_name, fields.room_base_name.clone());
    set(&mut given.room_base_id, fields.room_base_id);
    set(&mut given.mark_source, fields.mark_source);
    Ok(given)
}

/// Applies what was given to a stored Join Group config, then the list edits.
pub(crate) fn apply_join_way(way: &mut JoinWay, given: &UpdateJoinWay, chats: &ListEdits<String>) {
    set(&mut way.scene, given.scene);
    set(&mut way.remark, given.remark.clone());
    set(&mut way.auto_create_room, given.auto_create_room);
    set(&mut way.room_base_name, given.room_base_name.clone());
    set(&mut way.room_base_id, given.room_base_id);
    set(&mut way.chat_id_list, given.chat_id_list.clone());
    set(&mut way.state, given.state.clone());
    set(&mut way.mark_source, given.mark_source);
    edit_list(&mut way.chat_id_list, chats);
}

/// The optional J3 fields a `--replace` leaves out, which J3 resets to their defaults.
pub(crate) fn join_way_fields_reset(given: &UpdateJoinWay) -> Vec<&'static str> {
    [
        ("remark", given.remark.is_none()),
        ("state", given.state.is_none()),
        ("auto_create_room", given.auto_create_room.is_none()),
        ("room_base_name", given.room_base_name.is_none()),
        ("room_base_id", given.room_base_id.is_none()),
        ("mark_source", given.mark_source.is_none()),
    ]
    .into_iter()
    .filter_map(|(field, reset)| reset.then_some(field))
    .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn fields_that_do_not_survive_decoding_are_unknown() {
        let given = json!({"type": 1, "stat": "x", "user": null, "remark": ""});
        let Value::Object(given) = given else { unreachable!() };
        let body: AddContactWay = serde_json::from_value(Value::Object(given.clone())).expect("decodes");
        assert_eq!(unknown_fields(&given, &body), ["stat"]);
    }

    #[test]
    fn list_edits_add_once_remove_and_empty_to_none() {
        let mut list = Some(vec!["a".to_owned()]);
        edit_list(&mut list, &ListEdits { add: vec!["b".to_owned(), "a".to_owned()], remove: vec![] });
        assert_eq!(list, Some(vec!["a".to_owned(), "b".to_owned()]));
        edit_list(&mut list, &ListEdits { add: vec![], remove: vec!["a".to_owned(), "b".to_owned()] });
        assert_eq!(list, None);
    }

    #[test]
    fn a_replace_warns_about_lists_it_clears_only() {
        let mut patch = UpdateContactWay::new("c");
        assert!(cleared_lists(&patch).is_empty());
        patch.user = Patch::Set(vec!["a".into()]);
        patch.party = Patch::Clear;
        assert_eq!(cleared_lists(&patch), ["party"]);
    }
}
