//! The two read-backs the flows need: a customer's detail (`externalcontact/get`, where a
//! Contact Me `state` comes back) and a group's detail (`externalcontact/groupchat/get`, where a
//! Join Group `state` comes back).

#[cfg(feature = "schema")]
use crate::schema::{chat_id_pattern, external_userid_pattern};
use serde::{Deserialize, Serialize};

/// `GET externalcontact/get?external_userid=…`. Sent as the query string.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(transform = crate::schema::require_non_nullable))]
pub struct GetExternalContact {
    /// The customer. Required (41035); `wm…` / `wo…` (40096).
    #[cfg_attr(feature = "schema", schemars(required, pattern(external_userid_pattern())))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_userid: Option<String>,
    /// For customers followed by very many members: the previous page's `next_cursor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

impl GetExternalContact {
    /// The detail of `external_userid`.
    pub fn new(external_userid: impl Into<String>) -> Self {
        GetExternalContact { external_userid: Some(external_userid.into()), cursor: None }
    }
}

/// `externalcontact/get` answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GetExternalContactResponse {
    /// The customer.
    #[serde(default)]
    pub external_contact: ExternalContact,
    /// One entry per member who has this customer.
    #[serde(default)]
    pub follow_user: Vec<FollowUser>,
    /// Cursor of the next page of `follow_user`; absent or empty on the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A customer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ExternalContact {
    /// The customer's id in this corp.
    #[serde(default)]
    pub external_userid: String,
    /// WeChat nickname or name.
    #[serde(default)]
    pub name: String,
    /// 1 = a WeChat user, 2 = a WeCom user.
    #[serde(rename = "type", default)]
    pub contact_type: i32,
    /// Avatar URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// 0 unknown, 1 male, 2 female.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<i32>,
    /// WeChat unionid (type 1, when the corp is bound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unionid: Option<String>,
    /// Job title (type 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    /// Short corp name (type 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corp_name: Option<String>,
    /// Full corp name (type 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corp_full_name: Option<String>,
}

/// One member who follows the customer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FollowUser {
    /// The member.
    #[serde(default)]
    pub userid: String,
    /// The member's remark on the customer.
    #[serde(default)]
    pub remark: String,
    /// The member's description of the customer.
    #[serde(default)]
    pub description: String,
    /// When the member added the customer (unix seconds).
    #[serde(default)]
    pub createtime: i64,
    /// How the customer was added (1 = QR code).
    #[serde(default)]
    pub add_way: i32,
    /// Tags the member put on the customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<FollowUserTag>>,
    /// The corp name the member noted for the customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark_corp_name: Option<String>,
    /// Phone numbers the member noted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark_mobiles: Option<Vec<String>>,
    /// Who performed the add.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oper_userid: Option<String>,
    /// The `state` of the Contact Me config used, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// A tag on a followed customer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FollowUserTag {
    /// The tag group's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// The tag's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_name: Option<String>,
    /// The tag's id (corp tags).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_id: Option<String>,
    /// 1 = corp tag, 2 = personal, 3 = rule-group tag.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub tag_type: Option<i32>,
}

/// `POST externalcontact/groupchat/get`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(transform = crate::schema::require_non_nullable))]
pub struct GetGroupChat {
    /// The group. Required.
    #[cfg_attr(feature = "schema", schemars(required, pattern(chat_id_pattern())))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<String>,
    /// 1 = fill in member names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub need_name: Option<i32>,
}

impl GetGroupChat {
    /// The detail of `chat_id`.
    pub fn new(chat_id: impl Into<String>) -> Self {
        GetGroupChat { chat_id: Some(chat_id.into()), need_name: None }
    }
}

/// `externalcontact/groupchat/get` answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GetGroupChatResponse {
    /// The group.
    #[serde(default)]
    pub group_chat: GroupChat,
}

/// A customer group.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GroupChat {
    /// The group's id (`wr…`).
    #[serde(default)]
    pub chat_id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// The owning member.
    #[serde(default)]
    pub owner: String,
    /// Creation time (unix seconds).
    #[serde(default)]
    pub create_time: i64,
    /// The group notice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// Its members.
    #[serde(default)]
    pub member_list: Vec<GroupMember>,
    /// Its admins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_list: Option<Vec<GroupAdmin>>,
    /// Changes whenever the member list changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_version: Option<String>,
}

/// A group member's `type`: a member of the corp or an external contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GroupMemberType(pub i32);

impl GroupMemberType {
    /// `1`: a member of the corp.
    pub const INTERNAL: GroupMemberType = GroupMemberType(1);
    /// `2`: an external contact (a customer).
    pub const EXTERNAL: GroupMemberType = GroupMemberType(2);
}

/// How a group member joined (`join_scene`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JoinScene(pub i32);

impl JoinScene {
    /// `1`: invited directly by a group member.
    pub const DIRECT_INVITE: JoinScene = JoinScene(1);
    /// `2`: by an invitation link.
    pub const INVITE_LINK: JoinScene = JoinScene(2);
    /// `3`: by scanning the group's QR code (a Join Group config).
    pub const QR_CODE: JoinScene = JoinScene(3);
}

/// One member of a group.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GroupMember {
    /// A member's userid or a customer's external_userid.
    #[serde(default)]
    pub userid: String,
    /// 1 = corp member, 2 = external contact.
    #[serde(rename = "type", default)]
    pub member_type: GroupMemberType,
    /// When they joined (unix seconds).
    #[serde(default)]
    pub join_time: i64,
    /// 1 = invited directly, 2 = by link, 3 = by QR code.
    #[serde(default)]
    pub join_scene: JoinScene,
    /// Who invited them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitor: Option<GroupInvitor>,
    /// Their nickname in the group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_nickname: Option<String>,
    /// Their name (need_name = 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// WeChat unionid of an external member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unionid: Option<String>,
    /// The `state` of the Join Group config they came through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// `member_list[].invitor`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GroupInvitor {
    /// The inviting member.
    #[serde(default)]
    pub userid: String,
}

/// `admin_list[]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GroupAdmin {
    /// An admin member.
    #[serde(default)]
    pub userid: String,
}
