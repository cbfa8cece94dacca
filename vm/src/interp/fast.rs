//! Small always-inlined helpers of the dispatch loop: register copies that
//! avoid drop calls and store-forwarding stalls, frame pushes, and the
//! generic (non-`Int`) arithmetic/comparison fallbacks.

use super::rt;
use crate::bytecode::{prim_of, Cmp, Reg};
use crate::ctx::Ctx;
use crate::fiber::Frame;
use crate::value::{Closure, Value};
use std::rc::Rc;

/// True for values without heap references (copying them is a bit copy).
#[inline(always)]
pub(crate) fn is_imm(v: &Value) -> bool {
    matches!(v, Value::Nil | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Symbol(_) | Value::Keyword(_) | Value::Prim(_) | Value::Pid(_))
}

/// `v.clone()` without a call for immediates. Numbers are rebuilt field by
/// field (tag, payload) rather than copied as 16 bytes: a register just
/// written by an arithmetic op was stored that way, and a wider load would
/// miss store-to-load forwarding.
#[inline(always)]
pub(crate) fn fast_clone(v: &Value) -> Value {
    match v {
        Value::Nil => Value::Nil,
        Value::Bool(b) => Value::Bool(*b),
        // A volatile payload read keeps LLVM from merging tag and payload
        // into one 16-byte load (which would miss store forwarding when the
        // register was just written field by field).
        // SAFETY: reading a plain integer/float through a valid reference.
        Value::Int(i) => Value::Int(unsafe { std::ptr::read_volatile(i) }),
        Value::Float(x) => Value::Float(unsafe { std::ptr::read_volatile(x) }),
        Value::Str(s) => Value::Str(s.clone()),
        Value::Symbol(s) => Value::Symbol(*s),
        Value::Keyword(s) => Value::Keyword(*s),
        Value::List(l) => Value::List(l.clone()),
        Value::Dict(d) => Value::Dict(d.clone()),
        Value::Closure(c) => Value::Closure(c.clone()),
        Value::Prim(p) => Value::Prim(*p),
        Value::Pid(p) => Value::Pid(*p),
        Value::Cell(c) => Value::Cell(c.clone()),
        #[allow(unreachable_patterns)]
        _ => v.clone(),
    }
}

/// `*dst = Value::Int(i)`, written in place.
#[inline(always)]
pub(crate) fn put_int(dst: &mut Value, i: i64) {
    if is_imm(dst) {
        // SAFETY: the old value owns nothing.
        unsafe { std::ptr::write(dst, Value::Int(i)) }
    } else {
        *dst = Value::Int(i);
    }
}

/// `*dst = Value::Float(x)`, written in place.
#[inline(always)]
pub(crate) fn put_float(dst: &mut Value, x: f64) {
    if is_imm(dst) {
        // SAFETY: the old value owns nothing.
        unsafe { std::ptr::write(dst, Value::Float(x)) }
    } else {
        *dst = Value::Float(x);
    }
}

/// `*dst = Value::Bool(b)`, written in place.
#[inline(always)]
pub(crate) fn put_bool(dst: &mut Value, b: bool) {
    if is_imm(dst) {
        // SAFETY: the old value owns nothing.
        unsafe { std::ptr::write(dst, Value::Bool(b)) }
    } else {
        *dst = Value::Bool(b);
    }
}

/// `*dst = src.clone()` with numbers written field by field (see [`fast_clone`]).
#[inline(always)]
pub(crate) fn copy_into(dst: &mut Value, src: &Value) {
    match src {
        // SAFETY: as in `fast_clone`.
        Value::Int(i) => put_int(dst, unsafe { std::ptr::read_volatile(i) }),
        Value::Bool(b) => put_bool(dst, *b),
        _ => fast_set(dst, fast_clone(src)),
    }
}

