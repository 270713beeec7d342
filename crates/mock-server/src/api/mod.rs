//! The control surface's request and answer shapes (`/__admin/…`, see `mock-server.md`), shared
//! by the HTTP admin routes and [`Control`](crate::Control), which performs them in Rust.
//!
//! Every operation fails with an [`AdminError`]: its [`AdminErrorKind`] decides the HTTP status
//! and the `error` code, from one table.

mod callbacks;
mod checkpoints;
mod corps;
mod dashboard;
mod drift;
mod error;
mod faults;
mod hygiene;
mod messages;
mod requests;

pub use callbacks::VerifyCallbackResponse;
pub use checkpoints::{CheckpointInfo, CheckpointRequest, MAX_CHECKPOINT_NAME_BYTES, MAX_CHECKPOINTS_PER_CORP};
pub use corps::{
    AppSummary, ClockRequest, ClockResponse, CorpSummary, QuotaUse, QuotasResponse, ResetRequest, TempQuotaUse,
    TenantRequest, TenantResponse,
};
pub(crate) use dashboard::{CorpView, TempView};
pub use drift::{DriftFinding, DriftKind, DriftReport};
pub use error::{AdminError, AdminErrorKind};
pub use faults::{FaultAdded, FaultRule, FaultStatus, MAX_FAULT_DELAY_MS, MAX_FAULT_RULES};
pub use hygiene::{Finding, FindingCode, HygieneReport, QUICK_RETRY_MS};
pub use messages::{CallbackSent, ChatEnd, ConclusionsSent, Message, MessageEntry, WelcomeSent};
pub use requests::{DEFAULT_JOURNAL_SIZE, MAX_JOURNAL_SIZE, RequestEntry, RequestQuery};

pub use crate::core::domain::simulate::{JoinRequest, JoinResponse, ScanRequest, ScanResponse};
pub use crate::core::dump::{ContactWayDump, CorpDump, CustomerDump, GroupChatDump, QuotaDump};
