//! Request and response bodies of every API, with the exact wire field names.
//!
//! Requests are what a server may receive, so every field is optional (a missing required field
//! is a validation error with its own errcode, not a decode failure) and integers are kept as
//! received (an out-of-range `type` is 41039, not a parse error). Constructors give the client
//! side a typed way in. Responses decode leniently: a field the server leaves out is `None`.

mod after_scan;
mod contact_way;
mod customer;
mod join_way;
mod token;

use serde::{Deserialize, Serialize};

pub use after_scan::*;
pub use contact_way::*;
pub use customer::*;
pub use join_way::*;
pub use token::*;

#[cfg(feature = "schema")]
crate::schema::known_values_schema! {
    ContactType: [SINGLE, MULTI], "1 = a single member, 2 = several members and departments";
    Scene: [MINI_PROGRAM, QR_CODE], "1 = the (group) mini-program plug-in, 2 = a QR code";
    GroupMemberType: [INTERNAL, EXTERNAL], "1 = a member of the corp, 2 = an external contact";
    JoinScene: [DIRECT_INVITE, INVITE_LINK, QR_CODE], "1 = invited directly, 2 = by an invitation link, 3 = by the group's QR code";
}

/// Contact Me `type`: one member or several. Any integer decodes; validation checks the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContactType(pub i32);

impl ContactType {
    /// `1`: a single member.
    pub const SINGLE: ContactType = ContactType(1);
    /// `2`: several members and departments.
    pub const MULTI: ContactType = ContactType(2);

    /// `true` for 1 and 2.
    pub const fn is_valid(self) -> bool {
        matches!(self.0, 1 | 2)
    }
}

/// `scene` of Contact Me and Join Group: mini-program plug-in or QR code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Scene(pub i32);

impl Scene {
    /// `1`: the (group) mini-program plug-in; no `qr_code`.
    pub const MINI_PROGRAM: Scene = Scene(1);
    /// `2`: a QR code; the config gets a `qr_code` URL.
    pub const QR_CODE: Scene = Scene(2);

    /// `true` for 1 and 2.
    pub const fn is_valid(self) -> bool {
        matches!(self.0, 1 | 2)
    }
}

/// Declares a request body that carries only a `config_id`.
macro_rules! config_id_request {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(
            feature = "schema",
            derive(schemars::JsonSchema),
            schemars(transform = crate::schema::require_non_nullable)
        )]
        pub struct $name {
            /// The config to act on.
            #[cfg_attr(feature = "schema", schemars(required, length(min = 1)))]
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub config_id: Option<String>,
        }

        impl $name {
            /// A request for `config_id`.
            pub fn new(config_id: impl Into<String>) -> Self {
                $name { config_id: Some(config_id.into()) }
            }
        }
    };
}
pub(crate) use config_id_request;

/// The payload of an answer that carries nothing besides `errcode` / `errmsg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Empty {}
