//! Arithmetic: checked 64-bit integers (overflow raises `integer overflow`),
//! IEEE floats, exact-when-possible `/`, `mod` with the divisor's sign.
//!
//! The two-argument helpers ([`add2`], [`sub2`], [`mul2`], [`div2`]) are the
//! fast paths: two integers or two floats take no allocation. The interpreter
//! may call them directly for binary arithmetic instructions.

use super::{def, int_arg, num_arg, PrimDef, PrimResult};
use crate::ctx::Ctx;
use crate::error::{div_zero, err, overflow, type_err};
use crate::value::Value;

/// The arithmetic primitives.
pub const DEFS: &[PrimDef] = &[
    def("+", 0, -1, true, add),
    def("-", 1, -1, true, sub),
    def("*", 0, -1, true, mul),
    def("/", 1, -1, true, div),
    def("quotient", 2, 2, true, quotient),
    def("remainder", 2, 2, true, remainder),
    def("mod", 2, 2, true, modulo),
    def("abs", 1, 1, true, abs),
    def("inc", 1, 1, true, inc),
    def("dec", 1, 1, true, dec),
    def("min", 1, -1, true, min),
    def("max", 1, -1, true, max),
    def("floor", 1, 1, true, floor),
    def("ceil", 1, 1, true, ceil),
    def("round", 1, 1, true, round),
    def("truncate", 1, 1, true, truncate),
    def("sqrt", 1, 1, true, sqrt),
    def("exp", 1, 1, true, exp),
    def("log", 1, 2, true, log),
    def("sin", 1, 1, true, sin),
    def("cos", 1, 1, true, cos),
    def("tan", 1, 1, true, tan),
    def("atan", 1, 2, true, atan),
    def("pow", 2, 2, true, pow),
    def("integer?", 1, 1, true, is_integer),
    def("float?", 1, 1, true, is_float),
    def("number?", 1, 1, true, is_number),
    def("zero?", 1, 1, true, is_zero),
    def("even?", 1, 1, true, is_even),
    def("odd?", 1, 1, true, is_odd),
    def("pos?", 1, 1, true, is_pos),
    def("neg?", 1, 1, true, is_neg),
    def("parse-int", 1, 1, true, parse_int),
    def("parse-float", 1, 1, true, parse_float),
    def("random-int", 1, 1, false, random_int),
];

