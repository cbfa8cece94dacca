//! The interrupt word (`vm::interrupt`): a looping fiber is stopped from
//! another thread, yields and continues, runs its cleanup handlers once and
//! is killed when it swallows its own timeout.

use crate::common::isolate;
use std::time::Duration;
use vm::fiber::Fiber;
use vm::interrupt::{self, InterruptHandle};
use vm::isolate::{Isolate, Step};
use vm::value::Value;

/// Compiles `src` and returns the isolate and a fiber running its top level.
fn start(src: &str) -> (Isolate, Fiber, crate::common::Buf) {
    let (mut iso, out) = isolate();
    let fiber = iso.compile_file("int.sx", src).unwrap_or_else(|d| panic!("{}", d.message));
    (iso, fiber, out)
}

/// Sets `bits` on `h` from another thread after `ms` milliseconds.
fn later(h: &InterruptHandle, ms: u64, bits: u32) -> std::thread::JoinHandle<()> {
    let h = h.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(ms));
        h.request(bits);
    })
}

/// Resumes until the fiber stops for something other than a yield.
fn drive(iso: &mut Isolate, f: &mut Fiber) -> Step {
    loop {
        match iso.resume(f, Ok(Value::Nil)) {
            Step::Yielded => continue,
            s => return s,
        }
    }
}

fn failed_with(step: Step, msg: &str) {
    match step {
        Step::Failed(e) => assert_eq!(e.message, msg),
        Step::Done(v) => panic!("expected {msg}, got {}", vm::print::repr(&v)),
        other => panic!("expected {msg}, got {other:?}"),
    }
}

#[test]
fn a_self_tail_loop_is_stopped_from_another_thread() {
    let (mut iso, mut f, _) = start("(define (spin n) (spin (+ n 1))) (spin 0)");
    let t = later(&f.interrupt_handle(), 30, interrupt::TIMEOUT);
    failed_with(drive(&mut iso, &mut f), "handler timeout");
    assert_eq!(f.terminated_by(), Some(interrupt::TIMEOUT));
    assert!(f.is_finished());
    t.join().unwrap();
}

#[test]
fn non_self_recursion_apply_loops_and_named_lets_are_stopped() {
    for src in [
        // mutual tail recursion (tail calls of other closures)
        "(define (a n) (b (+ n 1))) (define (b n) (a n)) (a 0)",
        // &rest through apply (the generic call path)
        "(define (r &rest xs) (apply r xs)) (r 1 2)",
        // a named let (a `loop` back-edge)
        "(let loop ((i 0)) (loop (+ i 1)))",
        // a non-tail loop that keeps calling a short function
        "(define (f x) (+ x 1)) (define (g i) (f i) (g (f i))) (g 0)",
    ] {
        for bit in [interrupt::TIMEOUT, interrupt::MEMORY, interrupt::STOP] {
            let (mut iso, mut f, _) = start(src);
            let t = later(&f.interrupt_handle(), 10, bit);
            failed_with(drive(&mut iso, &mut f), interrupt::message(bit).unwrap());
            t.join().unwrap();
        }
    }
}

#[test]
fn yield_returns_a_runnable_fiber_that_continues_where_it_stopped() {
    let (mut iso, mut f, _) = start("(define (sum i acc) (if (= i 0) acc (sum (- i 1) (+ acc i)))) (sum 100000 0)");
    let h = f.interrupt_handle();
    let mut yields = 0;
    let v = loop {
        // A yield requested before every resume stops the loop at its next safepoint.
        h.request(interrupt::YIELD);
        match iso.resume(&mut f, Ok(Value::Nil)) {
            Step::Yielded => {
                assert!(f.is_yielded());
                yields += 1;
                if yields > 1000 {
                    break drive(&mut iso, &mut f);
                }
            }
            s => break s,
        }
    };
    let Step::Done(Value::Int(n)) = v else { panic!("{v:?}") };
    assert_eq!(n, 5000050000);
    assert!(yields > 1000, "{yields}");
    assert_eq!(f.terminated_by(), None);
}

#[test]
fn dynamic_wind_after_thunks_run_once_on_timeout() {
    let (mut iso, mut f, out) = start(
        "(define (spin n) (spin (+ n 1)))
         (dynamic-wind (fn () (println \"in\")) (fn () (spin 0)) (fn () (println \"after\")))",
    );
    let t = later(&f.interrupt_handle(), 20, interrupt::TIMEOUT);
    failed_with(drive(&mut iso, &mut f), "handler timeout");
    assert_eq!(out.text(), "in\nafter\n");
    t.join().unwrap();
}

#[test]
fn a_guard_that_swallows_its_timeout_still_ends_terminated() {
    // Caught and returned normally: the value comes back but the host sees
    // that the fiber was stopped.
    let (mut iso, mut f, _) = start("(define (spin n) (spin (+ n 1))) (guard (e (true (error-message e))) (spin 0))");
    let t = later(&f.interrupt_handle(), 20, interrupt::TIMEOUT);
    match drive(&mut iso, &mut f) {
        Step::Done(v) => assert_eq!(vm::print::repr(&v), "\"handler timeout\""),
        other => panic!("{other:?}"),
    }
    assert_eq!(f.terminated_by(), Some(interrupt::TIMEOUT));
    t.join().unwrap();
}

#[test]
fn a_guard_that_keeps_looping_is_killed_by_the_second_interrupt() {
    let (mut iso, mut f, out) = start(
        "(define (spin n) (spin (+ n 1)))
         (define (stubborn) (guard (e (true (println \"caught\") (stubborn))) (spin 0)))
         (dynamic-wind (fn () nil) stubborn (fn () (println \"after\")))",
    );
    let h = f.interrupt_handle();
    // Requests keep coming (a watchdog that is not obeyed asks again): two
    // fixed requests could both land before the first is serviced on a busy
    // machine, and the bits would merge into one.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = done.clone();
    let t = std::thread::spawn(move || {
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(20));
            h.request(interrupt::TIMEOUT);
        }
    });
    failed_with(drive(&mut iso, &mut f), "handler timeout");
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    // Caught once (the first raise); the kill runs no handler, not even `after`.
    assert_eq!(out.text(), "caught\n");
    t.join().unwrap();
}

#[test]
fn a_waiting_fiber_is_terminated_through_resume() {
    let (mut iso, mut f, out) = start(
        "(dynamic-wind (fn () nil) (fn () (perform {:op \"sleep\" :args (list 10000)})) (fn () (println \"after\")))",
    );
    assert!(matches!(iso.resume(&mut f, Ok(Value::Nil)), Step::Suspended(_)));
    let e = interrupt::terminate(&mut f, interrupt::TIMEOUT);
    failed_with(iso.resume(&mut f, Err(e)), "handler timeout");
    assert_eq!(out.text(), "after\n");
    assert_eq!(f.terminated_by(), Some(interrupt::TIMEOUT));
}

#[test]
fn an_idle_word_changes_nothing() {
    let (mut iso, mut f, _) = start("(define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2))))) (fib 20)");
    let Step::Done(Value::Int(6765)) = iso.resume(&mut f, Ok(Value::Nil)) else { panic!() };
    assert_eq!(f.interrupt_handle().pending(), 0);
    assert_eq!(f.terminated_by(), None);
}
