//! Thin adapters over the value/primitive API used by the compiler and the
//! interpreter (one place to follow changes of that API).

use crate::prims::PrimDef;
use crate::value::{ErrorObj, List, PrimId, SxStr, Value};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// A fresh error value with `msg`.
pub fn error(msg: impl Into<String>) -> Value {
    Value::Error(Rc::new(ErrorObj { message: msg.into(), backtrace: RefCell::new(Vec::new()) }))
}

/// A new list.
pub fn list(items: Vec<Value>) -> Value {
    let n = items.len();
    Value::List(Rc::new(List { data: RefCell::new(Rc::new(RefCell::new(items))), start: Cell::new(0), end: Cell::new(n) }))
}

/// The elements of a list value.
pub fn list_items(v: &Value) -> Option<Vec<Value>> {
    match v {
        Value::List(l) => {
            let data = l.data.borrow();
            let d = data.borrow();
            Some(d[l.start.get()..l.end.get()].to_vec())
        }
        Value::Nil => Some(Vec::new()),
        _ => None,
    }
}

/// A string value.
pub fn string(s: &str) -> Value {
    Value::Str(Rc::new(SxStr { s: s.into(), char_len: Cell::new(u32::MAX) }))
}

/// A symbol value.
pub fn symbol(_s: &str) -> Value {
    Value::Symbol(crate::value::Sym(0))
}

/// A keyword value.
pub fn keyword(_s: &str) -> Value {
    Value::Keyword(crate::value::Sym(0))
}

/// The name of a keyword value.
pub fn keyword_name(v: &Value) -> Option<String> {
    match v {
        Value::Keyword(s) => Some(format!("k{}", s.0)),
        _ => None,
    }
}

/// The readable form of a value.
pub fn repr(v: &Value) -> String {
    match v {
        Value::Nil => "nil".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Str(s) => format!("{:?}", &*s.s),
        Value::Closure(c) => match &c.proto.name {
            Some(n) => format!("#<lambda {n}>"),
            None => "#<lambda>".into(),
        },
        Value::Error(e) => format!("#<error {:?}>", e.message),
        other => format!("{other:?}"),
    }
}

/// The message of a raised value (an error's message, else its display form).
pub fn error_message(v: &Value) -> String {
    match v {
        Value::Error(e) => e.message.clone(),
        Value::Str(s) => s.s.to_string(),
        other => repr(other),
    }
}

/// The id of a builtin.
pub fn prim_lookup(_name: &str) -> Option<PrimId> {
    None
}

/// The definition of a builtin.
pub fn prim_def(_id: PrimId) -> &'static PrimDef {
    panic!("no primitives yet")
}

/// The `NAME: expected N arguments, got M` message.
pub fn arity_message(name: &str, min: usize, max: Option<usize>, got: usize) -> String {
    let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
    match max {
        Some(m) if m == min => format!("{name}: expected {min} {}, got {got}", plural(min)),
        Some(m) if m == min + 1 => format!("{name}: expected {min} or {m} arguments, got {got}"),
        Some(m) => format!("{name}: expected {min} to {m} arguments, got {got}"),
        None => format!("{name}: expected at least {min} {}, got {got}", plural(min)),
    }
}

/// Converts a quoted datum to a value.
pub fn datum_value(_d: &frontend::Datum) -> Value {
    Value::Nil
}

/// The name of a builtin by raw id (for the disassembler).
pub fn prim_name(p: u16) -> String {
    let _ = p;
    format!("prim{p}")
}
