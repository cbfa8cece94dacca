//! The host's IO resolver: the one function every path (`sxc run`, `sxc serve`,
//! the tests) uses to serve a `perform` request.
//!
//! A request value `{:op "kv/get" :args ("k")}` is split into its op name and
//! arguments, the arguments are converted to portable [`Data`] (a
//! non-storable argument raises `OP: cannot store REPR`), the op is served by
//! [`Store::resolve`], and the result is converted back to a value. An unknown
//! op raises `unknown io op "NAME"`; nothing is ever answered with a silent nil.

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
    let (op, args) = vm::memory_resolver::request_op(request)
        .ok_or_else(|| err(format!("perform: expected a request {{:op \"NAME\" :args (...)}}, got {}", vm::print::repr(request))))?;
    let args = args.iter().map(|a| Data::from_value(a, &op)).collect::<Result<Vec<_>, _>>()?;
    Ok((op, args))
}

/// Serves one request against `store` (blocking). The single resolution path.
pub fn resolve(store: &Store, request: &Value) -> Result<Value, Value> {
    let (op, args) = decode_request(request)?;
    encode_result(store.resolve(&op, args))
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
