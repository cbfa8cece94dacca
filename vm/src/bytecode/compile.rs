//! IR → bytecode: register assignment, block layout, parallel moves on edges,
//! global slots, primitive ids and fused compare-and-branch.

use super::analysis::*;
use super::{Cmp, GlobalTable, Op, Proto, ProtoProfile, ProtoRef, Reg};
use crate::interp::rt;
use crate::value::Value;
use frontend::ast::Const;
use frontend::Span;
use ir::{Block, BlockCall, FuncId, Function, InstData, Module, Terminator};
use std::cell::Cell;
use std::rc::Rc;

/// Compiles every function of `m` reachable from its entry; returns the entry
/// proto (nested protos hang off [`Proto::children`]). Global names are given
/// slots in `globals`.
pub fn compile_module(m: &Module, globals: &mut GlobalTable) -> Rc<Proto> {
    let entry = m.entry.expect("IR module without an entry function");
    // Reachable functions and the closure-creation edges between them; edges
    // that close a cycle (DFS back edges) become weak references.
    let n = m.funcs.len();
    let mut child_ids: Vec<Vec<FuncId>> = vec![Vec::new(); n];
    for (i, f) in m.funcs.iter().enumerate() {
        for b in &f.blocks {
            for &inst in &b.insts {
                if let InstData::MakeClosure(c, _) = &f.inst(inst).data {
                    if !child_ids[i].contains(c) {
                        child_ids[i].push(*c);
                    }
                }
            }
        }
    }
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        OnStack,
        Done,
    }
    let mut state = vec![State::New; n];
    let mut weak = vec![Vec::new(); n];
    let mut order = Vec::new();
    // Iterative DFS: (function, next child index).
    let mut stack = vec![(entry.index(), 0usize)];
    state[entry.index()] = State::OnStack;
    while let Some(&mut (u, ref mut k)) = stack.last_mut() {
        if *k < child_ids[u].len() {
            let c = child_ids[u][*k].index();
            *k += 1;
            match state[c] {
                State::New => {
                    state[c] = State::OnStack;
                    stack.push((c, 0));
                }
                State::OnStack => weak[u].push(c),
                State::Done => {}
            }
        } else {
            state[u] = State::Done;
            order.push(u);
            stack.pop();
        }
    }
    let mut protos: Vec<Option<Rc<Proto>>> = vec![None; n];
    for &u in &order {
        let ids = std::mem::take(&mut child_ids[u]);
        protos[u] = Some(Rc::new(FnCompiler::new(&m.funcs[u], globals, ids.clone()).run()));
        child_ids[u] = ids;
    }
    for &u in &order {
        let refs: Vec<ProtoRef> = child_ids[u]
            .iter()
            .map(|c| {
                let p = protos[c.index()].as_ref().expect("reachable proto");
                if weak[u].contains(&c.index()) {
                    ProtoRef::Weak(Rc::downgrade(p))
                } else {
                    ProtoRef::Strong(p.clone())
                }
            })
            .collect();
        let p = protos[u].as_ref().unwrap();
        p.static_closures.set((0..refs.len()).map(|_| std::cell::OnceCell::new()).collect()).expect("static closures set once");
        p.children.set(refs).expect("children set once");
        if let Err(e) = p.validate() {
            panic!("bytecode compiler produced invalid code: {e}\n{p}");
        }
    }
    let loaded: Vec<Rc<Proto>> = order.iter().filter_map(|&u| protos[u].clone()).collect();
    crate::jit::on_load(&loaded);
    protos[entry.index()].clone().unwrap()
}

/// A branch condition computed by the block's last instruction(s), folded into
/// the branch: `skip` trailing instructions are not emitted.
#[derive(Copy, Clone)]
enum Fuse {
    /// Jump to else when `(a cmp b)` is false (`negate`: when it is true).
    Cmp { cmp: Cmp, a: ir::Value, b: ir::Value, negate: bool, skip: usize },
    /// `(not x)`: jump to else when `x` is truthy.
    Not { x: ir::Value },
}

impl Fuse {
    fn skip(self) -> usize {
        match self {
            Fuse::Cmp { skip, .. } => skip,
            Fuse::Not { .. } => 1,
        }
    }
}

/// Where a jump goes once every block has an address.
enum Target {
    Block(Block),
}

