//! # wecom-client
//!
//! Will be: an async client (reqwest) for the WeCom Contact Me and Join Group APIs, with a
//! single-flight token cache, bounded retries, typed errors, pre-flight validation from
//! `wecom-types`, pagination streams and a safe read-merge-write update.
//!
//! It is not a server and holds no state besides the token cache.
