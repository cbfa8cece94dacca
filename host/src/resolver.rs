//! The host's IO resolver: the one function every path (`sxc run`, `sxc serve`,
//! the tests) uses to serve a `perform` request.
//!
//! A request value `{:op "kv/get" :args ("k")}` is split into its op name and
//! arguments, the arguments are converted to portable [`Data`] (a
//! non-storable argument raises `OP: cannot store REPR`), the op is served by
//! [`Store::resolve`], and the result is converted back to a value. An unknown
//! op raises `unknown io op "NAME"`; nothing is ever answered with a silent nil.
//!
//! [`decode`] is where every driver splits a request: `process/*` ops
//! (spawn, send, receive, call, …) go to the fiber's process driver
//! ([`crate::procs`]), which needs the scheduler; everything else goes to the
//! store, synchronously ([`resolve`]) or from an async driver
//! ([`serve_store`], which keeps writes and `sleep` off the worker thread).

use crate::store::{OpError, Store};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use vm::data::Data;
use vm::error::err;
use vm::resolver::Resolver;
use vm::Value;

/// Candidate roots (containers mutated to hold containers, cells) at which a
/// safe point runs the cycle collector. Reference counting frees everything
/// acyclic; this bounds what cycles can hold in a long-running process. The
/// collector only walks what is reachable from the candidates registered since
/// its last run, so a low threshold is cheap (CPython's generation-0 threshold
/// is 700 allocations for the same reason).
pub const CYCLE_COLLECT_THRESHOLD: usize = 1000;

/// Runs `vm::gc::collect_cycles` when enough candidates have accumulated.
/// Call only at a safe point: between resumes of this thread's fibers, when
/// the interpreter holds no borrow of any SX value (e.g. while a fiber is
/// suspended on a request, or after a request finished). Returns the number
/// of containers the collector emptied (0 when it did not run).
pub fn collect_cycles_if_due() -> usize {
    if vm::gc::candidates() >= CYCLE_COLLECT_THRESHOLD {
        vm::gc::collect_cycles()
    } else {
        0
    }
}

/// Splits a performed request into `(op, args)` in portable form.
/// Errors are SX error values ready to raise in the fiber.
pub fn decode_request(request: &Value) -> Result<(String, Vec<Data>), Value> {
    let (op, args) = vm::resolver::request_op(request).ok_or_else(|| bad_request(request))?;
    let args = args.iter().map(|a| Data::from_value(a, &op)).collect::<Result<Vec<_>, _>>()?;
    Ok((op, args))
}

/// A decoded `perform` request.
#[derive(Debug)]
pub enum Decoded {
    /// A storage or clock op for [`Store::resolve`].
    Store(String, Vec<Data>),
    /// A process op, served by the fiber's driver ([`crate::procs`]).
    Process(crate::procs::ProcOp),
}

/// Splits a performed request into a process op or a store op with portable
/// arguments. Errors are SX error values ready to raise in the fiber.
pub fn decode(request: &Value) -> Result<Decoded, Value> {
    // The arguments are read in place: a process op (one per message) copies
    // only its message. The compact form of a process op is recognised by
    // its keyword's id first (the per-message path).
    if let Value::List(l) = request {
        let fast = l.with_items(|items| match items.split_first() {
            Some((Value::Keyword(k), args)) => crate::procs::decode_keyword(*k, args),
            _ => None,
        });
        if let Some(p) = fast {
            return p.map(Decoded::Process);
        }
    }
    vm::resolver::with_request(request, |op, args| {
        if let Some(p) = crate::procs::decode_op(op, args) {
            return p.map(Decoded::Process);
        }
        let args = args.iter().map(|a| Data::from_value(a, op)).collect::<Result<Vec<_>, _>>()?;
        Ok(Decoded::Store(op.to_string(), args))
    })
    .unwrap_or_else(|| Err(bad_request(request)))
}

fn bad_request(request: &Value) -> Value {
    err(format!("perform: expected a request {{:op \"NAME\" :args (...)}}, got {}", vm::print::repr(request)))
}

/// Serves one request against `store` (blocking), for drivers of a single
/// fiber without processes (a process op raises `OP: processes are not
/// available here`).
pub fn resolve(store: &Store, request: &Value) -> Result<Value, Value> {
    match decode(request)? {
        Decoded::Store(op, args) => encode_result(store.resolve(&op, args)),
        Decoded::Process(p) => Err(err(format!("{}: processes are not available here", p.function()))),
    }
}

