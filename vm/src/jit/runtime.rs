//! The runtime ABI of compiled code: `extern "C"` functions named `sx_rt_*`,
//! registered with ORC as absolute symbols by name (never as addresses baked
//! into code), and the context every compiled function receives.
//!
//! Conventions:
//! - A compiled function is `fn(ctx: *mut JitCtx, base: u64) -> u32`; its
//!   frame is the fiber's top frame and its register window starts at
//!   register `base` of the fiber's register file (`ctx.regs`).
//! - Values are passed as their two words (`tag`, `payload`; see
//!   [`crate::abi`]) or as register indices into the window; the runtime
//!   never takes ownership of a word pair (they are borrowed from homes).
//! - Status codes: [`OK`] (returned: the function cleared its window and
//!   moved its result into `ctx.ret`; its frame is still on the stack and
//!   whoever called the entry pops it), [`DEOPT`] (the top frame
//!   continues in the interpreter at its saved pc), [`RAISE`] (the raised
//!   value is in `ctx.raised`; every frame's pc is set), [`NEED_INTERP`]
//!   (from [`sx_rt_call`] and [`sx_rt_tail_call`]: the call must be made by
//!   the interpreter).
//!
//! Every function here that can raise sets the top frame's pc to one past
//! the raising instruction first, exactly as the interpreter does, so
//! backtraces are the same in both tiers.

use crate::bytecode::{Cmp, Op, Proto, ProtoRef};
use crate::fiber::{Fiber, Frame};
use crate::interp::fast::{copy_into, fast_set, fast_take, move_returned, put_bool, put_int, write_frame};
use crate::interp::{rt, Env};
use crate::value::{Closure, Value};
use smallvec::SmallVec;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::rc::Rc;
use std::sync::atomic::AtomicU32;

/// Returned / done.
pub const OK: u32 = 0;
/// The activation continues in the interpreter.
pub const DEOPT: u32 = 1;
/// An error was raised (in `ctx.raised`).
pub const RAISE: u32 = 2;
/// `sx_rt_call`/`sx_rt_tail_call`: the interpreter must make this call.
pub const NEED_INTERP: u32 = 3;
/// `sx_rt_tail_call` with `allow_self`: the callee is the running closure
/// itself (exact arity), nothing changed; the compiled code moves the
/// arguments into its parameters and loops back to its entry.
pub const TAIL_SELF: u32 = 4;

/// Native frames (compiled → compiled calls on the machine stack) allowed
/// before a call is handed back to the interpreter, which unwinds them all
/// and keeps recursing on its heap frame stack: deep SX recursion never
/// overflows the machine stack, on any thread.
pub const MAX_NATIVE_DEPTH: u32 = 200;

/// The context of compiled code (`repr(C)`: generated code reads the first
/// three fields at the offsets below).
#[repr(C)]
pub struct JitCtx {
    /// Offset 0: the fiber's register file (reloaded by generated code after
    /// every call that may grow it).
    pub regs: *mut Value,
    /// Offset 8: the running fiber's interrupt word (polled at function
    /// entry and loop back-edges; non-zero → side exit to the interpreter).
    pub interrupt: *const AtomicU32,
    /// Offset 16: countdown of `SXC_JIT_STRESS_DEOPT` (a guard fails when it
    /// reaches 0, and it restarts at N).
    pub stress: u32,
    /// Offset 20: native call depth.
    pub depth: u32,
    /// Offset 24: the value a compiled function returns with [`OK`] (moved
    /// out of its window, which it has cleared; its frame is still on the
    /// stack: the caller — [`enter`] or [`sx_rt_call`] — pops it).
    pub ret: Value,
    /// Offset 40: registers in the fiber's register file (`regs` is valid
    /// for this many).
    pub regs_len: u64,
    /// Offset 48: the shadow frames of native self calls (see [`Shadow`]).
    pub shadow: *mut Shadow,
    /// Offset 56: how many shadow frames are in use.
    pub shadow_len: u32,
    /// Offset 60: the native depth allowed (at most [`MAX_NATIVE_DEPTH`],
    /// less when the fiber's frame stack has less room).
    pub max_depth: u32,
    /// Offset 64: native self calls (and self tail calls) made since the
    /// count was last added to the running function's call counter (at
    /// every materialisation and when its frame is popped).
    pub self_calls: u64,
    /// Offset 72: the isolate's global slots (`Option<Value>`, 16 bytes
    /// each: the tag byte's niche is `None`), read inline by the native
    /// self-call check of a `call.g`. The table only grows when a module is
    /// compiled, which needs the isolate and so never happens while compiled
    /// code runs; [`sync_regs`] refreshes it anyway.
    pub globals: *const Option<Value>,
    fiber: *mut Fiber,
    env: *mut Env<'static>,
    /// The value of a [`RAISE`].
    pub raised: Value,
}

/// Byte offsets of [`JitCtx`] fields read by generated code.
pub const CTX_REGS: u32 = 0;
pub const CTX_INTERRUPT: u32 = 8;
pub const CTX_STRESS: u32 = 16;
pub const CTX_DEPTH: u32 = 20;
pub const CTX_RET: u32 = 24;
pub const CTX_REGS_LEN: u32 = 40;
pub const CTX_SHADOW: u32 = 48;
pub const CTX_SHADOW_LEN: u32 = 56;
pub const CTX_MAX_DEPTH: u32 = 60;
pub const CTX_SELF_CALLS: u32 = 64;
pub const CTX_GLOBALS: u32 = 72;

/// The frame of an activation entered by a native call (compiled code
/// calling the closure it is running, straight to its own entry, or
/// another closure with compiled code held in one of its registers,
/// through the entry [`sx_rt_callee`] gave): pushed by the generated code
/// instead of a [`Frame`](crate::fiber::Frame), it holds what that frame
/// would, the closure *borrowed* (its word): the caller keeps it alive —
/// its own closure, or the register the callee was read from, which
/// nothing writes during the call (arguments of a native call are copied,
/// never moved out of the caller's registers). Every
/// runtime function that reads or changes the frame stack, and every exit
/// to the interpreter, first turns the shadow frames into real frames
/// ([`materialize`]); a native caller that finds its callee's shadow frame
/// gone pops the real one ([`sx_rt_pop`]). So the frame stack is exact
/// whenever anything but the compiled code itself looks at it — the
/// lazy frame materialisation of production JITs (V8's, HotSpot's
/// inlined frames), for the cases where it pays most: recursion and
/// callbacks.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct Shadow {
    /// Offset 0: the callee's window (absolute register index).
    pub base: u32,
    /// Offset 4: the caller's register receiving the result.
    pub ret: u32,
    /// Offset 8: the caller's pc after the call.
    pub caller_pc: u32,
    _pad: u32,
    /// Offset 16: the callee's closure word ([`crate::abi::closure_word`]),
    /// borrowed (see above).
    pub closure: u64,
}

