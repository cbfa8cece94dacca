//! The IO resolver trait: how a suspended fiber's `perform` request is served.
//! Implemented once, in `host` (`host::resolver`, over the redb store): every
//! driver — `sxc run`, `sxc serve` and the tests — resolves IO through it.

use crate::interp::rt;
use crate::value::Value;

/// Splits a request `{:op "NAME" :args (...)}` into the op name and arguments
/// (`None` when it has no string/keyword `:op`; missing `:args` is empty).
pub fn request_op(request: &Value) -> Option<(String, Vec<Value>)> {
    let d = request.as_dict()?;
    let op = d.get("op")?;
    let name = match &op {
        Value::Str(s) => s.s.to_string(),
        Value::Keyword(k) | Value::Symbol(k) => k.name().to_string(),
        _ => return None,
    };
    let args = d.get("args").and_then(|a| rt::list_items(&a)).unwrap_or_default();
    Some((name, args))
}

/// Serves `perform` requests synchronously. `request` is the performed value,
/// normally a dict `{:op "kv/get" :args ("k")}`. Returns the value to resume
/// with, or `Err(v)` to raise `v` in the fiber. An unknown op must raise
/// `unknown io op "NAME"`, never answer nil.
pub trait Resolver {
    fn resolve(&mut self, request: &Value) -> Result<Value, Value>;
}
