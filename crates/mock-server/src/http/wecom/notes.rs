//! What serving one WeCom call found out along the way (read by the accounting at its end).

use std::cell::Cell;
use std::sync::Arc;

use wecom_types::ErrCode;

use crate::state::Corp;
use crate::traffic::hygiene::Facts;
use crate::traffic::ratelimit::Slot;

/// What serving one WeCom call found out, filled in along the way.
pub(crate) struct CallNotes {
    /// The corp of an accepted token.
    pub corp: Option<Arc<Corp>>,
    pub agentid: Option<u32>,
    /// The answer's errcode.
    pub errcode: ErrCode,
    /// The concurrency slot while rate limits apply: held until the answer is sent.
    pub slot: Option<Slot>,
    pub facts: Cell<Facts>,
    /// The fault rule applied.
    pub fault: Option<u64>,
}

impl Default for CallNotes {
    fn default() -> Self {
        CallNotes {
            corp: None,
            agentid: None,
            errcode: ErrCode::OK,
            slot: None,
            facts: Cell::new(Facts::default()),
            fault: None,
        }
    }
}
