//! Integration tests of the bytecode compiler, interpreter and fibers (the
//! single test entry; the modules live in `tests/vm/`).

#[path = "vm/common.rs"]
mod common;
#[path = "vm/effects.rs"]
mod effects;
#[path = "vm/floats.rs"]
mod floats;
#[path = "vm/handbuilt.rs"]
mod handbuilt;
#[path = "vm/perf.rs"]
mod perf;
#[path = "vm/source.rs"]
mod source;
#[path = "vm/interrupts.rs"]
mod interrupts;
#[path = "vm/updates.rs"]
mod updates;
