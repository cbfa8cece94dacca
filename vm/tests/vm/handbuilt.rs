//! Hand-built IR modules run through the bytecode compiler and interpreter.

use frontend::ast::Const;
use frontend::Span;
use ir::{Block, BlockCall, FuncId, Function, InstData, Module, Terminator, Type, Value as V};
use vm::ctx::Ctx;
use vm::isolate::{Isolate, Step};
use vm::value::Value;

struct Fb {
    f: Function,
}

impl Fb {
    fn new(name: &str, arity: u32) -> (Fb, Block, Vec<V>) {
        let mut f = Function::new(Some(name.to_string()), Span::default());
        f.arity = arity;
        let b0 = f.add_block();
        let params = (0..arity).map(|_| f.add_block_param(b0, Type::Any)).collect();
        (Fb { f }, b0, params)
    }
    fn block(&mut self, nparams: usize) -> (Block, Vec<V>) {
        let b = self.f.add_block();
        let ps = (0..nparams).map(|_| self.f.add_block_param(b, Type::Any)).collect();
        (b, ps)
    }
    fn i(&mut self, b: Block, d: InstData) -> V {
        self.f.push_inst(b, d, Type::Any, Span::default())
    }
    fn int(&mut self, b: Block, n: i64) -> V {
        self.i(b, InstData::Const(Const::Int(n)))
    }
    fn prim(&mut self, b: Block, name: &str, args: &[V]) -> V {
        self.i(b, InstData::Prim(name.to_string(), args.to_vec()))
    }
    fn t(&mut self, b: Block, t: Terminator) {
        self.f.set_terminator(b, t, Span::default())
    }
}

fn jump(b: Block, args: &[V]) -> BlockCall {
    BlockCall { block: b, args: args.to_vec() }
}

fn isolate() -> Isolate {
    Isolate::bare(Ctx::with_output(Box::new(std::io::sink()), Box::new(std::io::sink())))
}

fn run_module(m: &Module) -> Step {
    let mut iso = isolate();
    let mut fiber = iso.load_module(m);
    iso.resume(&mut fiber, Ok(Value::Nil))
}

fn expect_int(s: Step) -> i64 {
    match s {
        Step::Done(Value::Int(i)) => i,
        other => panic!("expected an int, got {other:?}"),
    }
}

/// fib(n) via the global `fib`, non-tail recursive.
fn fib_func() -> Function {
    let (mut fb, b0, ps) = Fb::new("fib", 1);
    let n = ps[0];
    let two = fb.int(b0, 2);
    let c = fb.prim(b0, "<", &[n, two]);
    let (b1, _) = fb.block(0);
    let (b2, _) = fb.block(0);
    fb.t(b0, Terminator::Branch { cond: c, then_dest: jump(b1, &[]), else_dest: jump(b2, &[]) });
    fb.t(b1, Terminator::Return(n));
    let one = fb.int(b2, 1);
    let a = fb.prim(b2, "-", &[n, one]);
    let g = fb.i(b2, InstData::GlobalGet("fib".into()));
    let r1 = fb.i(b2, InstData::Call(g, vec![a]));
    let two2 = fb.int(b2, 2);
    let a2 = fb.prim(b2, "-", &[n, two2]);
    let g2 = fb.i(b2, InstData::GlobalGet("fib".into()));
    let r2 = fb.i(b2, InstData::Call(g2, vec![a2]));
    let s = fb.prim(b2, "+", &[r1, r2]);
    fb.t(b2, Terminator::Return(s));
    fb.f
}

/// A toplevel that defines global `name` as closure of func 1 and calls it with `arg`.
fn toplevel_calling(name: &str, arg: i64) -> Function {
    let (mut fb, b0, _) = Fb::new("<toplevel>", 0);
    let c = fb.i(b0, InstData::MakeClosure(FuncId(1), vec![]));
    fb.i(b0, InstData::GlobalDefine(name.into(), c));
    let g = fb.i(b0, InstData::GlobalGet(name.into()));
    let a = fb.int(b0, arg);
    fb.t(b0, Terminator::TailCall { callee: g, args: vec![a] });
    fb.f
}

fn module(funcs: Vec<Function>) -> Module {
    Module { funcs, entry: Some(FuncId(0)) }
}

#[test]
fn fib_20() {
    let m = module(vec![toplevel_calling("fib", 20), fib_func()]);
    assert_eq!(expect_int(run_module(&m)), 6765);
}

#[test]
fn disassembles() {
    let m = module(vec![toplevel_calling("fib", 20), fib_func()]);
    let mut g = vm::bytecode::GlobalTable::new();
    let p = vm::bytecode::compile_module(&m, &mut g);
    let text = p.disassemble(None);
    assert!(text.contains("proto fib"), "{text}");
    assert!(text.contains("ret.if  <"), "{text}");
    assert!(text.contains("call.g"), "{text}");
}