/// Ops that block the calling thread: writes wait for their group commit to
/// be durable. Async drivers run them on tokio's blocking pool (and `sleep`
/// on a timer). Every other op (the reads, `time/now`, an unknown op's error) is
/// served inline on the worker thread: a redb read is a snapshot that never
/// waits for the writer, and its cost is proportional to its result, which
/// the worker converts to SX values anyway — a hand-off to another thread
/// and back would cost more than the read (docs/serve.md, "Performance
/// decisions").
const BLOCKING_OPS: &[&str] = &[
    "kv/put",
    "kv/delete",
    "kv/cas",
    "persist/append",
    "persist/append-expect",
    "persist/truncate-through",
    "blob/put",
];

/// True when an async driver serves `op` inline on the worker thread (see
/// [`BLOCKING_OPS`]): every op but the writes and `sleep`. A driver may then
/// answer it with [`Store::resolve`] and [`encode_result`] without waiting,
/// as [`serve_store`] does.
pub fn serves_inline(op: &str) -> bool {
    op != "sleep" && !BLOCKING_OPS.contains(&op)
}

/// Serves a store op from an async driver (a request, a process, `sxc run`'s
/// main program): inline for reads, on tokio's blocking pool for writes,
/// `sleep` on a timer (a well-formed one; a bad argument gets the store's
/// error); the result converted exactly as [`resolve`] does.
pub async fn serve_store(store: &Arc<Store>, op: String, args: Vec<Data>) -> Result<Value, Value> {
    if let ("sleep", [Data::Int(ms)]) = (op.as_str(), args.as_slice()) {
        if *ms >= 0 {
            tokio::time::sleep(std::time::Duration::from_millis(*ms as u64)).await;
            return Ok(Value::Nil);
        }
    }
    let result = if serves_inline(&op) {
        store.resolve(&op, args)
    } else {
        let store = store.clone();
        match tokio::task::spawn_blocking(move || store.resolve(&op, args)).await {
            Ok(r) => r,
            Err(e) => return Err(err(format!("io op failed: {e}"))),
        }
    };
    encode_result(result)
}

/// Turns a store answer into what the fiber resumes with: the data as a
/// value, or an op error as an SX error raised in the fiber. Every driver
/// (this module's [`resolve`], the async server) converts through here.
pub fn encode_result(result: Result<Data, OpError>) -> Result<Value, Value> {
    match result {
        Ok(data) => Ok(data.to_value()),
        Err(e) => Err(err(e.to_string())),
    }
}

/// A [`Resolver`] for synchronous drivers (`sxc run`, tests) over a [`Store`].
///
/// The store is opened on the first request, so a program that performs no
/// IO never touches (or locks) the data directory. If it cannot be opened,
/// that request raises `storage unavailable: DIR: REASON` in the fiber.
pub struct HostResolver {
    dir: PathBuf,
    store: Option<Arc<Store>>,
}

impl HostResolver {
    /// A resolver whose store lives in `data_dir` (created on first use).
    pub fn new(data_dir: &Path) -> HostResolver {
        HostResolver { dir: data_dir.to_path_buf(), store: None }
    }

    /// Opens (creating if needed) the store in `data_dir` now.
    pub fn open(data_dir: &Path) -> Result<HostResolver, String> {
        let store = Store::open(data_dir).map_err(|e| e.to_string())?;
        Ok(HostResolver::with_store(Arc::new(store)))
    }

    /// A resolver over an already open store.
    pub fn with_store(store: Arc<Store>) -> HostResolver {
        HostResolver { dir: store.path().to_path_buf(), store: Some(store) }
    }

    fn store(&mut self) -> Result<&Store, Value> {
        if self.store.is_none() {
            let store = Store::open(&self.dir).map_err(|e| err(format!("storage unavailable: {e}")))?;
            self.store = Some(Arc::new(store));
        }
        Ok(self.store.as_deref().expect("opened above"))
    }
}

impl Resolver for HostResolver {
    fn resolve(&mut self, request: &Value) -> Result<Value, Value> {
        // A suspended fiber is a safe point for cycle collection.
        collect_cycles_if_due();
        let store = self.store()?;
        resolve(store, request)
    }
}
