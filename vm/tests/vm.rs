//! Integration tests of the bytecode compiler, interpreter and fibers.

mod handbuilt;
