//! The interpreter's float fast paths (`add sub mul div`, the compares, the
//! immediate forms, `math`) give exactly what the primitives give — the
//! reference — for floats, integers and their mixes, including -0.0, the
//! infinities, NaN and the integer errors (overflow, division by zero).

use crate::common::*;
use proptest::prelude::*;
use vm::value::Value;

/// A number and an SX expression that makes it at run time (so the
/// optimiser cannot fold the operation away).
fn number() -> impl Strategy<Value = (Value, String)> {
    prop_oneof![
        (-4i64..5).prop_map(|i| (Value::Int(i), i.to_string())),
        prop_oneof![Just(i64::MAX), Just(i64::MIN)].prop_map(|i| (Value::Int(i), i.to_string())),
        prop_oneof![Just(0.0f64), Just(1.5), Just(-2.25), Just(3.0), Just(1e308), Just(0.1)]
            .prop_map(|x| (Value::Float(x), format!("{x:?}"))),
        Just((Value::Float(-0.0), "(- 0.0)".to_string())),
        Just((Value::Float(f64::INFINITY), "(/ 1.0 0.0)".to_string())),
        Just((Value::Float(f64::NEG_INFINITY), "(/ -1.0 0.0)".to_string())),
        Just((Value::Float(f64::NAN), "(/ 0.0 0.0)".to_string())),
    ]
}

const BINARY: &[&str] = &["+", "-", "*", "/", "<", ">", "<=", ">=", "=", "!="];
const UNARY: &[&str] = &["sqrt", "exp", "log", "sin", "cos", "tan", "atan", "abs", "inc", "dec"];
/// `(OP a IMM)` forms that compile to immediate instructions.
const IMM: &[(&str, i64)] = &[("+", 1), ("-", 3), ("<", 2), (">=", -1), (">", 0), ("=", 1)];

/// The primitive's answer: its printed result or `ERR message`.
fn reference(op: &str, args: &[Value]) -> String {
    let mut ctx = vm::ctx::Ctx::with_output(Box::new(std::io::sink()), Box::new(std::io::sink()));
    match vm::prims::call_named(&mut ctx, op, args) {
        Ok(v) => vm::print::repr(&v),
        Err(e) => format!("ERR {}", vm::error::error_message(&e)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn fast_paths_agree_with_the_primitives((a, sa) in number(), (b, sb) in number()) {
        let mut calls = Vec::new();
        let mut expected = String::new();
        for op in BINARY {
            calls.push(format!("({op} a b)"));
            expected += &reference(op, &[a.clone(), b.clone()]);
            expected.push('\n');
        }
        for op in UNARY {
            calls.push(format!("({op} a)"));
            expected += &reference(op, &[a.clone()]);
            expected.push('\n');
        }
        for (op, k) in IMM {
            calls.push(format!("({op} a {k})"));
            expected += &reference(op, &[a.clone(), Value::Int(*k)]);
            expected.push('\n');
        }
        // Compares feeding a branch compile to fused compare-and-branch
        // instructions (register and immediate forms).
        let branch = |r: String| match r.as_str() {
            "true" => ":t".to_string(),
            "false" => ":f".to_string(),
            _ => r,
        };
        for op in &BINARY[4..] {
            calls.push(format!("(if ({op} a b) :t :f)"));
            expected += &branch(reference(op, &[a.clone(), b.clone()]));
            expected.push('\n');
        }
        for (op, k) in &IMM[2..] {
            calls.push(format!("(if ({op} a {k}) :t :f)"));
            expected += &branch(reference(op, &[a.clone(), Value::Int(*k)]));
            expected.push('\n');
        }
        let mut src = String::from(
            "(define (show r) (println (if (get r :ok) (repr (get r :value)) (str \"ERR \" (get r :error)))))\n(define (f a b)\n",
        );
        for c in &calls {
            src += &format!("  (show (try-call (fn () {c})))\n");
        }
        src += &format!("  nil)\n(f {sa} {sb})\n");
        prop_assert_eq!(out(&src), expected, "a = {}, b = {}\n{}", sa, sb, src);
    }
}

/// A float loop compiles to the arithmetic instructions, not primitive calls.
#[test]
fn float_code_uses_the_arithmetic_instructions() {
    let src = "(define (norm x y) (sqrt (+ (* x x) (/ (* y y) 2.0))))";
    let text = vm::pipeline::dump("t.sx", src, vm::pipeline::Stage::Bytecode, None).unwrap_or_else(|(_, d)| panic!("{}", d.message));
    for op in ["mul ", "div ", "add ", "math "] {
        assert!(text.contains(op), "{op} missing:\n{text}");
    }
    assert!(!text.contains("prim "), "{text}");
}
