//! Integration tests of the `ir` crate.
//!
//! - **Tests as data**: every `tests/cases/NAME.sx` is compiled with the real
//!   frontend (`frontend::compile_to_ast`, no macros), lowered and printed; the
//!   output must equal `NAME.ir`, and after [`ir::optimise`] `NAME.opt.ir`.
//!   Run with `IR_BLESS=1` to (re)write the expected files after a deliberate
//!   change, then review the diff.
//! - Semantic checks on hand-built and source programs: effects, folding
//!   limits, suspension points, verifier acceptance after every pass.

use ir::ast_build::P;
use ir::{lower_program, verify_module, Effect, InstData, Module, Terminator};
use std::path::Path;

#[path = "support/eval.rs"]
mod eval;

/// The runtime primitives assumed by these tests (a stand-in for `vm`'s table;
/// `map`/`for-each` are prelude SX functions, not primitives).
fn prims(n: &str) -> bool {
    matches!(
        n,
        "+" | "-" | "*" | "/" | "<" | ">" | "<=" | ">=" | "=" | "not" | "car" | "list" | "len" | "error?" | "error-message" | "println" | "str"
            | "apply" | "raise"
    )
}

fn check(m: &Module) {
    if let Err(e) = verify_module(m) {
        panic!("verifier: {e:#?}\n{m}");
    }
}

fn lower_src(src: &str) -> Module {
    let mut map = frontend::SourceMap::new();
    let file = map.add("t.sx", src);
    let (_, prog) = frontend::compile_to_ast(&mut map, file, &mut frontend::expand::NoMacros::default()).unwrap_or_else(|d| panic!("{d:?}"));
    let m = lower_program(&prog, &prims);
    check(&m);
    m
}

fn opt(mut m: Module) -> Module {
    ir::optimise(&mut m);
    check(&m);
    m
}

