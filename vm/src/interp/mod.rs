//! The interpreter: a register-machine dispatch loop over [`Proto`] bytecode.
//!
//! SX calls push [`Frame`]s on the fiber's heap frame stack and returns pop
//! them: the Rust stack does not grow with SX recursion. Tail calls reuse the
//! frame. A raise unwinds frames to the nearest `TryCall` marker. `Suspend`
//! returns from the loop with the stack intact (see `docs/vm.md`).

mod calls;
mod entry;
pub(crate) mod fast;
pub mod rt;

pub use entry::resume;
pub(crate) use entry::{capture_backtrace, unwind};
pub(crate) use fast::cmp_slow;
use entry::finish;
use fast::*;

use crate::bytecode::{prim_of, GlobalTable, Op, Proto, ProtoRef, Reg};
use crate::ctx::Ctx;
use crate::fiber::{Fiber, FiberState, Frame};
use crate::interrupt::Action;
use crate::isolate::Step;
use crate::profile::kind_bit;
use crate::value::{Closure, Value};
use calls::Outcome;
use frontend::SourceMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering};

/// Everything the dispatch loop needs besides the fiber.
pub struct Env<'a> {
    /// Global variables.
    pub globals: &'a mut GlobalTable,
    /// Primitive context (output, gensym, rng).
    pub ctx: &'a mut Ctx,
    /// For rendering backtrace locations.
    pub sources: &'a SourceMap,
}