/// sum of 0..n with a loop (block params, back-edge).
fn sum_loop(n: i64) -> Function {
    let (mut fb, b0, _) = Fb::new("<toplevel>", 0);
    let z = fb.int(b0, 0);
    let (b1, ps) = fb.block(2);
    let (b2, _) = fb.block(0);
    let (b3, _) = fb.block(0);
    fb.t(b0, Terminator::Jump(jump(b1, &[z, z])));
    let lim = fb.int(b1, n);
    let c = fb.prim(b1, "<", &[ps[0], lim]);
    fb.t(b1, Terminator::Branch { cond: c, then_dest: jump(b2, &[]), else_dest: jump(b3, &[]) });
    let one = fb.int(b2, 1);
    let i2 = fb.prim(b2, "+", &[ps[0], one]);
    let acc2 = fb.prim(b2, "+", &[ps[1], ps[0]]);
    fb.t(b2, Terminator::Jump(jump(b1, &[i2, acc2])));
    fb.t(b3, Terminator::Return(ps[1]));
    fb.f
}

#[test]
fn loop_million() {
    let m = module(vec![sum_loop(1_000_000)]);
    let mut iso = isolate();
    let mut fiber = iso.load_module(&m);
    assert_eq!(expect_int(iso.resume(&mut fiber, Ok(Value::Nil))), 499_999_500_000);
    let prof = iso.profiles();
    assert_eq!(prof[0].loop_iterations(), 1_000_000);
}

#[test]
fn swap_parallel_moves() {
    // loop(a, b, k): if k == 0 return a - b else loop(b, a, k - 1)  (the swap is a move cycle)
    let (mut fb, b0, _) = Fb::new("<toplevel>", 0);
    let a = fb.int(b0, 1);
    let b = fb.int(b0, 10);
    let k = fb.int(b0, 3);
    let (b1, ps) = fb.block(3);
    let (b2, _) = fb.block(0);
    let (b3, _) = fb.block(0);
    fb.t(b0, Terminator::Jump(jump(b1, &[a, b, k])));
    let z = fb.int(b1, 0);
    let c = fb.prim(b1, "=", &[ps[2], z]);
    fb.t(b1, Terminator::Branch { cond: c, then_dest: jump(b3, &[]), else_dest: jump(b2, &[]) });
    let one = fb.int(b2, 1);
    let k2 = fb.prim(b2, "-", &[ps[2], one]);
    fb.t(b2, Terminator::Jump(jump(b1, &[ps[1], ps[0], k2])));
    let d = fb.prim(b3, "-", &[ps[0], ps[1]]);
    fb.t(b3, Terminator::Return(d));
    // 3 swaps: (1,10) -> (10,1) -> (1,10) -> (10,1): 10 - 1
    assert_eq!(expect_int(run_module(&module(vec![fb.f]))), 9);
}

