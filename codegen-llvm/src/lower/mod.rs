//! IR → LLVM IR for one function.
//!
//! The compiled function runs on the interpreter's frame (`vm::jit`): each
//! IR value has a home register in the window. Values the code computes
//! inline (integers, floats, booleans) stay in machine registers and are
//! written to their homes only at sites that need them there (a side exit,
//! a call, a runtime instruction reading its operands); everything else
//! lives in its home (written by the runtime) and is loaded where used.
//! Block parameters always live in their homes: edges copy into them.
//!
//! Sites that leave for the interpreter (side exits) flush the values live
//! there — those whose register interval contains the position and whose
//! definition dominates it — then call `sx_rt_deopt(pc)` and return DEOPT.
//! `perform`, `try`, `apply`, tail calls to other functions and `raise` are
//! such exits by design: the interpreter performs them (the suspension,
//! the handler frame and the backtrace are the interpreter's own), and when
//! control comes back to the frame it re-enters this code at the
//! continuation's resume state (`resume`).
//!
//! Split by concern: `arith` (speculated arithmetic and comparisons),
//! `calls` (calls and returns), `prims` (builtins), `resume` (the entry's
//! states and the resume region); this module holds the function, its
//! values and homes, exits, blocks and terminators.

mod arith;
mod calls;
mod data;
mod prims;
mod resume;

use crate::abi::RtFn;
use frontend::ast::Const;
use inkwell::builder::Builder;
use inkwell::context::Context;
use inkwell::intrinsics::Intrinsic;
use inkwell::module::{Linkage, Module};
use inkwell::basic_block::BasicBlock;
use inkwell::values::{BasicMetadataValueEnum, BasicValue, FloatValue, FunctionValue, IntValue, PointerValue};
use inkwell::{FloatPredicate, IntPredicate};
use ir::{Block, InstData, Terminator, ValueDef};
use vm::abi::{FIRST_HEAP_TAG, TAG_BOOL, TAG_CLOSURE, TAG_FLOAT, TAG_INT, TAG_NIL};
use vm::jit::sites::SiteOp;
use vm::jit::runtime::{
    CTX_DEPTH, CTX_GLOBALS, CTX_INTERRUPT, CTX_MAX_DEPTH, CTX_REGS, CTX_REGS_LEN, CTX_RET, CTX_SELF_CALLS, CTX_SHADOW, CTX_SHADOW_LEN, CTX_STRESS, DEOPT, NEED_INTERP, OK, RAISE, SHADOW_SIZE, TAIL_SELF,
};
use vm::jit::Callee;
use vm::jit::{CompileJob, JitMap};

type R<T> = Result<T, String>;

fn e<E: std::fmt::Debug>(err: E) -> String {
    format!("{err:?}")
}