struct FnCompiler<'a> {
    f: &'a Function,
    globals: &'a mut GlobalTable,
    child_ids: Vec<FuncId>,
    reg_of: Vec<Reg>,
    tmp: Reg,
    nregs: u32,
    code: Vec<Op>,
    spans: Vec<Span>,
    consts: Vec<Value>,
    arg_pool: Vec<Reg>,
    /// Parallel to `arg_pool` (see [`Proto::arg_dies`]).
    arg_dies: Vec<bool>,
    /// Per IR instruction / per block terminator: operands at their last use
    /// (from the register allocator's liveness).
    dies_at_inst: Vec<Vec<ir::Value>>,
    dies_at_term: Vec<Vec<ir::Value>>,
    /// A copy of `dies_at_term` for the LLVM tier's map (the original is
    /// consumed block by block).
    jit_dies_at_term: Vec<Vec<ir::Value>>,
    /// Values at their last use in the instruction or terminator being compiled.
    dying: Vec<ir::Value>,
    global_names: Vec<(u32, Rc<str>)>,
    block_pc: Vec<u32>,
    fixups: Vec<(usize, Target)>,
    nbackedges: u16,
    uses: Vec<u32>,
    /// Small-integer constants (foldable into `*Imm` instructions).
    imm: Vec<Option<i16>>,
    /// Uses of each value folded into an immediate operand.
    folded: Vec<u32>,
    /// Self tail calls compiled as loops (see [`self_loop`]).
    looping: Option<SelfLoop>,
    /// Where the loop body starts (after the entry block's prologue).
    loop_header: u32,
    /// Values read by a `GlobalGet` that is fused into the call using them
    /// (the read happens at the call): the global's name.
    fused_global: Vec<Option<String>>,
    cur: usize,
    /// Incoming edges per block.
    preds: Vec<u32>,
    /// Blocks folded into their predecessor's `ret.if`/`ret.not` (not emitted).
    skipped: Vec<bool>,
    /// For the LLVM tier (see [`crate::jit::map`]).
    inst_pc: Vec<u32>,
    term_pc: Vec<u32>,
    alloc_info: Option<super::regalloc::Allocation>,
}

impl<'a> FnCompiler<'a> {
    fn new(f: &'a Function, globals: &'a mut GlobalTable, child_ids: Vec<FuncId>) -> Self {
        let nvals = f.values.len();
        let looping = self_loop(f);
        let mut uses = vec![0u32; nvals];
        for b in &f.blocks {
            for &i in &b.insts {
                super::regalloc::inst_uses(&f.inst(i).data, &mut |v| uses[v.index()] += 1);
            }
            super::regalloc::term_uses(&b.term, &mut |v| uses[v.index()] += 1);
        }
        let fused_global = fused_global_calls(f, &uses);
        let omit: Vec<bool> = fused_global.iter().map(Option::is_some).collect();
        let alloc = super::regalloc::allocate(f, looping.as_ref().map(|l| l.pinned.as_slice()), &omit);
        let reg_of = alloc.reg_of.clone();
        let next = alloc.nregs;
        let mut alloc = alloc;
        let (dies_at_inst, dies_at_term) = (std::mem::take(&mut alloc.dies_at_inst), std::mem::take(&mut alloc.dies_at_term));
        let mut imm = vec![None; nvals];
        for node in &f.insts {
            if let InstData::Const(Const::Int(i)) = &node.data {
                imm[node.result.index()] = i16::try_from(*i).ok();
            }
        }
        FnCompiler {
            f,
            globals,
            child_ids,
            reg_of,
            tmp: next as Reg,
            nregs: next + 1,
            code: Vec::new(),
            spans: Vec::new(),
            consts: Vec::new(),
            arg_pool: Vec::new(),
            arg_dies: Vec::new(),
            dies_at_inst,
            jit_dies_at_term: dies_at_term.clone(),
            dies_at_term,
            dying: Vec::new(),
            global_names: Vec::new(),
            block_pc: vec![0; f.blocks.len()],
            fixups: Vec::new(),
            nbackedges: 0,
            uses,
            imm,
            folded: vec![0; nvals],
            fused_global,
            looping,
            loop_header: 0,
            cur: 0,
            preds: predecessor_counts(f),
            skipped: vec![false; f.blocks.len()],
            inst_pc: vec![0; f.insts.len()],
            term_pc: vec![u32::MAX; f.blocks.len()],
            alloc_info: Some(alloc),
        }
        .plan_folds()
    }

