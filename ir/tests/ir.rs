//! Integration tests: lowering of hand-built core-AST programs, printed IR,
//! verifier, effects and passes.

use ir::ast_build::P;
use ir::{lower_program, verify_module, Module};

fn prims(n: &str) -> bool {
    matches!(n, "+" | "-" | "*" | "/" | "<" | ">" | "<=" | ">=" | "=" | "car" | "list" | "%dict" | "error-message" | "apply" | "str" | "raise" | "println")
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

fn lower_src(src: &str) -> Module {
    let mut map = frontend::SourceMap::new();
    let file = map.add("t.sx", src);
    let (_, prog) = frontend::compile_to_ast(&map, file, &mut frontend::expand::NoMacros::default()).unwrap_or_else(|d| panic!("{d:?}"));
    let m = lower_program(&prog, &prims);
    if let Err(e) = verify_module(&m) {
        panic!("verifier: {e:#?}\n{m}");
    }
    m
}

fn opt_src(src: &str) -> Module {
    let mut m = lower_src(src);
    ir::optimise(&mut m);
    m
}

#[test]
fn dump_all() {
    for src in [
        "(define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2))))) (fib 10)",
        "(define (make-adder n) (fn (x) (+ x n))) ((make-adder 1) 2)",
        "(define (counter) (let ((c 0)) (fn () (set! c (+ c 1)) c)))",
        "(define (f x) (let ((y 0)) (if x (set! y 1) (set! y 2)) y))",
        "(define (sum n) (let loop ((i 0) (acc 0)) (if (> i n) acc (loop (+ i 1) (+ acc i)))))",
        "(define (safe x) (guard (e (true (error-message e))) (car x)))",
        "(define (fetch ks) (map (fn (k) (perform {:op \"kv/get\" :args (list k)})) ks))",
        "(define (call-it f xs) (apply f xs)) (define (g xs) (+ 1 (apply + xs)))",
        "(define (sq x) (* x x)) (sq 3)",
        "(+ 9223372036854775807 1) (/ 1 0) (+ 1 2)",
    ] {
        println!(";; {src}\n{}", lower_src(src));
        println!(";; optimised\n{}", opt_src(src));
    }
}