macro_rules! binop {
    ($(#[$m:meta])* $name:ident, $op:literal, $checked:ident, $fop:tt) => {
        $(#[$m])*
        #[inline]
        pub fn $name(a: &Value, b: &Value) -> PrimResult {
            match (a, b) {
                (Value::Int(x), Value::Int(y)) => x.$checked(*y).map(Value::Int).ok_or_else(overflow),
                (Value::Float(x), Value::Float(y)) => Ok(Value::Float(x $fop y)),
                (Value::Int(x), Value::Float(y)) => Ok(Value::Float(*x as f64 $fop y)),
                (Value::Float(x), Value::Int(y)) => Ok(Value::Float(x $fop *y as f64)),
                (Value::Int(_) | Value::Float(_), _) => Err(type_err($op, "number", b)),
                _ => Err(type_err($op, "number", a)),
            }
        }
    };
}

binop!(
    /// `(+ a b)`.
    add2, "+", checked_add, +
);
binop!(
    /// `(- a b)`.
    sub2, "-", checked_sub, -
);
binop!(
    /// `(* a b)`.
    mul2, "*", checked_mul, *
);

/// `(/ a b)`: two integers give an integer when exact, else a float; integer
/// division by integer zero raises `division by zero`; floats follow IEEE.
#[inline]
pub fn div2(a: &Value, b: &Value) -> PrimResult {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => {
            if *y == 0 {
                Err(div_zero())
            } else if x.wrapping_rem(*y) == 0 {
                x.checked_div(*y).map(Value::Int).ok_or_else(overflow)
            } else {
                Ok(Value::Float(*x as f64 / *y as f64))
            }
        }
        _ => {
            let x = num_arg("/", a)?;
            let y = num_arg("/", b)?;
            Ok(Value::Float(x / y))
        }
    }
}

fn fold(name: &str, args: &[Value], init: Value, f: fn(&Value, &Value) -> PrimResult) -> PrimResult {
    match args {
        [] => Ok(init),
        [a] => {
            if a.is_number() {
                Ok(a.clone())
            } else {
                Err(type_err(name, "number", a))
            }
        }
        [a, b] => f(a, b),
        [a, rest @ ..] => {
            let mut acc = a.clone();
            for b in rest {
                acc = f(&acc, b)?;
            }
            Ok(acc)
        }
    }
}

fn add(_: &mut Ctx, args: &[Value]) -> PrimResult {
    fold("+", args, Value::Int(0), add2)
}

fn mul(_: &mut Ctx, args: &[Value]) -> PrimResult {
    fold("*", args, Value::Int(1), mul2)
}

fn sub(_: &mut Ctx, args: &[Value]) -> PrimResult {
    if let [a] = args {
        return match a {
            Value::Int(x) => x.checked_neg().map(Value::Int).ok_or_else(overflow),
            Value::Float(x) => Ok(Value::Float(-x)),
            _ => Err(type_err("-", "number", a)),
        };
    }
    fold("-", args, Value::Int(0), sub2)
}

fn div(_: &mut Ctx, args: &[Value]) -> PrimResult {
    if let [a] = args {
        return div2(&Value::Int(1), a);
    }
    fold("/", args, Value::Int(1), div2)
}

/// Shared shape of `quotient`/`remainder`/`mod`.
fn intdiv(name: &str, a: &Value, b: &Value, fi: fn(i64, i64) -> Option<i64>, ff: fn(f64, f64) -> f64) -> PrimResult {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => {
            if *y == 0 {
                Err(div_zero())
            } else {
                fi(*x, *y).map(Value::Int).ok_or_else(overflow)
            }
        }
        _ => Ok(Value::Float(ff(num_arg(name, a)?, num_arg(name, b)?))),
    }
}

fn quotient(_: &mut Ctx, a: &[Value]) -> PrimResult {
    intdiv("quotient", &a[0], &a[1], i64::checked_div, |x, y| (x / y).trunc())
}

fn remainder(_: &mut Ctx, a: &[Value]) -> PrimResult {
    // i64::MIN % -1 is 0 mathematically
    intdiv("remainder", &a[0], &a[1], |x, y| Some(x.wrapping_rem(y)), |x, y| x % y)
}

fn modulo(_: &mut Ctx, a: &[Value]) -> PrimResult {
    intdiv(
        "mod",
        &a[0],
        &a[1],
        |x, y| {
            let r = x.wrapping_rem(y);
            Some(if r != 0 && ((r < 0) != (y < 0)) { r + y } else { r })
        },
        |x, y| {
            let r = x % y;
            if r != 0.0 && ((r < 0.0) != (y < 0.0)) {
                r + y
            } else {
                r
            }
        },
    )
}

fn abs(_: &mut Ctx, a: &[Value]) -> PrimResult {
    match &a[0] {
        Value::Int(x) => x.checked_abs().map(Value::Int).ok_or_else(overflow),
        Value::Float(x) => Ok(Value::Float(x.abs())),
        v => Err(type_err("abs", "number", v)),
    }
}

fn inc(_: &mut Ctx, a: &[Value]) -> PrimResult {
    add2(&a[0], &Value::Int(1)).map_err(|e| if a[0].is_number() { e } else { type_err("inc", "number", &a[0]) })
}

fn dec(_: &mut Ctx, a: &[Value]) -> PrimResult {
    sub2(&a[0], &Value::Int(1)).map_err(|e| if a[0].is_number() { e } else { type_err("dec", "number", &a[0]) })
}

