//! Globals, captures and the running closure read inline.
//!
//! These are the commonest data instructions in callbacks and helpers
//! (`(has-key? path k)` reads the global `path`; a `map` callback reads its
//! captured variables), and going through the generic `sx_rt_op` for each
//! — decode, dispatch, register-file sync — cost a tenth of the datalog
//! benchmark's time. A value is copied as the interpreter's `clone` does:
//! a bit copy, plus one on the `Rc`'s strong count for a heap value
//! (`vm::abi::RC_STRONG_OFFSET`), then stored into the result's home.

use super::*;

impl<'a, 'ctx> FnGen<'a, 'ctx> {
    /// `global.get`: `ctx.globals[slot]` cloned into the result's home; an
    /// unbound slot (the `Option`'s niche tag, above `LAST_TAG`) goes
    /// through `sx_rt_op`, which raises as the interpreter does.
    pub(super) fn global_get(&mut self, i: ir::Inst, slot: u32, pos: u32, pc: u32) -> R<Repr<'ctx>> {
        let (tag, pay) = self.load_value(self.global_slot(slot)?)?;
        let bound = self.b.build_int_compare(IntPredicate::ULE, tag, self.i8c(vm::abi::LAST_TAG), "").map_err(e)?;
        let fast = self.cx.append_basic_block(self.func, "global.bound");
        let slow = self.cx.append_basic_block(self.func, "global.unbound");
        let done = self.cx.append_basic_block(self.func, "global.done");
        self.b.build_conditional_branch(bound, fast, slow).map_err(e)?;
        self.b.position_at_end(slow);
        self.data_op(i, pos, pc, SiteOp::Data)?;
        self.b.build_unconditional_branch(done).map_err(e)?;
        self.b.position_at_end(fast);
        self.clone_into(self.dst(self.f.inst(i).result), tag, pay)?;
        self.b.build_unconditional_branch(done).map_err(e)?;
        self.b.position_at_end(done);
        Ok(Repr::Home)
    }

    /// Address of `ctx.globals[slot]` (reloaded each time: the table is
    /// refreshed after runtime calls). An `Option<Value>` is a `Value`
    /// whose tag has a niche for `None` (`vm::abi::LAST_TAG`), so its tag
    /// and payload load as a value's.
    pub(super) fn global_slot(&self, slot: u32) -> R<PointerValue<'ctx>> {
        let ptr = self.cx.ptr_type(inkwell::AddressSpace::default());
        let table = self.b.build_load(ptr, self.ctx_field(CTX_GLOBALS)?, "globals").map_err(e)?.into_pointer_value();
        let off = self.i64c(slot as i64 * vm::abi::VALUE_SIZE as i64);
        // SAFETY (of the GEP): `slot` is a slot of this isolate's table.
        unsafe { self.b.build_in_bounds_gep(self.cx.i8_type(), table, &[off], "global") }.map_err(e)
    }

    /// `capture i`: the running closure's capture `i` cloned into the
    /// result's home (`sx_rt_captures` finds the values; LLVM merges the
    /// calls of one function).
    pub(super) fn capture(&mut self, res: ir::Value, idx: u32) -> R<Repr<'ctx>> {
        let caps = self.call_ptr(RtFn::Captures, &[self.clo.into()])?;
        let off = self.i64c(idx as i64 * vm::abi::VALUE_SIZE as i64);
        // SAFETY (of the GEP): `idx` < the closure's `ncaptures` (the IR verifier).
        let at = unsafe { self.b.build_in_bounds_gep(self.cx.i8_type(), caps, &[off], "capture") }.map_err(e)?;
        let (tag, pay) = self.load_value(at)?;
        self.clone_into(self.dst(res), tag, pay)?;
        Ok(Repr::Home)
    }

    /// `self`: the running closure, cloned into the result's home.
    pub(super) fn self_ref(&mut self, res: ir::Value) -> R<Repr<'ctx>> {
        self.clone_into(self.dst(res), self.i8c(TAG_CLOSURE), self.clo)?;
        Ok(Repr::Home)
    }

    /// Stores a clone of the value `(tag, pay)` into register `r`: the
    /// strong count of a heap value goes up by one first.
    fn clone_into(&self, r: u16, tag: IntValue<'ctx>, pay: IntValue<'ctx>) -> R<()> {
        let heap = self.b.build_int_compare(IntPredicate::UGE, tag, self.i8c(FIRST_HEAP_TAG), "").map_err(e)?;
        let inc = self.cx.append_basic_block(self.func, "rc.inc");
        let store = self.cx.append_basic_block(self.func, "rc.done");
        self.b.build_conditional_branch(heap, inc, store).map_err(e)?;
        self.b.position_at_end(inc);
        let i64t = self.cx.i64_type();
        let word = self.b.build_int_add(pay, self.i64c(vm::abi::RC_STRONG_OFFSET as i64), "").map_err(e)?;
        let ptr = self.cx.ptr_type(inkwell::AddressSpace::default());
        let strong = self.b.build_int_to_ptr(word, ptr, "strong").map_err(e)?;
        let n = self.b.build_load(i64t, strong, "rc").map_err(e)?.into_int_value();
        let n1 = self.b.build_int_add(n, self.i64c(1), "").map_err(e)?;
        self.b.build_store(strong, n1).map_err(e)?;
        self.b.build_unconditional_branch(store).map_err(e)?;
        self.b.position_at_end(store);
        self.store_tagged(r, tag, pay)
    }
}
