//! Source-level tests: the whole pipeline (reader → expander → IR → bytecode → interpreter).

use crate::common::*;

#[test]
fn basics() {
    assert_eq!(val("(+ 1 2)"), "3");
    assert_eq!(val("(define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2))))) (fib 20)"), "6765");
    assert_eq!(out("(println \"hi\" 1)"), "hi 1\n");
    assert_eq!(val("(map inc (list 1 2 3))"), "(2 3 4)");
}

#[test]
fn higher_order_prelude() {
    assert_eq!(val("(filter even? (range 10))"), "(0 2 4 6 8)");
    assert_eq!(val("(reduce + 0 (list 1 2 3 4))"), "10");
    assert_eq!(val("(some (fn (x) (and (> x 1) (* x 10))) (list 1 2 3))"), "20");
    assert_eq!(val("(list (every? even? (list 2 4)) (every? even? (list 2 3)))"), "(true false)");
    assert_eq!(val("(apply + 1 2 (list 3 4))"), "10");
    assert_eq!(val("(apply (fn (a b &rest r) (list a b r)) (list 1 2 3 4))"), "(1 2 (3 4))");
    assert_eq!(val("(sort > (list 3 1 2))"), "(3 2 1)");
    assert_eq!(val("(sort (list 3 1 2))"), "(1 2 3)");
    assert_eq!(val("(sort-by len > (list \"bb\" \"a\" \"cc\" \"ddd\" \"e\"))"), "(\"ddd\" \"bb\" \"cc\" \"a\" \"e\")");
    assert_eq!(val("(partition even? (list 1 2 3 4 5))"), "((2 4) (1 3 5))");
    assert_eq!(val("(group-by (fn (s) (substring s 0 1)) (list \"apple\" \"avocado\" \"banana\"))"), "{:a (\"apple\" \"avocado\") :b (\"banana\")}");
    assert_eq!(val("(update {:a 1} :a inc)"), "{:a 2}");
    assert_eq!(val("(try-call (fn () (error \"bad\" 1)))"), "{:ok false :error \"bad 1\"}");
    assert_eq!(val("(try-call (fn () 5))"), "{:ok true :value 5}");
}

#[test]
fn guard_and_errors() {
    assert_eq!(val("(guard (e (true (error-message e))) (error \"x\" 1 \"y\"))"), "\"x 1 \\\"y\\\"\"");
    assert_eq!(val("(guard (e ((string? e) (str \"s:\" e))) (raise \"boom\"))"), "\"s:boom\"");
    let e = err("(define (f x) (+ x 1))\n(define (g) (list (f \"a\")))\n(println (g))");
    assert_eq!(e.message, "+: expected number, got \"a\"");
    // (g may be inlined into the top level by the optimiser)
    assert_eq!(e.backtrace[0], "  at f (test.sx:1:15)", "{:?}", e.backtrace);
    assert!(e.backtrace.last().unwrap().starts_with("  at <toplevel> (test.sx:"), "{:?}", e.backtrace);
    let e = err("(define (down n) (if (= n 0) (error \"bottom\") (+ 1 (down (- n 1)))))\n(down 3)");
    assert_eq!(e.message, "bottom");
    // the top-level call is a tail call: its frame was replaced
    assert_eq!(e.backtrace.len(), 4, "{:?}", e.backtrace);
    assert_eq!(e.backtrace[0], "  at down (test.sx:1:30)");
    assert_eq!(e.backtrace[1], "  at down (test.sx:1:52)");
    assert_eq!(err("(undefined-thing 1)").message, "unbound name: undefined-thing");
    assert_eq!(err("((fn (a b) a) 1)").message, "lambda: expected 2 arguments, got 1");
    assert_eq!(err("(define (f a) a) (f 1 2)").message, "f: expected 1 argument, got 2");
    assert_eq!(err("(define (f a &rest r) a) (f)").message, "f: expected at least 1 argument, got 0");
    assert_eq!(err("(5 1)").message, "not callable: 5");
}

#[test]
fn components() {
    assert_eq!(
        val("(defcomp ~card (&key title &rest children) (list title children)) (~card :title \"T\" 1 2)"),
        "(\"T\" (1 2))"
    );
    assert_eq!(err("(defcomp ~card (&key title) title) (~card :foo 1)").message, "~card: unknown keyword :foo");
}

#[test]
fn dynamic_wind() {
    assert_eq!(
        out("(guard (e (true (println \"caught\" (error-message e)))) (dynamic-wind (fn () (println \"before\")) (fn () (error \"oops\")) (fn () (println \"after\"))))"),
        "before\nafter\ncaught oops\n"
    );
}

#[test]
fn macros() {
    assert_eq!(val("(defmacro swap (a b) (list 'list b a)) (swap 1 2)"), "(2 1)");
    assert_eq!(val("(defmacro my-unless (c &rest body) `(if ,c nil (do ,@body))) (my-unless false 1 2)"), "2");
}

#[test]
fn tail_loops_and_depth() {
    assert_eq!(val("(let loop ((i 0) (acc 0)) (if (< i 1000000) (loop (+ i 1) (+ acc i)) acc))"), "499999500000");
    assert_eq!(
        val("(define (ev? n) (if (= n 0) true (od? (- n 1)))) (define (od? n) (if (= n 0) false (ev? (- n 1)))) (ev? 100001)"),
        "false"
    );
    assert_eq!(val("(define (down n) (if (= n 0) 0 (+ 1 (down (- n 1))))) (down 100000)"), "100000");
    assert_eq!(
        val("(define (down n) (if (= n 0) 0 (+ 1 (down (- n 1))))) (guard (e (true (error-message e))) (down 10000000))"),
        "\"stack overflow\""
    );
}

#[test]
fn closure_of_itself_after_inlining() {
    // After inlining make-loop, the inner lambda makes a closure of itself.
    assert_eq!(
        val("(define (make-loop) (fn (n) (if (= n 0) \"closure\" ((make-loop) (- n 1))))) ((make-loop) 100000)"),
        "\"closure\""
    );
}

#[test]
fn components_without_rest_and_nan_branches() {
    assert_eq!(val("(defcomp ~b (&key label) (list label)) (~b :label \"new\")"), "(\"new\")");
    assert_eq!(val("(define n (/ 0.0 0)) (list (if (not (< n 1)) :a :b) (if (< n 1) :a :b) (if (not n) 1 2))"), "(:a :b 2)");
    assert_eq!(val("(define inf (/ 1.0 0)) (list (< 1e308 inf) (< (- inf) -1e308) (= inf inf))"), "(true true true)");
}

#[test]
fn returned_frames_do_not_retain_values() {
    // Each level builds a 2,000-element list and drops it; with stale registers
    // kept alive this would hold depth × list size values.
    assert_eq!(
        val("(define (deep n) (if (= n 0) 0 (let ((xs (range 2000))) (+ (len (rest (deep (- n 1)) )) 0)))) 1"),
        "1"
    );
    assert_eq!(val("(define (build n) (if (= n 0) (list) (cons n (build (- n 1))))) (len (build 20000))"), "20000");
}

#[test]
fn tail_call_argument_permutations() {
    assert_eq!(val("(define (f a b k) (if (= k 0) (list a b) (f b a (- k 1)))) (f 1 2 3)"), "(2 1)");
    assert_eq!(val("(define (g a b c k) (if (= k 0) (list a b c) (g c a b (- k 1)))) (g 1 2 3 4)"), "(3 1 2)");
    assert_eq!(val("(let loop ((a 1) (b 2) (k 5)) (if (= k 0) (list a b) (loop b a (- k 1))))"), "(2 1)");
}
