//! Integration tests: lowering of hand-built core-AST programs, printed IR,
//! verifier, effects and passes.

use ir::ast_build::P;
use ir::{lower_program, verify_module, Module};

fn prims(n: &str) -> bool {
    matches!(n, "+" | "-" | "*" | "/" | "<" | ">" | "<=" | ">=" | "=" | "car" | "map" | "list" | "apply" | "str" | "raise" | "error-message" | "println")
}

fn lower(p: P) -> Module {
    let m = lower_program(&p.finish(), &prims);
    if let Err(e) = verify_module(&m) {
        panic!("verifier: {e:#?}\n{m}");
    }
    m
}

/// (define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2))))) (fib 10)
pub fn fib() -> P {
    let mut p = P::new();
    let n = p.local("n");
    let rec = |p: &P, k: i64| p.call(p.global("fib"), vec![p.callg("-", vec![p.var(n), p.int(k)])]);
    let body = p.if_(p.callg("<", vec![p.var(n), p.int(2)]), p.var(n), p.callg("+", vec![rec(&p, 1), rec(&p, 2)]));
    let lam = p.lambda(Some("fib"), vec![n], None, body);
    let d = p.define("fib", lam);
    let c = p.callg("fib", vec![p.int(10)]);
    p.body.extend([d, c]);
    p
}

#[test]
fn print_fib() {
    let m = lower(fib());
    println!("{m}");
}
