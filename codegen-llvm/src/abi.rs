//! The runtime functions generated code calls: one enum, mirrored by the
//! `extern "C" fn sx_rt_*` definitions in `vm::jit::runtime`. Every module
//! declares the ones it uses by name; ORC resolves them to the absolute
//! symbols defined at session start (never addresses baked into code).

use inkwell::context::Context;
use inkwell::module::{Linkage, Module};
use inkwell::values::FunctionValue;
use inkwell::AddressSpace;

/// A runtime function (see `vm::jit::runtime` for each one's contract).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RtFn {
    /// `(ctx, pc: i32, speculation: i32)`: leave for the interpreter at `pc`
    /// (`speculation` 1: a failed guard, counted as a deoptimisation).
    Deopt,
    /// `(slot: ptr)`: drop the heap value in a register.
    Drop,
    /// `(ctx, base, dst: i32, src: i32)`: register copy.
    Copy,
    /// `(ctx, base, pc, prim, a_tag, a_payload, b_tag, b_payload, dst) -> status`.
    Arith,
    /// `(ctx, pc, prim, cmp, a_tag, a_payload, b_tag, b_payload) -> 0|1|RAISE`.
    Compare,
    /// `(ctx, base, pc, dst) -> status`: run the data instruction at `pc`.
    Op,
    /// `(ctx, base, pc, prim, dst, argv: ptr, n, owned) -> status`: call
    /// builtin `prim` with the `n` values at `argv` (consuming register
    /// `owned` unless it is `u32::MAX`), result into register `dst`.
    Prim,
    /// `(ctx, base, pc) -> status`: the call instruction at `pc`.
    Call,
    /// `(ctx)`: pop a materialised native call's frame, result from `ctx.ret`.
    Pop,
    /// `(ctx, base, pc, allow_self) -> status`: the tail call instruction at
    /// `pc` (`TAIL_SELF` when `allow_self` and the callee is this closure).
    TailCall,
    /// `(ctx, closure word: i64, n: i32, new_base: i64) -> entry: i64`:
    /// the entry for a native call of that closure with `n` arguments, or 0.
    Callee,
    /// `(ctx, closure word: i64)`: count the self calls a natively called
    /// function made (in `ctx.self_calls`) as that closure's.
    FlushCalls,
    /// `(ctx, base, pc, callee_tag, callee_payload, dst: i32, argv: ptr, n)
    /// -> status`: the call at `pc` when its callee is a builtin value
    /// (arity checked, the `n` values at `argv`, result into `dst`);
    /// `NEED_INTERP` with nothing changed when it is not one.
    CallPrim,
    /// `(closure word: i64) -> ptr`: the closure's captured values (pure:
    /// declared `memory(none)`, so LLVM reuses one call per function).
    Captures,
    /// `(ctx, base, op: i32, dst: i32, list payload: i64, index: i64) ->
    /// 1|0`: `first`/`nth`/`len`/`empty?` of a list into register `dst`
    /// (0: not that simple, nothing changed).
    List,
}

impl RtFn {
    /// Every runtime function.
    pub const ALL: [RtFn; 15] = [
        RtFn::Deopt,
        RtFn::Drop,
        RtFn::Copy,
        RtFn::Arith,
        RtFn::Compare,
        RtFn::Op,
        RtFn::Prim,
        RtFn::Call,
        RtFn::Pop,
        RtFn::TailCall,
        RtFn::Callee,
        RtFn::FlushCalls,
        RtFn::CallPrim,
        RtFn::Captures,
        RtFn::List,
    ];