/// Byte size of a [`Shadow`] (generated code indexes the array).
pub const SHADOW_SIZE: u32 = 24;

/// A new owning handle on the closure whose word is `word`.
///
/// # Safety
/// `word` is the word of a closure something else keeps alive for the
/// duration of this call.
unsafe fn closure_from_word(word: u64) -> Rc<Closure> {
    // SAFETY: guaranteed by the caller; the clone adds the new owner's count.
    Rc::clone(&*unsafe { crate::abi::borrow_closure(word) })
}

/// The closure word of the function running natively on top: the last
/// shadow frame's callee, else the top real frame's closure.
fn running_word(ctx: &JitCtx, f: &Fiber) -> u64 {
    match ctx.shadow_len {
        0 => crate::abi::closure_word(&f.frames.last().expect("compiled code runs in a frame").closure),
        // SAFETY: the first `shadow_len` records were written by generated code.
        n => unsafe { (*ctx.shadow.add(n as usize - 1)).closure },
    }
}

/// Adds `ctx.self_calls` to the call counter of the closure whose word is
/// `word` (the function that made those self calls) and clears it.
fn flush_self_calls(ctx: &mut JitCtx, word: u64) {
    let n = std::mem::take(&mut ctx.self_calls);
    // SAFETY: `word` is the running function's closure, alive on its frame
    // or the caller's register (see `Shadow`); it is only borrowed here.
    let c = unsafe { crate::abi::borrow_closure(word) };
    let calls = &c.proto.profile.calls;
    calls.set(calls.get() + n);
}

/// Turns the shadow frames into real frames, bottom up (and adds the
/// self calls counted so far to the running function's counter).
#[cold]
#[inline(never)]
fn materialize_slow(ctx: &mut JitCtx, f: &mut Fiber) {
    // The counted self calls are the innermost running function's: a
    // native call of another function flushes its caller's first
    // (`sx_rt_callee`) and the callee's after it returns (`sx_rt_flush_calls`).
    if ctx.self_calls != 0 {
        let word = running_word(ctx, f);
        flush_self_calls(ctx, word);
    }
    for i in 0..ctx.shadow_len as usize {
        // SAFETY: `shadow` has room for `MAX_NATIVE_DEPTH >= shadow_len`
        // records, and the first `shadow_len` were written by generated code.
        let s = unsafe { *ctx.shadow.add(i) };
        let top = f.frames.last_mut().expect("a shadow frame sits on a frame");
        top.pc = s.caller_pc;
        // Left by compiled code in the middle of a call: resume there.
        top.resume = true;
        // SAFETY: the shadow frame's closure is kept alive by its caller
        // (see `Shadow`) until the real frame made here owns a count.
        let closure = unsafe { closure_from_word(s.closure) };
        f.frames.push(Frame { closure, pc: 0, base: s.base, ret: s.ret as crate::bytecode::Reg, is_try: false, resume: false });
    }
    ctx.shadow_len = 0;
}

#[inline(always)]
fn materialize(ctx: &mut JitCtx, f: &mut Fiber) {
    if ctx.shadow_len != 0 || ctx.self_calls != 0 {
        materialize_slow(ctx, f);
    }
}

thread_local! {
    static STRESS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Runs the compiled `entry` of the top frame (window at `base`) from
/// `state`: 0 for a frame the interpreter just pushed, else a resume state
/// (the frame's pc, see [`super::sites::is_resume_state`]). `Ok(None)`: the
/// function returned into its caller's frame, or left for the interpreter
/// (the top frame continues at its pc); `Ok(Some(v))`: the fiber's bottom
/// frame returned `v`; `Err` carries a raised value (the frames are left for
/// the interpreter to unwind).
pub(crate) fn enter(f: &mut Fiber, env: &mut Env, entry: super::Entry, base: usize, state: u32) -> Result<Option<Value>, Value> {
    let stress = STRESS.with(|s| s.get());
    let stress = if stress == 0 { super::config().map_or(0, |c| c.stress_deopt) } else { stress };
    // Not initialised: a record is written before it is read (3.2 KB of
    // zeroing per entry from the interpreter was a quarter of the time of
    // a `map` over a compiled lambda).
    let mut shadow = [const { std::mem::MaybeUninit::<Shadow>::uninit() }; MAX_NATIVE_DEPTH as usize];
    let clo = crate::abi::closure_word(&f.frames.last().expect("compiled code runs in a frame").closure);
    let mut ctx = JitCtx {
        regs: f.regs.as_mut_ptr(),
        // The same word the interpreter polls (see `vm::interrupt`).
        interrupt: f.interrupt.word(),
        stress,
        depth: 0,
        ret: Value::Nil,
        regs_len: f.regs.len() as u64,
        shadow: shadow.as_mut_ptr() as *mut Shadow,
        shadow_len: 0,
        max_depth: MAX_NATIVE_DEPTH.min(f.max_frames.saturating_sub(f.frames.len()) as u32),
        self_calls: 0,
        globals: env.globals.values.as_ptr(),
        fiber: f,
        // Lifetime erased: the context does not outlive this call.
        env: env as *mut Env as *mut Env<'static>,
        raised: Value::Nil,
    };
    // SAFETY: `entry` was produced by the backend for the top frame's proto,
    // whose window (at `base`) holds `nregs` registers.
    let st = unsafe { entry(&mut ctx, base as u64, clo, state) };
    debug_assert_eq!(ctx.shadow_len, 0, "compiled code returned with shadow frames");
    STRESS.with(|s| s.set(ctx.stress));
    match st {
        RAISE => Err(std::mem::replace(&mut ctx.raised, Value::Nil)),
        OK => Ok(pop_return(f, std::mem::replace(&mut ctx.ret, Value::Nil), std::mem::take(&mut ctx.self_calls))),
        _ => Ok(None),
    }
}

/// Continues the top frame in its compiled code when compiled code left it
/// at a call or suspension ([`Frame::resume`]) and its pc is a resume state
/// of the code installed now; then, each time compiled code returns into a
/// caller so flagged, that caller too. Stops (`Ok(None)`) at the first frame
/// the interpreter must continue — never re-entering a frame that compiled
/// code has just left. `Ok(Some(v))`: the fiber's bottom frame returned
/// `v`; `Err`: a raised value, frames left for the interpreter to unwind.
pub(crate) fn resume_frames(f: &mut Fiber, env: &mut Env) -> Result<Option<Value>, Value> {
    loop {
        let depth = f.frames.len();
        let Some(top) = f.frames.last_mut() else { return Ok(None) };
        if !std::mem::take(&mut top.resume) {
            return Ok(None);
        }
        let (pc, base) = (top.pc, top.base as usize);
        let p = &top.closure.proto;
        let Some(entry) = p.jit.entry().filter(|_| super::sites::is_resume_state(&p.jit.map, pc)) else { return Ok(None) };
        p.jit.slot.resumes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Some(v) = enter(f, env, entry, base, pc)? {
            return Ok(Some(v));
        }
        if f.frames.len() >= depth {
            // It left for the interpreter (the frame, or one it called).
            return Ok(None);
        }
    }
}

/// Pops the top frame (a compiled function that returned [`OK`], its
/// window already cleared) and writes its result `v` into the caller's
/// destination register, as the interpreter's return does; `Some(v)` when
/// it was the fiber's bottom frame (the fiber's result).
#[inline(always)]
fn pop_return(f: &mut Fiber, v: Value, self_calls: u64) -> Option<Value> {
    let len = f.frames.len() - 1;
    let top = &f.frames[len];
    if self_calls != 0 {
        let calls = &top.closure.proto.profile.calls;
        calls.set(calls.get() + self_calls);
    }
    // SAFETY: the top frame's closure is moved out exactly once and the
    // length then drops below it, so the slot is never read or dropped again.
    let (old, ret) = unsafe { (std::ptr::read(&top.closure), top.ret) };
    unsafe { f.frames.set_len(len) };
    if len == 0 {
        drop(old);
        return Some(v);
    }
    let at = f.frames[len - 1].base as usize + ret as usize;
    fast_set(&mut f.regs[at], v);
    drop(old);
    None
}

/// Points the context at the fiber's register file again (after it may
/// have been resized).
fn sync_regs(ctx: &mut JitCtx, f: &mut Fiber) {
    ctx.regs = f.regs.as_mut_ptr();
    ctx.regs_len = f.regs.len() as u64;
    // SAFETY: `ctx.env` is the live environment (see `parts`).
    ctx.globals = unsafe { (*ctx.env).globals.values.as_ptr() };
}

/// The fiber and environment behind a context.
///
/// SAFETY (for every `sx_rt_*`): `ctx` is the live context built by
/// [`enter`] for this thread's running fiber; nothing else uses the fiber or
/// environment while compiled code runs.
unsafe fn parts<'a>(ctx: *mut JitCtx) -> (&'a mut JitCtx, &'a mut Fiber, &'a mut Env<'static>) {
    unsafe { (&mut *ctx, &mut *(*ctx).fiber, &mut *(*ctx).env) }
}

