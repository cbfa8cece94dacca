//! Builtin primitives: the ABI every primitive follows and the registry.
//!
//! A primitive is a plain Rust function over a slice of argument values; it
//! never calls back into SX (higher-order library functions are written in SX
//! in the prelude, so a callback that performs suspends through them).
//!
//! Callers check arity against [`PrimDef::min`]/[`PrimDef::max`] before calling
//! [`PrimDef::func`] (or use [`call`], which does); primitive bodies index their
//! arguments assuming the bounds hold.

use crate::ctx::Ctx;
use crate::error::{arity_err, type_err};
use crate::value::{Dict, List, PrimId, Value};
use rustc_hash::FxHashMap;
use std::rc::Rc;
use std::sync::OnceLock;

pub mod arith;
pub mod compare;
pub mod dicts;
pub mod io;
pub mod lists;
pub mod misc;
pub mod predicates;
pub mod procs;
pub mod strings;

/// `Ok(result)` or `Err(raised value)` (normally an error value made by [`crate::error::err`]).
pub type PrimResult = Result<Value, Value>;

/// A primitive's implementation.
pub type PrimFn = fn(&mut Ctx, &[Value]) -> PrimResult;

/// The in-place entry point of an update primitive: `owned` is the argument
/// [`Consume::arg`] names, passed by value; `others` are the remaining
/// arguments in order. When `owned` is the only reference to its collection
/// (`Rc::strong_count == 1`), the primitive may change that collection in
/// place and return it; otherwise it copies, exactly as [`PrimDef::func`].
pub type OwnedPrimFn = fn(ctx: &mut Ctx, owned: Value, others: &[Value]) -> PrimResult;

/// Which argument of a primitive may be consumed, and the entry point that
/// takes it owned (see [`OwnedPrimFn`]).
///
/// The convention every tier follows: a caller that holds the argument's
/// value at its last use (the register or SSA value is not read again) and
/// can give its reference away calls `func` with it; any other caller calls
/// [`PrimDef::func`], which never changes an argument. Either way the result
/// is the same value; only the cost differs (amortised O(1) instead of a copy
/// of the collection). `arg` is the first or the last argument, so `others`
/// is one contiguous run of the argument list.
#[derive(Clone, Copy)]
pub struct Consume {
    /// [`ConsumedArg::First`] or [`ConsumedArg::Last`].
    pub arg: ConsumedArg,
    /// The in-place entry point.
    pub func: OwnedPrimFn,
}

/// The position of the consumed argument.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ConsumedArg {
    /// Argument 0 (`append`, `assoc`, `dissoc`, `merge`).
    First,
    /// The last argument (`cons`).
    Last,
}

impl Consume {
    /// The index of the consumed argument in a call with `n` arguments.
    #[inline]
    pub fn index(self, n: usize) -> usize {
        match self.arg {
            ConsumedArg::First => 0,
            ConsumedArg::Last => n - 1,
        }
    }
    /// The arguments other than the consumed one (`args` has `n >= 1` values).
    #[inline]
    pub fn others<T>(self, args: &[T]) -> &[T] {
        match self.arg {
            ConsumedArg::First => &args[1..],
            ConsumedArg::Last => &args[..args.len() - 1],
        }
    }
}

/// One builtin: its SX name, arity bounds (`max: None` = variadic), and whether it is
/// pure (no side effects, cannot raise for well-typed args — eligible for constant folding).
///
/// In this table `pure` additionally means the result is an immutable value
/// (number, string, boolean, symbol, keyword, nil): primitives that return a
/// fresh list or dict are not pure, because folding them would share one
/// mutable object between evaluations. Folding must still give up when the
/// call returns `Err` (e.g. `integer overflow`).
#[derive(Clone, Copy)]
pub struct PrimDef {
    pub name: &'static str,
    pub min: usize,
    pub max: Option<usize>,
    pub pure: bool,
    pub func: PrimFn,
    /// For the functional update primitives (`cons`, `append`, `assoc`,
    /// `dissoc`, `merge`): the argument they may update in place when given
    /// it owned and unshared ([`Consume`]); `None` for every other primitive.
    pub consume: Option<Consume>,
}

/// Shorthand constructor for the static tables: `max < 0` means variadic.
pub(crate) const fn def(name: &'static str, min: usize, max: isize, pure: bool, func: PrimFn) -> PrimDef {
    PrimDef { name, min, max: if max < 0 { None } else { Some(max as usize) }, pure, func, consume: None }
}

/// [`def`] for an update primitive that may consume argument `arg` (see [`Consume`]).
pub(crate) const fn def_consuming(
    name: &'static str,
    min: usize,
    max: isize,
    func: PrimFn,
    arg: ConsumedArg,
    owned: OwnedPrimFn,
) -> PrimDef {
    PrimDef { consume: Some(Consume { arg, func: owned }), ..def(name, min, max, false, func) }
}

struct Registry {
    defs: Vec<PrimDef>,
    by_name: FxHashMap<&'static str, PrimId>,
}

fn registry() -> &'static Registry {
    static REG: OnceLock<Registry> = OnceLock::new();
    REG.get_or_init(|| {
        let tables: &[&'static [PrimDef]] = &[
            arith::DEFS,
            compare::DEFS,
            strings::DEFS,
            lists::DEFS,
            dicts::DEFS,
            predicates::DEFS,
            misc::DEFS,
            io::DEFS,
            crate::html::DEFS,
            crate::html::TAG_DEFS,
            procs::DEFS,
        ];
        let mut defs = Vec::new();
        let mut by_name = FxHashMap::default();
        for t in tables {
            for d in t.iter() {
                let id = PrimId(defs.len() as u32);
                let prev = by_name.insert(d.name, id);
                assert!(prev.is_none(), "duplicate primitive {}", d.name);
                // `ConsumedArg::Last` needs a fixed argument count.
                assert!(
                    d.consume.is_none_or(|c| c.arg == ConsumedArg::First || (d.min >= 1 && d.max == Some(d.min))),
                    "primitive {} consumes its last argument but is variadic",
                    d.name
                );
                defs.push(*d);
            }
        }
        Registry { defs, by_name }
    })
}

