//! The mock's only outbound I/O: callback delivery, the callback URL check, and the drift
//! proxy's calls to its upstream.

pub(crate) mod callbacks;
pub(crate) mod upstream;