/// The main dispatch loop. Precondition: the fiber has a top frame whose `pc`
/// is where to continue.
pub(super) fn run(f: &mut Fiber, env: &mut Env) -> Step {
    f.state = FiberState::Running;
    let Some(t) = f.frames.last() else { unreachable!("run without a frame") };
    let mut clo: *const Closure = Rc::as_ptr(&t.closure);
    // SAFETY (for every `&*clo` / `&*proto` / `code` below): `clo` always points
    // to the closure held by the top frame of `f.frames`, which keeps it (and
    // its proto and code) alive; they are reloaded whenever the top frame changes.
    let mut proto: *const Proto = Rc::as_ptr(&unsafe { &*clo }.proto);
    let mut code: *const Op = unsafe { &*proto }.code.as_ptr();
    let mut base = t.base as usize;
    // The next instruction, as a pointer into `code` rather than an index:
    // fetching through it needs no multiply-add per dispatch (a frame's
    // saved `pc` is converted at calls and returns). SAFETY (for every
    // `code.add(..)` below): a saved pc, a jump target and 0 are in bounds
    // of the code (`Proto::validate`).
    let mut ip: *const Op = unsafe { code.add(t.pc as usize) };
    // The top frame: `f.frames.as_mut_ptr() + f.frames.len() - 1`, kept in
    // step with every push and pop here and recomputed (`reload!`) after
    // anything else that may push, pop or reallocate the frame stack.
    let mut top: *mut Frame = unsafe { f.frames.as_mut_ptr().add(f.frames.len() - 1) };
    // Pushing a frame in place needs `len < frame_cap`: at most `max_frames`
    // frames, and a free slot in the stack's allocation (its capacity never
    // shrinks while the fiber runs, so a stale value is only too small).
    let mut frame_cap = f.max_frames.min(f.frames.capacity());
    // The current register window: `f.regs.as_mut_ptr() + base`, recomputed
    // whenever `base` changes or the register file may have been reallocated
    // or mutably borrowed.
    let mut win: *mut Value = unsafe { f.regs.as_mut_ptr().add(base) };
    // The fiber's interrupt word, polled at every safepoint (`poll!`).
    // SAFETY: it lives in an `Arc` the fiber holds for its whole life, and
    // `f` is borrowed for the whole loop.
    let iw: *const AtomicU32 = f.interrupt.word();

    // SAFETY of unchecked register access: `Proto::validate` (run on every
    // compiled proto) guarantees each register operand is below `nregs`, and a
    // frame is only entered after `regs.len() >= base + nregs` was ensured;
    // the register file never shrinks while frames are live.
    macro_rules! reg {
        ($r:expr) => {
            *unsafe { &*win.add($r as usize) }
        };
    }
    macro_rules! set_reg {
        ($r:expr, $v:expr) => {{
            let v = $v;
            fast_set(unsafe { &mut *win.add($r as usize) }, v)
        }};
    }
    macro_rules! set_int {
        ($r:expr, $i:expr) => {{
            let i: i64 = $i;
            put_int(unsafe { &mut *win.add($r as usize) }, i)
        }};
    }
    macro_rules! wreg {
        ($r:expr) => {
            *unsafe { &mut *win.add($r as usize) }
        };
    }
    macro_rules! rewin {
        () => {
            win = unsafe { f.regs.as_mut_ptr().add(base) }
        };
    }
    // The argument registers of a call: SAFETY: `Proto::validate` checked
    // every instruction's `args`/`n` range against the pool.
    macro_rules! args {
        ($p:expr, $args:expr, $n:expr) => {
            unsafe { $p.args_unchecked($args as u32, $n as u16) }
        };
    }
    // Their last-use flags (`Proto::arg_dies`). SAFETY: as for `args!`.
    macro_rules! dies {
        ($p:expr, $args:expr, $n:expr) => {
            unsafe { $p.arg_dies_unchecked($args as u32, $n as u16) }
        };
    }
    // Continues in frame `*top`: its closure, code, registers and saved pc.
    macro_rules! enter_top {
        () => {{
            // SAFETY: `top` points to the live top frame.
            let t = unsafe { &*top };
            clo = Rc::as_ptr(&t.closure);
            proto = Rc::as_ptr(&unsafe { &*clo }.proto);
            code = unsafe { &*proto }.code.as_ptr();
            base = t.base as usize;
            ip = unsafe { code.add(t.pc as usize) };
            rewin!();
        }};
    }
    macro_rules! reload {
        () => {{
            top = f.frames.last_mut().unwrap();
            enter_top!();
        }};
    }
    // The index of the next instruction.
    macro_rules! cur_pc {
        () => {
            // SAFETY: `ip` points into (or one past the end of) the running
            // proto's code, the allocation `code` points to.
            unsafe { ip.offset_from(code) as usize }
        };
    }
    macro_rules! save_pc {
        () => {
            let pc = cur_pc!() as u32;
            // SAFETY: `top` is the live top frame (see its declaration).
            unsafe { (*top).pc = pc }
        };
    }
    macro_rules! do_return_with {
        ($write:ident, $v:expr) => {{
            let v = $v;
            // Dead registers must not keep values alive (deep recursion would
            // otherwise retain one intermediate value per returned frame).
            // (`proto` is still the returning function's.) Every register that
            // may hold one is below `heap_hi`: one contiguous scan, no index list.
            // SAFETY: `heap_hi <= nregs` (`Proto::validate`), and the window
            // has `nregs` registers.
            clear_window(unsafe { std::slice::from_raw_parts_mut(win, (*proto).heap_hi as usize) });
            let len = f.frames.len() - 1;
            // SAFETY: `top` is the last of `len + 1` frames: its closure is
            // moved out exactly once, then the length drops below it (nothing
            // in between can panic), so the slot is never read or dropped again.
            let (old, ret) = unsafe { (std::ptr::read(&(*top).closure), (*top).ret) };
            unsafe { f.frames.set_len(len) };
            if len == 0 {
                drop(old);
                return finish(f, Step::Done(into_value!($write, v)));
            }
            // SAFETY: `len >= 1` frames remain; the new top is the one below.
            top = unsafe { top.sub(1) };
            enter_top!();
            $write(unsafe { &mut *win.add(ret as usize) }, v);
            drop(old);
            // Compiled code left this frame at the call that just returned:
            // continue it there in compiled code.
            if unsafe { (*top).resume } {
                match crate::jit::runtime::resume_frames(f, env) {
                    Ok(Some(v)) => return finish(f, Step::Done(v)),
                    Ok(None) => reload!(),
                    Err(e) => {
                        reload!();
                        throw!(e);
                    }
                }
            }
        }};
    }
    macro_rules! do_return {
        ($v:expr) => {
            do_return_with!(fast_set, $v)
        };
    }
    // Returns the value of register `src` (numbers copied field by field).
    macro_rules! return_reg {
        ($src:expr) => {{
            if let Value::Int(i) = &reg!($src) {
                // SAFETY: as in `fast_clone`.
                let i = unsafe { std::ptr::read_volatile(i) };
                do_return_with!(put_int, i);
            } else {
                let v = fast_take(&mut wreg!($src));
                do_return!(v);
            }
        }};
    }
    macro_rules! into_value {
        (fast_set, $v:expr) => {
            $v
        };
        (put_int, $v:expr) => {
            Value::Int($v)
        };
    }
    macro_rules! set_float {
        ($r:expr, $x:expr) => {{
            let x: f64 = $x;
            put_float(unsafe { &mut *win.add($r as usize) }, x)
        }};
    }
    // Records that a float took an instruction's float fast path (the
    // profile the JIT specialises on), storing only when the bit is new.
    macro_rules! note_float {
        ($p:expr) => {{
            let c = &$p.profile.feedback[cur_pc!() - 1];
            if c.get() & crate::profile::kinds::FLOAT == 0 {
                c.set(c.get() | crate::profile::kinds::FLOAT);
            }
        }};
    }
    macro_rules! feedback {
        ($p:expr, $bits:expr) => {{
            let c = &$p.profile.feedback[cur_pc!() - 1];
            c.set(c.get() | $bits);
        }};
    }

  // Set by `poll!` when it leaves the dispatch loop to service the interrupt word.
  let mut interrupted = false;
  loop {
    let raised: Value = 'dispatch: loop {
        // Raising leaves the dispatch loop with the raised value.
        macro_rules! throw {
            ($e:expr) => {{
                break 'dispatch $e;
            }};
        }
        // A safepoint (loop back-edges, self tail calls, calls once the
        // callee's frame is entered): one relaxed load compared with 0; a
        // set bit goes to the out-of-line `interrupt::service` (shared with
        // compiled code). The top frame is consistent here, with `ip` at the
        // next instruction to run, so yielding saves it and returns.
        // The cold path is shared: every site leaves the dispatch loop the
        // way a raise does, with `interrupted` set (so each site is a load,
        // a test and a branch, and the hot loop's register allocation does
        // not see the servicing code).
        // (Compiled out by the measurement-only feature `bench-no-checks`.)
        #[cfg(not(feature = "bench-no-checks"))]
        macro_rules! poll {
            () => {{
                // SAFETY: see `iw`.
                if unsafe { &*iw }.load(Ordering::Relaxed) != 0 {
                    interrupted = true;
                    break 'dispatch Value::Nil;
                }
            }};
        }
        #[cfg(feature = "bench-no-checks")]
        macro_rules! poll {
            () => {{
                let _ = (iw, &mut interrupted);
            }};
        }
        // Runs compiled entry `e` from state 0 on the top frame (at `base`).
        // It returns with the frame popped, or leaves the activation (or a
        // deeper one) to us at its saved pc; a raise unwinds from there.
        macro_rules! run_compiled {
            ($e:expr) => {{
                match crate::jit::runtime::enter(f, env, $e, base, 0) {
                    Ok(Some(v)) => return finish(f, Step::Done(v)),
                    Ok(None) => reload!(),
                    Err(v) => {
                        reload!();
                        throw!(v);
                    }
                }
            }};
        }
        // Enters closure `c` (exact arity, no &rest) with the `n` argument
        // registers at `args`, result to `dst` (a new frame).
        macro_rules! enter_fast {
            ($p:ident, $c:expr, $args:expr, $n:expr, $dst:expr) => {{
                let p: &Proto = $p;
                let c: Rc<Closure> = $c;
                let (args, n, dst): (u32, u16, Reg) = ($args as u32, $n as u16, $dst);
                let cp: &Proto = &c.proto;
                let len = f.frames.len();
                if len >= frame_cap {
                    if len >= f.max_frames {
                        throw!(rt::error("stack overflow"));
                    }
                    f.frames.reserve(1);
                    frame_cap = f.max_frames.min(f.frames.capacity());
                    // SAFETY: `len >= 1` frames (the caller's).
                    top = unsafe { f.frames.as_mut_ptr().add(len - 1) };
                }
                let new_base = base + p.nregs as usize;
                let need = new_base + cp.nregs as usize;
                if need > f.regs.len() {
                    if need > f.max_regs {
                        throw!(rt::error("stack overflow"));
                    }
                    f.regs.resize(need, Value::Nil);
                    rewin!();
                }
                // SAFETY: `need` registers were ensured above and i < arity <= nregs.
                let nwin = unsafe { win.add(p.nregs as usize) };
                let dies = dies!(p, args, n);
                for (i, &r) in args!(p, args, n).iter().enumerate() {
                    // SAFETY: distinct windows (`nwin` starts past this frame's registers).
                    pass_arg(unsafe { &mut *nwin.add(i) }, &mut wreg!(r), dies[i]);
                }
                let calls = &cp.profile.calls;
                calls.set(calls.get() + 1);
                let entry = crate::jit::call_entry(cp);
                save_pc!();
                clo = Rc::as_ptr(&c);
                proto = Rc::as_ptr(&c.proto);
                code = cp.code.as_ptr();
                // SAFETY: `len < frame_cap <= capacity`: slot `len` is free
                // storage right after `top`; it is fully written before
                // `set_len` makes it a frame.
                unsafe {
                    top = top.add(1);
                    write_frame(top, c, new_base as u32, dst, false);
                    f.frames.set_len(len + 1);
                }
                base = new_base;
                win = nwin;
                ip = code;
                poll!();
                if let Some(e) = entry {
                    run_compiled!(e);
                }
                continue;
            }};
        }
        // Calls primitive `id` with the `n` argument registers at `args`
        // (no allocation); evaluates to its result or raises.
        macro_rules! call_prim {
            ($p:ident, $id:expr, $args:expr, $n:expr) => {{
                let def = rt::prim_def($id);
                let argregs = args!($p, $args, $n);
                if let Err(e) = crate::prims::check_arity(def, argregs.len()) {
                    throw!(e);
                }
                let res = if argregs.len() == 1 {
                    (def.func)(env.ctx, std::slice::from_ref(&reg!(argregs[0])))
                } else {
                    for &r in argregs {
                        let v = fast_clone(&reg!(r));
                        f.scratch.push(v);
                    }
                    let res = (def.func)(env.ctx, &f.scratch);
                    f.scratch.clear();
                    res
                };
                match res {
                    Ok(v) => v,
                    Err(e) => throw!(e),
                }
            }};
        }
        // After a frame was pushed (or replaced) by a generic path: when its
        // function has (or, at the threshold, gets) compiled code, runs it —
        // on the fiber's bottom frame too (a request handler, a process
        // body), whose return ends the fiber.
        macro_rules! try_native {
            () => {{
                // SAFETY: `proto` is the top frame's (just reloaded).
                let cp: &Proto = unsafe { &*proto };
                if let Some(e) = crate::jit::call_entry(cp).filter(|_| cur_pc!() == 0) {
                    run_compiled!(e);
                }
            }};
        }
        // The generic call path (any callee: `&rest`, wrong arity, primitives,
        // components, non-functions): calls `cv` with `argv`, result to `dst`.
        macro_rules! call_generic {
            ($cv:expr, $argv:expr, $dst:expr) => {{
                let dst = $dst;
                save_pc!();
                match calls::call_vec(f, env, $cv, $argv, dst, false, false) {
                    Ok(Outcome::Pushed) => {
                        reload!();
                        poll!();
                        try_native!();
                    }
                    Ok(Outcome::Value(v)) => {
                        rewin!();
                        set_reg!(dst, v)
                    }
                    Err(e) => throw!(e),
                }
            }};
        }
        // [`call_generic!`] in tail position: replaces the frame, or returns
        // the value of a call that did not push one.
        macro_rules! tail_call_generic {
            ($cv:expr, $argv:expr) => {{
                save_pc!();
                match calls::call_vec(f, env, $cv, $argv, 0, true, false) {
                    Ok(Outcome::Pushed) => {
                        reload!();
                        poll!();
                        try_native!();
                    }
                    Ok(Outcome::Value(v)) => {
                        rewin!();
                        do_return!(v)
                    }
                    Err(e) => throw!(e),
                }
            }};
        }
        // The `n` argument registers at `args` in a vector: cloned, or moved
        // out when at their last use.
        macro_rules! arg_vec {
            ($p:ident, $args:expr, $n:expr) => {{
                let dies = dies!($p, $args, $n);
                args!($p, $args, $n).iter().zip(dies).map(|(&r, &d)| if d { fast_take(&mut wreg!(r)) } else { fast_clone(&reg!(r)) }).collect::<Vec<Value>>()
            }};
        }
        // Writes the `n` argument registers at `args` to `r0..n` (in order when
        // `direct`, else through the scratch buffer).
        macro_rules! tail_args {
            ($p:ident, $args:expr, $n:expr, $direct:expr) => {{
                let dies = dies!($p, $args, $n);
                if $direct {
                    for (i, &r) in args!($p, $args, $n).iter().enumerate() {
                        if r as usize != i {
                            // SAFETY: `r != i`: two distinct registers.
                            pass_arg(unsafe { &mut *win.add(i) }, &mut wreg!(r), dies[i]);
                        }
                    }
                } else {
                    for (&r, &d) in args!($p, $args, $n).iter().zip(dies) {
                        let v = if d { fast_take(&mut wreg!(r)) } else { fast_clone(&reg!(r)) };
                        f.scratch.push(v);
                    }
                    for (i, v) in f.scratch.drain(..).enumerate() {
                        set_reg!(i, v);
                    }
                }
            }};
        }
        // A tail call of the running closure (exact arity): new arguments,
        // back to the first instruction (the frame and its registers stay).
        macro_rules! self_tail {
            ($p:ident, $args:expr, $n:expr, $direct:expr) => {{
                tail_args!($p, $args, $n, $direct);
                let prof = &$p.profile;
                prof.calls.set(prof.calls.get() + 1);
                prof.self_tail_calls.set(prof.self_tail_calls.get() + 1);
                ip = code;
                poll!();
                // A loop of self tail calls tiers up too: its next iteration
                // starts in compiled code (entry at pc 0, arguments in place).
                try_native!();
                continue;
            }};
        }
        // Replaces the current frame by one of closure `c` (exact arity).
        macro_rules! tail_enter_fast {
            ($p:ident, $c:expr, $args:expr, $n:expr, $direct:expr) => {{
                let c: Rc<Closure> = $c;
                let need = base + c.proto.nregs as usize;
                if need > f.regs.len() {
                    if need > f.max_regs {
                        throw!(rt::error("stack overflow"));
                    }
                    f.regs.resize(need, Value::Nil);
                    rewin!();
                }
                tail_args!($p, $args, $n, $direct);
                let prof = &c.proto.profile;
                prof.calls.set(prof.calls.get() + 1);
                if std::ptr::eq(Rc::as_ptr(&c.proto), proto) {
                    prof.self_tail_calls.set(prof.self_tail_calls.get() + 1);
                }
                clo = Rc::as_ptr(&c);
                proto = Rc::as_ptr(&c.proto);
                code = c.proto.code.as_ptr();
                ip = code;
                // Replacing the closure may free the old proto: `p` is dead from here.
                // SAFETY: `top` is the live top frame.
                unsafe { (*top).closure = c };
                poll!();
                try_native!();
                continue;
            }};
        }
        let p: &Proto = unsafe { &*proto };
        debug_assert!(cur_pc!() < p.code.len());
        // SAFETY: validated code never falls off its end and jumps stay in
        // bounds, so `ip` points to an instruction. Matching through the
        // reference (rather than on a copy) lets each arm load only its own
        // operands: a copy is split into every field at the top of the loop,
        // costing loads, and spills, on every dispatch.
        let op: &Op = unsafe { &*ip };
        ip = unsafe { ip.add(1) };
        match *op {
            Op::Move { dst, src } => copy_into(unsafe { &mut *win.add(dst as usize) }, &reg!(src)),
            Op::Take { dst, src } => {
                if dst != src {
                    // SAFETY: two distinct registers.
                    pass_arg(unsafe { &mut *win.add(dst as usize) }, &mut wreg!(src), true);
                }
            }
            Op::LoadConst { dst, idx } => {
                // SAFETY: `Proto::validate` checked `idx` against the pool.
                let k = unsafe { p.consts.get_unchecked(idx as usize) };
                copy_into(unsafe { &mut *win.add(dst as usize) }, k);
            }
            Op::LoadInt { dst, val } => set_reg!(dst, Value::Int(val as i64)),
            Op::LoadNil { dst } => set_reg!(dst, Value::Nil),
            Op::LoadBool { dst, val } => set_reg!(dst, Value::Bool(val)),
            Op::Capture { dst, idx } => {
                let src: &Value = &unsafe { &*clo }.captures[idx as usize];
                copy_into(unsafe { &mut *win.add(dst as usize) }, src);
            }
            Op::SelfRef { dst } => {
                // SAFETY: `top` is the live top frame.
                let c = unsafe { &*top }.closure.clone();
                set_reg!(dst, Value::Closure(c));
            }
            Op::GlobalGet { dst, slot } => match &env.globals.values[slot as usize] {
                Some(v) => set_reg!(dst, fast_clone(v)),
                None => throw!(rt::error(format!("unbound name: {}", env.globals.name(slot)))),
            },
            Op::GlobalSet { dst, src, slot } => {
                if env.globals.values[slot as usize].is_none() {
                    throw!(rt::error(format!("unbound name: {}", env.globals.name(slot))));
                }
                env.globals.values[slot as usize] = Some(fast_clone(&reg!(src)));
                set_reg!(dst, Value::Nil);
            }
            Op::GlobalDefine { dst, src, slot } => {
                env.globals.values[slot as usize] = Some(fast_clone(&reg!(src)));
                set_reg!(dst, Value::Nil);
            }
            Op::MakeClosure { dst, proto: child, args, n } => {
                if n == 0 {
                    // A capture-free closure is made once per site's child
                    // proto and shared (see `Proto::static_closures`).
                    if let (Some(ProtoRef::Strong(cp)), Some(cache)) = (p.children().get(child as usize), p.static_closures.get()) {
                        let c = cache[child as usize].get_or_init(|| Rc::new(Closure { proto: cp.clone(), captures: Default::default() }));
                        set_reg!(dst, Value::Closure(c.clone()));
                        continue;
                    }
                }
                // Built with the count known: one or two captures fill the
                // inline buffer directly (no `extend` capacity checks).
                let argregs = args!(p, args, n);
                let captures: crate::value::Captures = match *argregs {
                    [a] => crate::value::Captures::from_buf_and_len([fast_clone(&reg!(a)), Value::Nil], 1),
                    [a, b] => crate::value::Captures::from_buf([fast_clone(&reg!(a)), fast_clone(&reg!(b))]),
                    _ => argregs.iter().map(|&r| fast_clone(&reg!(r))).collect(),
                };
                let Some(cp) = p.children()[child as usize].get() else {
                    throw!(rt::error("internal error: closure of a dropped module"));
                };
                let c = Closure { proto: cp, captures };
                set_reg!(dst, Value::Closure(Rc::new(c)));
            }
            Op::CellNew { dst, src } => {
                let v = fast_clone(&reg!(src));
                set_reg!(dst, Value::cell(v));
            }
            Op::CellGet { dst, cell } => {
                let v = match &reg!(cell) {
                    Value::Cell(c) => c.borrow().clone(),
                    other => other.clone(),
                };
                set_reg!(dst, v);
            }
            Op::CellSet { dst, cell, src } => {
                let v = fast_clone(&reg!(src));
                if let Value::Cell(c) = &reg!(cell) {
                    *c.borrow_mut() = v;
                }
                set_reg!(dst, Value::Nil);
            }
            Op::Prim { dst, prim, args, n } => {
                // SAFETY: `Proto::validate` checked that `prim` is a valid id
                // and that the primitive accepts `n` arguments.
                let def = unsafe { crate::prims::builtins().get_unchecked(prim as usize) };
                let argregs = args!(p, args, n);
                let res = match argregs.len() {
                    // One argument: pass the register itself (no copy).
                    1 => {
                        (def.func)(env.ctx, std::slice::from_ref(&reg!(argregs[0])))
                    }
                    // Two to four: bitwise copies, never dropped (no
                    // reference-count traffic). SAFETY: the registers keep the
                    // values alive for the call and a primitive cannot reach
                    // the registers.
                    2..=4 => {
                        let mut copies = std::mem::MaybeUninit::<[Value; 4]>::uninit();
                        let base = copies.as_mut_ptr() as *mut Value;
                        for (k, &r) in argregs.iter().enumerate() {
                            unsafe { base.add(k).write(std::ptr::read(win.add(r as usize))) };
                        }
                        (def.func)(env.ctx, unsafe { std::slice::from_raw_parts(base, argregs.len()) })
                    }
                    _ => {
                        for &r in argregs {
                            let v = fast_clone(&reg!(r));
                            f.scratch.push(v);
                        }
                        let res = (def.func)(env.ctx, &f.scratch);
                        f.scratch.clear();
                        res
                    }
                };
                match res {
                    Ok(v) => set_reg!(dst, v),
                    Err(e) => throw!(e),
                }
            }
            Op::PrimOwned { dst, prim, args, n } => {
                // SAFETY: `Proto::validate` checked that `prim` is a valid id
                // accepting `n >= 1` arguments, that it consumes one, and that
                // the consumed register is no other argument's.
                let def = unsafe { crate::prims::builtins().get_unchecked(prim as usize) };
                let Some(c) = def.consume else { unreachable!("validated") };
                let argregs = args!(p, args, n);
                let owned = fast_take(&mut wreg!(argregs[c.index(argregs.len())]));
                let others = c.others(argregs);
                let res = if others.len() <= 4 {
                    // Bitwise copies, never dropped (as for `prim`).
                    let mut copies = std::mem::MaybeUninit::<[Value; 4]>::uninit();
                    let base = copies.as_mut_ptr() as *mut Value;
                    for (k, &r) in others.iter().enumerate() {
                        unsafe { base.add(k).write(std::ptr::read(win.add(r as usize))) };
                    }
                    (c.func)(env.ctx, owned, unsafe { std::slice::from_raw_parts(base, others.len()) })
                } else {
                    for &r in others {
                        let v = fast_clone(&reg!(r));
                        f.scratch.push(v);
                    }
                    let res = (c.func)(env.ctx, owned, &f.scratch);
                    f.scratch.clear();
                    res
                };
                match res {
                    Ok(v) => set_reg!(dst, v),
                    Err(e) => throw!(e),
                }
            }
            Op::PrimArityError { prim, n, .. } => {
                let def = rt::prim_def(prim_of(prim));
                throw!(rt::error(rt::arity_message(def.name, def.min, def.max, n as usize)));
            }
            Op::First { dst, a, prim } => {
                if let Value::List(l) = &reg!(a) {
                    let slot = unsafe { &mut *win.add(dst as usize) };
                    // As in `Nth`: copy straight into `dst` when that drops
                    // nothing while the list is borrowed.
                    if dst != a && is_imm(slot) {
                        l.with_items(|s| match s.first() {
                            Some(v) => copy_into(slot, v),
                            None => fast_set(slot, Value::Nil),
                        });
                    } else {
                        let v = l.with_items(|s| s.first().map(fast_clone)).unwrap_or(Value::Nil);
                        set_reg!(dst, v);
                    }
                    continue;
                }
                match prim1_slow(env.ctx, prim, &reg!(a)) {
                    Ok(v) => set_reg!(dst, v),
                    Err(e) => throw!(e),
                }
            }
            Op::IsEmpty { dst, a, prim } => {
                let e = match &reg!(a) {
                    Value::List(l) => l.is_empty(),
                    Value::Nil => true,
                    other => match prim1_slow(env.ctx, prim, other) {
                        Ok(v) => {
                            set_reg!(dst, v);
                            continue;
                        }
                        Err(e) => throw!(e),
                    },
                };
                put_bool(unsafe { &mut *win.add(dst as usize) }, e);
            }
            Op::Nth { dst, a, b, prim } => {
                if let (Value::List(l), Value::Int(i)) = (&reg!(a), &reg!(b)) {
                    let i = *i;
                    let slot = unsafe { &mut *win.add(dst as usize) };
                    // The element is copied straight into `dst` (no `Option<Value>`
                    // round trip through memory) when that drops nothing while the
                    // list is borrowed: `dst` is not the list's register and holds
                    // an immediate.
                    if i >= 0 && dst != a && is_imm(slot) {
                        let hit = l.with_items(|s| match s.get(i as usize) {
                            Some(v) => {
                                copy_into(slot, v);
                                true
                            }
                            None => false,
                        });
                        if hit {
                            continue;
                        }
                    } else if i >= 0 {
                        if let Some(v) = l.with_items(|s| s.get(i as usize).map(fast_clone)) {
                            set_reg!(dst, v);
                            continue;
                        }
                    }
                }
                match prim2_slow(env.ctx, prim, &reg!(a), &reg!(b)) {
                    Ok(v) => set_reg!(dst, v),
                    Err(e) => throw!(e),
                }
            }
            Op::Append { dst, a, b, prim } => {
                if let Value::List(l) = &reg!(a) {
                    l.append(fast_clone(&reg!(b)));
                    let v = Value::List(l.clone());
                    set_reg!(dst, v);
                    continue;
                }
                match prim2_slow(env.ctx, prim, &reg!(a), &reg!(b)) {
                    Ok(v) => set_reg!(dst, v),
                    Err(e) => throw!(e),
                }
            }
            Op::Add { dst, a, b, prim } => {
                let r = match (&reg!(a), &reg!(b)) {
                    (Value::Int(x), Value::Int(y)) => match x.checked_add(*y) {
                        Some(z) => {
                            set_int!(dst, z);
                            continue;
                        }
                        None => throw!(rt::error("integer overflow")),
                    },
                    (Value::Float(x), Value::Float(y)) => {
                        let z = *x + *y;
                        note_float!(p);
                        set_float!(dst, z);
                        continue;
                    }
                    (Value::Int(x), Value::Float(y)) => {
                        let z = *x as f64 + *y;
                        note_float!(p);
                        set_float!(dst, z);
                        continue;
                    }
                    (Value::Float(x), Value::Int(y)) => {
                        let z = *x + *y as f64;
                        note_float!(p);
                        set_float!(dst, z);
                        continue;
                    }
                    (x, y) => {
                        feedback!(p, kind_bit(x) | kind_bit(y));
                        match arith_slow(env.ctx, prim, x, y) {
                            Ok(v) => v,
                            Err(e) => throw!(e),
                        }
                    }
                };
                set_reg!(dst, r);
            }
            Op::Sub { dst, a, b, prim } => {
                let r = match (&reg!(a), &reg!(b)) {
                    (Value::Int(x), Value::Int(y)) => match x.checked_sub(*y) {
                        Some(z) => {
                            set_int!(dst, z);
                            continue;
                        }
                        None => throw!(rt::error("integer overflow")),
                    },
                    (Value::Float(x), Value::Float(y)) => {
                        let z = *x - *y;
                        note_float!(p);
                        set_float!(dst, z);
                        continue;
                    }
                    (Value::Int(x), Value::Float(y)) => {
                        let z = *x as f64 - *y;
                        note_float!(p);
                        set_float!(dst, z);
                        continue;
                    }
                    (Value::Float(x), Value::Int(y)) => {
                        let z = *x - *y as f64;
                        note_float!(p);
                        set_float!(dst, z);
                        continue;
                    }
                    (x, y) => {
                        feedback!(p, kind_bit(x) | kind_bit(y));
                        match arith_slow(env.ctx, prim, x, y) {
                            Ok(v) => v,
                            Err(e) => throw!(e),
                        }
                    }
                };
                set_reg!(dst, r);
            }
            Op::Mul { dst, a, b, prim } => {
                let r = match (&reg!(a), &reg!(b)) {
                    (Value::Int(x), Value::Int(y)) => match x.checked_mul(*y) {
                        Some(z) => {
                            set_int!(dst, z);
                            continue;
                        }
                        None => throw!(rt::error("integer overflow")),
                    },
                    (Value::Float(x), Value::Float(y)) => {
                        let z = *x * *y;
                        note_float!(p);
                        set_float!(dst, z);
                        continue;
                    }
                    (Value::Int(x), Value::Float(y)) => {
                        let z = *x as f64 * *y;
                        note_float!(p);
                        set_float!(dst, z);
                        continue;
                    }
                    (Value::Float(x), Value::Int(y)) => {
                        let z = *x * *y as f64;
                        note_float!(p);
                        set_float!(dst, z);
                        continue;
                    }
                    (x, y) => {
                        feedback!(p, kind_bit(x) | kind_bit(y));
                        match arith_slow(env.ctx, prim, x, y) {
                            Ok(v) => v,
                            Err(e) => throw!(e),
                        }
                    }
                };
                set_reg!(dst, r);
            }
            Op::Div { dst, a, b, prim } => {
                let r = match (&reg!(a), &reg!(b)) {
                    (Value::Float(x), Value::Float(y)) => {
                        let z = *x / *y;
                        note_float!(p);
                        set_float!(dst, z);
                        continue;
                    }
                    (Value::Int(x), Value::Float(y)) => {
                        let z = *x as f64 / *y;
                        note_float!(p);
                        set_float!(dst, z);
                        continue;
                    }
                    (Value::Float(x), Value::Int(y)) => {
                        let z = *x / *y as f64;
                        note_float!(p);
                        set_float!(dst, z);
                        continue;
                    }
                    (x @ Value::Int(_), y @ Value::Int(_)) => match crate::prims::arith::div2(x, y) {
                        Ok(v) => v,
                        Err(e) => throw!(e),
                    },
                    (x, y) => {
                        feedback!(p, kind_bit(x) | kind_bit(y));
                        match arith_slow(env.ctx, prim, x, y) {
                            Ok(v) => v,
                            Err(e) => throw!(e),
                        }
                    }
                };
                set_reg!(dst, r);
            }
            Op::Math { dst, a, f: mf, prim } => {
                let x = match &reg!(a) {
                    Value::Float(x) => {
                        note_float!(p);
                        *x
                    }
                    Value::Int(i) if mf != crate::bytecode::MathFn::Abs => *i as f64,
                    x => {
                        feedback!(p, kind_bit(x));
                        match prim1_slow(env.ctx, prim, x) {
                            Ok(v) => {
                                set_reg!(dst, v);
                                continue;
                            }
                            Err(e) => throw!(e),
                        }
                    }
                };
                set_float!(dst, mf.float(x));
            }
            Op::AddImm { dst, a, imm, prim } => {
                let r = match &reg!(a) {
                    Value::Int(x) => match x.checked_add(imm as i64) {
                        Some(z) => {
                            set_int!(dst, z);
                            continue;
                        }
                        None => throw!(rt::error("integer overflow")),
                    },
                    Value::Float(x) => {
                        // `inc`/`dec` and `(+ x 1)` of a float: the same IEEE sum.
                        let z = *x + imm as f64;
                        note_float!(p);
                        set_float!(dst, z);
                        continue;
                    }
                    x => {
                        feedback!(p, kind_bit(x));
                        match arith_slow(env.ctx, prim, x, &Value::Int(imm as i64)) {
                            Ok(v) => v,
                            Err(e) => throw!(e),
                        }
                    }
                };
                set_reg!(dst, r);
            }
            Op::SubImm { dst, a, imm, prim } => {
                let r = match &reg!(a) {
                    Value::Int(x) => match x.checked_sub(imm as i64) {
                        Some(z) => {
                            set_int!(dst, z);
                            continue;
                        }
                        None => throw!(rt::error("integer overflow")),
                    },
                    Value::Float(x) => {
                        // `inc`/`dec` and `(+ x 1)` of a float: the same IEEE sum.
                        let z = *x - imm as f64;
                        note_float!(p);
                        set_float!(dst, z);
                        continue;
                    }
                    x => {
                        feedback!(p, kind_bit(x));
                        match arith_slow(env.ctx, prim, x, &Value::Int(imm as i64)) {
                            Ok(v) => v,
                            Err(e) => throw!(e),
                        }
                    }
                };
                set_reg!(dst, r);
            }
            Op::BrCmpImm { cmp, a, imm, prim, target } => {
                let r = match &reg!(a) {
                    Value::Int(x) => cmp.int(*x, imm as i64),
                    // An `i16` is exact as an `f64`: the same answer as the
                    // exact int/float comparison of the primitive.
                    Value::Float(x) => {
                        note_float!(p);
                        cmp.float(*x, imm as f64)
                    }
                    x => {
                        feedback!(p, kind_bit(x));
                        match cmp_slow(env.ctx, cmp, prim, x, &Value::Int(imm as i64)) {
                            Ok(v) => v,
                            Err(e) => throw!(e),
                        }
                    }
                };
                if !r {
                    ip = unsafe { code.add(target as usize) };
                }
            }
            Op::Compare { cmp, dst, a, b, prim } => {
                let r = match (&reg!(a), &reg!(b)) {
                    (Value::Int(x), Value::Int(y)) => cmp.int(*x, *y),
                    (Value::Float(x), Value::Float(y)) => {
                        note_float!(p);
                        cmp.float(*x, *y)
                    }
                    (x, y) => {
                        feedback!(p, kind_bit(x) | kind_bit(y));
                        match cmp_slow(env.ctx, cmp, prim, x, y) {
                            Ok(v) => v,
                            Err(e) => throw!(e),
                        }
                    }
                };
                put_bool(unsafe { &mut *win.add(dst as usize) }, r);
            }
            Op::BrCmp { cmp, a, b, prim, target } => {
                let r = match (&reg!(a), &reg!(b)) {
                    (Value::Int(x), Value::Int(y)) => cmp.int(*x, *y),
                    (Value::Float(x), Value::Float(y)) => {
                        note_float!(p);
                        cmp.float(*x, *y)
                    }
                    (x, y) => {
                        feedback!(p, kind_bit(x) | kind_bit(y));
                        match cmp_slow(env.ctx, cmp, prim, x, y) {
                            Ok(v) => v,
                            Err(e) => throw!(e),
                        }
                    }
                };
                if !r {
                    ip = unsafe { code.add(target as usize) };
                }
            }
            Op::BrIfCmp { cmp, a, b, prim, target } => {
                let r = match (&reg!(a), &reg!(b)) {
                    (Value::Int(x), Value::Int(y)) => cmp.int(*x, *y),
                    (Value::Float(x), Value::Float(y)) => {
                        note_float!(p);
                        cmp.float(*x, *y)
                    }
                    (x, y) => {
                        feedback!(p, kind_bit(x) | kind_bit(y));
                        match cmp_slow(env.ctx, cmp, prim, x, y) {
                            Ok(v) => v,
                            Err(e) => throw!(e),
                        }
                    }
                };
                if r {
                    ip = unsafe { code.add(target as usize) };
                }
            }
            Op::RetCmp { cmp, neg, a, b, src } => {
                let r = match (&reg!(a), &reg!(b)) {
                    (Value::Int(x), Value::Int(y)) => cmp.int(*x, *y),
                    (Value::Float(x), Value::Float(y)) => {
                        note_float!(p);
                        cmp.float(*x, *y)
                    }
                    (x, y) => {
                        feedback!(p, kind_bit(x) | kind_bit(y));
                        match cmp_slow(env.ctx, cmp, cmp_prim(cmp), x, y) {
                            Ok(v) => v,
                            Err(e) => throw!(e),
                        }
                    }
                };
                if r != neg {
                    return_reg!(src);
                }
            }
            Op::RetCmpImm { cmp, neg, a, imm, src } => {
                let r = match &reg!(a) {
                    Value::Int(x) => cmp.int(*x, imm as i64),
                    // An `i16` is exact as an `f64`: the same answer as the
                    // exact int/float comparison of the primitive.
                    Value::Float(x) => {
                        note_float!(p);
                        cmp.float(*x, imm as f64)
                    }
                    x => {
                        feedback!(p, kind_bit(x));
                        match cmp_slow(env.ctx, cmp, cmp_prim(cmp), x, &Value::Int(imm as i64)) {
                            Ok(v) => v,
                            Err(e) => throw!(e),
                        }
                    }
                };
                if r != neg {
                    return_reg!(src);
                }
            }
            Op::Not { dst, src } => {
                let v = matches!(reg!(src), Value::Nil | Value::Bool(false));
                put_bool(unsafe { &mut *win.add(dst as usize) }, v);
            }
            Op::JumpIfTrue { cond, target } => {
                if !matches!(reg!(cond), Value::Nil | Value::Bool(false)) {
                    ip = unsafe { code.add(target as usize) };
                }
            }
            Op::Jump { target } => ip = unsafe { code.add(target as usize) },
            Op::Loop { target, counter } => {
                let c = &p.profile.backedges[counter as usize];
                let n = c.get().wrapping_add(1);
                c.set(n);
                ip = unsafe { code.add(target as usize) };
                poll!();
                if n & crate::jit::loop_check_mask() == 0 && p.jit.map.self_loop.is_some_and(|l| l.1 == target) {
                    // On-stack replacement (`jit::loop_entry`): the next
                    // iteration runs in compiled code, from its start.
                    if let Some(e) = crate::jit::loop_entry(p, n) {
                        save_pc!();
                        run_compiled!(e);
                    }
                }
            }
            Op::JumpIfFalse { cond, target } => {
                if matches!(reg!(cond), Value::Nil | Value::Bool(false)) {
                    ip = unsafe { code.add(target as usize) };
                }
            }
            Op::Guard { src, ty, target } => {
                if !ty.matches(&reg!(src)) {
                    ip = unsafe { code.add(target as usize) };
                }
            }
            Op::Call { dst, callee, args, n } => {
                if let Value::Closure(c) = &reg!(callee) {
                    if c.proto.exact_arity() == n as u32 {
                        enter_fast!(p, c.clone(), args, n, dst);
                    }
                }
                if let Value::Prim(id) = reg!(callee) {
                    feedback!(p, crate::profile::kinds::PRIM);
                    let v = call_prim!(p, id, args, n);
                    set_reg!(dst, v);
                    continue;
                }
                let cv = fast_clone(&reg!(callee));
                feedback!(p, kind_bit(&cv));
                call_generic!(cv, arg_vec!(p, args, n), dst);
            }
            Op::CallGlobal { dst, slot, args, n } => {
                let cv = match &env.globals.values[slot as usize] {
                    Some(Value::Closure(c)) if c.proto.exact_arity() == n as u32 => {
                        enter_fast!(p, c.clone(), args, n, dst);
                    }
                    Some(v) => fast_clone(v),
                    None => throw!(rt::error(format!("unbound name: {}", env.globals.name(slot)))),
                };
                feedback!(p, kind_bit(&cv));
                call_generic!(cv, arg_vec!(p, args, n), dst);
            }
            Op::TailCall { callee, args, n, direct } => {
                if let Value::Closure(c) = &reg!(callee) {
                    if c.proto.exact_arity() == n as u32 {
                        if Rc::as_ptr(c) == clo {
                            self_tail!(p, args, n, direct);
                        }
                        tail_enter_fast!(p, c.clone(), args, n, direct);
                    }
                }
                let cv = fast_clone(&reg!(callee));
                feedback!(p, kind_bit(&cv));
                tail_call_generic!(cv, arg_vec!(p, args, n));
            }
            Op::TailCallGlobal { slot, args, n, direct } => {
                let cv = match &env.globals.values[slot as usize] {
                    Some(Value::Closure(c)) if c.proto.exact_arity() == n as u32 => {
                        if Rc::as_ptr(c) == clo {
                            self_tail!(p, args, n, direct);
                        }
                        tail_enter_fast!(p, c.clone(), args, n, direct);
                    }
                    Some(v) => fast_clone(v),
                    None => throw!(rt::error(format!("unbound name: {}", env.globals.name(slot)))),
                };
                feedback!(p, kind_bit(&cv));
                tail_call_generic!(cv, arg_vec!(p, args, n));
            }
            Op::Apply { dst, callee, list } => {
                let cv = fast_clone(&reg!(callee));
                let Some(argv) = rt::list_items(&reg!(list)) else {
                    throw!(rt::error(format!("apply: expected list, got {}", rt::repr(&reg!(list)))))
                };
                call_generic!(cv, argv, dst);
            }
            Op::TailApply { callee, list } => {
                let cv = fast_clone(&reg!(callee));
                let Some(argv) = rt::list_items(&reg!(list)) else {
                    throw!(rt::error(format!("apply: expected list, got {}", rt::repr(&reg!(list)))))
                };
                tail_call_generic!(cv, argv);
            }
            Op::TryCall { dst, thunk, err_dst, err_pc } => {
                let tv = fast_clone(&reg!(thunk));
                save_pc!();
                match calls::call_vec(f, env, tv, Vec::new(), dst, false, true) {
                    Ok(Outcome::Pushed) => {
                        reload!();
                        poll!();
                    }
                    Ok(Outcome::Value(v)) => {
                        rewin!();
                        set_reg!(dst, v)
                    }
                    Err(e) => {
                        if let Value::Error(eo) = &e {
                            if eo.backtrace.borrow().is_empty() {
                                *eo.backtrace.borrow_mut() = capture_backtrace(f, env.sources);
                            }
                        }
                        rewin!();
                        set_reg!(err_dst, e);
                        ip = unsafe { code.add(err_pc as usize) };
                    }
                }
            }
            Op::Suspend { dst, req } => {
                let r = fast_clone(&reg!(req));
                save_pc!();
                f.state = FiberState::Waiting(dst);
                return Step::Suspended(r);
            }
            Op::Raise { src } => {
                let v = fast_clone(&reg!(src));
                throw!(v);
            }
            Op::Return { src } => return_reg!(src),
        }
    };
    save_pc!();
    let raised = if interrupted {
        // A safepoint saw the interrupt word set: `ip` is at the next
        // instruction to run, the top frame consistent.
        interrupted = false;
        match crate::interrupt::service(f) {
            Action::Continue => continue,
            Action::Yield => {
                f.state = FiberState::Yielded;
                return Step::Yielded;
            }
            Action::Raise(e) => e,
            Action::Kill(e) => return entry::kill(f, env, e),
        }
    } else {
        raised
    };
    // A raise: unwind to the nearest handler (or end the fiber).
    match unwind(f, env, raised) {
        Ok(()) => reload!(),
        Err(step) => return step,
    }
  }
}

/// Register type used by [`Frame::ret`] (re-exported for the calls module).
pub(crate) type RetReg = Reg;
