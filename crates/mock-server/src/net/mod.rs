//! The mock's only outbound I/O: callback delivery and the callback URL check.

pub(crate) mod callbacks;