/// A borrowed view of a value passed as its two words.
fn borrow(tag: u64, payload: u64) -> ManuallyDrop<Value> {
    let mut v = std::mem::MaybeUninit::<Value>::zeroed();
    let p = v.as_mut_ptr() as *mut u8;
    // SAFETY: writing a tag byte and a payload word produced from a valid
    // value of that tag (the generated code only passes such pairs) gives a
    // valid value; it is borrowed, so it is never dropped.
    unsafe {
        *p = tag as u8;
        *(p.add(crate::abi::PAYLOAD_OFFSET) as *mut u64) = payload;
        ManuallyDrop::new(v.assume_init())
    }
}

fn top_proto(f: &Fiber) -> &Proto {
    &f.frames.last().expect("compiled code runs in a frame").closure.proto
}

fn set_pc(f: &mut Fiber, pc: u32) {
    if let Some(t) = f.frames.last_mut() {
        t.pc = pc;
    }
}

fn raise(ctx: &mut JitCtx, f: &mut Fiber, pc: u32, e: Value) -> u32 {
    materialize(ctx, f);
    set_pc(f, pc + 1);
    ctx.raised = e;
    RAISE
}

/// Leaves compiled code for the interpreter at `pc` of the top frame (the
/// live values are already in their homes). `speculation` is 1 when a
/// guard failed (counted towards recompiling without speculation), 0 for
/// exits by design (a `perform`, an interrupt, a call the interpreter makes).
pub unsafe extern "C" fn sx_rt_deopt(ctx: *mut JitCtx, pc: u32, speculation: u32) {
    let (ctx, f, _) = unsafe { parts(ctx) };
    materialize(ctx, f);
    set_pc(f, pc);
    // An exit by design (a perform, a call the interpreter makes): the
    // activation can come back to its compiled code where the interpreter
    // continues after it. A failed guard's cannot (until recompiled).
    f.frames.last_mut().expect("compiled code runs in a frame").resume = speculation == 0;
    if speculation != 0 {
        let p: *const Proto = top_proto(f);
        // SAFETY: the top frame keeps its proto alive.
        super::on_deopt(unsafe { &*p });
    }
}

/// Drops the value in `*slot` (a heap value) and leaves nil there.
pub unsafe extern "C" fn sx_rt_drop(slot: *mut Value) {
    // SAFETY: `slot` is a register of the running window.
    unsafe { *slot = Value::Nil };
}

/// `regs[base + dst] = regs[base + src].clone()`.
pub unsafe extern "C" fn sx_rt_copy(ctx: *mut JitCtx, base: u64, dst: u32, src: u32) {
    let (_, f, _) = unsafe { parts(ctx) };
    let base = base as usize;
    let v = f.regs[base + src as usize].clone();
    f.regs[base + dst as usize] = v;
}

/// Generic arithmetic `prim(a, b)` (or `prim(a)` for `inc`/`dec`) into
/// register `dst`; [`OK`] or [`RAISE`].
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn sx_rt_arith(ctx: *mut JitCtx, base: u64, pc: u32, prim: u32, at: u64, ap: u64, bt: u64, bp: u64, dst: u32) -> u32 {
    let (ctx, f, env) = unsafe { parts(ctx) };
    let (a, b) = (borrow(at, ap), borrow(bt, bp));
    let def = rt::prim_def(crate::value::PrimId(prim));
    let r = if def.max == Some(1) { (def.func)(env.ctx, std::slice::from_ref(&*a)) } else { (def.func)(env.ctx, &[(*a).clone(), (*b).clone()]) };
    match r {
        Ok(v) => {
            f.regs[base as usize + dst as usize] = v;
            OK
        }
        Err(e) => raise(ctx, f, pc, e),
    }
}