    /// Emits a call of `callee`: fused with its `gget` when planned so.
    fn call_op(&mut self, dst: Option<Reg>, callee: ir::Value, args: &[ir::Value], span: Span) {
        let (a, n) = self.pool(args);
        let regs: Vec<Reg> = args.iter().map(|v| self.r(*v)).collect();
        // Arguments at their last use move into the callee's frame: the
        // last occurrence of a dying value, unless it is also the callee.
        let callee_reg = if self.fused_global[callee.index()].is_some() { None } else { Some(self.r(callee)) };
        for (k, v) in args.iter().enumerate() {
            let dies = self.dying.contains(v) && !args[k + 1..].contains(v) && Some(regs[k]) != callee_reg;
            self.arg_dies[a as usize + k] = dies;
        }
        let direct = (0..regs.len()).all(|i| regs[i + 1..].iter().all(|&r| r as usize != i));
        if let Some(name) = self.fused_global[callee.index()].clone() {
            let slot = self.slot(&name);
            if let (Ok(a16), Ok(n8)) = (u16::try_from(a), u8::try_from(n)) {
                let op = match dst {
                    Some(dst) => Op::CallGlobal { dst, slot, args: a16, n: n8 },
                    None => Op::TailCallGlobal { slot, args: a16, n: n8, direct },
                };
                self.emit(op, span);
                return;
            }
            // Too many arguments for the fused form: read the global here, into
            // the scratch register (the fused value has no register of its own;
            // the scratch register is only used by parallel moves on edges).
            self.emit(Op::GlobalGet { dst: self.tmp, slot }, span);
        }
        let c = if self.fused_global[callee.index()].is_some() { self.tmp } else { self.r(callee) };
        let op = match dst {
            Some(dst) => Op::Call { dst, callee: c, args: a, n },
            None => Op::TailCall { callee: c, args: a, n, direct },
        };
        self.emit(op, span);
    }

    /// Counts the uses of small constants that become immediate operands, so
    /// constants used only that way are not loaded at all.
    fn plan_folds(mut self) -> Self {
        let f = self.f;
        for (bi, b) in f.blocks.iter().enumerate() {
            let fused = self.fusable(Block::new(bi));
            let keep = b.insts.len() - fused.map_or(0, Fuse::skip);
            for &i in &b.insts[..keep] {
                if let Some((_, _, c)) = imm_arith(&f.inst(i).data) {
                    if self.imm[c.index()].is_some() {
                        self.folded[c.index()] += 1;
                    }
                }
            }
            if let Some(Fuse::Cmp { b: c, negate: false, .. }) = fused {
                if self.imm[c.index()].is_some() {
                    self.folded[c.index()] += 1;
                }
            }
        }
        self
    }

    fn run(mut self) -> Proto {
        let f = self.f;
        for bi in 0..f.blocks.len() {
            self.cur = bi;
            self.block_pc[bi] = self.code.len() as u32;
            if !self.skipped[bi] {
                self.block(Block::new(bi));
            }
        }
        for (pc, t) in std::mem::take(&mut self.fixups) {
            let Target::Block(b) = t;
            let addr = self.block_pc[b.index()];
            match &mut self.code[pc] {
                Op::Jump { target }
                | Op::Loop { target, .. }
                | Op::JumpIfFalse { target, .. }
                | Op::BrCmp { target, .. }
                | Op::BrCmpImm { target, .. }
                | Op::BrIfCmp { target, .. }
                | Op::JumpIfTrue { target, .. }
                | Op::Guard { target, .. } => *target = addr,
                Op::TryCall { err_pc, .. } => *err_pc = addr,
                other => unreachable!("fixup on {other:?}"),
            }
        }
        let n = self.code.len();
        // One past the highest register that may hold a heap reference:
        // parameters, results of non-arithmetic instructions, a `try`'s error
        // register, and the scratch register when parallel moves use it.
        let mut heap_hi = f.arity + f.has_rest as u32;
        for op in &self.code {
            if let Some(r) = super::heap_dst(op) {
                heap_hi = heap_hi.max(r as u32 + 1);
            }
            if let Op::TryCall { err_dst, .. } = op {
                heap_hi = heap_hi.max(*err_dst as u32 + 1);
            }
        }
        if self.code.iter().any(|op| matches!(op, Op::Move { dst, .. } | Op::Take { dst, .. } if *dst == self.tmp)) {
            heap_hi = heap_hi.max(self.tmp as u32 + 1);
        }
        // Compiled code keeps IR values in their homes, which may differ from
        // the registers the bytecode writes (a result moved straight into a
        // block parameter): when it may run, a returning frame clears all.
        if crate::jit::config().is_some_and(|c| c.mode != crate::jit::Mode::Off) {
            heap_hi = self.nregs;
        }
        let a = self.alloc_info.take().expect("allocation kept for the jit map");
        let mut has_reg = a.has_reg;
        // A `self` that is only the callee of loop edges is never emitted
        // (see `self_loop`): it has no home compiled code could read, and
        // lowering it as a runtime op would side-exit at the loop's entry.
        if let Some(l) = self.looping.as_ref().filter(|l| !l.self_needed) {
            has_reg[l.self_value.index()] = false;
        }
        let mut map = crate::jit::JitMap {
            ir: f.clone(),
            reg_of: self.reg_of.clone(),
            has_reg,
            lo: a.lo,
            hi: a.hi,
            pos: a.pos,
            inst_pc: std::mem::take(&mut self.inst_pc),
            term_pc: std::mem::take(&mut self.term_pc),
            uses: self.uses.clone(),
            dies_at_term: std::mem::take(&mut self.jit_dies_at_term),
            self_loop: self.looping.as_ref().map(|l| (l.self_value, self.loop_header)),
            ops: self.code.iter().map(crate::jit::sites::classify).collect(),
            call_sites: crate::jit::sites::call_sites(&self.code),
            tmp: self.tmp,
            nregs: self.nregs,
            resume: Vec::new(),
        };
        map.resume = crate::jit::sites::resume_states(&map);
        Proto {
            jit: crate::jit::JitInfo::new(map),
            name: f.name.clone(),
            arity: f.arity as u16,
            exact_arity: if f.has_rest { u32::MAX } else { f.arity as u32 },
            has_rest: f.has_rest,
            ncaptures: f.ncaptures as u16,
            nregs: self.nregs,
            code: self.code,
            spans: self.spans,
            consts: self.consts,
            arg_pool: self.arg_pool,
            arg_dies: self.arg_dies,
            heap_hi,
            children: std::cell::OnceCell::new(),
            static_closures: std::cell::OnceCell::new(),
            global_names: self.global_names,
            span: f.span,
            profile: ProtoProfile {
                calls: Cell::new(0),
                self_tail_calls: Cell::new(0),
                backedges: (0..self.nbackedges).map(|_| Cell::new(0)).collect(),
                feedback: (0..n).map(|_| Cell::new(0)).collect(),
            },
        }
    }

