//! Integration tests of the bytecode compiler, interpreter and fibers.

mod common;
mod handbuilt;
mod source;
