//! Error values and the exact runtime error messages of `docs/language-decisions.md`.

use crate::print::{display, repr};
use crate::value::{ErrorObj, Value};
use std::cell::RefCell;
use std::rc::Rc;

/// A fresh error value with `msg` and an empty backtrace.
pub fn err(msg: impl Into<String>) -> Value {
    Value::Error(Rc::new(ErrorObj { message: msg.into(), backtrace: RefCell::new(Vec::new()) }))
}

/// `Err(err(msg))`, for `?`-style early returns in primitives.
pub fn fail<T>(msg: impl Into<String>) -> Result<T, Value> {
    Err(err(msg))
}

/// `NAME: expected KIND, got REPR`, e.g. `+: expected number, got "x"`.
pub fn type_err(name: &str, kind: &str, got: &Value) -> Value {
    err(format!("{name}: expected {kind}, got {}", repr(got)))
}

/// The arity message: `NAME: expected N arguments, got M`; `expected 1 argument`
/// (singular); `expected at least N arguments` when variadic; for an optional
/// range `expected N or M arguments` / `expected N to M arguments`.
pub fn arity_message(name: &str, min: usize, max: Option<usize>, got: usize) -> String {
    let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
    match max {
        Some(m) if m == min => format!("{name}: expected {min} {}, got {got}", plural(min)),
        Some(m) if m == min + 1 => format!("{name}: expected {min} or {m} arguments, got {got}"),
        Some(m) => format!("{name}: expected {min} to {m} arguments, got {got}"),
        None => format!("{name}: expected at least {min} {}, got {got}", plural(min)),
    }
}

/// An arity error value (see [`arity_message`]).
pub fn arity_err(name: &str, min: usize, max: Option<usize>, got: usize) -> Value {
    err(arity_message(name, min, max, got))
}

/// `integer overflow`.
pub fn overflow() -> Value {
    err("integer overflow")
}

/// `division by zero`.
pub fn div_zero() -> Value {
    err("division by zero")
}

/// `not callable: REPR`.
pub fn not_callable(v: &Value) -> Value {
    err(format!("not callable: {}", repr(v)))
}

/// `unbound name: NAME`.
pub fn unbound(name: &str) -> Value {
    err(format!("unbound name: {name}"))
}

/// `unknown io op "NAME"`.
pub fn unknown_op(op: &str) -> Value {
    err(format!("unknown io op {}", repr(&Value::str(op))))
}

/// `stack overflow`.
pub fn stack_overflow() -> Value {
    err("stack overflow")
}

/// `~card: unknown keyword :foo`.
pub fn unknown_keyword(component: &str, kw: &str) -> Value {
    err(format!("{component}: unknown keyword :{kw}"))
}

/// `OP: cannot store REPR`.
pub fn cannot_store(op: &str, v: &Value) -> Value {
    err(format!("{op}: cannot store {}", repr(v)))
}

/// The error raised when a message holds something that cannot be copied to
/// another process: `OP: cannot send REPR`.
pub fn cannot_send(op: &str, v: &Value) -> Value {
    err(format!("{op}: cannot send {}", repr(v)))
}

/// The message of a raised value: an error's message, otherwise the display form
/// of the value (what `error-message` and `try-call` report).
pub fn error_message(v: &Value) -> String {
    match v {
        Value::Error(e) => e.message.clone(),
        other => display(other),
    }
}

/// `(error msg irritant...)`: msg (display form) followed by the readable form of
/// each irritant, space separated.
pub fn error_with_irritants(msg: &Value, irritants: &[Value]) -> Value {
    let mut s = display(msg);
    for i in irritants {
        s.push(' ');
        s.push_str(&repr(i));
    }
    err(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        assert_eq!(error_message(&type_err("+", "number", &Value::str("x"))), "+: expected number, got \"x\"");
        assert_eq!(arity_message("f", 2, Some(2), 3), "f: expected 2 arguments, got 3");
        assert_eq!(arity_message("f", 1, Some(1), 0), "f: expected 1 argument, got 0");
        assert_eq!(arity_message("f", 1, None, 0), "f: expected at least 1 argument, got 0");
        assert_eq!(arity_message("f", 2, None, 0), "f: expected at least 2 arguments, got 0");
        assert_eq!(arity_message("f", 2, Some(3), 0), "f: expected 2 or 3 arguments, got 0");
        assert_eq!(error_message(&unknown_op("x/y")), "unknown io op \"x/y\"");
        assert_eq!(
            error_message(&error_with_irritants(&Value::str("msg"), &[Value::Int(1), Value::str("x")])),
            "msg 1 \"x\""
        );
        assert_eq!(error_message(&Value::Int(5)), "5");
        assert_eq!(error_message(&Value::str("boom")), "boom");
        assert_eq!(error_message(&unknown_keyword("~card", "foo")), "~card: unknown keyword :foo");
    }
}
