//! Integration tests of the bytecode compiler, interpreter and fibers.

mod common;
mod effects;
mod handbuilt;
mod perf;
mod source;
