//! The IO resolver trait: how a suspended fiber's `perform` request is served.
//! Implemented once, in `host` (`host::resolver`, over the redb store): every
//! driver — `sxc run`, `sxc serve` and the tests — resolves IO through it.

use crate::value::Value;

/// Splits a request `{:op "NAME" :args (...)}` (or its compact form, see
/// [`with_request`]) into the op name and arguments (`None` when it names no
/// op; missing `:args` is empty).
pub fn request_op(request: &Value) -> Option<(String, Vec<Value>)> {
    with_request(request, |op, args| (op.to_string(), args.to_vec()))
}

/// Calls `f` with a request's op name and arguments borrowed in place (no
/// copy); `None` when the request names no op. Two forms:
///
/// - `{:op "NAME" :args (...)}` (the documented one; `:op` a string or
///   keyword; missing or non-list `:args` is empty, as in [`request_op`]);
/// - `(:NAME arg ...)`, a list headed by the op as a keyword: the compact
///   form the prelude's process functions perform (one list instead of a
///   dict and its args list; `host/src/procs` serves one per message).
///
/// `f` must not mutate the request.
pub fn with_request<R>(request: &Value, f: impl FnOnce(&str, &[Value]) -> R) -> Option<R> {
    if let Value::List(l) = request {
        return l.with_items(|items| match items.split_first() {
            Some((Value::Keyword(k), args)) => Some(f(k.name(), args)),
            _ => None,
        });
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn split(v: &Value) -> Option<(String, usize)> {
        with_request(v, |op, args| (op.to_string(), args.len()))
    }

    #[test]
    fn both_request_forms_name_the_op_and_lend_the_args() {
        let dict = Value::dict_from([("op", Value::str("kv/get")), ("args", Value::list(vec![Value::str("k")]))]);
        assert_eq!(split(&dict), Some(("kv/get".to_string(), 1)));
        let no_args = Value::dict_from([("op", Value::kw("time/now"))]);
        assert_eq!(split(&no_args), Some(("time/now".to_string(), 0)));
        let compact = Value::list(vec![Value::kw("process/send"), Value::Pid(1), Value::Int(2)]);
        assert_eq!(split(&compact), Some(("process/send".to_string(), 2)));
        assert_eq!(split(&Value::list(vec![Value::kw("process/self")])), Some(("process/self".to_string(), 0)));
        // A list not headed by a keyword, an empty list, a dict without :op: no op.
        assert_eq!(split(&Value::list(vec![Value::str("process/self")])), None);
        assert_eq!(split(&Value::empty_list()), None);
        assert_eq!(split(&Value::dict_from([("args", Value::Nil)])), None);
        assert_eq!(request_op(&compact).map(|(op, args)| (op, args.len())), Some(("process/send".to_string(), 2)));
    }
}
