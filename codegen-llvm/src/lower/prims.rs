//! Builtin calls from compiled code: direct `sx_rt_prim` calls with the
//! arguments as bitwise copies in the frame's argument buffer (and the
//! consumed argument of an update primitive moved out of its dying home),
//! the list reads `first`/`nth`/`len`/`empty?` through the narrow
//! `sx_rt_list` after an inline tag check, and the generic `sx_rt_op` for
//! the other data instructions.

use super::*;

impl<'a, 'ctx> FnGen<'a, 'ctx> {
    /// A data instruction run by the runtime (`sx_rt_op`), result in its home.
    pub(super) fn data_op(&mut self, i: ir::Inst, pos: u32, pc: u32, site: SiteOp) -> R<Repr<'ctx>> {
        if !matches!(site, SiteOp::Data | SiteOp::Global { .. }) {
            self.exit_here(pos, pc)?;
            return Ok(Repr::Dead);
        }
        let mut err = Ok(());
        self.f.inst(i).data.for_each_operand(|v| {
            if err.is_ok() {
                err = self.flush(v);
            }
        });
        err?;
        let dst = self.dst(self.f.inst(i).result);
        let st = self
            .call(RtFn::Op, &[self.ctx.into(), self.base.into(), self.i32c(pc).into(), self.i32c(dst as u32).into()])?
            .ok_or("sx_rt_op returns a status")?;
        self.check_raise(st)?;
        Ok(Repr::Home)
    }

    /// The argument buffer holding `args` as bitwise copies (tag and
    /// payload, 16 bytes each: no reference count changes), for a builtin
    /// call (`sx_rt_prim`, `sx_rt_call_prim`).
    pub(super) fn fill_argv(&self, args: &[ir::Value]) -> R<PointerValue<'ctx>> {
        let argv = self.argv.ok_or("no argument buffer")?;
        let i64t = self.cx.i64_type();
        for (k, a) in args.iter().enumerate() {
            let (tag, pay) = self.pair(*a)?;
            let p = unsafe { self.b.build_in_bounds_gep(i64t, argv, &[self.i64c(2 * k as i64)], "") }.map_err(e)?;
            self.store_value(p, tag, pay)?;
        }
        Ok(argv)
    }

    /// A builtin called directly (`sx_rt_prim`): the arguments are written
    /// as bitwise copies into the argument buffer (no reference counts
    /// change, nothing needs to be in its home), the result lands in the
    /// result's home. The consumed argument of an update primitive is passed
    /// by register (moved out, for in-place reuse) when the bytecode moves
    /// it and it is in its home.
    pub(super) fn prim_call(&mut self, res: ir::Value, id: u16, owned: bool, args: &[ir::Value], pc: u32) -> R<Repr<'ctx>> {
        let argv = self.fill_argv(args)?;
        let def = vm::prims::builtins().get(id as usize).ok_or("no such builtin")?;
        let consumed = def.consume.filter(|_| owned && !args.is_empty()).map(|c| args[c.index(args.len())]);
        let owned_reg = match consumed {
            Some(v) if matches!(self.repr(v)?, Repr::Home) => self.home(v).map_or(u32::MAX, u32::from),
            _ => u32::MAX,
        };
        let dst = self.dst(res);
        let st = self
            .call(
                RtFn::Prim,
                &[
                    self.ctx.into(),
                    self.base.into(),
                    self.i32c(pc).into(),
                    self.i32c(id as u32).into(),
                    self.i32c(dst as u32).into(),
                    argv.into(),
                    self.i32c(args.len() as u32).into(),
                    self.i32c(owned_reg).into(),
                ],
            )?
            .ok_or("sx_rt_prim returns a status")?;
        self.check_raise(st)?;
        Ok(Repr::Home)
    }

    /// `first`, `nth`, `len` or `empty?` (`name`): when the argument is a
    /// list (and `nth`'s index an integer), `sx_rt_list` answers without
    /// the argument buffer or the builtin's dispatch; anything else, or an
    /// index out of range, calls the builtin ([`Self::prim_call`]) as the
    /// interpreter does. Every walk over a list in the prelude (`map`,
    /// `for-each`, `filter`, `reduce`) is `len` once and `nth` per element.
    pub(super) fn list_prim(&mut self, name: &str, res: ir::Value, site: SiteOp, args: &[ir::Value], pc: u32) -> R<Repr<'ctx>> {
        use vm::jit::runtime::{LIST_EMPTY, LIST_FIRST, LIST_LEN, LIST_NTH};
        let SiteOp::Prim { id, owned } = site else { return Err(format!("{name} is not a builtin call")) };
        let op = match name {
            "first" => LIST_FIRST,
            "nth" => LIST_NTH,
            "len" => LIST_LEN,
            "empty?" => LIST_EMPTY,
            _ => return Err(format!("{name} is not a list read")),
        };
        let (lt, lp) = self.pair(args[0])?;
        let mut is_list = self.b.build_int_compare(IntPredicate::EQ, lt, self.i8c(vm::abi::TAG_LIST), "").map_err(e)?;
        let mut idx = self.i64c(0);
        if op == LIST_NTH {
            let (it, ip) = self.pair(args[1])?;
            let is_int = self.b.build_int_compare(IntPredicate::EQ, it, self.i8c(TAG_INT), "").map_err(e)?;
            is_list = self.b.build_and(is_list, is_int, "").map_err(e)?;
            idx = ip;
        }
        let fast = self.cx.append_basic_block(self.func, "list.fast");
        let slow = self.cx.append_basic_block(self.func, "list.slow");
        let done = self.cx.append_basic_block(self.func, "list.done");
        self.b.build_conditional_branch(is_list, fast, slow).map_err(e)?;
        self.b.position_at_end(fast);
        let dst = self.dst(res);
        let args_rt = [self.ctx.into(), self.base.into(), self.i32c(op).into(), self.i32c(dst as u32).into(), lp.into(), idx.into()];
        let r = self.call(RtFn::List, &args_rt)?.ok_or("sx_rt_list returns 1 or 0")?;
        let answered = self.b.build_int_compare(IntPredicate::NE, r, self.i32c(0), "").map_err(e)?;
        self.b.build_conditional_branch(answered, done, slow).map_err(e)?;
        self.b.position_at_end(slow);
        self.prim_call(res, id, owned, args, pc)?;
        self.b.build_unconditional_branch(done).map_err(e)?;
        self.b.position_at_end(done);
        Ok(Repr::Home)
    }
}