/// `*slot = v.clone()` when `v` is a number, a boolean or nil, written
/// field by field from narrow reads of `v` (false otherwise, `slot`
/// untouched). For a value just returned through memory (a builtin's
/// `Result`, read where the callee wrote it): moving it whole would be a
/// 16-byte load of fields the callee stored one by one, a store-forwarding
/// stall — most of the time of compiled code's builtin calls on
/// list-walking code.
#[inline(always)]
pub(crate) fn put_imm(slot: &mut Value, v: &Value) -> bool {
    match v {
        // SAFETY: as in `fast_clone`.
        Value::Int(i) => put_int(slot, unsafe { std::ptr::read_volatile(i) }),
        Value::Float(x) => put_float(slot, unsafe { std::ptr::read_volatile(x) }),
        Value::Bool(b) => put_bool(slot, unsafe { std::ptr::read_volatile(b) }),
        Value::Nil => fast_set(slot, Value::Nil),
        _ => return false,
    }
    true
}

/// Moves `*src` (a value just returned through memory: a builtin's
/// `Result`, read where the callee wrote it) into `slot` with narrow reads
/// and writes: the tag byte, then numbers and booleans as [`put_imm`] does
/// and a heap value's reference as one 8-byte word (`vm::abi`: every
/// payload sits at `PAYLOAD_OFFSET`). Moving it whole would be a 16-byte
/// load of fields the callee stored one by one — a store-forwarding stall
/// that was most of the time of compiled code's builtin calls.
///
/// # Safety
/// `src` is a live value whose ownership moves into `slot`: the caller must
/// not use or drop it afterwards (forget its container).
#[inline(always)]
pub(crate) unsafe fn move_returned(slot: &mut Value, src: &Value) {
    if put_imm(slot, src) {
        return;
    }
    let at = (src as *const Value).cast::<u8>();
    // SAFETY: a `Value` is `VALUE_SIZE` bytes with its tag at offset 0.
    let tag = unsafe { std::ptr::read_volatile(at) };
    if tag >= crate::abi::FIRST_HEAP_TAG {
        // SAFETY: a heap variant's payload is one reference (a pointer
        // word) at `PAYLOAD_OFFSET`; its ownership moves with the bits.
        let pay = unsafe { std::ptr::read_volatile(at.add(crate::abi::PAYLOAD_OFFSET).cast::<u64>()) };
        if !is_imm(slot) {
            // SAFETY: the old value is dropped once, then overwritten.
            unsafe { std::ptr::drop_in_place(slot) };
        }
        let dst = (slot as *mut Value).cast::<u8>();
        // SAFETY: writes a valid value of the same variant as `*src`.
        unsafe {
            dst.write(tag);
            dst.add(crate::abi::PAYLOAD_OFFSET).cast::<u64>().write(pay);
        }
    } else {
        // SAFETY: ownership moves (see above).
        fast_set(slot, unsafe { std::ptr::read(src) });
    }
}

/// Moves the value out of a register that is about to die (immediates are copied).
#[inline(always)]
pub(crate) fn fast_take(slot: &mut Value) -> Value {
    match slot {
        // SAFETY: as in `fast_clone`.
        Value::Int(i) => Value::Int(unsafe { std::ptr::read_volatile(i) }),
        Value::Float(x) => Value::Float(unsafe { std::ptr::read_volatile(x) }),
        Value::Nil => Value::Nil,
        Value::Bool(b) => Value::Bool(*b),
        _ => std::mem::replace(slot, Value::Nil),
    }
}

/// Passes an argument from register `src` to `dst`: moved when `dies` (the
/// value's last use, see `Proto::arg_dies`), else copied. Integers are copied
/// either way, field by field.
#[inline(always)]
pub(super) fn pass_arg(dst: &mut Value, src: &mut Value, dies: bool) {
    match src {
        // SAFETY: as in `fast_clone`.
        Value::Int(i) => put_int(dst, unsafe { std::ptr::read_volatile(i) }),
        _ if dies => fast_set(dst, fast_take(src)),
        _ => copy_into(dst, src),
    }
}

/// `*slot = v` without a drop call when the old value is an immediate.
#[inline(always)]
pub(crate) fn fast_set(slot: &mut Value, v: Value) {
    if is_imm(slot) {
        // SAFETY: the old value owns nothing, so skipping its drop is fine.
        unsafe { std::ptr::write(slot, v) }
    } else {
        *slot = v;
    }
}

