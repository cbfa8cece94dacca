//! The IO resolver trait: how a suspended fiber's `perform` request is served.
//! Implemented in `host` (redb store) and by [`MemoryResolver`]-style test doubles.

use crate::value::Value;

/// Serves `perform` requests synchronously. `request` is the performed value,
/// normally a dict `{:op "kv/get" :args ("k")}`. Returns the value to resume
/// with, or `Err(v)` to raise `v` in the fiber. An unknown op must raise
/// `unknown io op "NAME"`, never answer nil.
pub trait Resolver {
    fn resolve(&mut self, request: &Value) -> Result<Value, Value>;
}