    #[inline]
    fn r(&self, v: ir::Value) -> Reg {
        self.reg_of[v.index()]
    }

    fn emit(&mut self, op: Op, span: Span) -> usize {
        self.code.push(op);
        self.spans.push(span);
        self.code.len() - 1
    }

    fn pool(&mut self, vals: &[ir::Value]) -> (u32, u16) {
        let start = self.arg_pool.len() as u32;
        for &v in vals {
            let r = self.r(v);
            self.arg_pool.push(r);
            self.arg_dies.push(false);
        }
        (start, vals.len() as u16)
    }

    fn slot(&mut self, name: &str) -> u32 {
        let s = self.globals.slot(name);
        if !self.global_names.iter().any(|(x, _)| *x == s) {
            self.global_names.push((s, self.globals.name(s).clone()));
        }
        s
    }

    fn konst(&mut self, v: Value) -> u32 {
        self.consts.push(v);
        self.consts.len() as u32 - 1
    }

    fn prim_id(&self, name: &str) -> u16 {
        rt::prim_lookup(name).map(|p| p.0 as u16).unwrap_or(u16::MAX)
    }

    /// The register receiving a continuation block's single parameter.
    fn param_reg(&self, b: Block) -> Reg {
        match self.f.block(b).params.first() {
            Some(&p) => self.r(p),
            None => self.tmp,
        }
    }

    /// A compare (or `not`) feeding this block's branch that can be folded into it.
    fn fusable(&self, b: Block) -> Option<Fuse> {
        let bd = self.f.block(b);
        let Terminator::Branch { cond, .. } = &bd.term else { return None };
        let n = bd.insts.len();
        let last = self.f.inst(*bd.insts.last()?);
        if last.result != *cond || self.uses[cond.index()] != 1 {
            return None;
        }
        let cmp_inst = |node: &ir::InstNode| -> Option<(Cmp, ir::Value, ir::Value)> {
            match &node.data {
                InstData::Prim(name, args) if args.len() == 2 => cmp_of_name(name).map(|c| (c, args[0], args[1])),
                InstData::ICmp(op, a, b) => Some((cmp_of(*op), *a, *b)),
                _ => None,
            }
        };
        if let Some((cmp, a, b)) = cmp_inst(last) {
            return Some(Fuse::Cmp { cmp, a, b, negate: false, skip: 1 });
        }
        match &last.data {
            InstData::Prim(name, args) if name == "not" && args.len() == 1 => {
                let x = args[0];
                if n >= 2 {
                    let prev = self.f.inst(bd.insts[n - 2]);
                    if prev.result == x && self.uses[x.index()] == 1 {
                        if let Some((cmp, a, b)) = cmp_inst(prev) {
                            return Some(Fuse::Cmp { cmp, a, b, negate: true, skip: 2 });
                        }
                    }
                }
                Some(Fuse::Not { x })
            }
            _ => None,
        }
    }