/// Every builtin, indexed by [`PrimId`] (the order is stable for one build).
pub fn builtins() -> &'static [PrimDef] {
    &registry().defs
}

/// The id of the builtin named `name`.
pub fn lookup(name: &str) -> Option<PrimId> {
    registry().by_name.get(name).copied()
}

/// The builtin with id `id`. Panics on an id not made by [`lookup`]/[`builtins`].
pub fn get(id: PrimId) -> &'static PrimDef {
    &registry().defs[id.0 as usize]
}

/// Checks `argc` against `def`'s arity (the `NAME: expected N arguments, got M` error).
#[inline]
pub fn check_arity(def: &PrimDef, argc: usize) -> Result<(), Value> {
    if argc < def.min || def.max.is_some_and(|m| argc > m) {
        return Err(arity_err(def.name, def.min, def.max, argc));
    }
    Ok(())
}

/// Calls builtin `id` with `args` after checking arity.
pub fn call(ctx: &mut Ctx, id: PrimId, args: &[Value]) -> PrimResult {
    let d = get(id);
    check_arity(d, args.len())?;
    (d.func)(ctx, args)
}

/// Calls the builtin named `name` (tests and hosts; panics if there is none).
pub fn call_named(ctx: &mut Ctx, name: &str, args: &[Value]) -> PrimResult {
    let id = lookup(name).unwrap_or_else(|| panic!("no primitive {name}"));
    call(ctx, id, args)
}

// ------------------------------------------------------------ argument helpers

/// An integer argument or `NAME: expected integer, got REPR`.
#[inline]
pub(crate) fn int_arg(name: &str, v: &Value) -> Result<i64, Value> {
    match v {
        Value::Int(i) => Ok(*i),
        _ => Err(type_err(name, "integer", v)),
    }
}

/// A non-negative count/index argument (integer; negative clamps to 0).
pub(crate) fn index_arg(name: &str, v: &Value) -> Result<usize, Value> {
    Ok(int_arg(name, v)?.max(0) as usize)
}

/// A number argument as f64.
#[inline]
pub(crate) fn num_arg(name: &str, v: &Value) -> Result<f64, Value> {
    v.as_f64().ok_or_else(|| type_err(name, "number", v))
}

/// A string argument.
#[inline]
pub(crate) fn str_arg<'a>(name: &str, v: &'a Value) -> Result<&'a str, Value> {
    match v {
        Value::Str(s) => Ok(&s.s),
        _ => Err(type_err(name, "string", v)),
    }
}

/// A list argument (`nil` is not accepted; see [`items_arg`]).
#[inline]
pub(crate) fn list_arg<'a>(name: &str, v: &'a Value) -> Result<&'a Rc<List>, Value> {
    match v {
        Value::List(l) => Ok(l),
        _ => Err(type_err(name, "list", v)),
    }
}

/// The elements of a list argument; `nil` counts as the empty list.
pub(crate) fn items_arg(name: &str, v: &Value) -> Result<Vec<Value>, Value> {
    match v {
        Value::List(l) => Ok(l.to_vec()),
        Value::Nil => Ok(Vec::new()),
        _ => Err(type_err(name, "list", v)),
    }
}

/// A dict argument.
#[inline]
pub(crate) fn dict_arg<'a>(name: &str, v: &'a Value) -> Result<&'a Rc<Dict>, Value> {
    match v {
        Value::Dict(d) => Ok(d),
        _ => Err(type_err(name, "dict", v)),
    }
}

/// A dict key argument: a string, or a keyword by its name.
#[inline]
pub(crate) fn key_arg<'a>(name: &str, v: &'a Value) -> Result<&'a str, Value> {
    match v {
        Value::Str(s) => Ok(&s.s),
        Value::Keyword(k) => Ok(k.name()),
        _ => Err(type_err(name, "string or keyword", v)),
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Helpers for primitive tests: run by name, compare printed results.
    use super::*;
    use crate::print::repr;

    /// A context whose output is discarded.
    pub fn ctx() -> Ctx {
        Ctx::with_output(Box::new(std::io::sink()), Box::new(std::io::sink()))
    }
    /// Calls `name` and returns the repr of the result, or `ERR: message`.
    pub fn run(name: &str, args: &[Value]) -> String {
        match call_named(&mut ctx(), name, args) {
            Ok(v) => repr(&v),
            Err(e) => format!("ERR: {}", crate::error::error_message(&e)),
        }
    }
    pub fn i(n: i64) -> Value {
        Value::Int(n)
    }
    pub fn f(x: f64) -> Value {
        Value::Float(x)
    }
    pub fn s(x: &str) -> Value {
        Value::str(x)
    }
    pub fn l(v: Vec<Value>) -> Value {
        Value::list(v)
    }
    pub fn ints(v: &[i64]) -> Value {
        Value::list(v.iter().map(|&n| Value::Int(n)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_lookup_and_arity() {
        let id = lookup("+").unwrap();
        assert_eq!(get(id).name, "+");
        assert!(lookup("map").is_none(), "map is prelude, not a primitive nor a tag");
        let car = lookup("first").unwrap();
        let e = call(&mut testutil::ctx(), car, &[]).unwrap_err();
        assert_eq!(crate::error::error_message(&e), "first: expected 1 argument, got 0");
        assert!(builtins().len() > 150);
    }
}
