//! # wecom-types
//!
//! The one source of truth for the WeCom "Contact Me" (联系我) and "Join Group" (加入群聊) APIs:
//! the request and answer bodies of all ten APIs plus `gettoken` and the two read-backs
//! ([`api`]), the path of each ([`endpoint`]), the error-code table ([`errcode`]), the documented
//! limits ([`limits`]), the pure-input rules with the errcode each breach gets ([`validate`]),
//! the envelope and request decoding ([`wire`]) and every assumed behaviour ([`fidelity`]).
//!
//! The client (`wecom-client`) and the mock server (`wecom-mock`) both read these; neither
//! redefines a limit, a code, a path or a shape.
//!
//! With the `schema` feature, every request and answer type also implements
//! `schemars::JsonSchema`, bounded by the same limits (the `schema` module; off by default).
//!
//! What this crate is not: it performs no I/O and has no async runtime, HTTP stack or state.
//!
//! ```
//! use wecom_types::{api::AddContactWay, api::Scene, ErrCode, Validate};
//!
//! let req = AddContactWay::single("zhangsan", Scene::QR_CODE).with_state("a".repeat(31));
//! let violation = req.validate().unwrap_err();
//! assert_eq!(violation.code, ErrCode::INVALID_PARAMETER);
//! assert_eq!(violation.field, "state");
//! ```

pub mod api;
pub mod endpoint;
pub mod errcode;
pub mod fidelity;
pub mod limits;
pub mod patch;
#[cfg(feature = "schema")]
pub mod schema;
pub mod validate;
pub mod wire;

pub use endpoint::{Api, Endpoint, EndpointVisitor, Method};
pub use errcode::{ErrCode, ErrMsg};
pub use patch::Patch;
pub use validate::{Rule, Validate, Violation};
pub use wire::{DecodeError, ErrorBody, Status};