/// How an IR value is held by the compiled code.
#[derive(Copy, Clone)]
enum Repr<'ctx> {
    Int(IntValue<'ctx>),
    Float(FloatValue<'ctx>),
    Bool(IntValue<'ctx>),
    Nil,
    /// In its home register.
    Home,
    /// Has no home and is only used by the instruction it was fused into.
    Fused,
    /// Defined in code after an unconditional side exit (never runs).
    Dead,
}

#[derive(Copy, Clone)]
enum Arith {
    Add,
    Sub,
    Mul,
}

/// Comparison codes shared with `sx_rt_compare` (the order of `vm`'s `Cmp`).
#[derive(Copy, Clone)]
enum CmpK {
    Lt = 0,
    Gt = 1,
    Le = 2,
    Ge = 3,
    Eq = 4,
}

pub(crate) struct FnGen<'a, 'ctx> {
    cx: &'ctx Context,
    m: &'a Module<'ctx>,
    b: Builder<'ctx>,
    job: &'a CompileJob,
    map: &'a JitMap,
    f: &'a ir::Function,
    func: FunctionValue<'ctx>,
    ctx: PointerValue<'ctx>,
    base: IntValue<'ctx>,
    /// The running closure's payload word (`vm::abi::closure_word`).
    clo: IntValue<'ctx>,
    bbs: Vec<BasicBlock<'ctx>>,
    vals: Vec<Option<Repr<'ctx>>>,
    idom: Vec<Option<Block>>,
    inst_block: Vec<Block>,
    cur: Block,
    header: Option<BasicBlock<'ctx>>,
    /// Re-entry of the function at pc 0 (self tail calls through a global).
    restart: Option<BasicBlock<'ctx>>,
    /// The rest of the current block follows an unconditional side exit.
    dead: bool,
    /// Argument buffer for direct primitive calls (`sx_rt_prim`): room for
    /// the largest call's values, allocated once in the entry block.
    argv: Option<PointerValue<'ctx>>,
    /// While the resume region is generated (see [`resume`]): per
    /// value, whether it is written to its home where it is defined.
    resuming: Option<Vec<bool>>,
    /// Per value in its home: what a passed type guard proved — `(block,
    /// Int or Float payload)`, valid wherever `block` dominates (see
    /// [`Self::repr`]).
    refined: std::cell::RefCell<Vec<Vec<(Block, Repr<'ctx>)>>>,
}

impl<'a, 'ctx> FnGen<'a, 'ctx> {
    pub(crate) fn new(cx: &'ctx Context, m: &'a Module<'ctx>, job: &'a CompileJob, symbol: &str) -> FnGen<'a, 'ctx> {
        let map = &*job.map;
        let f = &map.ir;
        let p = cx.ptr_type(inkwell::AddressSpace::default());
        let ty = cx.i32_type().fn_type(&[p.into(), cx.i64_type().into(), cx.i64_type().into(), cx.i32_type().into()], false);
        let func = m.add_function(symbol, ty, Some(Linkage::External));
        let ctx = func.get_nth_param(0).unwrap().into_pointer_value();
        let base = func.get_nth_param(1).unwrap().into_int_value();
        let clo = func.get_nth_param(2).unwrap().into_int_value();
        let mut inst_block = vec![Block(0); f.insts.len()];
        for (bi, bd) in f.blocks.iter().enumerate() {
            for &i in &bd.insts {
                inst_block[i.index()] = Block::new(bi);
            }
        }
        FnGen {
            cx,
            m,
            b: cx.create_builder(),
            job,
            map,
            f,
            func,
            ctx,
            base,
            clo,
            bbs: Vec::new(),
            vals: vec![None; f.values.len()],
            idom: ir::verify::dominators(f),
            inst_block,
            cur: Block(0),
            header: None,
            restart: None,
            dead: false,
            argv: None,
            resuming: None,
            refined: std::cell::RefCell::new(vec![Vec::new(); f.values.len()]),
        }
    }

    // ----- types and constants -------------------------------------------

    fn i8c(&self, v: u8) -> IntValue<'ctx> {
        self.cx.i8_type().const_int(v as u64, false)
    }
    fn i32c(&self, v: u32) -> IntValue<'ctx> {
        self.cx.i32_type().const_int(v as u64, false)
    }
    fn i64c(&self, v: i64) -> IntValue<'ctx> {
        self.cx.i64_type().const_int(v as u64, true)
    }

    fn call(&self, f: RtFn, args: &[BasicMetadataValueEnum<'ctx>]) -> R<Option<IntValue<'ctx>>> {
        let fv = f.declare(self.cx, self.m);
        let c = self.b.build_call(fv, args, "").map_err(e)?;
        Ok(c.try_as_basic_value().basic().map(|v| v.into_int_value()))
    }

    /// Calls a runtime function that returns a pointer.
    fn call_ptr(&self, f: RtFn, args: &[BasicMetadataValueEnum<'ctx>]) -> R<PointerValue<'ctx>> {
        let fv = f.declare(self.cx, self.m);
        let c = self.b.build_call(fv, args, "").map_err(e)?;
        c.try_as_basic_value().basic().map(|v| v.into_pointer_value()).ok_or_else(|| format!("{} returns nothing", f.name()))
    }

    // ----- registers ------------------------------------------------------

    /// Address of register `r` of the window (the register file is reloaded
    /// from the context each time: a call may have moved it).
    fn reg_ptr(&self, r: u16) -> R<PointerValue<'ctx>> {
        self.reg_ptr_at(self.i64c(r as i64))
    }

    /// Address of register `r` (a run-time index) of the window.
    fn reg_ptr_at(&self, r: IntValue<'ctx>) -> R<PointerValue<'ctx>> {
        let p = self.cx.ptr_type(inkwell::AddressSpace::default());
        let regs = self.b.build_load(p, self.ctx_field(CTX_REGS)?, "regs").map_err(e)?.into_pointer_value();
        let idx = self.b.build_int_add(self.base, r, "").map_err(e)?;
        let off = self.b.build_int_mul(idx, self.i64c(16), "").map_err(e)?;
        unsafe { self.b.build_in_bounds_gep(self.cx.i8_type(), regs, &[off], "r") }.map_err(e)
    }

    fn load_pair(&self, r: u16) -> R<(IntValue<'ctx>, IntValue<'ctx>)> {
        self.load_value(self.reg_ptr(r)?)
    }

    /// Tag and payload of the value at `p`.
    fn load_value(&self, p: PointerValue<'ctx>) -> R<(IntValue<'ctx>, IntValue<'ctx>)> {
        let tag = self.b.build_load(self.cx.i8_type(), p, "tag").map_err(e)?.into_int_value();
        let pp = unsafe { self.b.build_in_bounds_gep(self.cx.i8_type(), p, &[self.i64c(8)], "") }.map_err(e)?;
        let pay = self.b.build_load(self.cx.i64_type(), pp, "pay").map_err(e)?.into_int_value();
        Ok((tag, pay))
    }

    /// Writes an immediate into register `r`, dropping a heap value there.
    fn store_imm(&self, r: u16, tag: u8, pay: IntValue<'ctx>) -> R<()> {
        self.store_tagged(r, self.i8c(tag), pay)
    }

    /// Writes a value whose ownership the register takes over (an immediate,
    /// or a heap value moved in) into register `r`, dropping a heap value there.
    fn store_tagged(&self, r: u16, tag: IntValue<'ctx>, pay: IntValue<'ctx>) -> R<()> {
        let p = self.reg_ptr(r)?;
        let old = self.b.build_load(self.cx.i8_type(), p, "old").map_err(e)?.into_int_value();
        let heap = self.b.build_int_compare(IntPredicate::UGE, old, self.i8c(FIRST_HEAP_TAG), "").map_err(e)?;
        let drop_bb = self.cx.append_basic_block(self.func, "drop");
        let cont = self.cx.append_basic_block(self.func, "stored");
        self.b.build_conditional_branch(heap, drop_bb, cont).map_err(e)?;
        self.b.position_at_end(drop_bb);
        self.call(RtFn::Drop, &[p.into()])?;
        self.b.build_unconditional_branch(cont).map_err(e)?;
        self.b.position_at_end(cont);
        self.store_value(p, tag, pay)
    }

    /// Writes a value (tag byte, payload word) at `p` as ONE 16-byte store:
    /// the runtime reads values with 16-byte loads, and a load that spans
    /// two smaller stores cannot be forwarded from them (a pipeline stall of
    /// ~15 cycles per call return, measured on fib).
    fn store_value(&self, p: PointerValue<'ctx>, tag: IntValue<'ctx>, pay: IntValue<'ctx>) -> R<()> {
        let i64t = self.cx.i64_type();
        let v2 = i64t.vec_type(2);
        let t64 = self.b.build_int_z_extend(tag, i64t, "").map_err(e)?;
        let v = self.b.build_insert_element(v2.get_undef(), t64, self.i32c(0), "").map_err(e)?;
        let v = self.b.build_insert_element(v, pay, self.i32c(1), "value").map_err(e)?;
        let st = self.b.build_store(p, v).map_err(e)?;
        st.set_alignment(8).map_err(e)?;
        Ok(())
    }

    fn home(&self, v: ir::Value) -> Option<u16> {
        if self.map.has_reg[v.index()] {
            Some(self.map.reg_of[v.index()])
        } else {
            None
        }
    }

    /// Where an instruction's result goes: its home, or the scratch register.
    fn dst(&self, v: ir::Value) -> u16 {
        self.home(v).unwrap_or(self.map.tmp)
    }

    /// How `v` is held here. A value in its home that a type guard already
    /// proved an integer or a float (in a block dominating the current one)
    /// is that number: its register cannot change during its live interval
    /// (the register allocator gives it to no other value, callees use
    /// windows above this one, only a move at its last use clears it), so
    /// the payload read at the guard is still its value and neither the tag
    /// nor the payload is read again (`tak`'s parameters: guarded once by
    /// `(< y x)`, then used by every subtraction and passed to every call).
    /// Not in the resume region, whose dominators differ (several entries).
    fn repr(&self, v: ir::Value) -> R<Repr<'ctx>> {
        let base = self.vals[v.index()].ok_or_else(|| format!("value v{} used before it was generated", v.index()))?;
        if matches!(base, Repr::Home) && self.resuming.is_none() {
            let refined = self.refined.borrow();
            if let Some((_, r)) = refined[v.index()].iter().find(|(b, _)| ir::verify::dominates(&self.idom, *b, self.cur)) {
                return Ok(*r);
            }
        }
        Ok(base)
    }

    /// Records that a guard just proved the value in `v`'s home to be `r`
    /// (see [`Self::repr`]).
    fn refine(&self, v: ir::Value, r: Repr<'ctx>) {
        if matches!(self.vals[v.index()], Some(Repr::Home)) && self.resuming.is_none() {
            self.refined.borrow_mut()[v.index()].push((self.cur, r));
        }
    }

    /// Tag and payload of `v`.
    fn pair(&self, v: ir::Value) -> R<(IntValue<'ctx>, IntValue<'ctx>)> {
        Ok(match self.repr(v)? {
            Repr::Int(x) => (self.i8c(TAG_INT), x),
            Repr::Float(x) => (self.i8c(TAG_FLOAT), self.b.build_bit_cast(x, self.cx.i64_type(), "").map_err(e)?.into_int_value()),
            Repr::Bool(x) => (self.i8c(TAG_BOOL), self.b.build_int_z_extend(x, self.cx.i64_type(), "").map_err(e)?),
            Repr::Nil => (self.i8c(TAG_NIL), self.i64c(0)),
            Repr::Home => self.load_pair(self.home(v).ok_or("a value in its home has no register")?)?,
            Repr::Fused => return Err(format!("fused value v{} used as an operand", v.index())),
            Repr::Dead => (self.i8c(TAG_NIL), self.i64c(0)),
        })
    }

    /// Writes `v` into its home if it is only in machine registers (a value
    /// in its home that a guard refined is there already).
    fn flush(&self, v: ir::Value) -> R<()> {
        let Some(r) = self.home(v) else { return Ok(()) };
        if matches!(self.vals[v.index()], Some(Repr::Home)) {
            return Ok(());
        }
        self.flush_to(v, r)
    }

    fn flush_to(&self, v: ir::Value, r: u16) -> R<()> {
        match self.repr(v)? {
            Repr::Int(x) => self.store_imm(r, TAG_INT, x),
            Repr::Float(x) => {
                let bits = self.b.build_bit_cast(x, self.cx.i64_type(), "").map_err(e)?.into_int_value();
                self.store_imm(r, TAG_FLOAT, bits)
            }
            Repr::Bool(x) => {
                let z = self.b.build_int_z_extend(x, self.cx.i64_type(), "").map_err(e)?;
                self.store_imm(r, TAG_BOOL, z)
            }
            Repr::Nil => self.store_imm(r, TAG_NIL, self.i64c(0)),
            Repr::Home | Repr::Fused | Repr::Dead => Ok(()),
        }
    }

    fn def_block(&self, v: ir::Value) -> Block {
        match self.f.values[v.index()].def {
            ValueDef::Inst(i) => self.inst_block[i.index()],
            ValueDef::Param(b, _) => b,
        }
    }

    /// Writes every value live at position `pos` of the current block into its home.
    fn flush_live(&self, pos: u32) -> R<()> {
        self.flush_live_if(pos, |_| true)
    }

    /// [`Self::flush_live`] for the live values `pick` accepts.
    fn flush_live_if(&self, pos: u32, pick: impl Fn(ir::Value) -> bool) -> R<()> {
        for vi in 0..self.f.values.len() {
            let v = ir::Value::new(vi);
            if self.vals[vi].is_none() || !self.map.live_at(v, pos) || !pick(v) {
                continue;
            }
            if !ir::verify::dominates(&self.idom, self.def_block(v), self.cur) {
                continue;
            }
            if let ValueDef::Inst(i) = self.f.values[vi].def {
                if self.inst_block[i.index()] == self.cur && self.map.pos.inst[i.index()] >= pos {
                    continue;
                }
            }
            self.flush(v)?;
        }
        Ok(())
    }

    /// Leaves for the interpreter at `pc` (position `pos`), by design.
    fn side_exit(&self, pos: u32, pc: u32) -> R<()> {
        self.side_exit_as(pos, pc, false)
    }

    /// Leaves for the interpreter at `pc`; `speculation`: a guard failed.
    fn side_exit_as(&self, pos: u32, pc: u32, speculation: bool) -> R<()> {
        self.flush_live(pos)?;
        self.call(RtFn::Deopt, &[self.ctx.into(), self.i32c(pc).into(), self.i32c(speculation as u32).into()])?;
        self.b.build_return(Some(&self.i32c(DEOPT))).map_err(e)?;
        Ok(())
    }

    /// Branches to a fresh block that side-exits when `fail` holds.
    fn exit_if(&self, fail: IntValue<'ctx>, pos: u32, pc: u32) -> R<()> {
        self.exit_if_as(fail, pos, pc, false)
    }

    fn exit_if_as(&self, fail: IntValue<'ctx>, pos: u32, pc: u32, speculation: bool) -> R<()> {
        let exit = self.cx.append_basic_block(self.func, "exit");
        let cont = self.cx.append_basic_block(self.func, "ok");
        self.b.build_conditional_branch(fail, exit, cont).map_err(e)?;
        self.b.position_at_end(exit);
        self.side_exit_as(pos, pc, speculation)?;
        self.b.position_at_end(cont);
        Ok(())
    }

    /// Returns RAISE when `st == RAISE`.
    fn check_raise(&self, st: IntValue<'ctx>) -> R<()> {
        let is = self.b.build_int_compare(IntPredicate::EQ, st, self.i32c(RAISE), "").map_err(e)?;
        let out = self.cx.append_basic_block(self.func, "raise");
        let cont = self.cx.append_basic_block(self.func, "ok");
        self.b.build_conditional_branch(is, out, cont).map_err(e)?;
        self.b.position_at_end(out);
        self.b.build_return(Some(&self.i32c(RAISE))).map_err(e)?;
        self.b.position_at_end(cont);
        Ok(())
    }

    /// A speculation guard: `fail` (or the stress countdown) side-exits.
    fn guard(&self, fail: IntValue<'ctx>, pos: u32, pc: u32) -> R<()> {
        let fail = if self.job.stress_deopt > 0 {
            let i32t = self.cx.i32_type();
            let sp = self.ctx_field(CTX_STRESS)?;
            let n = self.b.build_load(i32t, sp, "stress").map_err(e)?.into_int_value();
            let n1 = self.b.build_int_sub(n, self.i32c(1), "").map_err(e)?;
            let hit = self.b.build_int_compare(IntPredicate::EQ, n1, self.i32c(0), "").map_err(e)?;
            let next = self.b.build_select(hit, self.i32c(self.job.stress_deopt), n1, "").map_err(e)?;
            self.b.build_store(sp, next).map_err(e)?;
            self.b.build_or(fail, hit, "").map_err(e)?
        } else {
            fail
        };
        self.exit_if_as(fail, pos, pc, true)
    }

    /// Polls the interrupt word; non-zero → side exit at `pc`.
    fn poll(&self, pos: u32, pc: u32) -> R<()> {
        let p = self.cx.ptr_type(inkwell::AddressSpace::default());
        let word = self.b.build_load(p, self.ctx_field(CTX_INTERRUPT)?, "iw").map_err(e)?.into_pointer_value();
        let w = self.b.build_load(self.cx.i32_type(), word, "interrupt").map_err(e)?;
        if let Some(i) = w.as_instruction_value() {
            i.set_volatile(true).map_err(e)?;
        }
        let set = self.b.build_int_compare(IntPredicate::NE, w.into_int_value(), self.i32c(0), "").map_err(e)?;
        self.exit_if(set, pos, pc)
    }

    // ----- the function ---------------------------------------------------

    pub(crate) fn emit(mut self) -> R<FunctionValue<'ctx>> {
        let f = self.f;
        let start = self.cx.append_basic_block(self.func, "start");
        self.bbs = (0..f.blocks.len()).map(|i| self.cx.append_basic_block(self.func, &format!("b{i}"))).collect();
        let restart = self.cx.append_basic_block(self.func, "restart");
        self.b.position_at_end(start);
        // The argument buffer: builtin calls, and calls whose callee may
        // turn out to be a builtin value (`calls`).
        let prims = f.insts.iter().filter_map(|n| match &n.data {
            InstData::Prim(_, a) | InstData::Call(_, a) => Some(a.len()),
            _ => None,
        });
        let conts = f.blocks.iter().filter_map(|b| match &b.term {
            ir::Terminator::CallK { args, .. } => Some(args.len()),
            _ => None,
        });
        let most = prims.chain(conts).max();
        if let Some(most) = most {
            let buf = self.cx.i64_type().array_type(2 * most.max(1) as u32);
            let a = self.b.build_alloca(buf, "argv").map_err(e)?;
            a.as_instruction().ok_or("alloca is an instruction")?.set_alignment(16).map_err(e)?;
            self.argv = Some(a);
        }
        self.b.position_at_end(restart);
        self.restart = Some(restart);
        self.cur = Block(0);
        self.poll(0, 0)?;
        self.b.build_unconditional_branch(self.bbs[0]).map_err(e)?;
        for b in f.reverse_post_order() {
            self.block(b)?;
        }
        let states = self.resume_region()?;
        self.dispatch(start, restart, &states)?;
        // Blocks never reached (unreachable in the IR) still need a terminator.
        for bb in &self.bbs {
            if bb.get_terminator().is_none() {
                self.b.position_at_end(*bb);
                self.b.build_unreachable().map_err(e)?;
            }
        }
        Ok(self.func)
    }

    fn block(&mut self, b: Block) -> R<()> {
        let f = self.f;
        self.cur = b;
        self.b.position_at_end(self.bbs[b.index()]);
        let bd = f.block(b);
        for &p in &bd.params {
            self.vals[p.index()] = Some(Repr::Home);
        }
        let prologue = match self.map.self_loop {
            Some(_) if b.index() == 0 && self.resuming.is_none() => bd.insts.iter().take_while(|&&i| matches!(f.inst(i).data, InstData::Capture(_) | InstData::SelfRef)).count(),
            _ => usize::MAX,
        };
        self.dead = false;
        for (k, &i) in bd.insts.iter().enumerate() {
            if k == prologue {
                self.loop_header()?;
            }
            self.inst(i)?;
            if self.dead {
                for &j in &bd.insts[k + 1..] {
                    self.vals[f.inst(j).result.index()] = Some(Repr::Dead);
                }
                self.b.build_unreachable().map_err(e)?;
                return Ok(());
            }
        }
        if prologue != usize::MAX && prologue >= bd.insts.len() {
            self.loop_header()?;
        }
        self.term(b)
    }

    /// Starts the loop header of a function whose self tail calls loop.
    fn loop_header(&mut self) -> R<()> {
        let Some((_, pc)) = self.map.self_loop else { return Ok(()) };
        let h = self.cx.append_basic_block(self.func, "header");
        self.b.build_unconditional_branch(h).map_err(e)?;
        self.b.position_at_end(h);
        self.header = Some(h);
        let pos = self.map.pos.block_start[0];
        self.poll(pos, pc)
    }

    fn inst(&mut self, i: ir::Inst) -> R<()> {
        let node = self.f.inst(i);
        let res = node.result;
        let pos = self.map.pos.inst[i.index()];
        let pc = self.map.inst_pc[i.index()];
        let unused = self.map.uses[res.index()] == 0;
        let site = vm::jit::sites::site_op(self.map, pc);
        let repr = match &node.data {
            InstData::Const(c) => match c {
                Const::Nil => Repr::Nil,
                Const::Bool(x) => Repr::Bool(self.cx.bool_type().const_int(*x as u64, false)),
                Const::Int(x) => Repr::Int(self.i64c(*x)),
                Const::Float(x) => Repr::Float(self.cx.f64_type().const_float(*x)),
                _ if unused => Repr::Fused,
                _ => self.data_op(i, pos, pc, site)?,
            },
            InstData::Capture(_) | InstData::SelfRef if unused || !self.map.has_reg[res.index()] => Repr::Fused,
            InstData::GlobalGet(_) if !self.map.has_reg[res.index()] && !unused => Repr::Fused,
            InstData::Capture(idx) if site == SiteOp::Data => self.capture(res, *idx)?,
            InstData::SelfRef if site == SiteOp::Data => self.self_ref(res)?,
            InstData::GlobalGet(_) => match site {
                SiteOp::Global { slot } => self.global_get(i, slot, pos, pc)?,
                _ => self.data_op(i, pos, pc, site)?,
            },
            InstData::Capture(_)
            | InstData::SelfRef
            | InstData::GlobalSet(..)
            | InstData::GlobalDefine(..)
            | InstData::MakeClosure(..)
            | InstData::CellNew(_)
            | InstData::CellGet(_)
            | InstData::CellSet(..) => self.data_op(i, pos, pc, site)?,
            InstData::Prim(name, args) => match (name.as_str(), args.as_slice()) {
                ("+", [a, b2]) => self.arith(Arith::Add, "+", *a, Some(*b2), res, pos, pc)?,
                ("-", [a, b2]) => self.arith(Arith::Sub, "-", *a, Some(*b2), res, pos, pc)?,
                ("*", [a, b2]) => self.arith(Arith::Mul, "*", *a, Some(*b2), res, pos, pc)?,
                ("inc", [a]) => self.arith(Arith::Add, "inc", *a, None, res, pos, pc)?,
                ("dec", [a]) => self.arith(Arith::Sub, "dec", *a, None, res, pos, pc)?,
                ("<", [a, b2]) => self.compare(CmpK::Lt, *a, *b2, pos, pc)?,
                (">", [a, b2]) => self.compare(CmpK::Gt, *a, *b2, pos, pc)?,
                ("<=", [a, b2]) => self.compare(CmpK::Le, *a, *b2, pos, pc)?,
                (">=", [a, b2]) => self.compare(CmpK::Ge, *a, *b2, pos, pc)?,
                ("=", [a, b2]) => self.compare(CmpK::Eq, *a, *b2, pos, pc)?,
                ("not", [a]) => Repr::Bool(self.not_truthy(*a)?),
                (n @ ("quotient" | "remainder" | "mod"), [a, b2]) if self.speculate(pc) == Some(TAG_INT) => self.int_div(n, *a, *b2, pos, pc)?,
                (n @ ("even?" | "odd?" | "zero?"), [a]) if self.speculate(pc) == Some(TAG_INT) => self.int_pred(n, *a, pos, pc)?,
                (n @ ("first" | "len" | "empty?"), [_]) | (n @ "nth", [_, _]) if self.is_builtin_site(name, site) => self.list_prim(n, res, site, args, pc)?,
                (_, args) => match site {
                    SiteOp::Prim { id, owned } if vm::jit::sites::prim_id(name) == Some(id as u32) => self.prim_call(res, id, owned, args, pc)?,
                    _ => self.data_op(i, pos, pc, site)?,
                },
            },
            InstData::IAddOvf(a, b2) => self.arith(Arith::Add, "+", *a, Some(*b2), res, pos, pc)?,
            InstData::ISubOvf(a, b2) => self.arith(Arith::Sub, "-", *a, Some(*b2), res, pos, pc)?,
            InstData::IMulOvf(a, b2) => self.arith(Arith::Mul, "*", *a, Some(*b2), res, pos, pc)?,
            InstData::ICmp(op, a, b2) => match op {
                ir::CmpOp::Lt => self.compare(CmpK::Lt, *a, *b2, pos, pc)?,
                ir::CmpOp::Gt => self.compare(CmpK::Gt, *a, *b2, pos, pc)?,
                ir::CmpOp::Le => self.compare(CmpK::Le, *a, *b2, pos, pc)?,
                ir::CmpOp::Ge => self.compare(CmpK::Ge, *a, *b2, pos, pc)?,
                ir::CmpOp::Eq => self.compare(CmpK::Eq, *a, *b2, pos, pc)?,
                ir::CmpOp::Ne => match self.compare(CmpK::Eq, *a, *b2, pos, pc)? {
                    Repr::Bool(x) => Repr::Bool(self.b.build_not(x, "").map_err(e)?),
                    other => other,
                },
            },
            InstData::Call(callee, args) => {
                if site == SiteOp::Call {
                    self.call_site(pos, pc, *callee, args)?;
                    Repr::Home
                } else {
                    self.exit_here(pos, pc)?;
                    Repr::Dead
                }
            }
            InstData::Guard { .. } => {
                // Type guards are not produced by today's passes; the
                // interpreter runs the bytecode guard and its deopt stub.
                self.exit_here(pos, pc)?;
                Repr::Dead
            }
        };
        self.vals[res.index()] = Some(repr);
        if self.resuming.as_ref().is_some_and(|h| h[res.index()]) {
            // Read from its home elsewhere in the resume region.
            match repr {
                Repr::Int(_) | Repr::Float(_) | Repr::Bool(_) | Repr::Nil => {
                    self.flush(res)?;
                    self.vals[res.index()] = Some(Repr::Home);
                }
                Repr::Home | Repr::Fused | Repr::Dead => {}
            }
        }
        Ok(())
    }

    /// Whether `site` is a direct call of builtin `name` (`SiteOp::Prim`).
    fn is_builtin_site(&self, name: &str, site: SiteOp) -> bool {
        matches!(site, SiteOp::Prim { id, .. } if vm::jit::sites::prim_id(name) == Some(id as u32))
    }

    /// Side-exits unconditionally and continues generating into a dead block
    /// (the rest of the IR block is unreachable in compiled code).
    fn exit_here(&mut self, pos: u32, pc: u32) -> R<()> {
        self.side_exit(pos, pc)?;
        let dead = self.cx.append_basic_block(self.func, "dead");
        self.b.position_at_end(dead);
        self.dead = true;
        Ok(())
    }

    /// Address of the context field at byte offset `off`.
    fn ctx_field(&self, off: u32) -> R<PointerValue<'ctx>> {
        unsafe { self.b.build_in_bounds_gep(self.cx.i8_type(), self.ctx, &[self.i64c(off as i64)], "") }.map_err(e)
    }

    fn load_i32(&self, p: PointerValue<'ctx>, name: &str) -> R<IntValue<'ctx>> {
        Ok(self.b.build_load(self.cx.i32_type(), p, name).map_err(e)?.into_int_value())
    }

    // ----- terminators and edges -------------------------------------------

    /// Copies `args` into `target`'s parameters (all in their homes). A
    /// value whose last use is this terminator (`JitMap::dies_at_term`)
    /// moves at its last read instead of being cloned, as the bytecode's
    /// `take` does: a collection threaded through a loop stays unshared, so
    /// functional updates of it run in place (issue #11).
    fn edge(&self, target: Block, args: &[ir::Value]) -> R<()> {
        let params = &self.f.block(target).params;
        let dying: Vec<u16> = self.map.dies_at_term[self.cur.index()].iter().filter_map(|v| self.home(*v)).collect();
        let mut boxed: Vec<(u16, u16)> = Vec::new();
        let mut typed: Vec<(u16, ir::Value)> = Vec::new();
        for (p, a) in params.iter().zip(args) {
            if self.map.uses[p.index()] == 0 {
                continue;
            }
            let Some(to) = self.home(*p) else { continue };
            match self.repr(*a)? {
                Repr::Home => {
                    let from = self.home(*a).ok_or("a value in its home has no register")?;
                    if from != to {
                        boxed.push((to, from));
                    }
                }
                Repr::Fused => return Err(format!("fused value v{} passed to a block", a.index())),
                Repr::Dead => {}
                _ => typed.push((to, *a)),
            }
        }
        // Register copies as parallel moves (cycles broken through the
        // scratch register, as the bytecode compiler does), then the
        // immediates, which read no register.
        while !boxed.is_empty() {
            let ready = (0..boxed.len()).find(|&i| !boxed.iter().any(|&(_, s)| s == boxed[i].0));
            match ready {
                Some(i) => {
                    let (d, s) = boxed.remove(i);
                    let last_read = !boxed.iter().any(|&(_, s2)| s2 == s);
                    if last_read && (s == self.map.tmp || dying.contains(&s)) {
                        self.take(d, s)?;
                    } else {
                        self.copy(d, s)?;
                    }
                }
                None => {
                    // (`d0` is overwritten by its own move: its value moves.)
                    let d0 = boxed[0].0;
                    self.take(self.map.tmp, d0)?;
                    for m in boxed.iter_mut() {
                        if m.1 == d0 {
                            m.1 = self.map.tmp;
                        }
                    }
                }
            }
        }
        for (to, a) in typed {
            self.flush_to(a, to)?;
        }
        Ok(())
    }

    /// Whether the entry block's parameters live in the registers the
    /// arguments arrive in (parameter i in register i), so that a self tail
    /// call can write its arguments there and restart at pc 0.
    fn params_in_arg_registers(&self) -> bool {
        let params = &self.f.block(Block(0)).params;
        !self.f.has_rest && params.iter().enumerate().all(|(i, p)| self.home(*p).is_none_or(|r| r as usize == i) || self.map.uses[p.index()] == 0)
    }

    /// `r[d] = r[s]` moving the value: `r[s]` is left nil (a heap value's
    /// reference changes owner; no count changes).
    fn take(&self, d: u16, s: u16) -> R<()> {
        let (t, pay) = self.load_pair(s)?;
        self.store_tagged(d, t, pay)?;
        self.b.build_store(self.reg_ptr(s)?, self.i8c(TAG_NIL)).map_err(e)?;
        Ok(())
    }

    /// `r[d] = r[s]`: immediates inline, heap values cloned by the runtime.
    fn copy(&self, d: u16, s: u16) -> R<()> {
        let (t, pay) = self.load_pair(s)?;
        let heap = self.b.build_int_compare(IntPredicate::UGE, t, self.i8c(FIRST_HEAP_TAG), "").map_err(e)?;
        let clone = self.cx.append_basic_block(self.func, "copy.clone");
        let imm = self.cx.append_basic_block(self.func, "copy.imm");
        let next = self.cx.append_basic_block(self.func, "copied");
        self.b.build_conditional_branch(heap, clone, imm).map_err(e)?;
        self.b.position_at_end(clone);
        self.call(RtFn::Copy, &[self.ctx.into(), self.base.into(), self.i32c(d as u32).into(), self.i32c(s as u32).into()])?;
        self.b.build_unconditional_branch(next).map_err(e)?;
        self.b.position_at_end(imm);
        self.store_tagged(d, t, pay)?;
        self.b.build_unconditional_branch(next).map_err(e)?;
        self.b.position_at_end(next);
        Ok(())
    }

    fn jump(&self, target: Block, args: &[ir::Value]) -> R<()> {
        self.edge(target, args)?;
        self.b.build_unconditional_branch(self.bbs[target.index()]).map_err(e)?;
        Ok(())
    }

    fn term(&mut self, b: Block) -> R<()> {
        let bd = self.f.block(b);
        let pos = self.map.pos.term[b.index()];
        let pc = self.map.term_pc[b.index()];
        match &bd.term {
            Terminator::Jump(bc) => self.jump(bc.block, &bc.args),
            Terminator::Branch { cond, then_dest, else_dest } => {
                let c = self.truthy(*cond)?;
                let t = self.cx.append_basic_block(self.func, "then");
                let el = self.cx.append_basic_block(self.func, "else");
                self.b.build_conditional_branch(c, t, el).map_err(e)?;
                self.b.position_at_end(t);
                self.jump(then_dest.block, &then_dest.args)?;
                self.b.position_at_end(el);
                self.jump(else_dest.block, &else_dest.args)
            }
            Terminator::Return(v) => self.ret(*v),
            Terminator::TailCall { callee, args } if self.map.self_loop.is_some_and(|(s, _)| s == *callee) && self.header.is_some() => {
                self.edge(Block(0), args)?;
                // From the resume region, through the entry (the header's
                // code uses values of the entry block's prologue).
                let target = if self.resuming.is_some() { self.restart.ok_or("no restart block")? } else { self.header.unwrap() };
                self.b.build_unconditional_branch(target).map_err(e)?;
                Ok(())
            }
            Terminator::CallK { callee, cont, args } if vm::jit::sites::site_op(self.map, pc) == SiteOp::Call => {
                self.call_site(pos, pc, *callee, args)?;
                self.b.build_unconditional_branch(self.bbs[cont.index()]).map_err(e)?;
                Ok(())
            }
            Terminator::TailCall { args, .. } if vm::jit::sites::site_op(self.map, pc) == SiteOp::TailCall => {
                // Another function: the runtime replaces the frame and runs
                // the callee natively; its status is ours. This very closure
                // (through its global): the arguments become the parameters
                // and the code loops to its entry. Otherwise the interpreter
                // makes the call.
                self.flush_live(pos)?;
                let self_ok = self.params_in_arg_registers() && args.len() == self.f.arity as usize;
                if let (true, Some(site)) = (self_ok, self.map.call_sites.get(&pc)) {
                    let is_self = self.is_self(site.callee)?;
                    let again = self.cx.append_basic_block(self.func, "self.tail");
                    let other = self.cx.append_basic_block(self.func, "tail");
                    self.b.build_conditional_branch(is_self, again, other).map_err(e)?;
                    self.b.position_at_end(again);
                    self.edge(Block(0), args)?;
                    self.count_self_call()?;
                    self.b.build_unconditional_branch(self.restart.ok_or("no restart block")?).map_err(e)?;
                    self.b.position_at_end(other);
                }
                let st = self
                    .call(RtFn::TailCall, &[self.ctx.into(), self.base.into(), self.i32c(pc).into(), self.i32c(self_ok as u32).into()])?
                    .ok_or("sx_rt_tail_call returns a status")?;
                let interp = self.cx.append_basic_block(self.func, "interp");
                let pass = self.cx.append_basic_block(self.func, "pass");
                let again = self.cx.append_basic_block(self.func, "self");
                self.b
                    .build_switch(st, pass, &[(self.i32c(NEED_INTERP), interp), (self.i32c(TAIL_SELF), again)])
                    .map_err(e)?;
                self.b.position_at_end(again);
                if self_ok {
                    self.edge(Block(0), args)?;
                    self.b.build_unconditional_branch(self.restart.ok_or("no restart block")?).map_err(e)?;
                } else {
                    self.b.build_unreachable().map_err(e)?;
                }
                self.b.position_at_end(pass);
                self.b.build_return(Some(&st)).map_err(e)?;
                self.b.position_at_end(interp);
                self.call(RtFn::Deopt, &[self.ctx.into(), self.i32c(pc).into(), self.i32c(0).into()])?;
                self.b.build_return(Some(&self.i32c(DEOPT))).map_err(e)?;
                Ok(())
            }
            Terminator::TailCall { .. }
            | Terminator::CallK { .. }
            | Terminator::Suspend { .. }
            | Terminator::TryCall { .. }
            | Terminator::ApplyK { .. }
            | Terminator::TailApply { .. }
            | Terminator::Raise(_) => self.side_exit(pos, pc),
            Terminator::Unterminated => Err("unterminated block".into()),
        }
    }
}