#[test]
fn suspension_in_nested_call() {
    // f1(x) = perform(x) + 1; toplevel: f1(5) * 2
    let (mut fb, b0, ps) = Fb::new("ask", 1);
    let (b1, r) = fb.block(1);
    fb.t(b0, Terminator::Suspend { request: ps[0], cont: b1 });
    let one = fb.int(b1, 1);
    let s = fb.prim(b1, "+", &[r[0], one]);
    fb.t(b1, Terminator::Return(s));
    let ask = fb.f;
    let (mut tb, t0, _) = Fb::new("<toplevel>", 0);
    let c = tb.i(t0, InstData::MakeClosure(FuncId(1), vec![]));
    let five = tb.int(t0, 5);
    let (t1, res) = tb.block(1);
    tb.t(t0, Terminator::CallK { callee: c, args: vec![five], cont: t1 });
    let two = tb.int(t1, 2);
    let m2 = tb.prim(t1, "*", &[res[0], two]);
    tb.t(t1, Terminator::Return(m2));
    let m = module(vec![tb.f, ask]);
    let mut iso = isolate();
    let mut fiber = iso.load_module(&m);
    match iso.resume(&mut fiber, Ok(Value::Nil)) {
        Step::Suspended(Value::Int(5)) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(fiber.frame_depth(), 2);
    assert_eq!(expect_int(iso.resume(&mut fiber, Ok(Value::Int(20)))), 42);
    // resuming with an error raises it at the perform
    let mut fiber = iso.load_module(&m);
    assert!(matches!(iso.resume(&mut fiber, Ok(Value::Nil)), Step::Suspended(_)));
    match iso.resume(&mut fiber, Err(Value::Int(9))) {
        Step::Failed(e) => assert!(matches!(e.value, Value::Int(9))),
        other => panic!("{other:?}"),
    }
}

/// toplevel: try-call thunk (func 1); ok => x; err => e + 100
fn try_module(thunk: Function) -> Module {
    let (mut tb, t0, _) = Fb::new("<toplevel>", 0);
    let th = tb.i(t0, InstData::MakeClosure(FuncId(1), vec![]));
    let (ok, x) = tb.block(1);
    let (err, e) = tb.block(1);
    tb.t(t0, Terminator::TryCall { thunk: th, ok, err });
    tb.t(ok, Terminator::Return(x[0]));
    let h = tb.int(err, 100);
    let s = tb.prim(err, "+", &[e[0], h]);
    tb.t(err, Terminator::Return(s));
    module(vec![tb.f, thunk])
}

#[test]
fn try_raise() {
    let (mut fb, b0, _) = Fb::new("thunk", 0);
    let seven = fb.int(b0, 7);
    fb.t(b0, Terminator::Raise(seven));
    assert_eq!(expect_int(run_module(&try_module(fb.f))), 107);
    let (mut fb, b0, _) = Fb::new("thunk", 0);
    let seven = fb.int(b0, 7);
    fb.t(b0, Terminator::Return(seven));
    assert_eq!(expect_int(run_module(&try_module(fb.f))), 7);
}

#[test]
fn uncaught_not_callable() {
    let (mut fb, b0, _) = Fb::new("<toplevel>", 0);
    let five = fb.int(b0, 5);
    let r = fb.i(b0, InstData::Call(five, vec![]));
    fb.t(b0, Terminator::Return(r));
    match run_module(&module(vec![fb.f])) {
        Step::Failed(e) => {
            assert_eq!(e.message, "not callable: 5");
            assert_eq!(e.backtrace.len(), 1, "{:?}", e.backtrace);
            assert!(e.backtrace[0].starts_with("  at <toplevel> ("), "{:?}", e.backtrace);
        }
        other => panic!("{other:?}"),
    }
}

/// down(n) = if n == 0 then 0 else 1 + down(n - 1)
fn down_func() -> Function {
    let (mut fb, b0, ps) = Fb::new("down", 1);
    let z = fb.int(b0, 0);
    let c = fb.prim(b0, "=", &[ps[0], z]);
    let (b1, _) = fb.block(0);
    let (b2, _) = fb.block(0);
    fb.t(b0, Terminator::Branch { cond: c, then_dest: jump(b1, &[]), else_dest: jump(b2, &[]) });
    fb.t(b1, Terminator::Return(z));
    let one = fb.int(b2, 1);
    let a = fb.prim(b2, "-", &[ps[0], one]);
    let g = fb.i(b2, InstData::GlobalGet("down".into()));
    let r = fb.i(b2, InstData::Call(g, vec![a]));
    let s = fb.prim(b2, "+", &[r, one]);
    fb.t(b2, Terminator::Return(s));
    fb.f
}

#[test]
fn deep_recursion_and_overflow() {
    let m = module(vec![toplevel_calling("down", 100_000), down_func()]);
    assert_eq!(expect_int(run_module(&m)), 100_000);
    let m = module(vec![toplevel_calling("down", 10_000_000), down_func()]);
    match run_module(&m) {
        Step::Failed(e) => assert_eq!(e.message, "stack overflow"),
        other => panic!("{other:?}"),
    }
}

/// even?/odd? by mutual tail calls through globals.
#[test]
fn mutual_tail_recursion() {
    let mk = |name: &str, other: &str, zero: i64| {
        let (mut fb, b0, ps) = Fb::new(name, 1);
        let z = fb.int(b0, 0);
        let c = fb.prim(b0, "=", &[ps[0], z]);
        let (b1, _) = fb.block(0);
        let (b2, _) = fb.block(0);
        fb.t(b0, Terminator::Branch { cond: c, then_dest: jump(b1, &[]), else_dest: jump(b2, &[]) });
        let r = fb.int(b1, zero);
        fb.t(b1, Terminator::Return(r));
        let one = fb.int(b2, 1);
        let a = fb.prim(b2, "-", &[ps[0], one]);
        let g = fb.i(b2, InstData::GlobalGet(other.into()));
        fb.t(b2, Terminator::TailCall { callee: g, args: vec![a] });
        fb.f
    };
    let (mut tb, t0, _) = Fb::new("<toplevel>", 0);
    let e = tb.i(t0, InstData::MakeClosure(FuncId(1), vec![]));
    tb.i(t0, InstData::GlobalDefine("ev".into(), e));
    let o = tb.i(t0, InstData::MakeClosure(FuncId(2), vec![]));
    tb.i(t0, InstData::GlobalDefine("od".into(), o));
    let n = tb.int(t0, 1_000_001);
    tb.t(t0, Terminator::TailCall { callee: e, args: vec![n] });
    let m = module(vec![tb.f, mk("ev", "od", 1), mk("od", "ev", 0)]);
    assert_eq!(expect_int(run_module(&m)), 0);
}