#[test]
fn cases_as_data() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let bless = std::env::var_os("IR_BLESS").is_some();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sx"))
        .collect();
    names.sort();
    assert!(names.len() >= 10, "missing cases in {}", dir.display());
    let mut failures = Vec::new();
    for sx in names {
        let src = std::fs::read_to_string(&sx).unwrap();
        let lowered = lower_src(&src);
        let optimised = opt(lowered.clone());
        for (ext, m) in [("ir", &lowered), ("opt.ir", &optimised)] {
            let want_path = sx.with_extension(ext);
            let got = format!("{m}");
            let reparsed = ir::parse_module(&got).unwrap_or_else(|e| panic!("{}: {e}", want_path.display()));
            assert_eq!(format!("{reparsed}"), got, "print/parse round trip");
            check(&reparsed);
            if bless {
                std::fs::write(&want_path, &got).unwrap();
                continue;
            }
            let want = std::fs::read_to_string(&want_path).unwrap_or_default();
            if want != got {
                failures.push(format!("== {} differs; got:\n{got}", want_path.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}\n(run with IR_BLESS=1 to update)", failures.join("\n"));
}

fn effect_of(m: &Module, name: &str) -> Effect {
    m.funcs.iter().find(|f| f.name.as_deref() == Some(name)).unwrap_or_else(|| panic!("no function {name}")).effect
}

#[test]
fn effects_of_performing_functions() {
    let m = opt(lower_src(
        "(define (get k) (perform {:op \"kv/get\" :args (list k)}))
         (define (twice k) (list (get k) (get k)))
         (define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
         (define (id x) x)
         (define (uses-unknown f) (f 1))",
    ));
    assert_eq!(effect_of(&m, "get"), Effect::MaySuspend);
    assert_eq!(effect_of(&m, "twice"), Effect::MaySuspend, "calls a known may-suspend global");
    assert_eq!(effect_of(&m, "fib"), Effect::MayRaise);
    assert_eq!(effect_of(&m, "id"), Effect::Pure);
    assert_eq!(effect_of(&m, "uses-unknown"), Effect::MaySuspend);
    // fib's recursive calls are no longer suspension points; twice's still are.
    let fib = m.funcs.iter().find(|f| f.name.as_deref() == Some("fib")).unwrap();
    assert!(fib.blocks.iter().all(|b| !matches!(b.term, Terminator::CallK { .. })));
    assert!(fib.insts.iter().any(|i| matches!(i.data, InstData::Call(..))));
    let twice = m.funcs.iter().find(|f| f.name.as_deref() == Some("twice")).unwrap();
    assert_eq!(twice.blocks.iter().filter(|b| matches!(b.term, Terminator::CallK { .. })).count(), 2);
}

#[test]
fn set_global_makes_callee_unknown() {
    let m = opt(lower_src("(define (f) 1) (define (g) (f)) (set! f (fn () (perform {:op \"x\"})))"));
    assert_eq!(effect_of(&m, "g"), Effect::MaySuspend);
    let m = opt(lower_src("(define (f) 1) (define (g) (f))"));
    assert_eq!(effect_of(&m, "g"), Effect::MayRaise);
}

#[test]
fn perform_in_lambda_passed_to_map_is_a_suspension_point() {
    let m = opt(lower_src("(define (fetch ks) (map (fn (k) (perform {:op \"kv/get\" :args (list k)})) ks))"));
    let lam = m.funcs.iter().find(|f| f.name.is_none()).unwrap();
    assert_eq!(lam.effect, Effect::MaySuspend);
    assert!(lam.blocks.iter().any(|b| matches!(b.term, Terminator::Suspend { .. })));
    assert_eq!(effect_of(&m, "fetch"), Effect::MaySuspend);
}

#[test]
fn const_fold_leaves_raising_operations() {
    let m = opt(lower_src("(define (a) (+ 9223372036854775807 1)) (define (b) (/ 1 0)) (define (c) (- (- 9223372036854775807) 2))"));
    for name in ["a", "b", "c"] {
        let f = m.funcs.iter().find(|f| f.name.as_deref() == Some(name)).unwrap();
        assert!(f.insts.iter().any(|i| matches!(i.data, InstData::Prim(..))), "{name} was folded:\n{m}");
        assert_eq!(f.effect, Effect::MayRaise);
    }
    let m = opt(lower_src("(define (d) (* 6 7))"));
    let f = m.funcs.iter().find(|f| f.name.as_deref() == Some("d")).unwrap();
    assert!(f.insts.iter().any(|i| i.data == InstData::Const(frontend::ast::Const::Int(42))));
    assert_eq!(f.effect, Effect::Pure);
}

#[test]
fn hand_built_named_let_uses_self_ref() {
    // (letrec ((loop (fn (i) (if (< i 10) (loop (+ i 1)) i)))) (loop 0))
    let mut p = P::new();
    let lp = p.local("loop");
    let i = p.local("i");
    let body = p.if_(p.callg("<", vec![p.var(i), p.int(10)]), p.call(p.var(lp), vec![p.callg("+", vec![p.var(i), p.int(1)])]), p.var(i));
    let lam = p.lambda(Some("loop"), vec![i], None, body);
    let e = p.letrec(vec![(lp, lam)], p.call(p.var(lp), vec![p.int(0)]));
    p.body.push(e);
    let m = lower_program(&p.finish(), &prims);
    check(&m);
    let f = &m.funcs[1];
    assert_eq!(f.ncaptures, 0, "no cell, no capture of itself:\n{m}");
    assert!(f.insts.iter().any(|i| i.data == InstData::SelfRef));
    assert!(!m.funcs.iter().flat_map(|f| &f.insts).any(|i| matches!(i.data, InstData::CellNew(_))));
    let m = opt(m);
    assert_eq!(m.funcs[1].effect, Effect::MayRaise);
}

#[test]
fn hand_built_guard_and_apply() {
    let mut p = P::new();
    let e = p.local("e");
    let xs = p.local("xs");
    let g = p.guard(p.builtin("%apply", vec![p.global("f"), p.var(xs)]), e, p.var(e));
    let lam = p.lambda(Some("h"), vec![xs], None, g);
    let d = p.define("h", lam);
    p.body.push(d);
    let m = lower_program(&p.finish(), &prims);
    check(&m);
    let h = &m.funcs[1];
    assert!(h.blocks.iter().any(|b| matches!(b.term, Terminator::TryCall { .. })));
    let thunk = &m.funcs[2];
    assert_eq!((thunk.arity, thunk.ncaptures), (0, 1));
    assert!(thunk.blocks.iter().any(|b| matches!(b.term, Terminator::TailApply { .. })));
    let m = opt(m);
    assert_eq!(m.funcs[1].effect, Effect::MaySuspend, "thunk applies an unknown global");
}

#[test]
fn deep_nesting_and_many_programs_verify() {
    // Every pass keeps the verifier happy on a mix of forms (optimise panics otherwise).
    for src in [
        "(define (q x) (when x (println 1)) (if (and x (not x)) 1 2))",
        "(letrec ((x (fn () y)) (y 5)) (x))",
        "(define (k xs) (let ((n 0)) (for-each (fn (x) (set! n (+ n x))) xs) n))",
        "(define (h x) (let ((y 1)) (guard (e (true 0)) (set! y (car x))) y))",
        "(define (v a &rest more) (list a more)) (v 1 2 3)",
        "(define (w x) (cond ((= x 1) (perform {:op \"a\"})) ((= x 2) (raise x)) (else (guard (e (true e)) (w (- x 1))))))",
        "(define (z) (let loop ((i 0)) (when (< i 3) (println (perform {:op \"t\"})) (loop (+ i 1)))))",
        "",
        "(raise 1) 2",
    ] {
        opt(lower_src(src));
    }
}

/// A tiny deterministic generator of random core-AST programs (xorshift), with
/// scope tracking: locals, `set!`, `if`, `let`, `letrec` lambdas, calls,
/// `guard`, `perform`, `%apply`, globals. Every program must lower and survive
/// every pass under the verifier.
mod random_programs {
    use super::*;
    use frontend::ast::{Expr, LocalId};

    struct Gen {
        s: u64,
        p: P,
    }

    impl Gen {
        fn next(&mut self, n: u64) -> u64 {
            self.s ^= self.s << 13;
            self.s ^= self.s >> 7;
            self.s ^= self.s << 17;
            self.s % n
        }
        fn expr(&mut self, scope: &mut Vec<LocalId>, depth: u32) -> Expr {
            let leaf = depth == 0 || self.next(4) == 0;
            if leaf {
                return match self.next(5) {
                    0 if !scope.is_empty() => {
                        let i = self.next(scope.len() as u64) as usize;
                        self.p.var(scope[i])
                    }
                    1 => self.p.global("g"),
                    2 => {
                        let b = self.next(2) == 0;
                        self.p.boolean(b)
                    }
                    _ => {
                        let i = self.next(5) as i64;
                        self.p.int(i)
                    }
                };
            }
            let d = depth - 1;
            match self.next(13) {
                0 => {
                    let (c, t, f) = (self.expr(scope, d), self.expr(scope, d), self.expr(scope, d));
                    self.p.if_(c, t, f)
                }
                1 if !scope.is_empty() => {
                    let i = self.next(scope.len() as u64) as usize;
                    let v = self.expr(scope, d);
                    let s = self.p.set(scope[i], v);
                    let rest = self.expr(scope, d);
                    self.p.seq(vec![s, rest])
                }
                2 => {
                    let x = self.p.local("x");
                    let init = self.expr(scope, d);
                    scope.push(x);
                    let body = self.expr(scope, d);
                    scope.pop();
                    self.p.let_(vec![(x, init)], body)
                }
                3 => {
                    // letrec f = (fn (a) ...) with possible self calls
                    let f = self.p.local("f");
                    let a = self.p.local("a");
                    scope.push(f);
                    scope.push(a);
                    let body = self.expr(scope, d);
                    scope.pop();
                    let lam = self.p.lambda(Some("f"), vec![a], None, body);
                    let arg = self.expr(scope, d);
                    let call = self.p.call(self.p.var(f), vec![arg]);
                    scope.pop();
                    self.p.letrec(vec![(f, lam)], call)
                }
                4 => {
                    let a = self.p.local("a");
                    scope.push(a);
                    let body = self.expr(scope, d);
                    scope.pop();
                    let lam = self.p.lambda(None, vec![a], None, body);
                    let arg = self.expr(scope, d);
                    self.p.call(lam, vec![arg])
                }
                5 => {
                    let (x, y) = (self.expr(scope, d), self.expr(scope, d));
                    self.p.callg("+", vec![x, y])
                }
                6 => {
                    let e = self.p.local("e");
                    let body = self.expr(scope, d);
                    scope.push(e);
                    let h = self.expr(scope, d);
                    scope.pop();
                    self.p.guard(body, e, h)
                }
                7 => {
                    let r = self.expr(scope, d);
                    self.p.perform(r)
                }
                8 => {
                    let (f, xs) = (self.expr(scope, d), self.expr(scope, d));
                    self.p.builtin("%apply", vec![f, xs])
                }
                9 => {
                    let (f, x) = (self.expr(scope, d), self.expr(scope, d));
                    self.p.call(f, vec![x])
                }
                10 => {
                    let v = self.expr(scope, d);
                    self.p.builtin("raise", vec![v])
                }
                11 => {
                    // mutually recursive letrec pair, possibly with set! of a name
                    let (f1, f2, a1, a2) = (self.p.local("f1"), self.p.local("f2"), self.p.local("a"), self.p.local("b"));
                    scope.extend([f1, f2, a1]);
                    let b1 = self.expr(scope, d);
                    scope.pop();
                    scope.push(a2);
                    let b2 = self.expr(scope, d);
                    scope.pop();
                    let l1 = self.p.lambda(Some("f1"), vec![a1], None, b1);
                    let l2 = self.p.lambda(Some("f2"), vec![a2], None, b2);
                    let body = self.expr(scope, d);
                    scope.pop();
                    scope.pop();
                    self.p.letrec(vec![(f1, l1), (f2, l2)], body)
                }
                _ => {
                    let (a, b) = (self.expr(scope, d), self.expr(scope, d));
                    self.p.seq(vec![a, b])
                }
            }
        }
    }

    #[test]
    fn random_programs_lower_and_optimise_under_the_verifier() {
        let (mut compared, mut ok_results) = (0, 0);
        for seed in 1..2000u64 {
            let mut g = Gen { s: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1, p: P::new() };
            let mut scope = Vec::new();
            let e = g.expr(&mut scope, 6);
            let body = g.p.lambda(Some("h"), vec![], None, e);
            let d = g.p.define("h", body);
            let c = g.p.callg("h", vec![]);
            let a = g.p.local("a");
            let gl = g.p.lambda(Some("g"), vec![a], None, g.p.callg("+", vec![g.p.var(a), g.p.int(1)]));
            let dg = g.p.define("g", gl);
            g.p.body.extend([dg, d, c]);
            let prog = g.p.finish();
            let m = lower_program(&prog, &prims);
            if let Err(e) = verify_module(&m) {
                panic!("seed {seed}: {e:#?}\n{m}");
            }
            let mut o = m.clone();
            ir::optimise(&mut o); // verifies after every pass (debug)
            // Optimised layout: every block after its immediate dominator.
            for f in &o.funcs {
                for (b, d) in ir::verify::dominators(f).iter().enumerate().skip(1) {
                    assert!(d.is_some_and(|d| d.index() < b), "seed {seed}: block{b} before its dominator\n{o}");
                }
            }
            // Differential check: same result before and after optimisation.
            let show = |r: Result<eval::V, eval::Stop>| match r {
                Ok(v) => Some(format!("ok {}", v.show())),
                Err(eval::Stop::Raised(v)) => Some(format!("raised {}", v.show())),
                Err(eval::Stop::Exhausted) => None,
            };
            if let (Some(before), Some(after)) = (show(eval::Eval::run(&m, 20_000)), show(eval::Eval::run(&o, 20_000))) {
                compared += 1;
                if before.starts_with("ok") {
                    ok_results += 1;
                }
                assert_eq!(before, after, "seed {seed}: optimisation changed the result\n{m}\n-- optimised --\n{o}");
            }
            for x in [&m, &o] {
                let text = format!("{x}");
                let back = ir::parse_module(&text).unwrap_or_else(|e| panic!("seed {seed}: {e}\n{text}"));
                assert_eq!(format!("{back}"), text);
            }
            let again = format!("{}", lower_program(&prog, &prims));
            assert_eq!(again, format!("{m}"), "lowering is deterministic");
        }
        eprintln!("differential: {compared} programs compared, {ok_results} returned normally");
        assert!(compared > 1000 && ok_results > 100, "generator too weak: {compared} compared, {ok_results} ok");
    }
}

#[test]
fn open_world_treats_globals_as_unknown() {
    let mut m = lower_src("(define (f) 1) (define (g) (+ (f) 1))");
    ir::optimise_with(&mut m, &ir::OptOptions { closed_world: false, inline: true });
    check(&m);
    assert_eq!(effect_of(&m, "g"), Effect::MaySuspend);
    assert_eq!(effect_of(&m, "f"), Effect::Pure);
    let g = m.funcs.iter().find(|f| f.name.as_deref() == Some("g")).unwrap();
    assert!(g.blocks.iter().any(|b| matches!(b.term, Terminator::CallK { .. })));
}

/// Pass tests on textual IR: parse, run one pass, compare the printed result.
mod pass_files {
    use super::*;

    fn run(pass: fn(&mut Module), input: &str, want: &str) {
        let mut m = ir::parse_module(input).unwrap();
        check(&m);
        pass(&mut m);
        check(&m);
        assert_eq!(m.to_string(), want);
    }

    const HDR: &str = "fn f0 \"<toplevel>\" (arity 0, captures 0) pure entry {\nblock0:\n    v0: nil = const nil\n    return v0\n}\n\n";

    #[test]
    fn simplify_cfg_merges_and_bypasses() {
        let input = format!(
            "{HDR}fn f1 \"t\" (arity 1, captures 0) pure {{
block0(v0: any):
    branch v0, block1, block2
block1:
    jump block3
block2:
    v1: int = const 2
    jump block4(v1)
block3:
    jump block4(v0)
block4(v2: any):
    jump block5(v2)
block5(v3: any):
    return v3
}}
"
        );
        let want = format!(
            "{HDR}fn f1 \"t\" (arity 1, captures 0) pure {{
block0(v0: any):
    branch v0, block2(v0), block1
block1:
    v1: int = const 2
    jump block2(v1)
block2(v2: any):
    return v2
}}
"
        );
        run(ir::passes::simplify_cfg, &input, &want);
    }

    #[test]
    fn dce_removes_dead_pure_insts_params_and_blocks() {
        let input = format!(
            "{HDR}fn f1 \"t\" (arity 1, captures 0) pure {{
block0(v0: any):
    v1 = capture 0
    v2: int = const 1
    v3 = cell_new v2
    v4 = cell_get v3
    v5 = prim \"car\" v0
    jump block1(v2, v5)
block1(v6: any, v7: any):
    return v7
block2:
    return v0
}}
"
        )
        .replace("captures 0) pure {\nblock0(v0: any):\n    v1 = capture 0", "captures 1) pure {\nblock0(v0: any):\n    v1 = capture 0");
        let want = format!(
            "{HDR}fn f1 \"t\" (arity 1, captures 1) pure {{
block0(v0: any):
    v1 = prim \"car\" v0
    jump block1(v1)
block1(v2: any):
    return v2
}}
"
        );
        run(ir::passes::dce, &input, &want);
    }

    #[test]
    fn const_fold_branch_and_typed_ops() {
        let input = format!(
            "{HDR}fn f1 \"t\" (arity 0, captures 0) pure {{
block0:
    v0: int = const 7
    v1: int = const 9223372036854775807
    v2 = iadd.ovf v0, v0
    v3 = iadd.ovf v1, v0
    v4 = icmp lt v0, v2
    branch v4, block1, block2
block1:
    return v2
block2:
    return v3
}}
"
        );
        let want = format!(
            "{HDR}fn f1 \"t\" (arity 0, captures 0) pure {{
block0:
    v0: int = const 7
    v1: int = const 9223372036854775807
    v2: int = const 14
    v3 = iadd.ovf v1, v0
    v4: bool = const true
    jump block1
block1:
    return v2
block2:
    return v3
}}
"
        );
        run(ir::passes::const_fold, &input, &want);
    }

    #[test]
    fn inline_closure_with_captures_at_call_site() {
        let input = format!(
            "{HDR}fn f1 \"outer\" (arity 1, captures 0) may-raise {{
block0(v0: any):
    v1: closure = make_closure f2 [v0]
    v2: int = const 1
    v3 = call v1(v2)
    v4 = prim \"+\" v3, v3
    return v4
}}