    fn block(&mut self, b: Block) {
        let f = self.f;
        let bd = f.block(b);
        let fused = self.fusable(b);
        let keep = bd.insts.len() - fused.map_or(0, Fuse::skip);
        let prologue = match &self.looping {
            Some(l) if b.index() == 0 => l.prologue,
            _ => usize::MAX,
        };
        for (k, &i) in bd.insts[..keep].iter().enumerate() {
            if k == prologue {
                self.loop_header = self.code.len() as u32;
            }
            let node = f.inst(i);
            self.dying = std::mem::take(&mut self.dies_at_inst[i.index()]);
            self.inst_pc[i.index()] = self.code.len() as u32;
            self.inst(&node.data, node.result, node.span);
        }
        if prologue != usize::MAX && prologue >= keep {
            self.loop_header = self.code.len() as u32;
        }
        self.dying = std::mem::take(&mut self.dies_at_term[b.index()]);
        // Instructions fused into the terminator are performed by it.
        for &i in &bd.insts[keep..] {
            self.inst_pc[i.index()] = self.code.len() as u32;
        }
        self.term_pc[b.index()] = self.code.len() as u32;
        self.term(&bd.term, bd.term_span, fused);
    }

    fn inst(&mut self, data: &InstData, result: ir::Value, span: Span) {
        // A result nobody reads (`append!` for its effect, `define`'s nil) goes
        // to the scratch register, which only edge moves use, so it does not
        // leave a heap value in a register that later instructions overwrite
        // (the `nth` fast path wants an immediate there).
        let dst = if self.uses[result.index()] == 0 { self.tmp } else { self.r(result) };
        if let InstData::Prim(name, args) = data {
            if (name == "inc" || name == "dec") && args.len() == 1 {
                let prim = self.prim_id(name);
                let a = self.r(args[0]);
                let op = if name == "inc" { Op::AddImm { dst, a, imm: 1, prim } } else { Op::SubImm { dst, a, imm: 1, prim } };
                self.emit(op, span);
                return;
            }
            if name == "not" && args.len() == 1 {
                let src = self.r(args[0]);
                self.emit(Op::Not { dst, src }, span);
                return;
            }
        }
        if let Some((name, a, c)) = imm_arith(data) {
            if let Some(imm) = self.imm[c.index()] {
                let prim = self.prim_id(name);
                let a = self.r(a);
                let op = if name == "+" { Op::AddImm { dst, a, imm, prim } } else { Op::SubImm { dst, a, imm, prim } };
                self.emit(op, span);
                return;
            }
        }
        match data {
            InstData::Const(_) if self.imm[result.index()].is_some() && self.uses[result.index()] == self.folded[result.index()] => {}
            InstData::Const(c) => {
                let op = match c {
                    Const::Nil => Op::LoadNil { dst },
                    Const::Bool(b) => Op::LoadBool { dst, val: *b },
                    Const::Int(i) if i32::try_from(*i).is_ok() => Op::LoadInt { dst, val: *i as i32 },
                    other => {
                        let v = const_value(other);
                        Op::LoadConst { dst, idx: self.konst(v) }
                    }
                };
                self.emit(op, span);
            }
            InstData::Capture(i) => {
                self.emit(Op::Capture { dst, idx: *i as u16 }, span);
            }
            InstData::SelfRef => {
                // Not needed when every use became a loop back-edge.
                if self.looping.as_ref().is_none_or(|l| l.self_value != result || l.self_needed) {
                    self.emit(Op::SelfRef { dst }, span);
                }
            }
            InstData::GlobalGet(_) if self.fused_global[result.index()].is_some() => {}
            InstData::GlobalGet(name) => {
                let slot = self.slot(name);
                self.emit(Op::GlobalGet { dst, slot }, span);
            }
            InstData::GlobalSet(name, v) => {
                let slot = self.slot(name);
                let src = self.r(*v);
                self.emit(Op::GlobalSet { dst, src, slot }, span);
            }
            InstData::GlobalDefine(name, v) => {
                let slot = self.slot(name);
                let src = self.r(*v);
                self.emit(Op::GlobalDefine { dst, src, slot }, span);
            }
            InstData::MakeClosure(fid, caps) => {
                let proto = self.child_ids.iter().position(|c| c == fid).expect("child proto") as u16;
                let (args, n) = self.pool(caps);
                self.emit(Op::MakeClosure { dst, proto, args, n }, span);
            }
            InstData::CellNew(v) => {
                let src = self.r(*v);
                self.emit(Op::CellNew { dst, src }, span);
            }
            InstData::CellGet(c) => {
                let cell = self.r(*c);
                self.emit(Op::CellGet { dst, cell }, span);
            }
            InstData::CellSet(c, v) => {
                let (cell, src) = (self.r(*c), self.r(*v));
                self.emit(Op::CellSet { dst, cell, src }, span);
            }
            InstData::Prim(name, args) => self.prim(dst, name, args, span),
            InstData::Call(callee, args) => self.call_op(Some(dst), *callee, args, span),
            InstData::IAddOvf(a, b) => self.prim(dst, "+", &[*a, *b], span),
            InstData::ISubOvf(a, b) => self.prim(dst, "-", &[*a, *b], span),
            InstData::IMulOvf(a, b) => self.prim(dst, "*", &[*a, *b], span),
            InstData::ICmp(op, a, b) => {
                let cmp = cmp_of(*op);
                let prim = self.prim_id(cmp.prim_name());
                let (a, b) = (self.r(*a), self.r(*b));
                self.emit(Op::Compare { cmp, dst, a, b, prim }, span);
            }
            InstData::Guard { value, ty, deopt, live } => {
                let Some(tag) = type_tag(*ty) else { return };
                let src = self.r(*value);
                // Guard jumps over the deopt stub when the type matches.
                let g = self.emit(Op::Guard { src, ty: tag, target: 0 }, span);
                let skip = self.emit(Op::Jump { target: 0 }, span);
                let stub = self.code.len() as u32;
                if let Op::Guard { target, .. } = &mut self.code[g] {
                    *target = stub;
                }
                let bc = BlockCall { block: *deopt, args: live.clone() };
                // Mid-block: no value is at its last use on this edge.
                let dying = std::mem::take(&mut self.dying);
                self.edge(&bc, span, false);
                self.dying = dying;
                let after = self.code.len() as u32;
                self.code[skip] = Op::Jump { target: after };
            }
            #[allow(unreachable_patterns)]
            other => panic!("bytecode: unsupported IR instruction {other:?}"),
        }
    }

