//! `perform` anywhere: every program below gives the same result with the
//! request performed (through the host's resolver over a temporary store) and with the value inlined.

use crate::common::*;
use vm::isolate::Step;
use vm::value::Value;

/// `(get-v k)` performs kv/get in the first program and is a pure table lookup in the second.
fn same(body: &str) {
    let setup = "(perform {:op \"kv/put\" :args (list \"a\" 1)}) (perform {:op \"kv/put\" :args (list \"b\" 2)}) (perform {:op \"kv/put\" :args (list \"c\" 3)})\n";
    let effectful = format!("{setup}(define (get-v k) (perform {{:op \"kv/get\" :args (list k 0)}}))\n{body}");
    let pure = format!("(define (get-v k) (get {{\"a\" 1 \"b\" 2 \"c\" 3}} k 0))\n{body}");
    let a = val(&effectful);
    let b = val(&pure);
    assert_eq!(a, b, "program: {body}");
}

#[test]
fn perform_in_library_callbacks() {
    same("(map get-v (list \"a\" \"b\" \"x\"))");
    same("(filter (fn (k) (odd? (get-v k))) (list \"a\" \"b\" \"c\"))");
    same("(reduce (fn (acc k) (+ acc (get-v k))) 0 (list \"a\" \"b\" \"c\"))");
    same("(sort (fn (x y) (> (get-v x) (get-v y))) (list \"b\" \"a\" \"c\"))");
    same("(sort-by get-v > (list \"b\" \"a\" \"c\"))");
    same("(list (some (fn (k) (and (> (get-v k) 1) k)) (list \"a\" \"b\")) (every? (fn (k) (> (get-v k) 0)) (list \"a\" \"x\")))");
    same("(list (find (fn (k) (= (get-v k) 2)) (list \"a\" \"b\")) (count (fn (k) (> (get-v k) 1)) (list \"a\" \"b\" \"c\")))");
    same("(list (partition (fn (k) (> (get-v k) 1)) (list \"a\" \"b\" \"c\")) (map-indexed (fn (i k) (+ i (get-v k))) (list \"a\" \"b\")))");
    same("(group-by (fn (k) (if (odd? (get-v k)) \"odd\" \"even\")) (list \"a\" \"b\" \"c\"))");
    same("(apply (fn (x y) (+ (get-v x) (get-v y))) (list \"a\" \"c\"))");
    same("(update {:n 1} :n (fn (v) (+ v (get-v \"c\"))))");
    same("(let ((acc (list))) (for-each (fn (k) (append! acc (get-v k))) (list \"c\" \"a\")) acc)");
}

#[test]
fn perform_in_closures_guard_wind_components() {
    same("(define (mk k) (fn () (fn () (fn () (get-v k))))) ((((mk \"b\"))))");
    same("(guard (e (true (list :caught (error-message e)))) (+ (get-v \"a\") (get-v \"b\")))");
    same("(guard (e (true (list :caught (error-message e) (get-v \"c\")))) (get-v \"a\") (error \"boom\" (get-v \"b\")))");
    same("(let ((log (list))) (list (dynamic-wind (fn () (append! log 1)) (fn () (get-v \"b\")) (fn () (append! log (get-v \"c\")))) log))");
    same("(defcomp ~val (&key k &rest children) (list (get-v k) children)) (~val :k \"c\" 1 2)");
    same("(try-call (fn () (get-v \"a\")))");
}