/// Generic comparison: 0 (false), 1 (true) or [`RAISE`].
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn sx_rt_compare(ctx: *mut JitCtx, pc: u32, prim: u32, cmp: u32, at: u64, ap: u64, bt: u64, bp: u64) -> u32 {
    let (ctx, f, env) = unsafe { parts(ctx) };
    let (a, b) = (borrow(at, ap), borrow(bt, bp));
    let cmp = match cmp {
        0 => Cmp::Lt,
        1 => Cmp::Gt,
        2 => Cmp::Le,
        3 => Cmp::Ge,
        4 => Cmp::Eq,
        _ => Cmp::Ne,
    };
    match crate::interp::cmp_slow(env.ctx, cmp, prim as u16, &a, &b) {
        Ok(t) => t as u32,
        Err(e) => raise(ctx, f, pc, e),
    }
}

/// Calls builtin `prim` with the `n` values at `argv` (bitwise copies of
/// live values, borrowed: never dropped here) and writes its result into
/// register `dst`; [`OK`] or [`RAISE`]. `owned` is the register (in the
/// window at `base`) holding the argument the primitive consumes
/// ([`crate::prims::Consume`]) when that register dies at this call, else
/// `u32::MAX`: the value is moved out of it (nil left behind) and passed
/// owned, so an unshared collection is updated in place exactly as in the
/// interpreter's `prim.own`.
///
/// No frame bookkeeping: a primitive cannot reach the frame stack or the
/// registers, so shadow frames are materialised only when it raises.
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn sx_rt_prim(ctx: *mut JitCtx, base: u64, pc: u32, prim: u32, dst: u32, argv: *const Value, n: u32, owned: u32) -> u32 {
    let (ctx, f, env) = unsafe { parts(ctx) };
    // SAFETY: the generated code passes `n` valid values it keeps alive
    // (their homes own them) for the duration of the call.
    let args = unsafe { std::slice::from_raw_parts(argv, n as usize) };
    if list_fast_path(prim, args, &mut f.regs[base as usize + dst as usize]) {
        return OK;
    }
    let def = rt::prim_def(crate::value::PrimId(prim));
    let r = match def.consume {
        Some(c) if owned != u32::MAX => {
            let v = std::mem::replace(&mut f.regs[base as usize + owned as usize], Value::Nil);
            (c.func)(env.ctx, v, c.others(args))
        }
        _ => (def.func)(env.ctx, args),
    };
    put_result(ctx, f, base as usize + dst as usize, pc, r)
}

/// Writes a builtin's result into register `at` ([`OK`]) or raises its
/// error ([`RAISE`]), reading the `Result` where the builtin wrote it
/// (`move_returned`).
#[inline(always)]
fn put_result(ctx: &mut JitCtx, f: &mut Fiber, at: usize, pc: u32, r: Result<Value, Value>) -> u32 {
    let r = ManuallyDrop::new(r);
    match &*r {
        Ok(v) => {
            // SAFETY: `r` is never dropped: the value's ownership moves.
            unsafe { move_returned(&mut f.regs[at], v) };
            OK
        }
        // SAFETY: as above, the error's ownership moves to `raise`.
        Err(e) => raise(ctx, f, pc, unsafe { std::ptr::read(e) }),
    }
}

/// The ids of the list builtins [`list_fast_path`] answers.
struct ListPrims {
    first: u32,
    is_empty: u32,
    nth: u32,
    len: u32,
    rest: u32,
}

static LIST_PRIMS: std::sync::OnceLock<ListPrims> = std::sync::OnceLock::new();

/// `first`, `rest`, `empty?`, `nth` and `len` on a list (and `empty?` on
/// nil) answered in place, as the interpreter's `first`/`empty?`/`nth`
/// instructions do, with the result written into `slot` field by field
/// (see `put_result`). False: not one of these, or not this shape (the
/// builtin decides, errors included); `slot` is untouched. Arguments are
/// the generated code's copies, never `slot` itself.
#[inline(always)]
fn list_fast_path(prim: u32, args: &[Value], slot: &mut Value) -> bool {
    let ids = LIST_PRIMS.get_or_init(|| {
        let id = |n: &str| rt::prim_lookup(n).map_or(u32::MAX, |p| p.0);
        ListPrims { first: id("first"), is_empty: id("empty?"), nth: id("nth"), len: id("len"), rest: id("rest") }
    });
    match args {
        [Value::List(l)] if prim == ids.first => list_read(l, LIST_FIRST, 0, slot),
        [Value::List(l)] if prim == ids.is_empty => list_read(l, LIST_EMPTY, 0, slot),
        [Value::Nil] if prim == ids.is_empty => {
            put_bool(slot, true);
            true
        }
        [Value::List(l)] if prim == ids.len => list_read(l, LIST_LEN, 0, slot),
        [Value::List(l)] if prim == ids.rest => {
            fast_set(slot, Value::List(Rc::new(l.rest())));
            true
        }
        [Value::List(l), Value::Int(i)] if prim == ids.nth => list_read(l, LIST_NTH, *i, slot),
        _ => false,
    }
}

/// `first`, `nth` (index `i`), `len` or `empty?` (`op`, [`LIST_FIRST`]…)
/// of `l` written into `slot` field by field (see `put_result`): true. False
/// when it is not that simple — an index out of range or negative, an
/// unknown `op` — with `slot` untouched: the builtin then decides, errors
/// included. Shared by [`list_fast_path`] and [`sx_rt_list`].
#[inline(always)]
fn list_read(l: &crate::value::List, op: u32, i: i64, slot: &mut Value) -> bool {
    match op {
        LIST_FIRST => l.with_items(|s| match s.first() {
            Some(v) => copy_into(slot, v),
            None => fast_set(slot, Value::Nil),
        }),
        LIST_NTH if i >= 0 => {
            return l.with_items(|s| match s.get(i as usize) {
                Some(v) => {
                    copy_into(slot, v);
                    true
                }
                None => false,
            });
        }
        LIST_LEN => put_int(slot, l.len() as i64),
        LIST_EMPTY => put_bool(slot, l.is_empty()),
        _ => return false,
    }
    true
}

/// Executes the data instruction at `pc` of the top frame's bytecode,
/// writing its result into register `dst` (the IR result's home, which
/// may differ from the instruction's own destination). [`OK`] or [`RAISE`].
///
/// The frame stack is left as it is (no data instruction looks at it): the
/// running function is found through [`running_word`], so a natively
/// called function reading a global or a capture keeps its shadow frame;
/// only a raise makes the frames exact.
pub unsafe extern "C" fn sx_rt_op(ctx: *mut JitCtx, base: u64, pc: u32, dst: u32) -> u32 {
    let (ctx, f, env) = unsafe { parts(ctx) };
    let word = running_word(ctx, f);
    // SAFETY: the running function's closure is kept alive by its frame or
    // its caller's register (see `Shadow`) until it returns, which is after
    // this call.
    let running = unsafe { crate::abi::borrow_closure(word) };
    let r = exec_op(f, env, &running, base as usize, pc, dst as usize);
    // A primitive may have run code that grew the register file.
    sync_regs(ctx, f);
    match r {
        Ok(()) => OK,
        Err(e) => raise(ctx, f, pc, e),
    }
}

