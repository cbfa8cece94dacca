//! Resume states: re-entering compiled code where the interpreter left it.
//!
//! Compiled code leaves for the interpreter at every suspension point (a
//! `perform`), at calls the interpreter makes (`apply`, `guard` thunks, calls
//! of closures without compiled code) and whenever a callee it called
//! natively suspended. Without resume states the rest of that activation
//! then runs interpreted — for a `map` whose callback performs IO, every
//! remaining element. Here each continuation of such a terminator is a
//! *state* of the function, as in rustc's coroutine transform: the entry
//! takes a state (0 = the function's start, otherwise the pc at which the
//! interpreter would continue, one past the suspending/calling instruction)
//! and jumps to the code of the continuation block. Suspension needs no
//! frame of its own: the spill set — the values live across the suspension
//! point — is exactly what the exit already wrote into the values' homes in
//! the interpreter's frame, and the interpreter writes the resume value (or
//! the call's result) into the continuation's parameter home.
//!
//! The continuation blocks and everything reachable from them are generated
//! a second time ("the resume region") with every value defined before the
//! region read from its home. A value defined inside the region whose
//! definition does not dominate all its uses *in the region* (a loop header
//! reached again after the continuation, say) is written to its home where
//! it is defined and read from there. Dominators of the region are computed
//! over the region's own graph (a virtual root leading to every state) with
//! the Cooper–Harvey–Kennedy algorithm ("A Simple, Fast Dominance
//! Algorithm", 2001), as `ir::verify::dominators` does for whole functions.

use super::*;
use ir::{Block, ValueDef};
use vm::jit::JitMap;

/// The resume states of one function and the shape of its resume region.
pub(crate) struct ResumePlan {
    /// `(state, block)`: entering with `state` (a pc) continues at `block`.
    pub states: Vec<(u32, Block)>,
    /// The region's blocks in reverse post-order from its virtual root.
    pub order: Vec<Block>,
    /// Per block: whether it is in the region.
    pub in_region: Vec<bool>,
    /// Per value: defined in the region, but read from its home there.
    pub homed: Vec<bool>,
}

/// The resume region of `f` for its states (`map.resume`, computed once by
/// [`vm::jit::sites::resume_states`] for both sides).
pub(crate) fn plan(f: &ir::Function, map: &JitMap) -> ResumePlan {
    let n = f.blocks.len();
    let states = map.resume.clone();

    // The region: reverse post-order of a DFS from the virtual root.
    let mut in_region = vec![false; n];
    let mut post = Vec::new();
    for &(_, root) in &states {
        if in_region[root.index()] {
            continue;
        }
        in_region[root.index()] = true;
        let mut stack: Vec<(Block, usize)> = vec![(root, 0)];
        while let Some((b, i)) = stack.last_mut() {
            let succs = f.blocks[b.index()].term.successors();
            if *i < succs.len() {
                let s = succs[*i];
                *i += 1;
                if !in_region[s.index()] {
                    in_region[s.index()] = true;
                    stack.push((s, 0));
                }
            } else {
                post.push(*b);
                stack.pop();
            }
        }
    }
    let order: Vec<Block> = post.into_iter().rev().collect();
    let idom = region_dominators(f, &states, &order, &in_region);

    // Values defined in the region whose definition does not dominate a use.
    let mut homed = vec![false; f.values.len()];
    let mut inst_block = vec![usize::MAX; f.insts.len()];
    for (bi, bd) in f.blocks.iter().enumerate() {
        for &i in &bd.insts {
            inst_block[i.index()] = bi;
        }
    }
    let def_block = |v: ir::Value| -> usize {
        match f.values[v.index()].def {
            ValueDef::Param(b, _) => b.index(),
            ValueDef::Inst(i) => inst_block[i.index()],
        }
    };
    for &u in &order {
        let bd = &f.blocks[u.index()];
        let mut check = |v: ir::Value| {
            let d = def_block(v);
            if d != usize::MAX && in_region[d] && !dominates(&idom, d, u.index()) {
                homed[v.index()] = true;
            }
        };
        for &i in &bd.insts {
            f.inst(i).data.for_each_operand(&mut check);
        }
        bd.term.for_each_operand(&mut check);
    }
    // And those merely live in a block their definition does not dominate
    // in the region: an exit or a call there writes the live values to
    // their homes (`flush_live`, which checks dominance over the whole
    // function), and on the path that did not pass the definition there is
    // no machine value to write — the home already holds it. (Found on the
    // blog's `handler`: a comparison result live across a later call.)
    for &u in &order {
        let (lo_u, hi_u) = (map.pos.block_start[u.index()], map.pos.term[u.index()]);
        for (vi, h) in homed.iter_mut().enumerate() {
            if *h || !map.has_reg[vi] || map.hi[vi] < lo_u || map.lo[vi] > hi_u {
                continue;
            }
            let d = def_block(ir::Value::new(vi));
            if d != usize::MAX && in_region[d] && !dominates(&idom, d, u.index()) {
                *h = true;
            }
        }
    }
    ResumePlan { states, order, in_region, homed }
}