fn f2 \"add\" (arity 1, captures 1) may-raise {{
block0(v0: any):
    v1 = capture 0
    v2 = prim \"+\" v0, v1
    return v2
}}
"
        );
        let want = format!(
            "{HDR}fn f1 \"outer\" (arity 1, captures 0) may-raise {{
block0(v0: any):
    v1: closure = make_closure f2 [v0]
    v2: int = const 1
    v3 = prim \"+\" v2, v0
    v4 = prim \"+\" v3, v3
    return v4
}}

fn f2 \"add\" (arity 1, captures 1) may-raise {{
block0(v0: any):
    v1 = capture 0
    v2 = prim \"+\" v0, v1
    return v2
}}
"
        );
        run(|m| {
            ir::passes::inline(m);
            ir::passes::simplify_cfg(m);
        }, &input, &want);
    }
}

#[test]
fn evaluator_sanity_fib_and_closures() {
    for (src, want) in [
        ("(define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2))))) (fib 15)", "ok 610"),
        ("(define (make-adder n) (fn (x) (+ x n))) ((make-adder 1) 2)", "ok 3"),
        ("(define (counter) (let ((c 0)) (fn () (set! c (+ c 1)) c))) (define k (counter)) (k) (k) (k)", "ok 3"),
        ("(define (sum n) (let loop ((i 0) (acc 0)) (if (> i n) acc (loop (+ i 1) (+ acc i))))) (sum 100)", "ok 5050"),
        ("(define (f x) (guard (e (true (list 'caught e))) (raise x))) (f 7)", "ok (\"Symbol(\\\"caught\\\")\" 7)"),
        ("(+ 9223372036854775807 1)", "raised \"integer overflow\""),
        ("(define (p) (+ 1 (perform 41))) (p)", "ok 42"),
    ] {
        let m = lower_src(src);
        let o = opt(m.clone());
        for x in [&m, &o] {
            let got = match eval::Eval::run(x, 1_000_000) {
                Ok(v) => format!("ok {}", v.show()),
                Err(eval::Stop::Raised(v)) => format!("raised {}", v.show()),
                Err(eval::Stop::Exhausted) => "exhausted".into(),
            };
            assert_eq!(got, want, "{src}\n{x}");
        }
    }
}

