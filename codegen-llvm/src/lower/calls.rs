//! Calls and returns: native calls with shadow frames (of the running
//! closure itself, or of another closure with compiled code held in a
//! register), calls through `sx_rt_call`, and the return protocol (window
//! cleared inline, the value in `ctx.ret`). See docs/jit.md, "Calls and
//! the runtime ABI".

use super::*;

/// What a native call calls.
#[derive(Copy, Clone)]
enum Target<'ctx> {
    /// This function's own entry, with the running closure.
    Own,
    /// `entry` (from `sx_rt_callee`), with the closure whose word is `clo`.
    Entry { entry: IntValue<'ctx>, clo: IntValue<'ctx> },
}

impl<'a, 'ctx> FnGen<'a, 'ctx> {
    /// A call. A call of the running closure itself (checked at run time)
    /// with room for a native frame goes straight to this function's entry
    /// with a shadow frame (`vm::jit::runtime::Shadow`); a call of another
    /// closure read from a register goes to the entry `sx_rt_callee` gives
    /// (when it has compiled code, exact arity and room), the same way;
    /// any other call goes through `sx_rt_call`. The result lands in the
    /// call's destination.
    pub(super) fn call_site(&self, pos: u32, pc: u32, callee: ir::Value, args: &[ir::Value]) -> R<()> {
        // Values live after the call go to their homes on every path: the
        // interpreter may finish this activation from the call's return pc
        // (a callee that deoptimised or suspended). An argument whose last
        // use is this call is needed in its home only by `sx_rt_call`,
        // which reads its arguments there; the native paths copy it from
        // where it is (`copy_arg`), so it is written on the generic path
        // only — one store less per computed argument (`(tak (- x 1) y z)`).
        let dies_here = |v: ir::Value| v != callee && args.contains(&v) && self.map.hi[v.index()] == pos;
        self.flush_live_if(pos, |v| !dies_here(v))?;
        let done = self.cx.append_basic_block(self.func, "called");
        if let Some(site) = self.map.call_sites.get(&pc).copied() {
            let generic = self.cx.append_basic_block(self.func, "call");
            let nregs = self.map.nregs as i64;
            let new_base = self.b.build_int_add(self.base, self.i64c(nregs), "callee_base").map_err(e)?;
            if self.self_call_site(pc, args).is_some() {
                let native = self.cx.append_basic_block(self.func, "self.call");
                let not_self = self.cx.append_basic_block(self.func, "not.self");
                let is_self = self.is_self(site.callee)?;
                let depth = self.load_i32(self.ctx_field(CTX_DEPTH)?, "depth")?;
                let max = self.load_i32(self.ctx_field(CTX_MAX_DEPTH)?, "max_depth")?;
                let deep_ok = self.b.build_int_compare(IntPredicate::ULT, depth, max, "").map_err(e)?;
                let need = self.b.build_int_add(new_base, self.i64c(nregs), "").map_err(e)?;
                let have = self.b.build_load(self.cx.i64_type(), self.ctx_field(CTX_REGS_LEN)?, "regs_len").map_err(e)?.into_int_value();
                let room = self.b.build_int_compare(IntPredicate::ULE, need, have, "").map_err(e)?;
                let ok = self.b.build_and(is_self, deep_ok, "").map_err(e)?;
                let ok = self.b.build_and(ok, room, "").map_err(e)?;
                self.b.build_conditional_branch(ok, native, not_self).map_err(e)?;
                self.b.position_at_end(native);
                self.native_call(pc, site.dst, args, new_base, Target::Own, done)?;
                self.b.position_at_end(not_self);
            }
            match site.callee {
                Callee::Reg(r) => {
                    let (t, clo) = self.load_pair(r)?;
                    let check = self.cx.append_basic_block(self.func, "callee.check");
                    let other = self.cx.append_basic_block(self.func, "other.call");
                    let not_clo = self.cx.append_basic_block(self.func, "callee.value");
                    let is_clo = self.b.build_int_compare(IntPredicate::EQ, t, self.i8c(TAG_CLOSURE), "").map_err(e)?;
                    self.b.build_conditional_branch(is_clo, check, not_clo).map_err(e)?;
                    self.b.position_at_end(not_clo);
                    self.call_prim_value(pc, site.dst, args, t, clo, generic, done)?;
                    self.b.position_at_end(check);
                    let n = self.i32c(args.len() as u32);
                    let entry = self.call(RtFn::Callee, &[self.ctx.into(), clo.into(), n.into(), new_base.into()])?.ok_or("sx_rt_callee returns an entry")?;
                    let found = self.b.build_int_compare(IntPredicate::NE, entry, self.i64c(0), "").map_err(e)?;
                    self.b.build_conditional_branch(found, other, generic).map_err(e)?;
                    self.b.position_at_end(other);
                    self.native_call(pc, site.dst, args, new_base, Target::Entry { entry, clo }, done)?;
                }
                // A global may be rebound during the call, so its closure
                // cannot be borrowed by a shadow frame.
                Callee::Global(_) => {
                    self.b.build_unconditional_branch(generic).map_err(e)?;
                }
            }
            self.b.position_at_end(generic);
        }
        self.flush_live_if(pos, dies_here)?;
        self.runtime_call(pc)?;
        self.b.build_unconditional_branch(done).map_err(e)?;
        self.b.position_at_end(done);
        Ok(())
    }

