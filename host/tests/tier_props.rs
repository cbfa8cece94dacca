//! Tier equivalence on generated arithmetic programs: the interpreter tier
//! (source → IR → optimised IR → bytecode → run) must agree with a direct
//! reference evaluation of the same expression tree in Rust, including which
//! programs raise `integer overflow` or `division by zero`. When the JIT tier
//! exists it joins this comparison.

use proptest::prelude::*;
use host::testing::SharedBuf;
use vm::ctx::Ctx;
use vm::isolate::{Isolate, NoIo};

/// An arithmetic expression over integers, with variables bound by `let`.
#[derive(Clone, Debug)]
enum E {
    Int(i64),
    Var(usize),
    Bin(&'static str, Box<E>, Box<E>),
    Neg(Box<E>),
    If(&'static str, Box<E>, Box<E>, Box<E>, Box<E>),
    Let(Box<E>, Box<E>),
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Value(i64),
    Error(String),
}

fn eval(e: &E, env: &mut Vec<i64>) -> Result<i64, String> {
    let overflow = || "integer overflow".to_string();
    Ok(match e {
        E::Int(n) => *n,
        E::Var(i) => env[env.len() - 1 - (*i % env.len())],
        E::Neg(a) => eval(a, env)?.checked_neg().ok_or_else(overflow)?,
        E::Bin(op, a, b) => {
            let (x, y) = (eval(a, env)?, eval(b, env)?);
            match *op {
                "+" => x.checked_add(y).ok_or_else(overflow)?,
                "-" => x.checked_sub(y).ok_or_else(overflow)?,
                "*" => x.checked_mul(y).ok_or_else(overflow)?,
                "quotient" | "remainder" | "mod" if y == 0 => return Err("division by zero".into()),
                "quotient" => x.checked_div(y).ok_or_else(overflow)?,
                // i64::MIN rem -1 is 0 (representable); only the quotient overflows.
                "remainder" => x.wrapping_rem(y),
                // mod takes the sign of the divisor (floored modulo).
                "mod" => {
                    let r = x.wrapping_rem(y);
                    if r != 0 && ((r < 0) != (y < 0)) { r + y } else { r }
                }
                "max" => x.max(y),
                "min" => x.min(y),
                _ => unreachable!(),
            }
        }
        E::If(cmp, a, b, t, f) => {
            let (x, y) = (eval(a, env)?, eval(b, env)?);
            let c = match *cmp {
                "<" => x < y,
                "<=" => x <= y,
                ">" => x > y,
                ">=" => x >= y,
                "=" => x == y,
                _ => unreachable!(),
            };
            if c { eval(t, env)? } else { eval(f, env)? }
        }
        E::Let(init, body) => {
            let v = eval(init, env)?;
            env.push(v);
            let r = eval(body, env);
            env.pop();
            r?
        }
    })
}

fn to_sx(e: &E, depth: usize, out: &mut String) {
    match e {
        E::Int(n) => out.push_str(&n.to_string()),
        E::Var(i) => out.push_str(&format!("x{}", depth - 1 - (*i % depth))),
        E::Neg(a) => {
            out.push_str("(- ");
            to_sx(a, depth, out);
            out.push(')');
        }
        E::Bin(op, a, b) => {
            out.push_str(&format!("({op} "));
            to_sx(a, depth, out);
            out.push(' ');
            to_sx(b, depth, out);
            out.push(')');
        }
        E::If(cmp, a, b, t, f) => {
            out.push_str(&format!("(if ({cmp} "));
            to_sx(a, depth, out);
            out.push(' ');
            to_sx(b, depth, out);
            out.push_str(") ");
            to_sx(t, depth, out);
            out.push(' ');
            to_sx(f, depth, out);
            out.push(')');
        }
        E::Let(init, body) => {
            out.push_str(&format!("(let ((x{depth} "));
            to_sx(init, depth, out);
            out.push_str(")) ");
            to_sx(body, depth + 1, out);
            out.push(')');
        }
    }
}

fn expr() -> impl Strategy<Value = E> {
    let leaf = prop_oneof![
        (-20i64..20).prop_map(E::Int),
        prop_oneof![Just(i64::MAX), Just(i64::MIN), Just(i64::MAX / 2), Just(-3037000500i64)].prop_map(E::Int),
        (0usize..4).prop_map(E::Var),
    ];
    leaf.prop_recursive(5, 48, 4, |inner| {
        let ops = prop_oneof![
            Just("+"), Just("-"), Just("*"), Just("quotient"), Just("remainder"), Just("mod"), Just("max"), Just("min")
        ];
        let cmps = prop_oneof![Just("<"), Just("<="), Just(">"), Just(">="), Just("=")];
        prop_oneof![
            (ops, inner.clone(), inner.clone()).prop_map(|(o, a, b)| E::Bin(o, Box::new(a), Box::new(b))),
            inner.clone().prop_map(|a| E::Neg(Box::new(a))),
            (cmps, inner.clone(), inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, a, b, t, f)| E::If(c, Box::new(a), Box::new(b), Box::new(t), Box::new(f))),
            (inner.clone(), inner).prop_map(|(i, b)| E::Let(Box::new(i), Box::new(b))),
        ]
    })
}

/// Runs `(define (f x0) BODY) (println (f SEED))` in the interpreter tier.
/// Wrapping in a function keeps the optimiser from folding everything away.
fn run_interp(isolate: &mut Isolate, out: &SharedBuf, body: &str, seed: i64) -> Outcome {
    out.0.borrow_mut().clear();
    let src = format!("(define (f x0) {body})\n(println (f {seed}))\n");
    let mut fiber = isolate.compile_file("gen.sx", &src).unwrap_or_else(|d| panic!("{}: {}\n{src}", d.id, d.message));
    match isolate.run(&mut fiber, &mut NoIo) {
        Ok(_) => {
            let text = String::from_utf8(out.0.borrow().clone()).unwrap();
            Outcome::Value(text.trim().parse().unwrap_or_else(|_| panic!("not an integer: {text:?}\n{src}")))
        }
        Err(e) => Outcome::Error(e.message),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn interpreter_agrees_with_reference_evaluator(e in expr(), seed in -50i64..50) {
        let out = SharedBuf::default();
        let mut isolate = Isolate::new(Ctx::with_output(Box::new(out.clone()), Box::new(std::io::sink())));
        let mut body = String::new();
        to_sx(&e, 1, &mut body);
        let expected = match eval(&e, &mut vec![seed]) {
            Ok(v) => Outcome::Value(v),
            Err(m) => Outcome::Error(m),
        };
        let got = run_interp(&mut isolate, &out, &body, seed);
        prop_assert_eq!(got, expected, "program: {}", body);
    }
}
