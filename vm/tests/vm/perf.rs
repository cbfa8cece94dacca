//! Rough timing and memory checks (timings are printed, not asserted).

use crate::common::*;
use std::time::Instant;

/// Compiles `src` in a fresh isolate and returns the time to run it.
pub fn time_run(src: &str) -> (String, std::time::Duration) {
    let (mut iso, _) = isolate();
    let mut fiber = iso.compile_file("bench.sx", src).unwrap_or_else(|d| panic!("{}", d.message));
    let t = Instant::now();
    let v = iso.run(&mut fiber, &mut io().resolver).unwrap_or_else(|e| panic!("{e}"));
    (vm::print::repr(&v), t.elapsed())
}

#[test]
fn fib_bytecode_and_timing() {
    let src = "(define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))\n(fib 25)";
    let text = vm::pipeline::dump("fib.sx", src, vm::pipeline::Stage::Bytecode, Some("fib")).unwrap_or_else(|e| panic!("{:?}", e.1));
    eprintln!("{text}");
    let t = Instant::now();
    let _ = isolate();
    eprintln!("isolate with prelude: {:?}", t.elapsed());
    let (v, d) = time_run(src);
    assert_eq!(v, "75025");
    eprintln!("fib 25: {d:?}");
}

/// `SX_BENCH="(fib 30)" cargo test ... bench_env -- --ignored`: runs a benchmark program.
#[test]
#[ignore]
fn bench_env() {
    let prog = std::env::var("SX_BENCH").unwrap_or_else(|_| "(fib 27)".into());
    let src = format!(
        "(define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))\n\
         (define (tak x y z) (if (not (< y x)) z (tak (tak (- x 1) y z) (tak (- y 1) z x) (tak (- z 1) x y))))\n\
         {prog}"
    );
    let (v, d) = time_run(&src);
    eprintln!("{prog} = {v}: {d:?}");
}

/// `SX_DUMP=file.sx SX_STAGE=bytecode cargo test ... dump_env -- --ignored --nocapture`
#[test]
#[ignore]
fn dump_env() {
    let path = std::env::var("SX_DUMP").expect("SX_DUMP");
    let stage = vm::pipeline::Stage::parse(&std::env::var("SX_STAGE").unwrap_or_else(|_| "bytecode".into())).unwrap();
    let src = std::fs::read_to_string(&path).unwrap();
    let f = std::env::var("SX_FN").ok();
    eprintln!("{}", vm::pipeline::dump(&path, &src, stage, f.as_deref()).unwrap_or_else(|e| panic!("{}", e.1.message)));
}

/// `SX_FN=map cargo test ... dump_prelude -- --ignored --nocapture`: the prelude's bytecode.
#[test]
#[ignore]
fn dump_prelude() {
    let (iso, _) = isolate();
    let f = std::env::var("SX_FN").ok();
    eprintln!("{}", iso.modules()[0].disassemble(f.as_deref()));
}
