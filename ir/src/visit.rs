//! Generic traversal helpers over instructions, terminators and CFGs: operand
//! and successor visitors, predecessor lists, reverse post-order, use
//! replacement. Every pass and the bytecode compiler can rely on these instead
//! of matching every variant themselves.

use crate::entities::{Block, Value};
use crate::function::{BlockCall, Function, InstData, Terminator};
use rustc_hash::FxHashMap;

impl InstData {
    /// Calls `f` on every value operand, in printing order (for `Guard`: the
    /// guarded value, then the live values).
    pub fn for_each_operand(&self, mut f: impl FnMut(Value)) {
        match self {
            InstData::Const(_) | InstData::Capture(_) | InstData::SelfRef | InstData::GlobalGet(_) => {}
            InstData::GlobalSet(_, v) | InstData::GlobalDefine(_, v) | InstData::CellNew(v) | InstData::CellGet(v) => f(*v),
            InstData::CellSet(a, b) | InstData::IAddOvf(a, b) | InstData::ISubOvf(a, b) | InstData::IMulOvf(a, b) | InstData::ICmp(_, a, b) => {
                f(*a);
                f(*b)
            }
            InstData::MakeClosure(_, vs) | InstData::Prim(_, vs) => vs.iter().copied().for_each(f),
            InstData::Call(c, vs) => {
                f(*c);
                vs.iter().copied().for_each(f)
            }
            InstData::Guard { value, live, .. } => {
                f(*value);
                live.iter().copied().for_each(f)
            }
        }
    }

    /// Mutable variant of [`InstData::for_each_operand`] (same order).
    pub fn for_each_operand_mut(&mut self, mut f: impl FnMut(&mut Value)) {
        match self {
            InstData::Const(_) | InstData::Capture(_) | InstData::SelfRef | InstData::GlobalGet(_) => {}
            InstData::GlobalSet(_, v) | InstData::GlobalDefine(_, v) | InstData::CellNew(v) | InstData::CellGet(v) => f(v),
            InstData::CellSet(a, b) | InstData::IAddOvf(a, b) | InstData::ISubOvf(a, b) | InstData::IMulOvf(a, b) | InstData::ICmp(_, a, b) => {
                f(a);
                f(b)
            }
            InstData::MakeClosure(_, vs) | InstData::Prim(_, vs) => vs.iter_mut().for_each(f),
            InstData::Call(c, vs) => {
                f(c);
                vs.iter_mut().for_each(f)
            }
            InstData::Guard { value, live, .. } => {
                f(value);
                live.iter_mut().for_each(f)
            }
        }
    }

    /// The operands as a vector (convenience over [`InstData::for_each_operand`]).
    pub fn operands(&self) -> Vec<Value> {
        let mut v = Vec::new();
        self.for_each_operand(|x| v.push(x));
        v
    }

    /// True when removing an unused instance of this instruction cannot change
    /// behaviour: `Const`, `Capture`, `SelfRef`, `MakeClosure`, `CellNew`, `CellGet`.
    pub fn is_removable_if_unused(&self) -> bool {
        matches!(
            self,
            InstData::Const(_) | InstData::Capture(_) | InstData::SelfRef | InstData::MakeClosure(..) | InstData::CellNew(_) | InstData::CellGet(_)
        )
    }
}

impl Terminator {
    /// Calls `f` on every value operand (callee before arguments, then jump arguments).
    pub fn for_each_operand(&self, mut f: impl FnMut(Value)) {
        match self {
            Terminator::Jump(bc) => bc.args.iter().copied().for_each(f),
            Terminator::Branch { cond, then_dest, else_dest } => {
                f(*cond);
                then_dest.args.iter().copied().for_each(&mut f);
                else_dest.args.iter().copied().for_each(f)
            }
            Terminator::Return(v) | Terminator::Raise(v) => f(*v),
            Terminator::Suspend { request, .. } => f(*request),
            Terminator::TryCall { thunk, .. } => f(*thunk),
            Terminator::TailCall { callee, args } | Terminator::CallK { callee, args, .. } => {
                f(*callee);
                args.iter().copied().for_each(f)
            }
            Terminator::ApplyK { callee, args, .. } | Terminator::TailApply { callee, args } => {
                f(*callee);
                f(*args)
            }
            Terminator::Unterminated => {}
        }
    }

    /// Mutable variant of [`Terminator::for_each_operand`] (same order).
    pub fn for_each_operand_mut(&mut self, mut f: impl FnMut(&mut Value)) {
        match self {
            Terminator::Jump(bc) => bc.args.iter_mut().for_each(f),
            Terminator::Branch { cond, then_dest, else_dest } => {
                f(cond);
                then_dest.args.iter_mut().for_each(&mut f);
                else_dest.args.iter_mut().for_each(f)
            }
            Terminator::Return(v) | Terminator::Raise(v) => f(v),
            Terminator::Suspend { request, .. } => f(request),
            Terminator::TryCall { thunk, .. } => f(thunk),
            Terminator::TailCall { callee, args } | Terminator::CallK { callee, args, .. } => {
                f(callee);
                args.iter_mut().for_each(f)
            }
            Terminator::ApplyK { callee, args, .. } | Terminator::TailApply { callee, args } => {
                f(callee);
                f(args)
            }
            Terminator::Unterminated => {}
        }
    }