fn pick(name: &str, args: &[Value], want: std::cmp::Ordering) -> PrimResult {
    let mut best = &args[0];
    if !best.is_number() {
        return Err(type_err(name, "number", best));
    }
    for x in &args[1..] {
        if !x.is_number() {
            return Err(type_err(name, "number", x));
        }
        if crate::equal::num_cmp(x, best) == Some(want) {
            best = x;
        }
    }
    Ok(best.clone())
}

fn min(_: &mut Ctx, a: &[Value]) -> PrimResult {
    pick("min", a, std::cmp::Ordering::Less)
}

fn max(_: &mut Ctx, a: &[Value]) -> PrimResult {
    pick("max", a, std::cmp::Ordering::Greater)
}

/// Converts a float to an integer for `floor`/`ceil`/`round`/`truncate`.
fn to_int(name: &str, x: f64, orig: &Value) -> PrimResult {
    if !x.is_finite() {
        return Err(type_err(name, "finite number", orig));
    }
    if !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&x) {
        return Err(overflow());
    }
    Ok(Value::Int(x as i64))
}

fn rounding(name: &str, v: &Value, f: fn(f64) -> f64) -> PrimResult {
    match v {
        Value::Int(_) => Ok(v.clone()),
        Value::Float(x) => to_int(name, f(*x), v),
        _ => Err(type_err(name, "number", v)),
    }
}

fn floor(_: &mut Ctx, a: &[Value]) -> PrimResult {
    rounding("floor", &a[0], f64::floor)
}
fn ceil(_: &mut Ctx, a: &[Value]) -> PrimResult {
    rounding("ceil", &a[0], f64::ceil)
}
fn round(_: &mut Ctx, a: &[Value]) -> PrimResult {
    rounding("round", &a[0], f64::round)
}
fn truncate(_: &mut Ctx, a: &[Value]) -> PrimResult {
    rounding("truncate", &a[0], f64::trunc)
}

macro_rules! float_fn {
    ($fname:ident, $name:literal, $f:expr) => {
        fn $fname(_: &mut Ctx, a: &[Value]) -> PrimResult {
            let f: fn(f64) -> f64 = $f;
            Ok(Value::Float(f(num_arg($name, &a[0])?)))
        }
    };
}
float_fn!(sqrt, "sqrt", f64::sqrt);
float_fn!(exp, "exp", f64::exp);
float_fn!(sin, "sin", f64::sin);
float_fn!(cos, "cos", f64::cos);
float_fn!(tan, "tan", f64::tan);

fn log(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let x = num_arg("log", &a[0])?;
    match a.get(1) {
        None => Ok(Value::Float(x.ln())),
        Some(b) => Ok(Value::Float(x.ln() / num_arg("log", b)?.ln())),
    }
}

fn atan(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let y = num_arg("atan", &a[0])?;
    match a.get(1) {
        None => Ok(Value::Float(y.atan())),
        Some(x) => Ok(Value::Float(y.atan2(num_arg("atan", x)?))),
    }
}

/// `(pow a b)`: integer when both are integers and b >= 0 (checked), else float.
pub fn pow2(a: &Value, b: &Value) -> PrimResult {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) if *y >= 0 => {
            let mut result: i64 = 1;
            let mut base = *x;
            let mut e = *y as u64;
            while e > 0 {
                if e & 1 == 1 {
                    result = result.checked_mul(base).ok_or_else(overflow)?;
                }
                e >>= 1;
                if e > 0 {
                    base = match base.checked_mul(base) {
                        Some(b) => b,
                        None => return Err(overflow()),
                    };
                }
            }
            Ok(Value::Int(result))
        }
        _ => Ok(Value::Float(num_arg("pow", a)?.powf(num_arg("pow", b)?))),
    }
}

fn pow(_: &mut Ctx, a: &[Value]) -> PrimResult {
    match (&a[0], &a[1]) {
        // |base| <= 1 never overflows, whatever the exponent
        (Value::Int(x @ -1..=1), Value::Int(y)) if *y >= 0 => {
            Ok(Value::Int(match x {
                1 => 1,
                0 => i64::from(*y == 0),
                _ => if y % 2 == 1 { -1 } else { 1 },
            }))
        }
        (x, y) => pow2(x, y),
    }
}

