//! The pure core: one corp's state ([`model`]), the events that change it, and every rule as a
//! function from state and request to answer and events ([`domain`]); the fixtures format, the
//! state dump, and which events are announced to which app ([`notices`]).
//!
//! Nothing here does I/O, takes a lock, or knows about HTTP: errors are errcodes
//! ([`domain::ApiError`]) or the control surface's own kinds ([`domain::simulate::SimulateError`]),
//! and the layers above decide what status they answer with. This module imports nothing else
//! of the crate, which `tests/it/layers.rs` checks on every test run.

pub(crate) mod domain;
pub(crate) mod dump;
pub mod fixtures;
pub(crate) mod hex;
pub(crate) mod model;
pub(crate) mod notices;
pub(crate) mod token;