/// Immediate dominators over the region graph; the virtual root is
/// `usize::MAX` (the idom of every state block).
fn region_dominators(f: &ir::Function, states: &[(u32, Block)], order: &[Block], in_region: &[bool]) -> Vec<usize> {
    const ROOT: usize = usize::MAX;
    let n = f.blocks.len();
    let mut rank = vec![usize::MAX; n];
    for (k, b) in order.iter().enumerate() {
        rank[b.index()] = k;
    }
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &b in order {
        f.blocks[b.index()].term.for_each_successor(|s| preds[s.index()].push(b.index()));
    }
    let is_state: Vec<bool> = (0..n).map(|b| states.iter().any(|s| s.1.index() == b)).collect();
    // `idom[b] == usize::MAX - 1`: not yet known.
    const UNKNOWN: usize = usize::MAX - 1;
    let mut idom = vec![UNKNOWN; n];
    // The root ranks before every block.
    let rk = |b: usize| if b == ROOT { 0 } else { rank[b] + 1 };
    let intersect = |idom: &Vec<usize>, mut a: usize, mut b: usize| {
        while a != b {
            while a != ROOT && (b == ROOT || rk(a) > rk(b)) {
                a = idom[a];
            }
            while b != ROOT && (a == ROOT || rk(b) > rk(a)) {
                b = idom[b];
            }
        }
        a
    };
    let mut changed = true;
    while changed {
        changed = false;
        for &b in order {
            let b = b.index();
            let mut new = if is_state[b] { Some(ROOT) } else { None };
            for &p in &preds[b] {
                if !in_region[p] || idom[p] == UNKNOWN {
                    continue;
                }
                new = Some(match new {
                    None => p,
                    Some(x) => intersect(&idom, p, x),
                });
            }
            if let Some(x) = new {
                if idom[b] != x {
                    idom[b] = x;
                    changed = true;
                }
            }
        }
    }
    idom
}

/// Whether region block `a` dominates region block `b`.
fn dominates(idom: &[usize], a: usize, mut b: usize) -> bool {
    loop {
        if a == b {
            return true;
        }
        if b == usize::MAX || idom[b] >= usize::MAX - 1 {
            return false;
        }
        b = idom[b];
    }
}

impl<'a, 'ctx> FnGen<'a, 'ctx> {
    /// Generates the resume region: the blocks reachable from a resume
    /// state, again, with every value defined before the region read from
    /// its home. Returns the states and their blocks.
    pub(super) fn resume_region(&mut self) -> R<Vec<(u32, BasicBlock<'ctx>)>> {
        if self.map.resume.is_empty() {
            return Ok(Vec::new());
        }
        let plan = plan(self.f, self.map);
        if plan.states.is_empty() {
            return Ok(Vec::new());
        }
        let f = self.f;
        let region_bbs: Vec<BasicBlock<'ctx>> = (0..f.blocks.len())
            .map(|i| self.cx.append_basic_block(self.func, &if plan.in_region[i] { format!("r{i}") } else { format!("r{i}.none") }))
            .collect();
        let normal_bbs = std::mem::replace(&mut self.bbs, region_bbs);
        // Values defined before the region: in their homes, but constants
        // (which may have none) are constants again and fused values stay
        // fused (their one user is next to them).
        let mut vals = vec![Some(Repr::Home); f.values.len()];
        for (bi, bd) in f.blocks.iter().enumerate() {
            for &i in &bd.insts {
                let node = f.inst(i);
                let v = node.result;
                if plan.in_region[bi] {
                    if !plan.homed[v.index()] {
                        vals[v.index()] = None;
                    }
                    continue;
                }
                vals[v.index()] = Some(match (&node.data, &self.vals[v.index()]) {
                    (InstData::Const(Const::Nil), _) => Repr::Nil,
                    (InstData::Const(Const::Bool(x)), _) => Repr::Bool(self.cx.bool_type().const_int(*x as u64, false)),
                    (InstData::Const(Const::Int(x)), _) => Repr::Int(self.i64c(*x)),
                    (InstData::Const(Const::Float(x)), _) => Repr::Float(self.cx.f64_type().const_float(*x)),
                    (_, Some(Repr::Fused)) => Repr::Fused,
                    _ => Repr::Home,
                });
            }
        }
        let normal_vals = std::mem::replace(&mut self.vals, vals);
        self.resuming = Some(plan.homed);
        let mut result = Ok(());
        for &b in &plan.order {
            result = self.block(b);
            if result.is_err() {
                break;
            }
        }
        self.resuming = None;
        self.vals = normal_vals;
        let region_bbs = std::mem::replace(&mut self.bbs, normal_bbs);
        result?;
        // Region blocks never generated (not in the region) need a terminator.
        for bb in &region_bbs {
            if bb.get_terminator().is_none() {
                self.b.position_at_end(*bb);
                self.b.build_unreachable().map_err(e)?;
            }
        }
        Ok(plan.states.iter().map(|&(pc, b)| (pc, region_bbs[b.index()])).collect())
    }

    /// The entry's first decision: state 0 starts the function, a resume
    /// state jumps to its block, any other state returns DEOPT at once (the
    /// interpreter continues the frame at its pc, which nothing changed).
    pub(super) fn dispatch(&self, start: BasicBlock<'ctx>, restart: BasicBlock<'ctx>, states: &[(u32, BasicBlock<'ctx>)]) -> R<()> {
        self.b.position_at_end(start);
        let state = self.func.get_nth_param(3).ok_or("the entry takes a state")?.into_int_value();
        let other = self.cx.append_basic_block(self.func, "no.state");
        let mut cases = vec![(self.i32c(0), restart)];
        cases.extend(states.iter().map(|&(pc, bb)| (self.i32c(pc), bb)));
        self.b.build_switch(state, other, &cases).map_err(e)?;
        self.b.position_at_end(other);
        self.b.build_return(Some(&self.i32c(DEOPT))).map_err(e)?;
        Ok(())
    }
}
