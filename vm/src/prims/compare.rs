//! Comparison: `= != < > <= >=` (variadic), `eq? equal? not`.
//!
//! `<` and friends compare numbers (exactly across int/float; any `nan` makes
//! the comparison false) or, when all arguments are strings, strings
//! (lexicographically by code point). The two-argument helpers ([`lt2`] ...)
//! are the allocation-free fast paths for the interpreter.

use super::{def, PrimDef, PrimResult};
use crate::ctx::Ctx;
use crate::equal::{eq, equal, num_cmp};
use crate::error::type_err;
use crate::value::Value;
use std::cmp::Ordering;

/// The comparison primitives.
pub const DEFS: &[PrimDef] = &[
    def("=", 1, -1, true, prim_equal),
    def("equal?", 1, -1, true, prim_equal),
    def("!=", 1, -1, true, not_equal),
    def("<", 1, -1, true, lt),
    def(">", 1, -1, true, gt),
    def("<=", 1, -1, true, le),
    def(">=", 1, -1, true, ge),
    def("eq?", 2, 2, true, prim_eq),
    def("not", 1, 1, true, not),
];

/// Orders two values for `<`-style comparisons: `Ok(None)` when unordered (nan).
#[inline]
pub fn compare2(name: &str, a: &Value, b: &Value) -> Result<Option<Ordering>, Value> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Ok(Some(x.cmp(y))),
        (Value::Float(x), Value::Float(y)) => Ok(x.partial_cmp(y)),
        (Value::Str(x), Value::Str(y)) => Ok(Some(x.s.cmp(&y.s))),
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => Ok(num_cmp(a, b)),
        (Value::Str(_), _) => Err(type_err(name, "string", b)),
        (Value::Int(_) | Value::Float(_), _) => Err(type_err(name, "number", b)),
        _ => Err(type_err(name, "number", a)),
    }
}

macro_rules! cmp2 {
    ($(#[$m:meta])* $f:ident, $name:literal, $iop:tt, $test:expr) => {
        $(#[$m])*
        #[inline]
        pub fn $f(a: &Value, b: &Value) -> PrimResult {
            match (a, b) {
                (Value::Int(x), Value::Int(y)) => Ok(Value::Bool(x $iop y)),
                (Value::Float(x), Value::Float(y)) => Ok(Value::Bool(x $iop y)),
                _ => {
                    let t: fn(Ordering) -> bool = $test;
                    Ok(Value::Bool(compare2($name, a, b)?.is_some_and(t)))
                }
            }
        }
    };
}

cmp2!(
    /// `(< a b)`.
    lt2, "<", <, |o| o == Ordering::Less
);
cmp2!(
    /// `(> a b)`.
    gt2, ">", >, |o| o == Ordering::Greater
);
cmp2!(
    /// `(<= a b)`.
    le2, "<=", <=, |o| o != Ordering::Greater
);
cmp2!(
    /// `(>= a b)`.
    ge2, ">=", >=, |o| o != Ordering::Less
);

/// `(= a b)` with the two-integer / two-float fast path.
#[inline]
pub fn eq2(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        _ => equal(a, b),
    }
}

fn chain(args: &[Value], f: fn(&Value, &Value) -> PrimResult, name: &str) -> PrimResult {
    if let [a] = args {
        // type-check the lone argument
        compare2(name, a, a)?;
        return Ok(Value::Bool(true));
    }
    let mut result = true;
    for w in args.windows(2) {
        // keep checking types after a false result, like a full evaluation would
        if !f(&w[0], &w[1])?.is_truthy() {
            result = false;
        }
    }
    Ok(Value::Bool(result))
}

fn lt(_: &mut Ctx, a: &[Value]) -> PrimResult {
    if let [x, y] = a {
        return lt2(x, y);
    }
    chain(a, lt2, "<")
}
fn gt(_: &mut Ctx, a: &[Value]) -> PrimResult {
    if let [x, y] = a {
        return gt2(x, y);
    }
    chain(a, gt2, ">")
}
fn le(_: &mut Ctx, a: &[Value]) -> PrimResult {
    if let [x, y] = a {
        return le2(x, y);
    }
    chain(a, le2, "<=")
}
fn ge(_: &mut Ctx, a: &[Value]) -> PrimResult {
    if let [x, y] = a {
        return ge2(x, y);
    }
    chain(a, ge2, ">=")
}

fn all_equal(a: &[Value]) -> bool {
    a.windows(2).all(|w| eq2(&w[0], &w[1]))
}

fn prim_equal(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(Value::Bool(all_equal(a)))
}
fn not_equal(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(Value::Bool(!all_equal(a)))
}
fn prim_eq(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(Value::Bool(eq(&a[0], &a[1])))
}
fn not(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(Value::Bool(!a[0].is_truthy()))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use crate::value::Value;

    #[test]
    fn comparisons() {
        assert_eq!(run("=", &[i(1), f(1.0)]), "true");
        assert_eq!(run("=", &[i(1), i(1), i(2)]), "false");
        assert_eq!(run("=", &[ints(&[1, 2]), l(vec![i(1), f(2.0)])]), "true");
        assert_eq!(run("!=", &[i(1), i(2)]), "true");
        assert_eq!(run("!=", &[i(1), i(1)]), "false");
        assert_eq!(run("<", &[i(1), i(2), i(3)]), "true");
        assert_eq!(run("<", &[i(1), i(3), i(2)]), "false");
        assert_eq!(run("<", &[i(1), f(1.5)]), "true");
        assert_eq!(run("<=", &[i(2), f(2.0)]), "true");
        assert_eq!(run(">", &[f(3.0), i(2)]), "true");
        assert_eq!(run(">=", &[i(1), i(2)]), "false");
        assert_eq!(run("<", &[s("abc"), s("abd")]), "true");
        assert_eq!(run(">", &[s("b"), s("a")]), "true");
        assert_eq!(run("<", &[i(1), s("a")]), "ERR: <: expected number, got \"a\"");
        assert_eq!(run("<", &[s("a"), i(1)]), "ERR: <: expected string, got 1");
        assert_eq!(run("<", &[Value::Nil, i(1)]), "ERR: <: expected number, got nil");
        assert_eq!(run("<", &[f(f64::NAN), i(1)]), "false");
        assert_eq!(run(">=", &[f(f64::NAN), f(f64::NAN)]), "false");
        assert_eq!(run("<", &[i(1)]), "true");
        assert_eq!(run("<", &[i(i64::MAX - 1), f(9.223372036854775807e18)]), "true");
        assert_eq!(run("eq?", &[i(1), i(1)]), "true");
        assert_eq!(run("eq?", &[s("a"), s("a")]), "false");
        assert_eq!(run("equal?", &[s("a"), s("a")]), "true");
        assert_eq!(run("not", &[Value::Nil]), "true");
        assert_eq!(run("not", &[i(0)]), "false");
    }
}