fn exec_op(f: &mut Fiber, env: &mut Env, running: &Rc<Closure>, base: usize, pc: u32, dst: usize) -> Result<(), Value> {
    let (c, p): (&Closure, &Proto) = (running, &running.proto);
    let reg = |f: &Fiber, r: u16| f.regs[base + r as usize].clone();
    let unbound = |slot: u32, env: &Env| rt::error(format!("unbound name: {}", env.globals.name(slot)));
    let v = match p.code[pc as usize] {
        Op::LoadConst { idx, .. } => p.consts[idx as usize].clone(),
        Op::LoadInt { val, .. } => Value::Int(val as i64),
        Op::LoadNil { .. } => Value::Nil,
        Op::LoadBool { val, .. } => Value::Bool(val),
        Op::Capture { idx, .. } => {
            // Copied in place (a clone returned through memory would be
            // reloaded whole: see `move_returned`).
            copy_into(&mut f.regs[base + dst], &c.captures[idx as usize]);
            return Ok(());
        }
        Op::SelfRef { .. } => Value::Closure(running.clone()),
        Op::GlobalGet { slot, .. } => match &env.globals.values[slot as usize] {
            Some(v) => {
                copy_into(&mut f.regs[base + dst], v);
                return Ok(());
            }
            None => return Err(unbound(slot, env)),
        },
        Op::GlobalSet { src, slot, .. } => {
            if env.globals.values[slot as usize].is_none() {
                return Err(unbound(slot, env));
            }
            env.globals.values[slot as usize] = Some(reg(f, src));
            Value::Nil
        }
        Op::GlobalDefine { src, slot, .. } => {
            env.globals.values[slot as usize] = Some(reg(f, src));
            Value::Nil
        }
        Op::MakeClosure { proto: child, args: a, n, .. } => make_closure(f, p, base, child, a, n)?,
        Op::CellNew { src, .. } => Value::cell(reg(f, src)),
        Op::CellGet { cell, .. } => match &f.regs[base + cell as usize] {
            Value::Cell(c) => c.borrow().clone(),
            other => other.clone(),
        },
        Op::CellSet { cell, src, .. } => {
            let v = reg(f, src);
            if let Value::Cell(c) = &f.regs[base + cell as usize] {
                *c.borrow_mut() = v;
            }
            Value::Nil
        }
        Op::PrimArityError { prim: id, n, .. } => {
            let def = rt::prim_def(crate::bytecode::prim_of(id));
            return Err(rt::error(rt::arity_message(def.name, def.min, def.max, n as usize)));
        }
        Op::Not { src, .. } => Value::Bool(!f.regs[base + src as usize].is_truthy()),
        Op::Move { src, .. } | Op::Take { src, .. } => reg(f, src),
        ref other => return Err(rt::error(format!("internal error: the JIT asked the runtime to run {other:?}"))),
    };
    let v = ManuallyDrop::new(v);
    // SAFETY: `v` is never dropped: its ownership moves into the register.
    unsafe { move_returned(&mut f.regs[base + dst], &v) };
    Ok(())
}

/// `MakeClosure` exactly as the interpreter makes it (capture-free closures
/// of strongly referenced children are shared per site).
fn make_closure(f: &Fiber, p: &Proto, base: usize, child: u16, a: u32, n: u16) -> Result<Value, Value> {
    if n == 0 {
        if let (Some(ProtoRef::Strong(cp)), Some(cache)) = (p.children().get(child as usize), p.static_closures.get()) {
            let c = cache[child as usize].get_or_init(|| Rc::new(Closure { proto: cp.clone(), captures: Default::default() }));
            return Ok(Value::Closure(c.clone()));
        }
    }
    let captures: crate::value::Captures = p.arg_pool[a as usize..a as usize + n as usize].iter().map(|&r| f.regs[base + r as usize].clone()).collect();
    let Some(cp) = p.children()[child as usize].get() else {
        return Err(rt::error("internal error: closure of a dropped module"));
    };
    Ok(Value::Closure(Rc::new(Closure { proto: cp, captures })))
}

/// `callee` as a closure that compiled code can enter natively with `n`
/// arguments in a window at `window` (compiled, exact arity), with the
/// register file grown to hold that window (`ctx.regs` follows it); `None`
/// (nothing changed but possibly the file's size) when the interpreter
/// must make the call.
fn native_callee(ctx: &mut JitCtx, f: &mut Fiber, callee: Value, n: u16, window: usize) -> Option<(Rc<Closure>, super::Entry)> {
    let Value::Closure(c) = callee else { return None };
    if c.proto.exact_arity() != n as u32 {
        return None;
    }
    let entry = c.proto.jit.entry()?;
    let need = window + c.proto.nregs as usize;
    if need > f.regs.len() {
        if need > f.max_regs {
            return None;
        }
        f.regs.resize(need, Value::Nil);
        sync_regs(ctx, f);
    }
    Some((c, entry))
}

/// A call from compiled code (`call`/`call.g` at `pc` of the top frame).
/// When the callee is a closure with compiled code and exact arity (and
/// the native depth and the frame stack allow): copies the arguments into
/// the window after the caller's, pushes the callee's frame exactly as the
/// interpreter would, counts the call and runs the callee's entry; on
/// [`OK`] pops its frame and puts its result into the call's destination.
/// Otherwise [`NEED_INTERP`] with nothing changed (but possibly the
/// register file's size; `ctx.regs` follows it).
pub unsafe extern "C" fn sx_rt_call(ctx: *mut JitCtx, base: u64, pc: u32) -> u32 {
    let entry = unsafe { push(ctx, base, pc) };
    if entry == 0 {
        // `push` may have declined before making the frames exact (no
        // native depth left); the call instruction is the running
        // function's, so its frame must be on top to decode it.
        // SAFETY: as for `push`.
        unsafe {
            let (ctxr, f, _) = parts(ctx);
            materialize(ctxr, f);
            return call_prim_value(ctx, base, pc).unwrap_or(NEED_INTERP);
        }
    }
    // SAFETY: `push` returned the entry of the frame it pushed, whose
    // window starts `nregs` of the caller's proto after `base`.
    let (st, caller) = unsafe {
        let e: super::Entry = std::mem::transmute::<usize, super::Entry>(entry);
        let (_, f, _) = parts(ctx);
        let caller = f.frames.len() - 2;
        let top = f.frames.last().expect("the callee's frame");
        let (nb, clo) = (top.base as u64, crate::abi::closure_word(&top.closure));
        (e(ctx, nb, clo, 0), caller)
    };
    let (ctxr, f, _) = unsafe { parts(ctx) };
    ctxr.depth -= 1;
    match st {
        OK => {
            let none = pop_return(f, std::mem::replace(&mut ctxr.ret, Value::Nil), std::mem::take(&mut ctxr.self_calls));
            debug_assert!(none.is_none(), "a compiled caller's frame is below");
        }
        // The callee left for the interpreter (it suspended, or a guard
        // failed): the caller's compiled code returns DEOPT too, and its
        // frame (at the call's resume state) can come back to it.
        DEOPT => f.frames[caller].resume = true,
        _ => {}
    }
    st
}