/// Regression: closures returned through several inlined/known calls.
#[test]
fn nested_closures_through_known_calls() {
    let src = "(define (get-v k) (perform k)) (define (mk k) (fn () (fn () (fn () (get-v k))))) ((((mk 2))))";
    let m = lower_src(src);
    let o = opt(m.clone());
    let show = |r: Result<eval::V, eval::Stop>| match r {
        Ok(v) => format!("ok {}", v.show()),
        Err(eval::Stop::Raised(v)) => format!("raised {}", v.show()),
        Err(eval::Stop::Exhausted) => "exhausted".into(),
    };
    assert_eq!(show(eval::Eval::run(&m, 100000)), "ok 2");
    assert_eq!(show(eval::Eval::run(&o, 100000)), "ok 2");
}

#[test]
fn captured_local_helper_is_a_known_callee() {
    let m = opt(lower_src(
        "(define (outer) (define (h x) (* x 2)) (fn (y) (list (h y) (h (+ y 1)))))
         (define (outer2 f) (fn (y) (f y)))",
    ));
    let lam = |name: &str| {
        // the anonymous lambda that follows the named function `name`
        let i = m.funcs.iter().position(|f| f.name.as_deref() == Some(name)).unwrap();
        m.funcs[i + 1..].iter().find(|f| f.name.is_none()).unwrap().clone()
    };
    assert_eq!(lam("outer").effect, Effect::MayRaise, "h is known through the capture:\n{m}");
    assert_eq!(lam("outer2").effect, Effect::MaySuspend, "f is a parameter: unknown");
}