    fn prim(&mut self, dst: Reg, name: &str, args: &[ir::Value], span: Span) {
        if let (1, Some(f)) = (args.len(), super::MathFn::of_name(name)) {
            let prim = self.prim_id(name);
            if prim != u16::MAX {
                let a = self.r(args[0]);
                self.emit(Op::Math { dst, a, f, prim }, span);
                return;
            }
        }
        if args.len() == 1 && matches!(name, "first" | "empty?") {
            let prim = self.prim_id(name);
            if prim != u16::MAX {
                let a = self.r(args[0]);
                let op = if name == "first" { Op::First { dst, a, prim } } else { Op::IsEmpty { dst, a, prim } };
                self.emit(op, span);
                return;
            }
        }
        if args.len() == 2 {
            let (a, b) = (self.r(args[0]), self.r(args[1]));
            let prim = self.prim_id(name);
            let op = match name {
                "+" => Some(Op::Add { dst, a, b, prim }),
                "-" => Some(Op::Sub { dst, a, b, prim }),
                "*" => Some(Op::Mul { dst, a, b, prim }),
                "/" if prim != u16::MAX => Some(Op::Div { dst, a, b, prim }),
                "nth" if prim != u16::MAX => Some(Op::Nth { dst, a, b, prim }),
                "append!" if prim != u16::MAX => Some(Op::Append { dst, a, b, prim }),
                _ => cmp_of_name(name).map(|cmp| Op::Compare { cmp, dst, a, b, prim }),
            };
            if let Some(op) = op {
                self.emit(op, span);
                return;
            }
        }
        match rt::prim_lookup(name) {
            Some(id) => {
                let (a, n) = self.pool(args);
                let prim = id.0 as u16;
                // The argument count is static: checked here once rather
                // than on every execution.
                let def = rt::prim_def(id);
                // The argument a primitive may consume, at its last use and
                // not also another argument: moved out and passed owned.
                let owned = def.consume.filter(|_| !args.is_empty()).is_some_and(|c| {
                    let k = c.index(args.len());
                    let rk = self.r(args[k]);
                    self.dying.contains(&args[k]) && args.iter().enumerate().all(|(i, v)| i == k || self.r(*v) != rk)
                });
                let op = if !super::prim_accepts(def, n as usize) {
                    Op::PrimArityError { dst, prim, args: a, n }
                } else if owned {
                    Op::PrimOwned { dst, prim, args: a, n }
                } else {
                    Op::Prim { dst, prim, args: a, n }
                };
                self.emit(op, span);
            }
            None => {
                let idx = self.konst(rt::error(format!("unbound name: {name}")));
                self.emit(Op::LoadConst { dst, idx }, span);
                self.emit(Op::Raise { src: dst }, span);
            }
        }
    }

    /// A compare-and-branch whose `then` side is the next block, reached only
    /// from here, and does nothing but return: it becomes `ret.if`/`ret.not`
    /// and the `then` block is not emitted.
    fn ret_fusable(&self, then_dest: &BlockCall, else_dest: &BlockCall, fused: Option<Fuse>) -> bool {
        let t = then_dest.block.index();
        let bd = self.f.block(then_dest.block);
        matches!(fused, Some(Fuse::Cmp { .. }))
            && t == self.cur + 1
            && self.preds[t] == 1
            && bd.insts.is_empty()
            && matches!(bd.term, Terminator::Return(_))
            && !self.needs_moves(then_dest)
            && !self.needs_moves(else_dest)
    }

