//! # wecom-client
//!
//! An async client for WeCom's customer-contact "Contact Me" (联系我) and "Join Group" (加入群聊)
//! APIs: all ten of them (C1–C6, J1–J4) plus the two read-backs, typed with `wecom-types`.
//!
//! ## Getting started
//!
//! Start the mock (`cargo run -p wecom-mock`; it prints its default corp's credentials), then:
//!
//! ```no_run
//! use futures_util::TryStreamExt;
//! use wecom_client::Client;
//! use wecom_types::api::{AddContactWay, ListContactWay, Scene};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), wecom_client::Error> {
//! let client = Client::builder("wwmock0000000001", "mock-secret")
//!     .base_url("http://127.0.0.1:8080") // leave out for the real service
//!     .build()?;
//!
//! let created = client.add_contact_way(&AddContactWay::single("zhangsan", Scene::QR_CODE).with_state("spring")).await?;
//! println!("scan {}", created.qr_code.as_deref().unwrap_or_default());
//!
//! // Change one thing; members and every other setting stay as they are.
//! client.update_contact_way_merged(&created.config_id, |way| {
//!     way.remark = Some("spring campaign".into());
//! }).await?;
//!
//! let ids: Vec<String> = client.contact_way_ids(ListContactWay::default()).try_collect().await?;
//! assert!(ids.contains(&created.config_id));
//! # Ok(()) }
//! ```
//!
//! ## What it does for you
//!
//! - **Tokens.** The client calls `gettoken` itself, caches the token, refreshes it five minutes
//!   (configurable) before it expires, and lets one task refresh while the others wait: a
//!   thousand concurrent calls on a cold client send one `gettoken`. When a call is answered with
//!   40001, 40014 or 42001, the client drops that token, gets a new one and resends the call
//!   once; a second token error is returned, never looped on.
//! - **Retries.** -1 (system busy), 45009 (frequency limit), 45033 (concurrency limit) and
//!   transport errors are resent with exponential backoff and full jitter, up to
//!   [`RetryPolicy::max_retries`]. Every other errcode is returned at once. The rules are data
//!   and a pure function: see [`retry`].
//! - **Creates are not resent blindly.** After a transport error that may have reached the
//!   server (a timeout, a reset connection, a cut-off answer), `add_contact_way` and
//!   `add_join_way` are **not** resent, because a second config would be created and the first
//!   one's id lost. They are resent only when the connection was never made. The error is
//!   [`Error::Transport`] with [`Delivery::MaybeSent`]; give each add a unique `state` so you can
//!   find out whether it happened ([`Client::contact_way_ids`], then `get_contact_way`).
//! - **Pre-flight validation.** Every request is checked with the rules of `wecom-types` before
//!   it is sent; a bad one is [`Error::Validation`], naming the field and the errcode the server
//!   would give, and never reaches the server. Nothing is truncated silently.
//! - **Safe updates.** [`Client::update_contact_way`] sends only the fields you set;
//!   [`Client::update_contact_way_merged`] and [`Client::update_join_way_merged`] read, let you
//!   edit, and write back so that members and settings cannot be lost by accident.
//! - **Pagination.** [`Client::contact_way_ids`] is a `Stream` of every config id, page after page
//!   ([`Client::list_contact_way`] is one page);
//!   [`Client::contact_ways_detailed`] resolves each id with bounded concurrency.
//! - **Tracing.** Each call runs in a `wecom.call` span with `api`, `path`, `attempt`, `errcode`
//!   and `latency_ms`. The secret and the token are never logged (nor kept in error messages:
//!   transport errors are stripped of the URL).
//!
//! ## What it is not
//!
//! It covers these twelve APIs only (call others with [`Client::access_token`] and your own
//! HTTP code), holds no state besides the token cache (and, with the `ledger` feature, the ledger
//! file you give it), and is not a server: for tests, point it
//! at `wecom-mock`.
//!
//! ## Callbacks
//!
//! Your callback handler receives the events with the state (`add_external_contact` carries the
//! Contact Me config's `state`); [`callback::verify_and_decrypt`] checks the `msg_signature`
//! and decrypts them, and [`callback::CallbackCrypto::verify_url`] answers the URL check WeCom
//! makes when the callback URL is saved. `wecom-mock` sends both, so a handler can be tested
//! offline.
//!
//! ## Features
//!
//! - `rustls` (default): HTTPS through rustls with the ring provider and the webpki roots. Turn
//!   it off and pass your own client to [`ClientBuilder::http_client`] to use another TLS set-up.
//! - `ledger` (off by default): `ClientBuilder::ledger(path)` writes every create down in a
//!   crash-safe local file (redb) before it is sent and completes it with the `config_id`, so a
//!   lost answer never means a lost id; `Client::reconcile_ledger` finds the config of a create
//!   whose answer was lost (the `ledger` and `reconcile` modules). Without the feature the crate
//!   does not depend on redb.

mod api;
mod builder;
mod client;
mod error;
mod helpers;
#[cfg(feature = "ledger")]
pub mod ledger;
#[cfg(feature = "ledger")]
mod ledger_hook;
#[cfg(feature = "ledger")]
pub mod reconcile;
pub mod retry;
mod token;

pub use builder::{ClientBuilder, DEFAULT_BASE_URL, DEFAULT_TIMEOUT};
pub use client::Client;
pub use error::{Delivery, Error, TransportCause};
pub use helpers::CreatedJoinWay;
pub use retry::RetryPolicy;

/// Callback encryption (`wecom-callback-crypto`): verify, decrypt, answer the URL check.
///
/// ```
/// use wecom_client::callback::{CallbackCrypto, verify_and_decrypt};
///
/// # fn main() -> Result<(), wecom_client::callback::Error> {
/// // The app's Token and EncodingAESKey, and the corpid.
/// let crypto = CallbackCrypto::new("T0ken", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wwmock0000000001")?;
/// # let sent = crypto.encrypt_message("<xml><State><![CDATA[spring]]></State></xml>", "1750000000", "7")?;
/// # let (msg_signature, timestamp, nonce, encrypt) = (sent.msg_signature, sent.timestamp, sent.nonce, sent.encrypt);
/// // From the query string and the posted XML's <Encrypt>:
/// let event = verify_and_decrypt(&crypto, &msg_signature, &timestamp, &nonce, &encrypt)?;
/// assert_eq!(wecom_client::callback::xml_text(&event, "State").as_deref(), Some("spring"));
/// # Ok(()) }
/// ```
pub mod callback {
    pub use wecom_callback_crypto::*;

    /// Checks a callback's `msg_signature` and decrypts its `Encrypt` text (the same as
    /// [`CallbackCrypto::verify_and_decrypt`]): the event's XML.
    pub fn verify_and_decrypt(
        crypto: &CallbackCrypto,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        encrypt: &str,
    ) -> Result<String, Error> {
        crypto.verify_and_decrypt(msg_signature, timestamp, nonce, encrypt)
    }
}
/// The types this client speaks, re-exported so that one dependency is enough.
pub use wecom_types as types;
