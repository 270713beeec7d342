//! # wecom-conformance
//!
//! Will be: a property-based suite that drives `wecom-client` against `wecom-mock` (or any base
//! URL) and checks every answer against an independent reference model written from the spec.
