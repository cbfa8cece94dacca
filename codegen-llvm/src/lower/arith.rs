//! Arithmetic, comparisons and truthiness: speculated integer and float
//! fast paths behind tag guards (side exits on failure), LLVM's overflow
//! intrinsics for `Int`, and the generic runtime fallbacks.

use super::*;

impl<'a, 'ctx> FnGen<'a, 'ctx> {
    /// Truthiness of `v`, negated (`not`).
    pub(super) fn not_truthy(&self, v: ir::Value) -> R<IntValue<'ctx>> {
        if let Repr::Bool(x) = self.repr(v)? {
            return self.b.build_not(x, "").map_err(e);
        }
        let t = self.truthy(v)?;
        self.b.build_not(t, "").map_err(e)
    }

    pub(super) fn truthy(&self, v: ir::Value) -> R<IntValue<'ctx>> {
        match self.repr(v)? {
            Repr::Bool(x) => Ok(x),
            Repr::Nil => Ok(self.cx.bool_type().const_int(0, false)),
            Repr::Int(_) | Repr::Float(_) => Ok(self.cx.bool_type().const_int(1, false)),
            Repr::Dead => Ok(self.cx.bool_type().const_int(0, false)),
            _ => {
                let (tag, pay) = self.pair(v)?;
                let is_nil = self.b.build_int_compare(IntPredicate::EQ, tag, self.i8c(TAG_NIL), "").map_err(e)?;
                let is_bool = self.b.build_int_compare(IntPredicate::EQ, tag, self.i8c(TAG_BOOL), "").map_err(e)?;
                let low = self.b.build_and(pay, self.i64c(0xff), "").map_err(e)?;
                let is_false_b = self.b.build_int_compare(IntPredicate::EQ, low, self.i64c(0), "").map_err(e)?;
                let is_false = self.b.build_and(is_bool, is_false_b, "").map_err(e)?;
                let falsy = self.b.build_or(is_nil, is_false, "").map_err(e)?;
                self.b.build_not(falsy, "").map_err(e)
            }
        }
    }

    pub(super) fn speculate(&self, pc: u32) -> Option<u8> {
        if !self.job.speculate {
            return None;
        }
        match self.job.feedback.get(pc as usize).copied().unwrap_or(0) {
            0 => Some(TAG_INT),
            k if k == vm::profile::kinds::FLOAT => Some(TAG_FLOAT),
            _ => None,
        }
    }

    /// `v` as an i64 after a guard that it is an integer.
    pub(super) fn guarded_int(&self, v: ir::Value, pos: u32, pc: u32) -> R<IntValue<'ctx>> {
        if let Repr::Int(x) = self.repr(v)? {
            return Ok(x);
        }
        let (tag, pay) = self.pair(v)?;
        let bad = self.b.build_int_compare(IntPredicate::NE, tag, self.i8c(TAG_INT), "").map_err(e)?;
        self.guard(bad, pos, pc)?;
        self.refine(v, Repr::Int(pay));
        Ok(pay)
    }

    pub(super) fn guarded_float(&self, v: ir::Value, pos: u32, pc: u32) -> R<FloatValue<'ctx>> {
        if let Repr::Float(x) = self.repr(v)? {
            return Ok(x);
        }
        let (tag, pay) = self.pair(v)?;
        let bad = self.b.build_int_compare(IntPredicate::NE, tag, self.i8c(TAG_FLOAT), "").map_err(e)?;
        self.guard(bad, pos, pc)?;
        let x = self.b.build_bit_cast(pay, self.cx.f64_type(), "").map_err(e)?.into_float_value();
        self.refine(v, Repr::Float(x));
        Ok(x)
    }

    pub(super) fn int_op_ovf(&self, op: Arith, x: IntValue<'ctx>, y: IntValue<'ctx>) -> R<(IntValue<'ctx>, IntValue<'ctx>)> {
        let name = match op {
            Arith::Add => "llvm.sadd.with.overflow",
            Arith::Sub => "llvm.ssub.with.overflow",
            Arith::Mul => "llvm.smul.with.overflow",
        };
        let intr = Intrinsic::find(name).ok_or("overflow intrinsic")?;
        let decl = intr.get_declaration(self.m, &[self.cx.i64_type().into()]).ok_or("overflow intrinsic declaration")?;
        let r = self.b.build_call(decl, &[x.into(), y.into()], "").map_err(e)?;
        let sv = r.try_as_basic_value().basic().ok_or("intrinsic result")?.into_struct_value();
        let z = self.b.build_extract_value(sv, 0, "").map_err(e)?.into_int_value();
        let o = self.b.build_extract_value(sv, 1, "").map_err(e)?.into_int_value();
        Ok((z, o))
    }

    /// Integer `quotient`/`remainder`/`mod` under speculation; a zero
    /// divisor or `i64::MIN / -1` leaves for the interpreter, which raises.
    pub(super) fn int_div(&mut self, name: &str, a: ir::Value, b: ir::Value, pos: u32, pc: u32) -> R<Repr<'ctx>> {
        let x = self.guarded_int(a, pos, pc)?;
        let y = self.guarded_int(b, pos, pc)?;
        let zero = self.b.build_int_compare(IntPredicate::EQ, y, self.i64c(0), "").map_err(e)?;
        let min = self.b.build_int_compare(IntPredicate::EQ, x, self.i64c(i64::MIN), "").map_err(e)?;
        let m1 = self.b.build_int_compare(IntPredicate::EQ, y, self.i64c(-1), "").map_err(e)?;
        let ovf = self.b.build_and(min, m1, "").map_err(e)?;
        let bad = self.b.build_or(zero, ovf, "").map_err(e)?;
        self.exit_if(bad, pos, pc)?;
        let z = match name {
            "quotient" => self.b.build_int_signed_div(x, y, "").map_err(e)?,
            "remainder" => self.b.build_int_signed_rem(x, y, "").map_err(e)?,
            _ => {
                // Floored: the result takes the divisor's sign.
                let r = self.b.build_int_signed_rem(x, y, "").map_err(e)?;
                let nz = self.b.build_int_compare(IntPredicate::NE, r, self.i64c(0), "").map_err(e)?;
                let xor = self.b.build_xor(r, y, "").map_err(e)?;
                let differ = self.b.build_int_compare(IntPredicate::SLT, xor, self.i64c(0), "").map_err(e)?;
                let fix = self.b.build_and(nz, differ, "").map_err(e)?;
                let adj = self.b.build_int_add(r, y, "").map_err(e)?;
                self.b.build_select(fix, adj, r, "").map_err(e)?.into_int_value()
            }
        };
        Ok(Repr::Int(z))
    }

    /// `even?`/`odd?`/`zero?` of an integer under speculation.
    pub(super) fn int_pred(&mut self, name: &str, a: ir::Value, pos: u32, pc: u32) -> R<Repr<'ctx>> {
        let x = self.guarded_int(a, pos, pc)?;
        let t = match name {
            "zero?" => self.b.build_int_compare(IntPredicate::EQ, x, self.i64c(0), "").map_err(e)?,
            _ => {
                let low = self.b.build_and(x, self.i64c(1), "").map_err(e)?;
                let p = if name == "even?" { IntPredicate::EQ } else { IntPredicate::NE };
                self.b.build_int_compare(p, low, self.i64c(0), "").map_err(e)?
            }
        };
        Ok(Repr::Bool(t))
    }

    /// `a op b` (`b` absent: `inc`/`dec`, i.e. `a op 1`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn arith(&mut self, op: Arith, prim: &str, a: ir::Value, b: Option<ir::Value>, res: ir::Value, pos: u32, pc: u32) -> R<Repr<'ctx>> {
        let one = || Repr::Int(self.i64c(1));
        let b_repr = match b {
            Some(b) => self.repr(b)?,
            None => one(),
        };
        match self.speculate(pc) {
            Some(TAG_INT) => {
                let x = self.guarded_int(a, pos, pc)?;
                let y = match (b, b_repr) {
                    (_, Repr::Int(y)) => y,
                    (Some(b), _) => self.guarded_int(b, pos, pc)?,
                    (None, _) => unreachable!(),
                };
                let (z, o) = self.int_op_ovf(op, x, y)?;
                // Overflow: the interpreter raises `integer overflow` there.
                self.exit_if(o, pos, pc)?;
                return Ok(Repr::Int(z));
            }
            Some(_) if b.is_some() && !matches!(self.repr(a)?, Repr::Int(_)) && !matches!(b_repr, Repr::Int(_)) => {
                let x = self.guarded_float(a, pos, pc)?;
                let y = self.guarded_float(b.unwrap(), pos, pc)?;
                let z = match op {
                    Arith::Add => self.b.build_float_add(x, y, "").map_err(e)?,
                    Arith::Sub => self.b.build_float_sub(x, y, "").map_err(e)?,
                    Arith::Mul => self.b.build_float_mul(x, y, "").map_err(e)?,
                };
                return Ok(Repr::Float(z));
            }
            _ => {}
        }
        // Generic: integers inline, anything else through the primitive.
        let (at, ap) = self.pair(a)?;
        let (bt, bp) = match b {
            Some(b) => self.pair(b)?,
            None => (self.i8c(TAG_INT), self.i64c(1)),
        };
        let both = {
            let x = self.b.build_int_compare(IntPredicate::EQ, at, self.i8c(TAG_INT), "").map_err(e)?;
            let y = self.b.build_int_compare(IntPredicate::EQ, bt, self.i8c(TAG_INT), "").map_err(e)?;
            self.b.build_and(x, y, "").map_err(e)?
        };
        let fast = self.cx.append_basic_block(self.func, "int");
        let slow = self.cx.append_basic_block(self.func, "generic");
        let join = self.cx.append_basic_block(self.func, "joined");
        let store = self.cx.append_basic_block(self.func, "store");
        self.b.build_conditional_branch(both, fast, slow).map_err(e)?;
        self.b.position_at_end(fast);
        let (z, o) = self.int_op_ovf(op, ap, bp)?;
        self.b.build_conditional_branch(o, slow, store).map_err(e)?;
        self.b.position_at_end(store);
        let dst = self.dst(res);
        self.store_imm(dst, TAG_INT, z)?;
        self.b.build_unconditional_branch(join).map_err(e)?;
        self.b.position_at_end(slow);
        let pid = vm::jit::sites::prim_id(prim).ok_or_else(|| format!("no primitive {prim}"))?;
        let i64t = self.cx.i64_type();
        let at64 = self.b.build_int_z_extend(at, i64t, "").map_err(e)?;
        let bt64 = self.b.build_int_z_extend(bt, i64t, "").map_err(e)?;
        let st = self
            .call(
                RtFn::Arith,
                &[
                    self.ctx.into(),
                    self.base.into(),
                    self.i32c(pc).into(),
                    self.i32c(pid).into(),
                    at64.into(),
                    ap.into(),
                    bt64.into(),
                    bp.into(),
                    self.i32c(dst as u32).into(),
                ],
            )?
            .ok_or("sx_rt_arith returns a status")?;
        self.check_raise(st)?;
        self.b.build_unconditional_branch(join).map_err(e)?;
        self.b.position_at_end(join);
        Ok(if self.map.has_reg[res.index()] { Repr::Home } else { Repr::Fused })
    }

    pub(super) fn compare(&mut self, k: CmpK, a: ir::Value, b: ir::Value, pos: u32, pc: u32) -> R<Repr<'ctx>> {
        let ip = match k {
            CmpK::Lt => IntPredicate::SLT,
            CmpK::Gt => IntPredicate::SGT,
            CmpK::Le => IntPredicate::SLE,
            CmpK::Ge => IntPredicate::SGE,
            CmpK::Eq => IntPredicate::EQ,
        };
        let fp = match k {
            CmpK::Lt => FloatPredicate::OLT,
            CmpK::Gt => FloatPredicate::OGT,
            CmpK::Le => FloatPredicate::OLE,
            CmpK::Ge => FloatPredicate::OGE,
            CmpK::Eq => FloatPredicate::OEQ,
        };
        match self.speculate(pc) {
            Some(TAG_INT) => {
                let x = self.guarded_int(a, pos, pc)?;
                let y = self.guarded_int(b, pos, pc)?;
                return Ok(Repr::Bool(self.b.build_int_compare(ip, x, y, "").map_err(e)?));
            }
            Some(_) if !matches!(self.repr(a)?, Repr::Int(_)) && !matches!(self.repr(b)?, Repr::Int(_)) => {
                let x = self.guarded_float(a, pos, pc)?;
                let y = self.guarded_float(b, pos, pc)?;
                return Ok(Repr::Bool(self.b.build_float_compare(fp, x, y, "").map_err(e)?));
            }
            _ => {}
        }
        let (at, ap) = self.pair(a)?;
        let (bt, bp) = self.pair(b)?;
        let both = {
            let x = self.b.build_int_compare(IntPredicate::EQ, at, self.i8c(TAG_INT), "").map_err(e)?;
            let y = self.b.build_int_compare(IntPredicate::EQ, bt, self.i8c(TAG_INT), "").map_err(e)?;
            self.b.build_and(x, y, "").map_err(e)?
        };
        let here = self.b.get_insert_block().ok_or("no block")?;
        let slow = self.cx.append_basic_block(self.func, "generic");
        let join = self.cx.append_basic_block(self.func, "compared");
        let fast_r = self.b.build_int_compare(ip, ap, bp, "").map_err(e)?;
        self.b.build_conditional_branch(both, join, slow).map_err(e)?;
        self.b.position_at_end(slow);
        let name = match k {
            CmpK::Lt => "<",
            CmpK::Gt => ">",
            CmpK::Le => "<=",
            CmpK::Ge => ">=",
            CmpK::Eq => "=",
        };
        let pid = vm::jit::sites::prim_id(name).ok_or_else(|| format!("no primitive {name}"))?;
        let i64t = self.cx.i64_type();
        let at64 = self.b.build_int_z_extend(at, i64t, "").map_err(e)?;
        let bt64 = self.b.build_int_z_extend(bt, i64t, "").map_err(e)?;
        let st = self
            .call(
                RtFn::Compare,
                &[self.ctx.into(), self.i32c(pc).into(), self.i32c(pid).into(), self.i32c(k as u32).into(), at64.into(), ap.into(), bt64.into(), bp.into()],
            )?
            .ok_or("sx_rt_compare returns a status")?;
        self.check_raise(st)?;
        let slow_r = self.b.build_int_compare(IntPredicate::EQ, st, self.i32c(1), "").map_err(e)?;
        let slow_end = self.b.get_insert_block().ok_or("no block")?;
        self.b.build_unconditional_branch(join).map_err(e)?;
        self.b.position_at_end(join);
        let phi = self.b.build_phi(self.cx.bool_type(), "cmp").map_err(e)?;
        phi.add_incoming(&[(&fast_r, here), (&slow_r, slow_end)]);
        Ok(Repr::Bool(phi.as_basic_value().into_int_value()))
    }
}