/// 100,000 suspensions in one computation: the frame stack and register file
/// do not grow with the number of suspensions.
#[test]
fn many_suspensions_flat_memory() {
    let (mut iso, _) = isolate();
    let src = "(define (step i acc) (if (= i 100000) acc (step (+ i 1) (+ acc (perform {:op \"kv/get\" :args (list \"x\" 1)})))))\n\
               (reduce (fn (a b) (+ a b)) 0 (list (step 0 0) 1))";
    let mut fiber = iso.compile_file("susp.sx", src).unwrap_or_else(|d| panic!("{}", d.message));
    let mut io = io();
    let res = &mut io.resolver;
    let mut input = Ok(Value::Nil);
    let mut n = 0u64;
    let mut max_depth = 0;
    let mut max_regs = 0;
    let mut caps = (0, 0);
    loop {
        match iso.resume(&mut fiber, input) {
            Step::Suspended(req) => {
                n += 1;
                max_depth = max_depth.max(fiber.frame_depth());
                max_regs = max_regs.max(fiber.register_len());
                if n == 1000 {
                    caps = fiber.capacity();
                }
                if n > 1000 {
                    assert_eq!(fiber.capacity(), caps, "storage grew after {n} suspensions");
                }
                input = vm::resolver::Resolver::resolve(res, &req);
            }
            Step::Done(v) => {
                assert_eq!(vm::print::repr(&v), "100001");
                break;
            }
            Step::Failed(e) => panic!("{e}"),
            Step::Yielded => panic!("nobody asked the fiber to yield"),
        }
    }
    assert_eq!(n, 100_000);
    assert!(max_depth <= 4, "frame depth {max_depth}");
    assert!(max_regs < 200, "register file {max_regs}");
}

#[test]
fn unknown_op_raises() {
    let e = err("(perform {:op \"x/y\" :args (list)})");
    assert_eq!(e.message, "unknown io op \"x/y\"");
    assert_eq!(val("(guard (e (true (error-message e))) (perform {:op \"nope\"}))"), "\"unknown io op \\\"nope\\\"\"");
    assert_eq!(val("(kv-put! \"k\" nil) (list (kv-has? \"k\") (kv-get \"k\" 5) (kv-get \"z\" 5))"), "(true nil 5)");
    assert_eq!(val("(list (kv-cas! \"c\" nil 1) (kv-cas! \"c\" 0 2))"), "(1 {:conflict true :expected 0 :actual 1})");
    assert_eq!(val("(kv-put! \"b\" 1) (kv-put! \"a\" 2) (kv-put! \"ab\" 3) (list (kv-keys) (kv-keys \"a\") (kv-delete! \"a\") (kv-delete! \"a\"))"),
        "((\"a\" \"ab\" \"b\") (\"a\" \"ab\") true false)");
}

/// A fiber that calls a closure (how HTTP handlers run).
#[test]
fn call_value_fiber() {
    let (mut iso, _) = isolate();
    let mut fiber = iso.compile_file("h.sx", "(fn (req) (str \"hello \" (get req :name) (perform {:op \"kv/get\" :args (list \"x\" \"!\")})))").unwrap();
    let handler = iso.run(&mut fiber, &mut io().resolver).unwrap();
    let arg = Value::dict_from([("name", Value::str("bob"))]);
    let mut f2 = iso.call_value(&handler, vec![arg]);
    let v = iso.run(&mut f2, &mut io().resolver).unwrap();
    assert_eq!(vm::print::repr(&v), "\"hello bob!\"");
    let mut f3 = iso.call_value(&Value::Int(3), vec![]);
    assert_eq!(iso.run(&mut f3, &mut io().resolver).unwrap_err().message, "not callable: 3");
}

#[test]
fn profiles_are_recorded() {
    let (mut iso, _) = isolate();
    let mut fiber = iso
        .compile_file("p.sx", "(define (f x) (+ x 1.5)) (define (loop i) (if (< i 10) (do (f i) (loop (+ i 1))) i)) (loop 0)")
        .unwrap();
    iso.run(&mut fiber, &mut io().resolver).unwrap();
    let profs = iso.profiles();
    // (f may be inlined into loop by the optimiser)
    let lp = profs.iter().rev().find(|p| p.name == "loop").expect("profile of loop");
    assert!(lp.calls >= 1, "{profs:?}");
    assert_eq!(lp.loop_iterations(), 10, "{lp:?}");
    assert!(profs.iter().any(|p| p.feedback.iter().any(|(_, bits)| bits & vm::profile::kinds::FLOAT != 0)), "{profs:?}");
    let report = vm::profile::render(&profs);
    assert!(report.contains("loop: calls"), "{report}");
}
