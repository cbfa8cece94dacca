//! The IO resolver trait: how a suspended fiber's `perform` request is served.
//! Implemented once, in `host` (`host::resolver`, over the redb store): every
//! driver — `sxc run`, `sxc serve` and the tests — resolves IO through it.

use crate::value::Value;

/// Splits a request `{:op "NAME" :args (...)}` into the op name and arguments
/// (`None` when it has no string/keyword `:op`; missing `:args` is empty).
pub fn request_op(request: &Value) -> Option<(String, Vec<Value>)> {
    with_request(request, |op, args| (op.to_string(), args.to_vec()))
}

/// Calls `f` with a request's op name and arguments borrowed in place (no
/// copy: the host's process ops are served per message, see
/// `host/src/procs`); `None` when the request has no string/keyword `:op`.
/// Missing or non-list `:args` is empty, as in [`request_op`]. `f` must not
/// mutate the `:args` list.
pub fn with_request<R>(request: &Value, f: impl FnOnce(&str, &[Value]) -> R) -> Option<R> {
    let d = request.as_dict()?;
    let op = d.get("op")?;
    let name = match &op {
        Value::Str(s) => &*s.s,
        Value::Keyword(k) | Value::Symbol(k) => k.name(),
        _ => return None,
    };
    match d.get("args") {
        Some(Value::List(l)) => Some(l.with_items(|items| f(name, items))),
        _ => Some(f(name, &[])),
    }
}

/// Serves `perform` requests synchronously. `request` is the performed value,
/// normally a dict `{:op "kv/get" :args ("k")}`. Returns the value to resume
/// with, or `Err(v)` to raise `v` in the fiber. An unknown op must raise
/// `unknown io op "NAME"`, never answer nil.
pub trait Resolver {
    fn resolve(&mut self, request: &Value) -> Result<Value, Value>;
}
