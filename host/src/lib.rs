//! The `sxc` host: command implementations, the IO resolver over the redb
//! store, and (later) the HTTP server. Contains no language semantics.

pub mod build;
pub mod cli;
pub mod commands;
pub mod diagnostics;
pub mod jit;
pub mod llvm;
pub mod memory;
pub mod procs;
pub mod resolver;
pub mod serve;
pub mod startup;
pub mod store;
pub mod testing;