/// A call from compiled code whose callee is a primitive *value* (`odd?`
/// passed to `filter`, a builtin bound to a global): run as the
/// interpreter's `call` runs it — arity check, then the primitive on the
/// arguments — with the result in the call's destination. Without it every
/// such call left compiled code, and a prelude loop calling a builtin
/// callback ran interpreted after its first element. `None` when the
/// callee is not a primitive (nothing changed).
///
/// # Safety
/// As [`sx_rt_call`]: `pc` is a call instruction of the top frame's proto.
unsafe fn call_prim_value(ctx: *mut JitCtx, base: u64, pc: u32) -> Option<u32> {
    let (ctxr, f, env) = unsafe { parts(ctx) };
    let clo: *const Closure = Rc::as_ptr(&f.frames.last().expect("a frame").closure);
    // SAFETY: the top frame keeps its closure (and proto) alive throughout.
    let p: &Proto = unsafe { &(*clo).proto };
    let base = base as usize;
    let (dst, id, args, n): (_, _, u32, u16) = match p.code[pc as usize] {
        Op::Call { dst, callee, args, n } => match f.regs[base + callee as usize] {
            Value::Prim(id) => (dst, id, args, n),
            _ => return None,
        },
        Op::CallGlobal { dst, slot, args, n } => match env.globals.values[slot as usize] {
            Some(Value::Prim(id)) => (dst, id, args as u32, n as u16),
            _ => return None,
        },
        _ => return None,
    };
    // SAFETY: `Proto::validate` checked the argument range against the pool.
    let argv = unsafe { p.args_unchecked(args, n) };
    let vals: SmallVec<[Value; 4]> = argv.iter().map(|&r| f.regs[base + r as usize].clone()).collect();
    Some(prim_value(ctxr, f, env, id, &vals, base + dst as usize, pc))
}

/// The frame push of [`sx_rt_call`]: the callee's entry, or 0.
#[inline(always)]
unsafe fn push(ctx: *mut JitCtx, base: u64, pc: u32) -> usize {
    let (ctxr, f, env) = unsafe { parts(ctx) };
    if ctxr.depth >= ctxr.max_depth {
        return 0;
    }
    materialize(ctxr, f);
    let len = f.frames.len();
    if len >= f.max_frames {
        return 0;
    }
    let base = base as usize;
    let clo: *const Closure = Rc::as_ptr(&f.frames[len - 1].closure);
    // SAFETY: the caller's frame keeps its closure alive during the call.
    let p: &Proto = unsafe { &(*clo).proto };
    let (dst, callee, args, n): (_, &Value, u32, u16) = match p.code[pc as usize] {
        Op::Call { dst, callee, args, n } => (dst, &f.regs[base + callee as usize], args, n),
        Op::CallGlobal { dst, slot, args, n } => match &env.globals.values[slot as usize] {
            Some(v) => (dst, v, args as u32, n as u16),
            None => return 0,
        },
        _ => return 0,
    };
    let callee = callee.clone();
    let new_base = base + p.nregs as usize;
    let Some((c, entry)) = native_callee(ctxr, f, callee, n, new_base) else { return 0 };
    // SAFETY: `Proto::validate` checked the argument range against the pool.
    let argv = unsafe { p.args_unchecked(args, n) };
    let regs = f.regs.as_mut_ptr();
    // SAFETY: as for `argv`.
    let dies = unsafe { p.arg_dies_unchecked(args, n) };
    for (i, &r) in argv.iter().enumerate() {
        // SAFETY: both indices are below `need <= regs.len()`, in distinct
        // windows (the new one starts past the caller's registers).
        unsafe {
            if dies[i] {
                // The argument's last use (`Proto::arg_dies`): moved, as the
                // interpreter passes it, so the callee may own it.
                *regs.add(new_base + i) = fast_take(&mut *regs.add(base + r as usize));
            } else {
                copy_into(&mut *regs.add(new_base + i), &*regs.add(base + r as usize));
            }
        }
    }
    let calls = &c.proto.profile.calls;
    calls.set(calls.get() + 1);
    f.frames[len - 1].pc = pc + 1;
    f.frames.reserve(1);
    // SAFETY: capacity for one more frame was reserved; the slot is fully
    // written before `set_len` makes it a frame.
    unsafe {
        write_frame(f.frames.as_mut_ptr().add(len), c, new_base as u32, dst, false);
        f.frames.set_len(len + 1);
    }
    ctxr.depth += 1;
    entry as usize
}

