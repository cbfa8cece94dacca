//! Thin adapters over the value/primitive API used by the compiler and the
//! interpreter (one place to follow changes of that API).

use crate::prims::PrimDef;
use crate::value::{PrimId, Value};

/// A fresh error value with `msg`.
#[inline(never)]
pub fn error(msg: impl Into<String>) -> Value {
    crate::error::err(msg)
}

/// A new list.
#[inline]
pub fn list(items: Vec<Value>) -> Value {
    Value::list(items)
}

/// The elements of a list value (`nil` counts as the empty list).
pub fn list_items(v: &Value) -> Option<Vec<Value>> {
    match v {
        Value::Nil => Some(Vec::new()),
        _ => v.list_items(),
    }
}

/// A string value.
pub fn string(s: &str) -> Value {
    Value::str(s)
}

/// A symbol value.
pub fn symbol(s: &str) -> Value {
    Value::sym(s)
}

/// A keyword value.
pub fn keyword(s: &str) -> Value {
    Value::kw(s)
}

/// The name of a keyword value.
pub fn keyword_name(v: &Value) -> Option<&'static str> {
    match v {
        Value::Keyword(s) => Some(s.name()),
        _ => None,
    }
}

/// The readable form of a value.
pub fn repr(v: &Value) -> String {
    crate::print::repr(v)
}

/// The message of a raised value (an error's message, else its display form).
pub fn error_message(v: &Value) -> String {
    crate::error::error_message(v)
}

/// The id of a builtin.
pub fn prim_lookup(name: &str) -> Option<PrimId> {
    crate::prims::lookup(name)
}

/// The definition of a builtin.
#[inline]
pub fn prim_def(id: PrimId) -> &'static PrimDef {
    crate::prims::get(id)
}

/// The name of a builtin by raw id (for the disassembler).
pub fn prim_name(p: u16) -> String {
    crate::prims::builtins().get(p as usize).map(|d| d.name.to_string()).unwrap_or_else(|| format!("prim{p}"))
}

/// The `NAME: expected N arguments, got M` message.
pub fn arity_message(name: &str, min: usize, max: Option<usize>, got: usize) -> String {
    crate::error::arity_message(name, min, max, got)
}

/// Converts a quoted datum to a value.
pub fn datum_value(d: &frontend::Datum) -> Value {
    crate::convert::datum_to_value(d)
}
