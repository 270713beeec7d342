//! Join Group (加入群聊): J1–J4.

use serde::{Deserialize, Serialize};

use super::{Scene, config_id_request};
#[cfg(feature = "schema")]
use crate::limits::{
    AUTO_CREATE_ROOM_VALUES, MAX_CHATS_PER_JOIN_WAY, MAX_REMARK_CHARS, MAX_ROOM_BASE_NAME_CHARS, MAX_STATE_CHARS,
};
#[cfg(feature = "schema")]
use crate::schema::chat_id_pattern;

/// J1 `groupchat/add_join_way`: create a Join Group config.
///
/// ```
/// use wecom_types::api::{AddJoinWay, Scene};
/// let req = AddJoinWay::new(Scene::QR_CODE, ["wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"])
///     .with_auto_create_room("销售群", 10);
/// assert_eq!(req.chat_id_list.as_ref().map(Vec::len), Some(1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(transform = crate::schema::require_non_nullable))]
pub struct AddJoinWay {
    /// 1 = group mini-program plug-in, 2 = group QR code. Required.
    #[cfg_attr(feature = "schema", schemars(required))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene: Option<Scene>,
    /// Up to 30 characters; longer is truncated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// 1 (default): create the next group when all are full; 0: don't.
    #[cfg_attr(
        feature = "schema",
        schemars(range(min = *AUTO_CREATE_ROOM_VALUES.start(), max = *AUTO_CREATE_ROOM_VALUES.end()))
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_create_room: Option<i32>,
    /// Name prefix of auto-created groups, up to 40 characters.
    #[cfg_attr(feature = "schema", schemars(length(max = MAX_ROOM_BASE_NAME_CHARS)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room_base_name: Option<String>,
    /// First serial number of auto-created groups.
    #[cfg_attr(feature = "schema", schemars(range(min = 0)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room_base_id: Option<i64>,
    /// 1 to 5 customer group ids. Required.
    #[cfg_attr(
        feature = "schema",
        schemars(required, length(min = 1, max = MAX_CHATS_PER_JOIN_WAY), inner(pattern(chat_id_pattern())))
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id_list: Option<Vec<String>>,
    /// Up to 30 characters; shown as the joining member's `state` in the group detail.
    #[cfg_attr(feature = "schema", schemars(length(max = MAX_STATE_CHARS)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Mark the source of customers who join this way; default true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark_source: Option<bool>,
}

impl AddJoinWay {
    /// A config for these groups.
    pub fn new(scene: Scene, chat_ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        AddJoinWay {
            scene: Some(scene),
            chat_id_list: Some(chat_ids.into_iter().map(Into::into).collect()),
            ..Default::default()
        }
    }

    /// Sets `state`.
    pub fn with_state(mut self, state: impl Into<String>) -> Self {
        self.state = Some(state.into());
        self
    }

    /// Sets `remark`.
    pub fn with_remark(mut self, remark: impl Into<String>) -> Self {
        self.remark = Some(remark.into());
        self
    }

    /// Turns on room auto-creation with a base name and first serial number.
    pub fn with_auto_create_room(mut self, room_base_name: impl Into<String>, room_base_id: i64) -> Self {
        self.auto_create_room = Some(1);
        self.room_base_name = Some(room_base_name.into());
        self.room_base_id = Some(room_base_id);
        self
    }

    /// Attaches a config id, turning this into the whole-config overwrite of J3.
    pub fn into_update(self, config_id: impl Into<String>) -> UpdateJoinWay {
        UpdateJoinWay {
            config_id: Some(config_id.into()),
            scene: self.scene,
            remark: self.remark,
            auto_create_room: self.auto_create_room,
            room_base_name: self.room_base_name,
            room_base_id: self.room_base_id,
            chat_id_list: self.chat_id_list,
            state: self.state,
            mark_source: self.mark_source,
        }
    }
}

/// J1 answer: the real service returns only the id (the QR code comes from J2).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AddJoinWayResponse {
    /// The only key to the new config: store it.
    #[serde(default)]
    pub config_id: String,
}

