//! Processes (docs/language.md "Processes"): fibers with mailboxes on the
//! isolates that already exist, callable from request handlers without a
//! runtime lock.
//!
//! - [`registry`]: the server-wide table of live processes — mailboxes of
//!   copied messages (`Data`), registered names, calls waiting on a process.
//! - [`ops`]: decoding of the `process/*` requests the prelude's `spawn`,
//!   `send`, `receive`, … perform (reached through [`crate::resolver::decode`],
//!   the one resolution path).
//! - [`local`]: one isolate's driver — every fiber (request, main program,
//!   process) is a tokio task on the isolate's thread that resumes the fiber
//!   and serves what it performs; `receive`/`call` wait without holding
//!   anything.
//! - [`run_main`]: `sxc run`'s (and the conformance runner's) entry.

mod local;
mod ops;
mod registry;

pub use local::{FiberProc, Local, StoreSlot};
pub use ops::{ProcOp, Target, DEFAULT_CALL_TIMEOUT_MS};
pub use registry::{Kind, ProcInfo, Registry, State};

use vm::fiber::Fiber;
use vm::isolate::{Isolate, SxError};
use vm::Value;

/// Decodes a `process/*` request; `None` for any other op.
pub fn decode_op(op: &str, args: &[Value]) -> Option<Result<ProcOp, Value>> {
    ops::decode(op, args)
}

/// Runs a program's top-level `fiber` in `isolate` until it finishes, with
/// processes: the program and every process it spawns share one thread.
/// When the top level ends (normally or with an error), processes still
/// running are stopped: dropped at their current suspension point, their
/// names freed (docs/language-decisions.md, "Processes").
pub fn run_main(isolate: Isolate, mut fiber: Fiber, store: StoreSlot) -> Result<Value, SxError> {
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            let msg = format!("cannot start the runtime: {e}");
            return Err(SxError { value: vm::error::err(msg.clone()), message: msg, backtrace: Vec::new() });
        }
    };
    let local = Local::new(isolate, Registry::new(), store, 0);
    let tasks = tokio::task::LocalSet::new();
    let result = tasks.block_on(&rt, async {
        let mut me = local.fiber_proc(Kind::Main);
        local.drive(&mut fiber, &mut me).await
    });
    // Stops the processes (their tasks are dropped with the set).
    drop(tasks);
    drop(fiber);
    result
}