/// A tail call from compiled code: the `tailcall`/`tailcall.g` at `pc` of
/// the top frame. A closure with compiled code and exact arity replaces the
/// frame (as the interpreter's tail call does) and runs natively; its
/// status is returned as this activation's. Anything else, or more than
/// [`MAX_NATIVE_DEPTH`] native frames, is [`NEED_INTERP`] with nothing
/// changed (the interpreter makes the call: constant stack either way).
pub unsafe extern "C" fn sx_rt_tail_call(ctx: *mut JitCtx, base: u64, pc: u32, allow_self: u32) -> u32 {
    let (ctxr, f, env) = unsafe { parts(ctx) };
    let base = base as usize;
    // The running function: a shadow frame's callee, or the top frame's
    // (a self tail call leaves the shadow frames as they are).
    // SAFETY: its frame or its caller's register keeps it alive until it
    // is replaced below.
    let running = unsafe { crate::abi::borrow_closure(running_word(ctxr, f)) };
    let clo: *const Closure = Rc::as_ptr(&running);
    // SAFETY: as above.
    let p: &Proto = unsafe { &(*clo).proto };
    let (callee, args, n): (&Value, u32, u16) = match p.code[pc as usize] {
        Op::TailCall { callee, args, n, .. } => (&f.regs[base + callee as usize], args, n),
        Op::TailCallGlobal { slot, args, n, .. } => match &env.globals.values[slot as usize] {
            Some(v) => (v, args as u32, n as u16),
            None => return NEED_INTERP,
        },
        _ => return NEED_INTERP,
    };
    if allow_self != 0 {
        if let Value::Closure(c) = callee {
            if Rc::as_ptr(c) == clo && p.exact_arity() == n as u32 {
                let calls = &p.profile.calls;
                calls.set(calls.get() + 1);
                return TAIL_SELF;
            }
        }
    }
    if ctxr.depth >= ctxr.max_depth {
        return NEED_INTERP;
    }
    let callee = callee.clone();
    materialize(ctxr, f);
    let Some((c, entry)) = native_callee(ctxr, f, callee, n, base) else { return NEED_INTERP };
    // SAFETY: `Proto::validate` checked the argument range against the pool.
    let regs = unsafe { p.args_unchecked(args, n) };
    // The arguments are read before any is written (they may overlap the
    // parameters); up to 8 on the stack.
    // Dying arguments move (`Proto::arg_dies`), as in the interpreter.
    // SAFETY: as for `regs`.
    let dies = unsafe { p.arg_dies_unchecked(args, n) };
    // Each argument is read as its 16 bytes (the generated code wrote the
    // register whole: an enum read splits into tag and rest, and a load
    // spanning the earlier store stalls store forwarding — most of this
    // function's time on callback-heavy code). A heap value not moved gets
    // its count raised; a moved one leaves nil.
    let argv: SmallVec<[Bits; 8]> = regs
        .iter()
        .zip(dies)
        .map(|(&r, &d)| {
            let slot = &mut f.regs[base + r as usize];
            // SAFETY: a register is a valid value; ownership is settled below.
            let bits = unsafe { read_bits(slot) };
            if d {
                // SAFETY: `bits` took the value's ownership; nil owns nothing.
                unsafe { std::ptr::write(slot, Value::Nil) };
            } else if crate::abi::tag_of(slot) >= crate::abi::FIRST_HEAP_TAG {
                std::mem::forget(slot.clone());
            }
            bits
        })
        .collect();
    for (i, bits) in argv.into_iter().enumerate() {
        // SAFETY: each `bits` owns its value (above), which moves in.
        unsafe { write_bits(&mut f.regs[base + i], bits) };
    }
    let cp = &c.proto.profile.calls;
    cp.set(cp.get() + 1);
    let t = f.frames.last_mut().expect("a frame");
    t.pc = 0;
    let clo = crate::abi::closure_word(&c);
    // `p` (the old proto) is not used after this: the frame now runs `c`.
    t.closure = c;
    ctxr.depth += 1;
    // SAFETY: the entry belongs to the frame's new proto.
    let st = unsafe { entry(ctx, base as u64, clo, 0) };
    // SAFETY: `ctx` is still the live context.
    unsafe { (*ctx).depth -= 1 };
    st
}

/// The entry for a native call of the closure whose word is `word` (the
/// caller checked the tag) with `n` arguments in a window at `new_base`,
/// or 0 when it cannot be one — no compiled code, not exactly `n`
/// parameters, no native depth left, or a register file that cannot grow
/// to the callee's window: the caller then goes through [`sx_rt_call`].
/// On success the callee's call is counted, the caller's counted self
/// calls are flushed to it (the callee's will be counted from 0), and the
/// register file holds the window (`ctx.regs` follows it). The caller
/// copies the arguments, pushes a [`Shadow`] and calls the entry — one
/// runtime call instead of [`sx_rt_call`]'s frame push, decoding and pop.
pub unsafe extern "C" fn sx_rt_callee(ctx: *mut JitCtx, word: u64, n: u32, new_base: u64) -> usize {
    let (ctxr, f, _) = unsafe { parts(ctx) };
    if ctxr.depth >= ctxr.max_depth {
        return 0;
    }
    // SAFETY: the caller read `word` from a register holding a closure,
    // which it keeps during the call (see `Shadow`).
    let c = unsafe { crate::abi::borrow_closure(word) };
    if c.proto.exact_arity() != n {
        return 0;
    }
    let Some(entry) = c.proto.jit.entry() else { return 0 };
    let need = new_base as usize + c.proto.nregs as usize;
    if need > f.regs.len() {
        if need > f.max_regs {
            return 0;
        }
        f.regs.resize(need, Value::Nil);
        sync_regs(ctxr, f);
    }
    if ctxr.self_calls != 0 {
        let running = running_word(ctxr, f);
        flush_self_calls(ctxr, running);
    }
    let calls = &c.proto.profile.calls;
    calls.set(calls.get() + 1);
    entry as usize
}

/// A call from compiled code whose callee, read from a register, is a
/// builtin value (`odd?` passed to `filter`): the arity checked as the
/// interpreter's call checks it (a wrong count raises the same error at
/// the same pc), then the builtin on the `n` values at `argv` (bitwise
/// copies the generated code keeps alive in their homes, as for
/// [`sx_rt_prim`]), the result into register `dst`. [`NEED_INTERP`] with
/// nothing changed when the callee is not a builtin (a closure without
/// compiled code, a keyword, a dict…: `sx_rt_call` or the interpreter
/// makes the call).
pub unsafe extern "C" fn sx_rt_call_prim(ctx: *mut JitCtx, base: u64, pc: u32, tag: u64, payload: u64, dst: u32, argv: *const Value, n: u32) -> u32 {
    let Value::Prim(id) = *borrow(tag, payload) else { return NEED_INTERP };
    // As `sx_rt_prim`: the frames are made exact only if it raises.
    let (ctx, f, env) = unsafe { parts(ctx) };
    // SAFETY: the generated code passes `n` valid values it keeps alive.
    let args = unsafe { std::slice::from_raw_parts(argv, n as usize) };
    prim_value(ctx, f, env, id, args, base as usize + dst as usize, pc)
}

/// Builtin `id` called as a value (the interpreter's `call` of a
/// `Value::Prim`): arity checked (a wrong count raises at `pc`), then the
/// builtin on `args`, its result into register `at`. [`OK`] or [`RAISE`].
fn prim_value(ctx: &mut JitCtx, f: &mut Fiber, env: &mut Env, id: crate::value::PrimId, args: &[Value], at: usize, pc: u32) -> u32 {
    let def = rt::prim_def(id);
    if let Err(e) = crate::prims::check_arity(def, args.len()) {
        return raise(ctx, f, pc, e);
    }
    if list_fast_path(id.0, args, &mut f.regs[at]) {
        return OK;
    }
    let r = (def.func)(env.ctx, args);
    // A builtin may have run code that grew the register file.
    sync_regs(ctx, f);
    put_result(ctx, f, at, pc, r)
}

/// After a native call of another function returned [`OK`] with its
/// shadow frame: its self calls counted in `ctx.self_calls` go to its
/// counter (the closure whose word is `word`).
pub unsafe extern "C" fn sx_rt_flush_calls(ctx: *mut JitCtx, word: u64) {
    // SAFETY: `ctx` is the live context; `word` is kept alive by the caller.
    flush_self_calls(unsafe { &mut *ctx }, word);
}

