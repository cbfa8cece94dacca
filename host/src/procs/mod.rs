//! Processes (docs/language.md "Processes"): fibers with mailboxes on the
//! isolates that already exist, callable from request handlers without a
//! runtime lock.
//!
//! - [`registry`]: the server-wide table of live processes — mailboxes of
//!   copied messages (`Data`), registered names, calls waiting on a process.
//! - [`ops`]: decoding of the `process/*` requests the prelude's `spawn`,
//!   `send`, `receive`, … perform (reached through [`crate::resolver::decode`],
//!   the one resolution path).
//! - [`local`]: one isolate's driver — resumes a fiber and serves what it
//!   performs; a request is a tokio task on the isolate's thread driven by
//!   it; `receive`/`call` wait without holding anything.
//! - [`sched`]: the isolate's run queue — processes (and `sxc run`'s main
//!   program) are fibers switched by one scheduler task; a message between
//!   two of them costs no tokio task switch.
//! - [`run_main`]: `sxc run`'s (and the conformance runner's) entry.

mod local;
mod ops;
mod registry;
mod sched;

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

/// Decodes a compact process request `(:process/OP arg …)` by its keyword;
/// `None` for any other keyword.
pub fn decode_keyword(k: vm::value::Sym, args: &[Value]) -> Option<Result<ProcOp, Value>> {
    ops::decode_keyword(k, args)
}

/// Runs a program's top-level `fiber` in `isolate` until it finishes, with
/// processes: the program and every process it spawns share one thread.
/// When the top level ends (normally or with an error), processes still
/// running are stopped ([`Local::stop_processes`]: `process stopped` is
/// raised in each, cleanup runs, then stragglers are dropped; see
/// docs/language-decisions.md, "Processes").
pub fn run_main(isolate: Isolate, fiber: Fiber, store: StoreSlot) -> Result<Value, SxError> {
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            let msg = format!("cannot start the runtime: {e}");
            return Err(SxError { value: vm::error::err(msg.clone()), message: msg, backtrace: Vec::new() });
        }
    };
    let local = Local::new(isolate, Registry::new(), store, 0);
    // Time slices between the program and its processes (none for a
    // program that spawns nothing: the watchdog is idle while it waits).
    if let Ok(w) = crate::serve::watchdog::Watchdog::start() {
        local.set_watchdog(std::sync::Arc::new(w));
    }
    let tasks = tokio::task::LocalSet::new();
    // The program is a fiber of the isolate's scheduler like its processes
    // (`sched`): a message between it and a process switches fibers in the
    // scheduler's loop, not tokio tasks.
    let result = tasks.block_on(&rt, async {
        let (tx, rx) = tokio::sync::oneshot::channel();
        local.host(fiber, local.fiber_proc(Kind::Main), sched::Done::Main(tx));
        rx.await
    });
    tasks.block_on(&rt, async move { local.stop_processes().await });
    // Whatever is left (a process spawned by a cleanup) is dropped with the set.
    drop(tasks);
    match result {
        Ok((r, fiber)) => {
            drop(fiber);
            r
        }
        Err(e) => {
            let msg = format!("the program's task failed: {e}");
            Err(SxError { value: vm::error::err(msg.clone()), message: msg, backtrace: Vec::new() })
        }
    }
}

/// The live processes as JSON, for `GET /__sxc/processes`: a list, by pid,
/// of `{"pid":N,"name":"NAME"|null,"names":[…],"isolate":W,"kind":"process"|"request"|"main","mailbox":M,"state":"running"|"receiving"|"calling"|"io"}`
/// (`mailbox`: messages waiting to be received).
pub fn processes_json(registry: &Registry) -> String {
    let items = registry
        .list()
        .into_iter()
        .map(|p| {
            let name = p.names.first().map(|n| Value::str(n)).unwrap_or(Value::Nil);
            Value::dict_from([
                ("pid", Value::Int(p.pid as i64)),
                ("name", name),
                ("names", Value::list(p.names.iter().map(|n| Value::str(n)).collect())),
                ("isolate", Value::Int(p.isolate as i64)),
                ("kind", Value::str(p.kind.name())),
                ("mailbox", Value::Int(p.mailbox as i64)),
                ("state", Value::str(p.state.name())),
            ])
        })
        .collect();
    vm::json::encode(&Value::list(items)).unwrap_or_else(|_| "[]".to_string())
}