    /// A call whose callee (`tag`, `payload`) is not a closure: a builtin
    /// value runs through `sx_rt_call_prim` with the arguments as bitwise
    /// copies in the argument buffer (as a direct builtin call's), result
    /// in `dst`, then `done`; anything else goes on to `generic`.
    #[allow(clippy::too_many_arguments)] // one call site's operands
    fn call_prim_value(&self, pc: u32, dst: u16, args: &[ir::Value], tag: IntValue<'ctx>, payload: IntValue<'ctx>, generic: BasicBlock<'ctx>, done: BasicBlock<'ctx>) -> R<()> {
        let argv = self.fill_argv(args)?;
        let tag64 = self.b.build_int_z_extend(tag, self.cx.i64_type(), "").map_err(e)?;
        let st = self
            .call(
                RtFn::CallPrim,
                &[
                    self.ctx.into(),
                    self.base.into(),
                    self.i32c(pc).into(),
                    tag64.into(),
                    payload.into(),
                    self.i32c(dst as u32).into(),
                    argv.into(),
                    self.i32c(args.len() as u32).into(),
                ],
            )?
            .ok_or("sx_rt_call_prim returns a status")?;
        let pass = self.cx.append_basic_block(self.func, "prim.pass");
        self.b.build_switch(st, pass, &[(self.i32c(OK), done), (self.i32c(NEED_INTERP), generic)]).map_err(e)?;
        // RAISE: the runtime set the frames' pcs; hand it up.
        self.b.position_at_end(pass);
        self.b.build_return(Some(&st)).map_err(e)?;
        Ok(())
    }

