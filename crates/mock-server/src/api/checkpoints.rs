//! Checkpoints of one corp's state: `/__admin/corps/{corpid}/checkpoint`, `…/restore`,
//! `…/checkpoints`.

use serde::{Deserialize, Serialize};

/// The most checkpoints one corp can hold (saving under an existing name replaces it).
pub const MAX_CHECKPOINTS_PER_CORP: usize = 64;
/// The longest checkpoint name, in bytes.
pub const MAX_CHECKPOINT_NAME_BYTES: usize = 128;

/// `POST /__admin/corps/{corpid}/checkpoint` and `…/restore`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckpointRequest {
    /// The checkpoint's name.
    #[schemars(
        length(min = 1, max = MAX_CHECKPOINT_NAME_BYTES),
        extend("x-maxBytes" = MAX_CHECKPOINT_NAME_BYTES)
    )]
    pub name: String,
}

/// A saved checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CheckpointInfo {
    /// The corp it belongs to.
    pub corpid: String,
    /// Its name.
    pub name: String,
    /// Contact Me configs it holds.
    pub contact_ways: usize,
    /// Join Group configs it holds.
    pub join_ways: usize,
    /// Customer relationships it holds.
    pub customers: usize,
}
