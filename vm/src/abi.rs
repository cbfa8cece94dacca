//! The value layout generated code relies on, written down in one place.
//!
//! [`Value`] is `repr(C, u8)`: byte 0 is the tag, the payload word is at
//! offset 8 (16 bytes in all). Compiled code (the LLVM tier) tests tags and
//! reads or writes the immediates below inline, and clones a heap value it
//! copies into a register (a global, a capture, the running closure) by
//! adding 1 to its strong count ([`RC_STRONG_OFFSET`]); anything else that
//! touches a heap object — its insides, a drop, an allocation — goes through
//! the runtime (`vm::jit` `sx_rt_*` functions). Everything else in `vm` uses the safe
//! enum API; this module's tests check every constant against the compiler's
//! actual layout, so a change to `Value` that breaks the contract fails here.

use crate::value::Value;

/// Size of a value in bytes.
pub const VALUE_SIZE: usize = 16;
/// Offset of the tag byte.
pub const TAG_OFFSET: usize = 0;
/// Offset of the payload word (`i64` for Int, `f64` for Float, `u8` 0/1 for Bool).
pub const PAYLOAD_OFFSET: usize = 8;

/// Tag of `Value::Nil`.
pub const TAG_NIL: u8 = 0;
/// Tag of `Value::Bool`; the payload's first byte is 0 or 1.
pub const TAG_BOOL: u8 = 1;
/// Tag of `Value::Int`; the payload is an `i64`.
pub const TAG_INT: u8 = 2;
/// Tag of `Value::Float`; the payload is an `f64`.
pub const TAG_FLOAT: u8 = 3;
/// Tag of `Value::List`; the payload is the `Rc<List>` pointer ([`borrow_list`]).
pub const TAG_LIST: u8 = 9;
/// Tag of `Value::Closure`; the payload is the `Rc<Closure>` pointer
/// ([`closure_word`]).
pub const TAG_CLOSURE: u8 = 11;
/// Tags below this one are immediates (no heap reference: copying is a bit
/// copy, dropping is nothing); tags at or above it own an `Rc`.
pub const FIRST_HEAP_TAG: u8 = 8;
/// The last tag a value has (`Value::Cell`). A byte above it in a global
/// slot (`Option<Value>`) is the niche that means `None`: unbound.
pub const LAST_TAG: u8 = 16;
/// Offset, from a heap value's payload word (the `Rc`'s pointer), of its
/// strong reference count (a `usize`). Every heap variant is an `Rc` of a
/// sized type, one pointer to std's `repr(C)` `RcInner { strong, weak,
/// value }`; generated code clones a heap value by adding 1 here (values
/// are single-threaded `Rc`s, never shared across threads). Pinned by this
/// module's tests against `Rc::strong_count`, since std does not promise it.
pub const RC_STRONG_OFFSET: usize = 0;

/// The tag byte of `v`.
#[inline(always)]
pub fn tag_of(v: &Value) -> u8 {
    // SAFETY: `Value` is `repr(C, u8)`: its first byte is the tag.
    unsafe { *(v as *const Value as *const u8) }
}

/// The payload word of `Value::Closure(c)`: the `Rc`'s pointer, the same
/// bits a register holding that closure has at [`PAYLOAD_OFFSET`]
/// (compiled code compares it to recognise a call of itself).
#[inline(always)]
pub fn closure_word(c: &std::rc::Rc<crate::value::Closure>) -> u64 {
    // SAFETY: an `Rc` is one non-null pointer; its bits are copied, not the Rc.
    unsafe { std::mem::transmute_copy::<std::rc::Rc<crate::value::Closure>, u64>(c) }
}

/// The closure whose word ([`closure_word`]) is `word`, borrowed: the
/// handle is never dropped, so no count changes (clone it to own one).
///
/// # Safety
/// `word` is the word of a closure something else keeps alive for as long
/// as the handle is used.
#[inline(always)]
pub unsafe fn borrow_closure(word: u64) -> std::mem::ManuallyDrop<std::rc::Rc<crate::value::Closure>> {
    // SAFETY: a closure word is the bits of an `Rc<Closure>` (above); the
    // caller guarantees it is alive, and the handle is never dropped.
    std::mem::ManuallyDrop::new(unsafe { std::mem::transmute::<u64, std::rc::Rc<crate::value::Closure>>(word) })
}

