//! The `sxc` host: command implementations, the IO resolver and (later) the server.

pub mod store;