config_id_request! {
    /// J2 `groupchat/get_join_way`.
    GetJoinWay
}

/// J2 answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GetJoinWayResponse {
    /// The stored config.
    pub join_way: JoinWay,
}

/// A stored Join Group config as `get_join_way` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct JoinWay {
    /// The config's id.
    #[serde(default)]
    pub config_id: String,
    /// 1 = mini-program plug-in, 2 = QR code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene: Option<Scene>,
    /// Remark.
    #[cfg_attr(feature = "schema", schemars(length(max = MAX_REMARK_CHARS)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// 1 = create the next group when all are full.
    #[cfg_attr(
        feature = "schema",
        schemars(range(min = *AUTO_CREATE_ROOM_VALUES.start(), max = *AUTO_CREATE_ROOM_VALUES.end()))
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_create_room: Option<i32>,
    /// Name prefix of auto-created groups.
    #[cfg_attr(feature = "schema", schemars(length(max = MAX_ROOM_BASE_NAME_CHARS)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room_base_name: Option<String>,
    /// First serial number of auto-created groups.
    #[cfg_attr(feature = "schema", schemars(range(min = 0)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room_base_id: Option<i64>,
    /// The groups, in fill order.
    #[cfg_attr(
        feature = "schema",
        schemars(length(min = 1, max = MAX_CHATS_PER_JOIN_WAY), inner(pattern(chat_id_pattern())))
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id_list: Option<Vec<String>>,
    /// QR code URL (scene 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_code: Option<String>,
    /// Channel state.
    #[cfg_attr(feature = "schema", schemars(length(max = MAX_STATE_CHARS)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Whether joiners are marked as coming from the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark_source: Option<bool>,
}

impl JoinWay {
    /// The whole-config overwrite (J3) that keeps this config exactly as it is.
    pub fn to_update(&self) -> UpdateJoinWay {
        UpdateJoinWay {
            config_id: Some(self.config_id.clone()),
            scene: self.scene,
            remark: self.remark.clone(),
            auto_create_room: self.auto_create_room,
            room_base_name: self.room_base_name.clone(),
            room_base_id: self.room_base_id,
            chat_id_list: self.chat_id_list.clone(),
            state: self.state.clone(),
            mark_source: self.mark_source,
        }
    }
}

/// J3 `groupchat/update_join_way`: **overwrites the whole config**; a field not sent takes its
/// default again. `config_id`, `scene` and `chat_id_list` are required.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(transform = crate::schema::require_non_nullable))]
pub struct UpdateJoinWay {
    /// The config to overwrite. Required.
    #[cfg_attr(feature = "schema", schemars(required, length(min = 1)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_id: Option<String>,
    /// Required.
    #[cfg_attr(feature = "schema", schemars(required))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene: Option<Scene>,
    /// Remark (empty when not sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// Auto-create rooms (1 when not sent).
    #[cfg_attr(
        feature = "schema",
        schemars(range(min = *AUTO_CREATE_ROOM_VALUES.start(), max = *AUTO_CREATE_ROOM_VALUES.end()))
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_create_room: Option<i32>,
    /// Name prefix of auto-created groups.
    #[cfg_attr(feature = "schema", schemars(length(max = MAX_ROOM_BASE_NAME_CHARS)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room_base_name: Option<String>,
    /// First serial number of auto-created groups.
    #[cfg_attr(feature = "schema", schemars(range(min = 0)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room_base_id: Option<i64>,
    /// Required; 1 to 5 groups.
    #[cfg_attr(
        feature = "schema",
        schemars(required, length(min = 1, max = MAX_CHATS_PER_JOIN_WAY), inner(pattern(chat_id_pattern())))
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id_list: Option<Vec<String>>,
    /// Channel state (empty when not sent).
    #[cfg_attr(feature = "schema", schemars(length(max = MAX_STATE_CHARS)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Mark the source (true when not sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark_source: Option<bool>,
}

config_id_request! {
    /// J4 `groupchat/del_join_way`.
    DelJoinWay
}