/// The address of the captured values of the closure whose word is
/// `word`: `ncaptures` values of 16 bytes in capture order. Valid while the
/// closure lives (its captures never change after it is made), so
/// generated code declares this function pure and reads a capture inline.
pub unsafe extern "C" fn sx_rt_captures(word: u64) -> *const Value {
    // SAFETY: the caller's frame keeps the running closure alive.
    let c = unsafe { crate::abi::borrow_closure(word) };
    c.captures.as_ptr()
}

/// `sx_rt_list` operations: `(first l)`, `(nth l i)`, `(len l)`, `(empty? l)`.
pub const LIST_FIRST: u32 = 0;
/// See [`LIST_FIRST`].
pub const LIST_NTH: u32 = 1;
/// See [`LIST_FIRST`].
pub const LIST_LEN: u32 = 2;
/// See [`LIST_FIRST`].
pub const LIST_EMPTY: u32 = 3;

/// `first`, `nth`, `len` or `empty?` (`op`, [`LIST_FIRST`]…) of the list
/// whose payload word is `list` (the generated code checked the tag; `i`
/// is `nth`'s index, its tag checked too), the result written into
/// register `dst` of the window at `base`: 1. 0 when it is not that simple
/// — an index out of range or negative — with nothing changed: the caller
/// then calls the builtin (`sx_rt_prim`), which raises as it does. The
/// narrow form of [`list_fast_path`]: no argument buffer, no dispatch on
/// the builtin's id.
pub unsafe extern "C" fn sx_rt_list(ctx: *mut JitCtx, base: u64, op: u32, dst: u32, list: u64, i: i64) -> u32 {
    // SAFETY: `ctx` is the live context.
    let f = unsafe { &mut *(*ctx).fiber };
    // SAFETY: the caller's register holds the list for the whole call.
    let l = unsafe { crate::abi::borrow_list(list) };
    list_read(&l, op, i, &mut f.regs[base as usize + dst as usize]) as u32
}

/// After a native self call returned [`OK`] and its shadow frame had been
/// materialised: pops that real frame and moves `ctx.ret` into the
/// caller's destination register.
pub unsafe extern "C" fn sx_rt_pop(ctx: *mut JitCtx) {
    let (ctx, f, _) = unsafe { parts(ctx) };
    let none = pop_return(f, std::mem::replace(&mut ctx.ret, Value::Nil), std::mem::take(&mut ctx.self_calls));
    debug_assert!(none.is_none(), "a self call's caller frame is below");
}

/// A value's 16 bytes, copied without looking at them (padding included,
/// hence `MaybeUninit`): one or two full-width moves, never the tag byte
/// and the rest apart. Who owns the value is the caller's bookkeeping.
type Bits = MaybeUninit<[u64; 2]>;

/// The bits of the value at `p` (the value itself stays where it is).
///
/// # Safety
/// `p` points to a valid value.
#[inline(always)]
unsafe fn read_bits(p: *const Value) -> Bits {
    // SAFETY: 16 readable bytes; `MaybeUninit` holds padding.
    unsafe { std::ptr::read(p as *const Bits) }
}

/// Drops the value at `p` and moves the value whose bits are `bits` there.
///
/// # Safety
/// `p` points to a valid value; `bits` are a value nobody else owns.
#[inline(always)]
unsafe fn write_bits(p: *mut Value, bits: Bits) {
    // SAFETY: `p` is valid (the caller); dropped before it is overwritten.
    unsafe {
        if crate::abi::tag_of(&*p) >= crate::abi::FIRST_HEAP_TAG {
            std::ptr::drop_in_place(p);
        }
        std::ptr::write(p as *mut Bits, bits);
    }
}

/// Every runtime function by symbol name, for registration with ORC.
pub fn symbols() -> Vec<(&'static str, usize)> {
    vec![
        ("sx_rt_deopt", sx_rt_deopt as *const () as usize),
        ("sx_rt_drop", sx_rt_drop as *const () as usize),
        ("sx_rt_copy", sx_rt_copy as *const () as usize),
        ("sx_rt_arith", sx_rt_arith as *const () as usize),
        ("sx_rt_compare", sx_rt_compare as *const () as usize),
        ("sx_rt_op", sx_rt_op as *const () as usize),
        ("sx_rt_prim", sx_rt_prim as *const () as usize),
        ("sx_rt_call", sx_rt_call as *const () as usize),
        ("sx_rt_pop", sx_rt_pop as *const () as usize),
        ("sx_rt_tail_call", sx_rt_tail_call as *const () as usize),
        ("sx_rt_callee", sx_rt_callee as *const () as usize),
        ("sx_rt_flush_calls", sx_rt_flush_calls as *const () as usize),
        ("sx_rt_call_prim", sx_rt_call_prim as *const () as usize),
        ("sx_rt_captures", sx_rt_captures as *const () as usize),
        ("sx_rt_list", sx_rt_list as *const () as usize),
    ]
}


#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::offset_of;

    /// Generated code reads these fields at fixed offsets.
    #[test]
    fn context_offsets_are_the_ones_generated_code_uses() {
        assert_eq!(offset_of!(JitCtx, regs) as u32, CTX_REGS);
        assert_eq!(offset_of!(JitCtx, interrupt) as u32, CTX_INTERRUPT);
        assert_eq!(offset_of!(JitCtx, stress) as u32, CTX_STRESS);
        assert_eq!(offset_of!(JitCtx, depth) as u32, CTX_DEPTH);
        assert_eq!(offset_of!(JitCtx, ret) as u32, CTX_RET);
        assert_eq!(offset_of!(JitCtx, regs_len) as u32, CTX_REGS_LEN);
        assert_eq!(offset_of!(JitCtx, shadow) as u32, CTX_SHADOW);
        assert_eq!(offset_of!(JitCtx, shadow_len) as u32, CTX_SHADOW_LEN);
        assert_eq!(offset_of!(JitCtx, max_depth) as u32, CTX_MAX_DEPTH);
        assert_eq!(offset_of!(JitCtx, self_calls) as u32, CTX_SELF_CALLS);
        assert_eq!(offset_of!(JitCtx, globals) as u32, CTX_GLOBALS);
        assert_eq!(offset_of!(Shadow, base), 0);
        assert_eq!(offset_of!(Shadow, ret), 4);
        assert_eq!(offset_of!(Shadow, caller_pc), 8);
        assert_eq!(offset_of!(Shadow, closure), 16);
        assert_eq!(std::mem::size_of::<Shadow>() as u32, SHADOW_SIZE);
    }
}