    /// The symbol name.
    pub fn name(self) -> &'static str {
        match self {
            RtFn::Deopt => "sx_rt_deopt",
            RtFn::Drop => "sx_rt_drop",
            RtFn::Copy => "sx_rt_copy",
            RtFn::Arith => "sx_rt_arith",
            RtFn::Compare => "sx_rt_compare",
            RtFn::Op => "sx_rt_op",
            RtFn::Prim => "sx_rt_prim",
            RtFn::Call => "sx_rt_call",
            RtFn::Pop => "sx_rt_pop",
            RtFn::TailCall => "sx_rt_tail_call",
            RtFn::Callee => "sx_rt_callee",
            RtFn::FlushCalls => "sx_rt_flush_calls",
            RtFn::CallPrim => "sx_rt_call_prim",
            RtFn::Captures => "sx_rt_captures",
            RtFn::List => "sx_rt_list",
        }
    }

    /// Declares (or finds) the function in `m`.
    pub fn declare<'ctx>(self, cx: &'ctx Context, m: &Module<'ctx>) -> FunctionValue<'ctx> {
        if let Some(f) = m.get_function(self.name()) {
            return f;
        }
        let p = cx.ptr_type(AddressSpace::default());
        let (i32t, i64t, void) = (cx.i32_type(), cx.i64_type(), cx.void_type());
        let ty = match self {
            RtFn::Deopt => void.fn_type(&[p.into(), i32t.into(), i32t.into()], false),
            RtFn::Drop => void.fn_type(&[p.into()], false),
            RtFn::Copy => void.fn_type(&[p.into(), i64t.into(), i32t.into(), i32t.into()], false),
            RtFn::Arith => i32t.fn_type(
                &[p.into(), i64t.into(), i32t.into(), i32t.into(), i64t.into(), i64t.into(), i64t.into(), i64t.into(), i32t.into()],
                false,
            ),
            RtFn::Compare => {
                i32t.fn_type(&[p.into(), i32t.into(), i32t.into(), i32t.into(), i64t.into(), i64t.into(), i64t.into(), i64t.into()], false)
            }
            RtFn::Op => i32t.fn_type(&[p.into(), i64t.into(), i32t.into(), i32t.into()], false),
            RtFn::Prim => i32t.fn_type(
                &[p.into(), i64t.into(), i32t.into(), i32t.into(), i32t.into(), p.into(), i32t.into(), i32t.into()],
                false,
            ),
            RtFn::Call => i32t.fn_type(&[p.into(), i64t.into(), i32t.into()], false),
            RtFn::Pop => void.fn_type(&[p.into()], false),
            RtFn::TailCall => i32t.fn_type(&[p.into(), i64t.into(), i32t.into(), i32t.into()], false),
            RtFn::Callee => i64t.fn_type(&[p.into(), i64t.into(), i32t.into(), i64t.into()], false),
            RtFn::FlushCalls => void.fn_type(&[p.into(), i64t.into()], false),
            RtFn::CallPrim => i32t.fn_type(
                &[p.into(), i64t.into(), i32t.into(), i64t.into(), i64t.into(), i32t.into(), p.into(), i32t.into()],
                false,
            ),
            RtFn::Captures => p.fn_type(&[i64t.into()], false),
            RtFn::List => i32t.fn_type(&[p.into(), i64t.into(), i32t.into(), i32t.into(), i64t.into(), i64t.into()], false),
        };
        let f = m.add_function(self.name(), ty, Some(Linkage::External));
        if self == RtFn::Captures {
            // `memory(none)` is encoded as 0; with `nounwind` and
            // `willreturn`, LLVM may hoist and merge the calls.
            for (name, val) in [("memory", 0), ("nounwind", 0), ("willreturn", 0)] {
                let kind = inkwell::attributes::Attribute::get_named_enum_kind_id(name);
                f.add_attribute(inkwell::attributes::AttributeLoc::Function, cx.create_enum_attribute(kind, val));
            }
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_runtime_function_exists_in_vm() {
        let vm_syms: Vec<&str> = vm::jit::runtime::symbols().iter().map(|(n, _)| *n).collect();
        for f in RtFn::ALL {
            assert!(vm_syms.contains(&f.name()), "{} missing from vm::jit::runtime::symbols", f.name());
        }
        assert_eq!(vm_syms.len(), RtFn::ALL.len(), "vm defines a runtime function codegen does not know");
    }
}