    /// Successor blocks in order (duplicates kept: a branch with both arms to
    /// the same block lists it twice). For `TryCall`: `ok` then `err`.
    pub fn successors(&self) -> Vec<Block> {
        let mut v = Vec::new();
        self.for_each_successor(|b| v.push(b));
        v
    }

    /// Calls `f` on every successor block (see [`Terminator::successors`]).
    pub fn for_each_successor(&self, mut f: impl FnMut(Block)) {
        match self {
            Terminator::Jump(bc) => f(bc.block),
            Terminator::Branch { then_dest, else_dest, .. } => {
                f(then_dest.block);
                f(else_dest.block)
            }
            Terminator::CallK { cont, .. } | Terminator::ApplyK { cont, .. } | Terminator::Suspend { cont, .. } => f(*cont),
            Terminator::TryCall { ok, err, .. } => {
                f(*ok);
                f(*err)
            }
            Terminator::Return(_) | Terminator::Raise(_) | Terminator::TailCall { .. } | Terminator::TailApply { .. } | Terminator::Unterminated => {}
        }
    }

    /// Mutable variant of [`Terminator::for_each_successor`].
    pub fn for_each_successor_mut(&mut self, mut f: impl FnMut(&mut Block)) {
        match self {
            Terminator::Jump(bc) => f(&mut bc.block),
            Terminator::Branch { then_dest, else_dest, .. } => {
                f(&mut then_dest.block);
                f(&mut else_dest.block)
            }
            Terminator::CallK { cont, .. } | Terminator::ApplyK { cont, .. } | Terminator::Suspend { cont, .. } => f(cont),
            Terminator::TryCall { ok, err, .. } => {
                f(ok);
                f(err)
            }
            Terminator::Return(_) | Terminator::Raise(_) | Terminator::TailCall { .. } | Terminator::TailApply { .. } | Terminator::Unterminated => {}
        }
    }

    /// The edges that carry explicit block arguments (`Jump`, `Branch` arms).
    pub fn block_calls_mut(&mut self) -> Vec<&mut BlockCall> {
        match self {
            Terminator::Jump(bc) => vec![bc],
            Terminator::Branch { then_dest, else_dest, .. } => vec![then_dest, else_dest],
            _ => Vec::new(),
        }
    }
}

impl Function {
    /// Predecessor list of every block (indexed by block; one entry per edge, so
    /// a block reached by both arms of a branch lists that predecessor twice).
    pub fn predecessors(&self) -> Vec<Vec<Block>> {
        let mut preds = vec![Vec::new(); self.blocks.len()];
        for (i, b) in self.blocks.iter().enumerate() {
            b.term.for_each_successor(|s| {
                if s.index() < preds.len() {
                    preds[s.index()].push(Block::new(i))
                }
            });
        }
        preds
    }

    /// Blocks reachable from the entry in reverse post-order (entry first).
    /// Successors are explored last-to-first, so a branch's `then` side comes
    /// before its `else` side. Successor ids out of range are ignored.
    pub fn reverse_post_order(&self) -> Vec<Block> {
        let n = self.blocks.len();
        let mut order = Vec::with_capacity(n);
        if n == 0 {
            return order;
        }
        let mut visited = vec![false; n];
        // Iterative DFS: (block, next successor index).
        let mut stack: Vec<(Block, usize)> = vec![(Block(0), 0)];
        visited[0] = true;
        while let Some((b, i)) = stack.last_mut() {
            let succs = self.blocks[b.index()].term.successors();
            if *i < succs.len() {
                let s = succs[succs.len() - 1 - *i];
                *i += 1;
                if s.index() < n && !visited[s.index()] {
                    visited[s.index()] = true;
                    stack.push((s, 0));
                }
            } else {
                order.push(*b);
                stack.pop();
            }
        }
        order.reverse();
        order
    }

    /// Replaces every use of a key of `map` by its image (chains are followed:
    /// `a -> b, b -> c` rewrites `a` to `c`). Definitions are untouched.
    pub fn replace_uses(&mut self, map: &FxHashMap<Value, Value>) {
        if map.is_empty() {
            return;
        }
        let resolve = |mut v: Value| {
            let mut n = 0;
            while let Some(&w) = map.get(&v) {
                v = w;
                n += 1;
                if n > map.len() {
                    break;
                }
            }
            v
        };
        for b in 0..self.blocks.len() {
            for k in 0..self.blocks[b].insts.len() {
                let i = self.blocks[b].insts[k];
                self.insts[i.index()].data.for_each_operand_mut(|v| *v = resolve(*v));
            }
            self.blocks[b].term.for_each_operand_mut(|v| *v = resolve(*v));
        }
    }

    /// Number of uses of every value (indexed by value) in instructions and
    /// terminators of blocks (instructions not placed in a block are ignored).
    pub fn use_counts(&self) -> Vec<u32> {
        let mut uses = vec![0u32; self.values.len()];
        for b in &self.blocks {
            for &i in &b.insts {
                self.insts[i.index()].data.for_each_operand(|v| {
                    if let Some(u) = uses.get_mut(v.index()) {
                        *u += 1
                    }
                });
            }
            b.term.for_each_operand(|v| {
                if let Some(u) = uses.get_mut(v.index()) {
                    *u += 1
                }
            });
        }
        uses
    }
}