/// The list whose payload word is `word`, borrowed (as [`borrow_closure`]).
///
/// # Safety
/// `word` is the payload of a `Value::List` something else keeps alive for
/// as long as the handle is used.
#[inline(always)]
pub unsafe fn borrow_list(word: u64) -> std::mem::ManuallyDrop<std::rc::Rc<crate::value::List>> {
    // SAFETY: a list's payload is the bits of its `Rc<List>`; alive (the caller).
    std::mem::ManuallyDrop::new(unsafe { std::mem::transmute::<u64, std::rc::Rc<crate::value::List>>(word) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{PrimId, Sym};
    use std::mem::size_of;

    fn payload_i64(v: &Value) -> i64 {
        // SAFETY: reading 8 bytes at offset 8 of a 16-byte value.
        unsafe { *((v as *const Value as *const u8).add(PAYLOAD_OFFSET) as *const i64) }
    }

    #[test]
    fn size_and_offsets() {
        assert_eq!(size_of::<Value>(), VALUE_SIZE);
        assert_eq!(std::mem::align_of::<Value>(), 8);
        assert_eq!(size_of::<Option<Value>>(), VALUE_SIZE, "the tag keeps a niche for Option");
        // The payload's offset, measured on a value.
        let v = Value::Int(0);
        let base = &v as *const Value as usize;
        let Value::Int(i) = &v else { unreachable!() };
        assert_eq!(i as *const i64 as usize - base, PAYLOAD_OFFSET);
        let v = Value::Bool(true);
        let base = &v as *const Value as usize;
        let Value::Bool(b) = &v else { unreachable!() };
        assert_eq!(b as *const bool as usize - base, PAYLOAD_OFFSET);
        assert_eq!(TAG_OFFSET, 0);
    }

    #[test]
    fn every_tag() {
        let heap = [
            Value::str("s"),
            Value::list(vec![]),
            Value::dict(vec![]),
            Value::error("e"),
            Value::cell(Value::Nil),
        ];
        assert_eq!(tag_of(&Value::Nil), TAG_NIL);
        assert_eq!(tag_of(&Value::Bool(true)), TAG_BOOL);
        assert_eq!(tag_of(&Value::Int(7)), TAG_INT);
        assert_eq!(tag_of(&Value::Float(1.5)), TAG_FLOAT);
        let l = Value::list(vec![Value::Int(4), Value::Int(5)]);
        assert_eq!(tag_of(&l), TAG_LIST);
        // SAFETY: `l` is a list and outlives the handle.
        assert_eq!(unsafe { borrow_list(payload_i64(&l) as u64) }.len(), 2);
        for imm in [Value::Symbol(Sym(1)), Value::Keyword(Sym(1)), Value::Prim(PrimId(0)), Value::Pid(3)] {
            assert!(tag_of(&imm) < FIRST_HEAP_TAG, "{imm:?}");
        }
        for h in &heap {
            assert!(tag_of(h) >= FIRST_HEAP_TAG, "{h:?}");
        }
    }

    #[test]
    fn closures() {
        let mut iso = crate::isolate::Isolate::new(crate::ctx::Ctx::with_output(Box::new(std::io::sink()), Box::new(std::io::sink())));
        iso.compile_file("t.sx", "1").expect("compiles");
        let proto = iso.modules()[0].clone();
        let c = std::rc::Rc::new(crate::value::Closure { proto, captures: Default::default() });
        let v = Value::Closure(c.clone());
        assert_eq!(tag_of(&v), TAG_CLOSURE);
        assert_eq!(payload_i64(&v) as u64, closure_word(&c));
        assert!(TAG_CLOSURE >= FIRST_HEAP_TAG);
        // SAFETY: a closure word points at its `Rc` allocation (see `RC_STRONG_OFFSET`).
        let strong = unsafe { *((closure_word(&c) as usize + RC_STRONG_OFFSET) as *const usize) };
        assert_eq!(strong, std::rc::Rc::strong_count(&c));
        assert_eq!(strong, 2);
    }

    #[test]
    fn unbound_global_is_a_tag_above_the_last() {
        let none: Option<Value> = None;
        // SAFETY: `Option<Value>` is 16 bytes (asserted above); byte 0 is the tag's niche.
        let tag = unsafe { *(&none as *const Option<Value> as *const u8) };
        assert!(tag > LAST_TAG, "None is tag {tag}");
        let cell = Some(Value::cell(Value::Nil));
        // SAFETY: as above, `Some(v)` is `v`.
        assert_eq!(unsafe { *(&cell as *const Option<Value> as *const u8) }, LAST_TAG);
    }

    #[test]
    fn strong_count_at_the_payload_word() {
        let heap = [
            Value::str("s"),
            Value::list(vec![Value::Int(1)]),
            Value::dict(vec![]),
            Value::error("e"),
            Value::cell(Value::Nil),
        ];
        for v in &heap {
            let copies: Vec<Value> = (0..3).map(|_| v.clone()).collect();
            let word = payload_i64(v) as usize;
            // SAFETY: the payload of a heap value is an `Rc` pointer to its allocation.
            let strong = unsafe { *((word + RC_STRONG_OFFSET) as *const usize) };
            assert_eq!(strong, 4, "{v:?}");
            drop(copies);
            // SAFETY: as above.
            assert_eq!(unsafe { *((word + RC_STRONG_OFFSET) as *const usize) }, 1, "{v:?}");
        }
    }

    #[test]
    fn payloads() {
        assert_eq!(payload_i64(&Value::Int(-42)), -42);
        assert_eq!(f64::from_bits(payload_i64(&Value::Float(2.25)) as u64), 2.25);
        assert_eq!(payload_i64(&Value::Bool(true)) & 0xff, 1);
        assert_eq!(payload_i64(&Value::Bool(false)) & 0xff, 0);
    }
}