    fn needs_moves(&self, bc: &BlockCall) -> bool {
        let params = &self.f.block(bc.block).params;
        bc.args.iter().zip(params).any(|(a, p)| self.r(*a) != self.r(*p))
    }

    /// Moves the edge's arguments into the target's parameters and jumps
    /// (the jump is left out when `elide` and the target is the next block).
    fn edge(&mut self, bc: &BlockCall, span: Span, elide: bool) {
        let params = &self.f.block(bc.block).params;
        // Moves into parameters nobody reads are left out.
        let pairs: Vec<(ir::Value, ir::Value)> =
            params.iter().zip(&bc.args).filter(|(p, _)| self.uses[p.index()] > 0).map(|(p, a)| (*p, *a)).collect();
        let moves = self.edge_moves(&pairs);
        self.parallel_moves(moves, span);
        self.jump(bc.block, span, elide);
    }

    /// The register moves `param <- arg` of an edge. When the instruction
    /// just emitted in this block computes an argument used only here, it
    /// writes the parameter's register directly instead (`add r7 <- r0 #1;
    /// move r0 <- r7` becomes `add r0 <- r0 #1`), provided no other move of
    /// the edge reads that register (nothing else runs in between).
    fn edge_moves(&mut self, pairs: &[(ir::Value, ir::Value)]) -> Vec<(Reg, Reg)> {
        let mut moves: Vec<(Reg, Reg)> = pairs.iter().map(|(p, a)| (self.r(*p), self.r(*a))).collect();
        let in_block = self.code.len() > self.block_pc[self.cur] as usize;
        if let Some(d) = self.code.last().and_then(plain_dst).filter(|_| in_block) {
            let k = pairs.iter().zip(&moves).position(|(&(_, a), &(to, from))| {
                from == d && to != d && self.uses[a.index()] == 1 && !moves.iter().any(|&(_, s)| s == to)
            });
            if let Some(k) = k {
                let to = moves.remove(k).0;
                if let Some(last) = self.code.last_mut() {
                    set_plain_dst(last, to);
                }
            }
        }
        moves
    }

    fn jump(&mut self, target: Block, span: Span, elide: bool) {
        let next = (self.cur + 1..self.f.blocks.len()).find(|&b| !self.skipped[b]);
        if elide && Some(target.index()) == next {
            return;
        }
        let pc = if target.index() <= self.cur {
            let counter = self.nbackedges;
            self.nbackedges = self.nbackedges.saturating_add(1).min(u16::MAX - 1);
            self.emit(Op::Loop { target: 0, counter }, span)
        } else {
            self.emit(Op::Jump { target: 0 }, span)
        };
        self.fixups.push((pc, Target::Block(target)));
    }

    /// Emits the moves `dst <- src` as if in parallel. A move that is the
    /// last read of a value at its last use (`self.dying`), of the scratch
    /// register, or of a destination set aside to break a cycle is a `take`
    /// (the reference moves, see [`Op::Take`]).
    fn parallel_moves(&mut self, mut moves: Vec<(Reg, Reg)>, span: Span) {
        moves.retain(|(d, s)| d != s);
        let dying: Vec<Reg> = self.dying.iter().map(|v| self.r(*v)).collect();
        while !moves.is_empty() {
            let ready = (0..moves.len()).find(|&i| !moves.iter().any(|&(_, s)| s == moves[i].0));
            match ready {
                Some(i) => {
                    let (dst, src) = moves.remove(i);
                    let last_read = !moves.iter().any(|&(_, s)| s == src);
                    if last_read && (src == self.tmp || dying.contains(&src)) {
                        self.emit(Op::Take { dst, src }, span);
                    } else {
                        self.emit(Op::Move { dst, src }, span);
                    }
                }
                None => {
                    // Every destination is still read: break the cycle through
                    // tmp (the destination is overwritten by its own move).
                    let d0 = moves[0].0;
                    let tmp = self.tmp;
                    self.emit(Op::Take { dst: tmp, src: d0 }, span);
                    for m in moves.iter_mut() {
                        if m.1 == d0 {
                            m.1 = tmp;
                        }
                    }
                }
            }
        }
    }

