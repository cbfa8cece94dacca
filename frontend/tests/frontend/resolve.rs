use crate::expand::Mock;
use frontend::ast::{ExprKind, Program};
use frontend::dump::dump_program;
use frontend::resolve::resolve_program;
use frontend::{compile_to_ast, SourceMap};

fn compile(src: &str) -> Program {
    let mut map = SourceMap::new();
    let f = map.add("t.sx", src);
    match compile_to_ast(&mut map, f, &mut Mock::default()) {
        Ok((_, p)) => p,
        Err(e) => panic!("{src:?}: {} at {}: {}", e.id, map.describe(e.span), e.message),
    }
}

fn dump(src: &str) -> String {
    dump_program(&compile(src)).trim_end().to_string()
}

const CASES: &[(&str, &str)] = &[
    ("x", "x"),
    ("(define x 1) x", "(define x 1)\nx"),
    ("(fn (a) a)", "(fn (a#0) a#0)\n;; local a#0"),
    ("(define (f a &rest r) (g a r))", "(define f (fn f (a#0 &rest r#1) (g a#0 r#1)))\n;; local a#0\n;; local r#1"),
    ("(fn (&rest r) r)", "(fn (&rest r#0) r#0)\n;; local r#0"),
    // shadowing: inner binding wins, outer is restored afterwards
    ("(fn (x) (let ((x (+ x 1))) x) x)",
     "(fn (x#0) (begin (let ((x#1 (+ x#0 1))) x#1) x#0))\n;; local x#0\n;; local x#1"),
    // let is sequential: b's init sees a
    ("(let (a 1 b a) b)", "(let ((a#0 1) (b#1 a#0)) b#1)\n;; local a#0\n;; local b#1"),
    // a let init does not see its own name
    ("(let ((x x)) x)", "(let ((x#0 x)) x#0)\n;; local x#0"),
    // letrec: all names visible in all inits; lambdas named
    ("(letrec ((f (fn () (g))) (g (fn () (f)))) (f))",
     "(letrec ((f#0 (fn f () (g#1))) (g#1 (fn g () (f#0)))) (f#0))\n;; local f#0 captured\n;; local g#1 captured"),
    // internal defines => letrec*, named lambdas
    ("(define (f) (define a 1) (define (g) a) (g))",
     "(define f (fn f () (letrec ((a#0 1) (g#1 (fn g () a#0))) (g#1))))\n;; local a#0 captured\n;; local g#1"),
    // mutated and captured
    ("(fn (n) (set! n 1) n)", "(fn (n#0) (begin (set! n#0 1) n#0))\n;; local n#0 mutated"),
    ("(fn (n) (fn () (set! n (+ n 1))))", "(fn (n#0) (fn () (set! n#0 (+ n#0 1))))\n;; local n#0 mutated captured"),
    ("(fn (a b) (fn () a))", "(fn (a#0 b#1) (fn () a#0))\n;; local a#0 captured\n;; local b#1"),
    ("(set! y 2)", "(set! y 2)"),
    // a component's lambda is named after the component
    ("(defcomp ~c (&key a) a)",
     "(define ~c (%builtin %make-component \"~c\" '(a) false (fn ~c (a#0 %children1#1) a#0)))\n;; local a#0\n;; local %children1#1"),
    // named let: a named loop lambda in a letrec
    ("(let loop ((i 0)) (loop i))", "(letrec ((loop#0 (fn loop (i#1) (loop#0 i#1)))) (loop#0 0))\n;; local loop#0 captured\n;; local i#1"),
    // only define / letrec name lambdas
    ("(let ((f (fn () 1))) f)", "(let ((f#0 (fn () 1))) f#0)\n;; local f#0"),
    // guard binds its variable in the handler only
    ("(guard (e ((string? e) e)) (f e))",
     "(guard e#0 (f e) (if (string? e#0) e#0 (%builtin raise e#0)))\n;; local e#0"),
    ("(perform {:op \"time/now\"})", "(perform (%builtin %dict \"op\" \"time/now\"))"),
    ("'(1 a) 'a :k 1.5 \"s\" [1]", "'(1 a)\n'a\n:k\n1.5\n\"s\"\n(%builtin %list 1)"),
    // expander temporaries resolve like any local
    ("(and (f) 2)", "(let ((%and1#0 (f))) (if %and1#0 2 %and1#0))\n;; local %and1#0"),
    // a local shadows a global of the same name in a sibling only within scope
    ("(define x 1) (fn (x) x) x", "(define x 1)\n(fn (x#0) x#0)\nx\n;; local x#0"),
];