fn is_integer(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(Value::Bool(matches!(a[0], Value::Int(_))))
}
fn is_float(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(Value::Bool(matches!(a[0], Value::Float(_))))
}
fn is_number(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(Value::Bool(a[0].is_number()))
}
fn is_zero(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(Value::Bool(num_arg("zero?", &a[0])? == 0.0))
}
fn is_even(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(Value::Bool(int_arg("even?", &a[0])? % 2 == 0))
}
fn is_odd(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(Value::Bool(int_arg("odd?", &a[0])? % 2 != 0))
}
fn is_pos(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(Value::Bool(num_arg("pos?", &a[0])? > 0.0))
}
fn is_neg(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(Value::Bool(num_arg("neg?", &a[0])? < 0.0))
}

/// `parse-int` text rule: optional sign then ASCII digits only; out of range ⇒ `None`.
pub fn parse_int_text(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok()
}

/// `parse-float` text rule: integer or float text (`12`, `-0.5`, `1e10`, `.5`, `2.`);
/// `inf`/`nan` words are not accepted.
pub fn parse_float_text(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let mut mant = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
        mant += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
            mant += 1;
        }
    }
    if mant == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    s.parse::<f64>().ok()
}

fn parse_int(_: &mut Ctx, a: &[Value]) -> PrimResult {
    match &a[0] {
        Value::Str(s) => Ok(parse_int_text(&s.s).map_or(Value::Nil, Value::Int)),
        Value::Int(_) => Ok(a[0].clone()),
        v => Err(type_err("parse-int", "string", v)),
    }
}

fn parse_float(_: &mut Ctx, a: &[Value]) -> PrimResult {
    match &a[0] {
        Value::Str(s) => Ok(parse_float_text(&s.s).map_or(Value::Nil, Value::Float)),
        Value::Int(i) => Ok(Value::Float(*i as f64)),
        Value::Float(_) => Ok(a[0].clone()),
        v => Err(type_err("parse-float", "string", v)),
    }
}