    /// Whether `callee` is the running closure (its payload word is ours).
    pub(super) fn is_self(&self, callee: Callee) -> R<IntValue<'ctx>> {
        let (t, p) = match callee {
            Callee::Reg(r) => self.load_pair(r)?,
            Callee::Global(slot) => self.load_value(self.global_slot(slot)?)?,
        };
        let is_clo = self.b.build_int_compare(IntPredicate::EQ, t, self.i8c(TAG_CLOSURE), "").map_err(e)?;
        let word = self.b.build_select(is_clo, p, self.i64c(0), "").map_err(e)?.into_int_value();
        self.b.build_int_compare(IntPredicate::EQ, word, self.clo, "").map_err(e)
    }

    /// The call site at `pc` when it can be a native self call: a plain
    /// call with this function's exact arity whose destination is the
    /// result's home.
    pub(super) fn self_call_site(&self, pc: u32, args: &[ir::Value]) -> Option<vm::jit::CallSite> {
        let site = *self.map.call_sites.get(&pc)?;
        (!self.f.has_rest && args.len() == self.f.arity as usize).then_some(site)
    }

    /// The native path of a call (see [`Self::call_site`]): arguments
    /// copied into the new window, a shadow frame, a direct (`Own`) or
    /// indirect (`Entry`) call, the result out of `ctx.ret` (or, when the
    /// shadow frame was materialised meanwhile, the real frame popped by
    /// the runtime). Ends by branching to `done`.
    fn native_call(&self, pc: u32, dst: u16, args: &[ir::Value], new_base: IntValue<'ctx>, target: Target<'ctx>, done: BasicBlock<'ctx>) -> R<()> {
        let nregs = self.map.nregs;
        for (i, a) in args.iter().enumerate() {
            self.copy_arg(*a, (nregs as usize + i) as u16)?;
        }
        let clo = match target {
            Target::Own => self.clo,
            Target::Entry { clo, .. } => clo,
        };
        let i32t = self.cx.i32_type();
        let len_p = self.ctx_field(CTX_SHADOW_LEN)?;
        let k = self.load_i32(len_p, "shadow_len")?;
        let p = self.cx.ptr_type(inkwell::AddressSpace::default());
        let arr = self.b.build_load(p, self.ctx_field(CTX_SHADOW)?, "shadow").map_err(e)?.into_pointer_value();
        let k64 = self.b.build_int_z_extend(k, self.cx.i64_type(), "").map_err(e)?;
        let off = self.b.build_int_mul(k64, self.i64c(SHADOW_SIZE as i64), "").map_err(e)?;
        let rec = unsafe { self.b.build_in_bounds_gep(self.cx.i8_type(), arr, &[off], "shadow.rec") }.map_err(e)?;
        let nb32 = self.b.build_int_truncate(new_base, i32t, "").map_err(e)?;
        self.b.build_store(rec, nb32).map_err(e)?;
        let at = |o: i64| unsafe { self.b.build_in_bounds_gep(self.cx.i8_type(), rec, &[self.i64c(o)], "") }.map_err(e);
        self.b.build_store(at(4)?, self.i32c(dst as u32)).map_err(e)?;
        self.b.build_store(at(8)?, self.i32c(pc + 1)).map_err(e)?;
        self.b.build_store(at(16)?, clo).map_err(e)?;
        let k1 = self.b.build_int_add(k, self.i32c(1), "").map_err(e)?;
        self.b.build_store(len_p, k1).map_err(e)?;
        let dp = self.ctx_field(CTX_DEPTH)?;
        let d = self.load_i32(dp, "depth")?;
        self.b.build_store(dp, self.b.build_int_add(d, self.i32c(1), "").map_err(e)?).map_err(e)?;
        let call_args = [self.ctx.into(), new_base.into(), clo.into(), self.i32c(0).into()];
        let call = match target {
            Target::Own => {
                self.count_self_call()?;
                self.b.build_call(self.func, &call_args, "st").map_err(e)?
            }
            Target::Entry { entry, .. } => {
                let fp = self.b.build_int_to_ptr(entry, p, "entry").map_err(e)?;
                self.b.build_indirect_call(self.func.get_type(), fp, &call_args, "st").map_err(e)?
            }
        };
        let st = call.try_as_basic_value().basic().ok_or("an entry returns a status")?.into_int_value();
        let d = self.load_i32(dp, "depth")?;
        self.b.build_store(dp, self.b.build_int_sub(d, self.i32c(1), "").map_err(e)?).map_err(e)?;
        let is_ok = self.b.build_int_compare(IntPredicate::EQ, st, self.i32c(OK), "").map_err(e)?;
        let len_now = self.load_i32(len_p, "shadow_len")?;
        let kept = self.b.build_int_compare(IntPredicate::EQ, len_now, k1, "").map_err(e)?;
        let both = self.b.build_and(kept, is_ok, "").map_err(e)?;
        let take = self.cx.append_basic_block(self.func, "native.ret");
        let other = self.cx.append_basic_block(self.func, "native.other");
        let pop = self.cx.append_basic_block(self.func, "native.pop");
        let pass = self.cx.append_basic_block(self.func, "native.pass");
        self.b.build_conditional_branch(both, take, other).map_err(e)?;
        // Returned with its shadow frame: take the result from ctx.ret.
        self.b.position_at_end(take);
        self.b.build_store(len_p, k).map_err(e)?;
        if let Target::Entry { clo, .. } = target {
            // Self calls the callee counted are its own.
            let sc = self.b.build_load(self.cx.i64_type(), self.ctx_field(CTX_SELF_CALLS)?, "self_calls").map_err(e)?.into_int_value();
            let any = self.b.build_int_compare(IntPredicate::NE, sc, self.i64c(0), "").map_err(e)?;
            let flush = self.cx.append_basic_block(self.func, "native.flush");
            let taken = self.cx.append_basic_block(self.func, "native.taken");
            self.b.build_conditional_branch(any, flush, taken).map_err(e)?;
            self.b.position_at_end(flush);
            self.call(RtFn::FlushCalls, &[self.ctx.into(), clo.into()])?;
            self.b.build_unconditional_branch(taken).map_err(e)?;
            self.b.position_at_end(taken);
        }
        let rp = self.ctx_field(CTX_RET)?;
        let (t, pay) = self.load_value(rp)?;
        // Moved out: ctx.ret no longer owns it.
        self.b.build_store(rp, self.i8c(TAG_NIL)).map_err(e)?;
        self.store_tagged(dst, t, pay)?;
        self.b.build_unconditional_branch(done).map_err(e)?;
        // Its frame was materialised: OK → the runtime pops the real frame;
        // DEOPT or RAISE → hand the status up (the frames are all real).
        self.b.position_at_end(other);
        self.b.build_conditional_branch(is_ok, pop, pass).map_err(e)?;
        self.b.position_at_end(pop);
        self.call(RtFn::Pop, &[self.ctx.into()])?;
        self.b.build_unconditional_branch(done).map_err(e)?;
        self.b.position_at_end(pass);
        self.b.build_return(Some(&st)).map_err(e)?;
        Ok(())
    }

    /// `ctx.self_calls += 1` (the runtime adds it to the function's call count).
    pub(super) fn count_self_call(&self) -> R<()> {
        let p = self.ctx_field(CTX_SELF_CALLS)?;
        let n = self.b.build_load(self.cx.i64_type(), p, "self_calls").map_err(e)?.into_int_value();
        self.b.build_store(p, self.b.build_int_add(n, self.i64c(1), "").map_err(e)?).map_err(e)?;
        Ok(())
    }

    /// Copies `a` into register `r` of this window (an argument slot of the
    /// next window: `r >= nregs`), cloning a heap value.
    pub(super) fn copy_arg(&self, a: ir::Value, r: u16) -> R<()> {
        match self.repr(a)? {
            Repr::Home => self.copy(r, self.home(a).ok_or("a value in its home has no register")?),
            Repr::Fused => Err(format!("fused value v{} passed as an argument", a.index())),
            _ => self.flush_to(a, r),
        }
    }

    /// A call through `sx_rt_call` (falls through when it returned OK).
    pub(super) fn runtime_call(&self, pc: u32) -> R<()> {
        let st = self.call(RtFn::Call, &[self.ctx.into(), self.base.into(), self.i32c(pc).into()])?.ok_or("sx_rt_call returns a status")?;
        let ok = self.cx.append_basic_block(self.func, "returned");
        let interp = self.cx.append_basic_block(self.func, "interp");
        let pass = self.cx.append_basic_block(self.func, "pass");
        self.b
            .build_switch(st, pass, &[(self.i32c(OK), ok), (self.i32c(NEED_INTERP), interp)])
            .map_err(e)?;
        self.b.position_at_end(pass);
        // DEOPT or RAISE from the callee: hand the same status up.
        self.b.build_return(Some(&st)).map_err(e)?;
        self.b.position_at_end(interp);
        self.call(RtFn::Deopt, &[self.ctx.into(), self.i32c(pc).into(), self.i32c(0).into()])?;
        self.b.build_return(Some(&self.i32c(DEOPT))).map_err(e)?;
        self.b.position_at_end(ok);
        Ok(())
    }

    /// Returns `v`: moves it into `ctx.ret`, clears the window (heap values
    /// dropped, as the interpreter's return does, so dead registers keep
    /// nothing alive) and returns OK; the caller pops the frame.
    pub(super) fn ret(&self, v: ir::Value) -> R<()> {
        let (tag, pay) = match (self.repr(v)?, self.home(v)) {
            (Repr::Home, Some(r)) => {
                let pair = self.load_pair(r)?;
                // Moved out: the home no longer owns it.
                self.b.build_store(self.reg_ptr(r)?, self.i8c(TAG_NIL)).map_err(e)?;
                pair
            }
            _ => self.pair(v)?,
        };
        self.store_value(self.ctx_field(CTX_RET)?, tag, pay)?;
        // for r in 0..nregs { if tag(r) is a heap tag { drop(r) } }
        let n = self.map.nregs as i64;
        if n > 0 {
            let i64t = self.cx.i64_type();
            let pre = self.b.get_insert_block().ok_or("no block")?;
            let lp = self.cx.append_basic_block(self.func, "clear");
            let drop_bb = self.cx.append_basic_block(self.func, "clear.drop");
            let next = self.cx.append_basic_block(self.func, "clear.next");
            let done = self.cx.append_basic_block(self.func, "cleared");
            self.b.build_unconditional_branch(lp).map_err(e)?;
            self.b.position_at_end(lp);
            let i = self.b.build_phi(i64t, "i").map_err(e)?;
            i.add_incoming(&[(&self.i64c(0), pre)]);
            let iv = i.as_basic_value().into_int_value();
            let rp = self.reg_ptr_at(iv)?;
            let t = self.b.build_load(self.cx.i8_type(), rp, "tag").map_err(e)?.into_int_value();
            let heap = self.b.build_int_compare(IntPredicate::UGE, t, self.i8c(FIRST_HEAP_TAG), "").map_err(e)?;
            self.b.build_conditional_branch(heap, drop_bb, next).map_err(e)?;
            self.b.position_at_end(drop_bb);
            self.call(RtFn::Drop, &[rp.into()])?;
            self.b.build_unconditional_branch(next).map_err(e)?;
            self.b.position_at_end(next);
            let i1 = self.b.build_int_add(iv, self.i64c(1), "").map_err(e)?;
            i.add_incoming(&[(&i1, next)]);
            let more = self.b.build_int_compare(IntPredicate::ULT, i1, self.i64c(n), "").map_err(e)?;
            self.b.build_conditional_branch(more, lp, done).map_err(e)?;
            self.b.position_at_end(done);
        }
        self.b.build_return(Some(&self.i32c(OK))).map_err(e)?;
        Ok(())
    }
}