#[test]
fn resolutions() {
    let mut failures = Vec::new();
    for (src, want) in CASES {
        let got = dump(src);
        if got != *want {
            failures.push(format!("{src}\n   want: {want}\n    got: {got}"));
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn ast_shapes() {
    let p = compile("(define (f a) a) (g 1)");
    let ExprKind::DefineGlobal(name, value) = &p.body[0].kind else { panic!() };
    assert_eq!(name, "f");
    let ExprKind::Lambda(l) = &value.kind else { panic!() };
    assert_eq!(l.name.as_deref(), Some("f"));
    assert_eq!(l.params.len(), 1);
    assert!(matches!(&p.body[1].kind, ExprKind::Call(f, args) if matches!(&f.kind, ExprKind::Global(g) if g == "g") && args.len() == 1));
    // Spans of resolved expressions point into the source.
    assert_eq!((p.body[1].span.lo, p.body[1].span.hi), (17, 22));
}

#[test]
fn local_ids_are_unique_per_program() {
    let p = compile("(fn (a) a) (fn (a) a) (let ((a 1)) a)");
    assert_eq!(p.locals.len(), 3);
    assert!(p.locals.iter().all(|l| l.name == "a"));
}

fn core_err(src: &str) -> (String, String) {
    let mut map = SourceMap::new();
    let f = map.add("t.sx", src);
    let forms = frontend::reader::read(&map, f).unwrap();
    match resolve_program(&forms) {
        Ok(p) => panic!("expected an error for {src:?}, got {p:?}"),
        Err(e) => (e.id.to_string(), map.describe(e.span)),
    }
}

#[test]
fn bad_core_forms() {
    let cases: &[(&str, &str, &str)] = &[
        ("(fn 1 2)", "resolve-bad-fn", "t.sx:1:5"),
        ("(fn (a))", "resolve-bad-fn", "t.sx:1:1"),
        ("(fn (a a) 1)", "resolve-bad-fn", "t.sx:1:1"),
        ("(fn (&rest) 1)", "resolve-bad-fn", "t.sx:1:6"),
        ("(set! 5 x)", "resolve-bad-set", "t.sx:1:7"),
        ("(set! x)", "resolve-bad-set", "t.sx:1:1"),
        ("(define)", "resolve-bad-define", "t.sx:1:1"),
        ("(define (f) 1)", "resolve-bad-define", "t.sx:1:1"),
        ("(f (define x 1))", "resolve-misplaced-define", "t.sx:1:4"),
        ("(if 1 2)", "resolve-bad-if", "t.sx:1:1"),
        ("(quote)", "resolve-bad-quote", "t.sx:1:1"),
        ("(let (a 1) a)", "resolve-bad-let", "t.sx:1:7"),
        ("(let ((a 1)) a b)", "resolve-bad-let", "t.sx:1:1"),
        ("(letrec 1 2)", "resolve-bad-letrec", "t.sx:1:9"),
        ("(guard 1 2 3)", "resolve-bad-guard", "t.sx:1:8"),
        ("(guard e 2)", "resolve-bad-guard", "t.sx:1:1"),
        ("(perform)", "resolve-bad-perform", "t.sx:1:1"),
        ("(%builtin 1)", "resolve-bad-builtin", "t.sx:1:1"),
        ("[1 2]", "resolve-bad-form", "t.sx:1:1"),
        ("(f {:a 1})", "resolve-bad-form", "t.sx:1:4"),
        ("()", "resolve-bad-form", "t.sx:1:1"),
    ];
    for (src, id, at) in cases {
        assert_eq!(core_err(src), (id.to_string(), at.to_string()), "{src:?}");
    }
}

#[test]
fn deep_nesting_fits_the_stack() {
    // Runs on a default 2 MiB test thread: reader, expander and resolver recursion.
    let n = 990;
    let src = format!("{}x{}", "(f ".repeat(n), ")".repeat(n));
    let p = compile(&src);
    assert_eq!(p.body.len(), 1);
    let src = format!("{}x{}", "(let ((a ".repeat(n / 3), ")) a)".repeat(n / 3));
    compile(&src);
    let src = format!("{}x{}", "`(a ,".repeat(n / 3), ")".repeat(n / 3));
    compile(&src);
}