/// Next xorshift64* output; `state` must be non-zero and stays non-zero.
pub fn next_random(state: &mut u64) -> u64 {
    let mut x = *state;
    if x == 0 {
        x = 0x9E37_79B9_7F4A_7C15;
    }
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

fn random_int(ctx: &mut Ctx, a: &[Value]) -> PrimResult {
    let n = int_arg("random-int", &a[0])?;
    if n <= 0 {
        return Err(err(format!("random-int: expected positive integer, got {n}")));
    }
    Ok(Value::Int((next_random(&mut ctx.rng_state) % n as u64) as i64))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    #[test]
    fn basic_ops() {
        assert_eq!(run("+", &[]), "0");
        assert_eq!(run("+", &[i(1), i(2), i(3)]), "6");
        assert_eq!(run("+", &[i(1), f(2.5)]), "3.5");
        assert_eq!(run("*", &[]), "1");
        assert_eq!(run("*", &[i(2), i(3), f(0.5)]), "3.0");
        assert_eq!(run("-", &[i(5)]), "-5");
        assert_eq!(run("-", &[f(0.0)]), "-0.0");
        assert_eq!(run("-", &[i(10), i(1), i(2)]), "7");
        assert_eq!(run("+", &[i(1), s("x")]), "ERR: +: expected number, got \"x\"");
        assert_eq!(run("+", &[s("x"), i(1)]), "ERR: +: expected number, got \"x\"");
        assert_eq!(run("+", &[s("x")]), "ERR: +: expected number, got \"x\"");
        assert_eq!(run("-", &[i(1), Value::Nil]), "ERR: -: expected number, got nil");
        assert_eq!(run("-", &[s("x")]), "ERR: -: expected number, got \"x\"");
    }

    use crate::value::Value;

    #[test]
    fn overflow() {
        assert_eq!(run("+", &[i(i64::MAX), i(1)]), "ERR: integer overflow");
        assert_eq!(run("-", &[i(i64::MIN), i(1)]), "ERR: integer overflow");
        assert_eq!(run("-", &[i(i64::MIN)]), "ERR: integer overflow");
        assert_eq!(run("*", &[i(i64::MAX), i(2)]), "ERR: integer overflow");
        assert_eq!(run("abs", &[i(i64::MIN)]), "ERR: integer overflow");
        assert_eq!(run("inc", &[i(i64::MAX)]), "ERR: integer overflow");
        assert_eq!(run("dec", &[i(i64::MIN)]), "ERR: integer overflow");
        assert_eq!(run("/", &[i(i64::MIN), i(-1)]), "ERR: integer overflow");
        assert_eq!(run("quotient", &[i(i64::MIN), i(-1)]), "ERR: integer overflow");
        assert_eq!(run("remainder", &[i(i64::MIN), i(-1)]), "0");
        assert_eq!(run("pow", &[i(2), i(63)]), "ERR: integer overflow");
        assert_eq!(run("pow", &[i(2), i(62)]), "4611686018427387904");
        assert_eq!(run("pow", &[i(-2), i(63)]), "-9223372036854775808");
        assert_eq!(run("round", &[f(1e19)]), "ERR: integer overflow");
    }

    #[test]
    fn division() {
        assert_eq!(run("/", &[i(6), i(2)]), "3");
        assert_eq!(run("/", &[i(5), i(2)]), "2.5");
        assert_eq!(run("/", &[i(-6), i(4)]), "-1.5");
        assert_eq!(run("/", &[i(1), i(0)]), "ERR: division by zero");
        assert_eq!(run("/", &[i(1), f(0.0)]), "inf");
        assert_eq!(run("/", &[f(-1.0), i(0)]), "-inf");
        assert_eq!(run("/", &[f(0.0), f(0.0)]), "nan");
        assert_eq!(run("/", &[i(2)]), "0.5");
        assert_eq!(run("/", &[i(1)]), "1");
        assert_eq!(run("/", &[i(0)]), "ERR: division by zero");
        assert_eq!(run("/", &[i(12), i(2), i(3)]), "2");
        assert_eq!(run("quotient", &[i(7), i(2)]), "3");
        assert_eq!(run("quotient", &[i(-7), i(2)]), "-3");
        assert_eq!(run("quotient", &[i(7), i(0)]), "ERR: division by zero");
        assert_eq!(run("remainder", &[i(-7), i(2)]), "-1");
        assert_eq!(run("remainder", &[i(7), i(0)]), "ERR: division by zero");
        assert_eq!(run("mod", &[i(-7), i(2)]), "1");
        assert_eq!(run("mod", &[i(7), i(-2)]), "-1");
        assert_eq!(run("mod", &[i(-7), i(-2)]), "-1");
        assert_eq!(run("mod", &[i(7), i(2)]), "1");
        assert_eq!(run("mod", &[i(6), i(-3)]), "0");
        assert_eq!(run("mod", &[i(7), i(0)]), "ERR: division by zero");
        assert_eq!(run("mod", &[f(-7.5), i(2)]), "0.5");
        assert_eq!(run("mod", &[i(i64::MIN), i(-1)]), "0");
    }

    #[test]
    fn rounding_and_math() {
        assert_eq!(run("round", &[f(2.5)]), "3");
        assert_eq!(run("round", &[f(-2.5)]), "-3");
        assert_eq!(run("round", &[f(0.5)]), "1");
        assert_eq!(run("round", &[f(-0.5)]), "-1");
        assert_eq!(run("round", &[f(1.4)]), "1");
        assert_eq!(run("round", &[i(7)]), "7");
        assert_eq!(run("floor", &[f(-1.5)]), "-2");
        assert_eq!(run("ceil", &[f(-1.5)]), "-1");
        assert_eq!(run("ceil", &[f(1.2)]), "2");
        assert_eq!(run("truncate", &[f(-1.7)]), "-1");
        assert_eq!(run("floor", &[f(f64::NAN)]), "ERR: floor: expected finite number, got nan");
        assert_eq!(run("sqrt", &[i(16)]), "4.0");
        assert_eq!(run("pow", &[i(2), i(10)]), "1024");
        assert_eq!(run("pow", &[i(2), i(-1)]), "0.5");
        assert_eq!(run("pow", &[f(2.0), i(2)]), "4.0");
        assert_eq!(run("pow", &[i(1), i(1 << 40)]), "1");
        assert_eq!(run("pow", &[i(-1), i(1 << 40)]), "1");
        assert_eq!(run("pow", &[i(-1), i(3)]), "-1");
        assert_eq!(run("pow", &[i(0), i(0)]), "1");
        assert_eq!(run("pow", &[i(0), i(5)]), "0");
        assert_eq!(run("abs", &[f(-2.5)]), "2.5");
        assert_eq!(run("min", &[i(3), f(1.0), i(1)]), "1.0");
        assert_eq!(run("max", &[i(3), f(3.0)]), "3");
        assert_eq!(run("max", &[i(1), s("a")]), "ERR: max: expected number, got \"a\"");
        assert_eq!(run("exp", &[i(0)]), "1.0");
        assert_eq!(run("log", &[i(1)]), "0.0");
        assert_eq!(run("log", &[i(8), i(2)]), "3.0");
        assert_eq!(run("atan", &[i(0)]), "0.0");
    }

    #[test]
    fn predicates_and_parsing() {
        assert_eq!(run("integer?", &[i(1)]), "true");
        assert_eq!(run("integer?", &[f(1.0)]), "false");
        assert_eq!(run("float?", &[f(1.0)]), "true");
        assert_eq!(run("number?", &[s("1")]), "false");
        assert_eq!(run("zero?", &[f(0.0)]), "true");
        assert_eq!(run("even?", &[i(-4)]), "true");
        assert_eq!(run("odd?", &[i(-3)]), "true");
        assert_eq!(run("even?", &[f(2.0)]), "ERR: even?: expected integer, got 2.0");
        assert_eq!(run("pos?", &[i(0)]), "false");
        assert_eq!(run("neg?", &[f(-0.1)]), "true");
        assert_eq!(run("parse-int", &[s("42")]), "42");
        assert_eq!(run("parse-int", &[s("-42")]), "-42");
        assert_eq!(run("parse-int", &[s("+7")]), "7");
        assert_eq!(run("parse-int", &[s("4.5")]), "nil");
        assert_eq!(run("parse-int", &[s("")]), "nil");
        assert_eq!(run("parse-int", &[s("-")]), "nil");
        assert_eq!(run("parse-int", &[s(" 1")]), "nil");
        assert_eq!(run("parse-int", &[s("12a")]), "nil");
        assert_eq!(run("parse-int", &[s("99999999999999999999")]), "nil");
        assert_eq!(run("parse-float", &[s("4.5")]), "4.5");
        assert_eq!(run("parse-float", &[s("3")]), "3.0");
        assert_eq!(run("parse-float", &[s("-1e3")]), "-1000.0");
        assert_eq!(run("parse-float", &[s(".5")]), "0.5");
        assert_eq!(run("parse-float", &[s("inf")]), "nil");
        assert_eq!(run("parse-float", &[s("1e")]), "nil");
        assert_eq!(run("parse-float", &[s("abc")]), "nil");
        assert_eq!(run("parse-float", &[s("")]), "nil");
    }

    #[test]
    fn random() {
        let mut c = ctx();
        for _ in 0..1000 {
            let v = crate::prims::call_named(&mut c, "random-int", &[i(10)]).unwrap();
            let n = v.as_int().unwrap();
            assert!((0..10).contains(&n));
        }
        assert_eq!(run("random-int", &[i(0)]), "ERR: random-int: expected positive integer, got 0");
    }
}