/// Writes a new frame into free storage, field by field (no temporary:
/// avoids a store-forwarding stall).
///
/// # Safety
/// `slot` must be valid for writes and hold no live frame (it is overwritten
/// without dropping).
#[inline(always)]
pub(crate) unsafe fn write_frame(slot: *mut Frame, closure: Rc<Closure>, base: u32, ret: Reg, is_try: bool) {
    // SAFETY: guaranteed by the caller.
    unsafe {
        std::ptr::addr_of_mut!((*slot).closure).write(closure);
        std::ptr::addr_of_mut!((*slot).pc).write(0);
        std::ptr::addr_of_mut!((*slot).base).write(base);
        std::ptr::addr_of_mut!((*slot).ret).write(ret);
        std::ptr::addr_of_mut!((*slot).is_try).write(is_try);
        std::ptr::addr_of_mut!((*slot).resume).write(false);
    }
}

/// The primitive implementing `cmp` (for the generic path of `ret.if`, whose
/// instruction has no room for it), `u16::MAX` if there is none.
#[inline(never)]
pub(super) fn cmp_prim(cmp: Cmp) -> u16 {
    static PRIMS: std::sync::OnceLock<[u16; 6]> = std::sync::OnceLock::new();
    let prims = PRIMS.get_or_init(|| {
        [Cmp::Lt, Cmp::Gt, Cmp::Le, Cmp::Ge, Cmp::Eq, Cmp::Ne]
            .map(|c| rt::prim_lookup(c.prim_name()).map(|p| p.0 as u16).unwrap_or(u16::MAX))
    });
    prims[cmp as usize]
}

/// Drops the heap references held by a dead register window.
#[inline(always)]
pub(crate) fn clear_window(regs: &mut [Value]) {
    for r in regs {
        if !is_imm(r) {
            *r = Value::Nil;
        }
    }
}

/// Generic two-operand arithmetic through the primitive.
#[inline(never)]
pub(super) fn arith_slow(ctx: &mut Ctx, prim: u16, a: &Value, b: &Value) -> Result<Value, Value> {
    if prim == u16::MAX {
        return Err(rt::error("no arithmetic primitive"));
    }
    let def = rt::prim_def(prim_of(prim));
    if def.max == Some(1) {
        // `inc`/`dec` compiled to an immediate add/sub.
        return (def.func)(ctx, std::slice::from_ref(a));
    }
    (def.func)(ctx, &[a.clone(), b.clone()])
}

/// A one-argument primitive call (the fallback of the `first`/`empty?` ops).
#[inline(never)]
pub(super) fn prim1_slow(ctx: &mut Ctx, prim: u16, a: &Value) -> Result<Value, Value> {
    let def = rt::prim_def(prim_of(prim));
    (def.func)(ctx, std::slice::from_ref(a))
}

/// A two-argument primitive call (the fallback of the `nth`/`append!` ops).
#[inline(never)]
pub(super) fn prim2_slow(ctx: &mut Ctx, prim: u16, a: &Value, b: &Value) -> Result<Value, Value> {
    let def = rt::prim_def(prim_of(prim));
    (def.func)(ctx, &[a.clone(), b.clone()])
}

/// Generic comparison through the primitive; the result's truthiness.
#[inline(never)]
pub(crate) fn cmp_slow(ctx: &mut Ctx, cmp: Cmp, prim: u16, a: &Value, b: &Value) -> Result<bool, Value> {
    if let (Value::Float(x), Value::Float(y)) = (a, b) {
        let (x, y) = (*x, *y);
        return Ok(match cmp {
            Cmp::Lt => x < y,
            Cmp::Gt => x > y,
            Cmp::Le => x <= y,
            Cmp::Ge => x >= y,
            Cmp::Eq => x == y,
            Cmp::Ne => x != y,
        });
    }
    if prim == u16::MAX {
        return Err(rt::error(format!("{}: no primitive", cmp.prim_name())));
    }
    let def = rt::prim_def(prim_of(prim));
    (def.func)(ctx, &[a.clone(), b.clone()]).map(|v| !matches!(v, Value::Nil | Value::Bool(false)))
}