    fn term(&mut self, t: &Terminator, span: Span, fused: Option<Fuse>) {
        match t {
            Terminator::Jump(bc) => self.edge(bc, span, true),
            Terminator::Branch { then_dest, else_dest, .. } if self.ret_fusable(then_dest, else_dest, fused) => {
                let Some(Fuse::Cmp { cmp, a, b, negate, .. }) = fused else { unreachable!() };
                let Terminator::Return(v) = self.f.block(then_dest.block).term else { unreachable!() };
                let (a, src) = (self.r(a), self.r(v));
                // (Immediates only where `plan_folds` counted them: not negated.)
                match self.imm[b.index()].filter(|_| !negate) {
                    Some(imm) => self.emit(Op::RetCmpImm { cmp, neg: false, a, imm, src }, span),
                    None => {
                        let b = self.r(b);
                        self.emit(Op::RetCmp { cmp, neg: negate, a, b, src }, span)
                    }
                };
                self.skipped[then_dest.block.index()] = true;
                self.jump(else_dest.block, span, true);
            }
            Terminator::Branch { cond, then_dest, else_dest } => {
                let else_stub = self.needs_moves(else_dest);
                let pc = match fused {
                    Some(Fuse::Cmp { cmp, a, b, negate: false, .. }) if self.imm[b.index()].is_some() => {
                        let prim = self.prim_id(cmp.prim_name());
                        let imm = self.imm[b.index()].unwrap();
                        let a = self.r(a);
                        self.emit(Op::BrCmpImm { cmp, a, imm, prim, target: 0 }, span)
                    }
                    Some(Fuse::Cmp { cmp, a, b, negate, .. }) => {
                        let prim = self.prim_id(cmp.prim_name());
                        let (a, b) = (self.r(a), self.r(b));
                        if negate {
                            self.emit(Op::BrIfCmp { cmp, a, b, prim, target: 0 }, span)
                        } else {
                            self.emit(Op::BrCmp { cmp, a, b, prim, target: 0 }, span)
                        }
                    }
                    Some(Fuse::Not { x }) => {
                        let cond = self.r(x);
                        self.emit(Op::JumpIfTrue { cond, target: 0 }, span)
                    }
                    None => {
                        let cond = self.r(*cond);
                        self.emit(Op::JumpIfFalse { cond, target: 0 }, span)
                    }
                };
                if !else_stub {
                    self.fixups.push((pc, Target::Block(else_dest.block)));
                }
                self.edge(then_dest, span, !else_stub);
                if else_stub {
                    let here = self.code.len() as u32;
                    match &mut self.code[pc] {
                        Op::BrCmp { target, .. }
                        | Op::BrIfCmp { target, .. }
                        | Op::BrCmpImm { target, .. }
                        | Op::JumpIfTrue { target, .. }
                        | Op::JumpIfFalse { target, .. } => *target = here,
                        _ => unreachable!(),
                    }
                    self.edge(else_dest, span, true);
                }
            }
            Terminator::Return(v) => {
                let src = self.r(*v);
                self.emit(Op::Return { src }, span);
            }
            Terminator::TailCall { callee, args } if self.looping.as_ref().is_some_and(|l| l.self_value == *callee) => {
                // A loop iteration: new parameter values, then back to the header.
                let pairs: Vec<(ir::Value, ir::Value)> = self.f.blocks[0].params.iter().copied().zip(args.iter().copied()).collect();
                let moves = self.edge_moves(&pairs);
                self.parallel_moves(moves, span);
                let counter = self.nbackedges;
                self.nbackedges = self.nbackedges.saturating_add(1).min(u16::MAX - 1);
                let target = self.loop_header;
                self.emit(Op::Loop { target, counter }, span);
            }
            Terminator::TailCall { callee, args } => self.call_op(None, *callee, args, span),
            Terminator::CallK { callee, args, cont } => {
                let dst = self.param_reg(*cont);
                self.call_op(Some(dst), *callee, args, span);
                self.jump(*cont, span, true);
            }
            Terminator::Suspend { request, cont } => {
                let dst = self.param_reg(*cont);
                let req = self.r(*request);
                self.emit(Op::Suspend { dst, req }, span);
                self.jump(*cont, span, true);
            }
            Terminator::TryCall { thunk, ok, err } => {
                let dst = self.param_reg(*ok);
                let err_dst = self.param_reg(*err);
                let thunk = self.r(*thunk);
                let pc = self.emit(Op::TryCall { dst, thunk, err_dst, err_pc: 0 }, span);
                self.fixups.push((pc, Target::Block(*err)));
                self.jump(*ok, span, true);
            }
            Terminator::ApplyK { callee, args, cont } => {
                let dst = self.param_reg(*cont);
                let (callee, list) = (self.r(*callee), self.r(*args));
                self.emit(Op::Apply { dst, callee, list }, span);
                self.jump(*cont, span, true);
            }
            Terminator::TailApply { callee, args } => {
                let (callee, list) = (self.r(*callee), self.r(*args));
                self.emit(Op::TailApply { callee, list }, span);
            }
            Terminator::Raise(v) => {
                let src = self.r(*v);
                self.emit(Op::Raise { src }, span);
            }
            #[allow(unreachable_patterns)]
            other => panic!("bytecode: unsupported terminator {other:?}"),
        }
    }
}

