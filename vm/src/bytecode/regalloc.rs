//! Register allocation: liveness over the CFG, one live interval per SSA value
//! (the hull of every position where it is live, in block layout order), then
//! linear scan. Entry-block parameters get registers `0..argc`.
//!
//! Block parameters are written on the incoming edges (parallel moves, or the
//! result of a call/suspend/try), so a parameter's interval also covers the
//! terminator of every predecessor. Intervals that touch never share a
//! register (a register is reused only after its previous value's last use).

use ir::{Block, Function, InstData, Terminator};

/// Per-value register assignment and the number of registers used.
pub(crate) struct Allocation {
    pub reg_of: Vec<u16>,
    pub nregs: u32,
    /// Per IR instruction (by index): the operands whose value is not read
    /// again after it on any path (its last use). Pinned values never die.
    pub dies_at_inst: Vec<Vec<ir::Value>>,
    /// Per block: the terminator's operands (edge arguments included) that
    /// are not live out of the block.
    pub dies_at_term: Vec<Vec<ir::Value>>,
    /// Per value: whether it has a register of its own (omitted and dead
    /// values share register 0 and are never materialised).
    pub has_reg: Vec<bool>,
    /// Per value: its live interval `[lo, hi]` in positions (see [`Positions`]).
    pub lo: Vec<u32>,
    pub hi: Vec<u32>,
    pub pos: Positions,
}

/// Program positions in block layout order: each block's start, then each
/// instruction, then its terminator. Live intervals are measured in them.
#[derive(Clone, Debug, Default, Hash)]
pub struct Positions {
    /// Per block: its start position.
    pub block_start: Vec<u32>,
    /// Per instruction: its position.
    pub inst: Vec<u32>,
    /// Per block: its terminator's position.
    pub term: Vec<u32>,
}

struct BitSet {
    words: Vec<u64>,
}

impl BitSet {
    fn new(n: usize) -> BitSet {
        BitSet { words: vec![0; n.div_ceil(64)] }
    }
    fn insert(&mut self, i: usize) {
        self.words[i / 64] |= 1 << (i % 64);
    }
    fn remove(&mut self, i: usize) {
        self.words[i / 64] &= !(1 << (i % 64));
    }
    fn contains(&self, i: usize) -> bool {
        self.words[i / 64] >> (i % 64) & 1 != 0
    }
    /// self |= other; returns whether it changed.
    fn union(&mut self, other: &BitSet) -> bool {
        let mut changed = false;
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            let n = *a | *b;
            changed |= n != *a;
            *a = n;
        }
        changed
    }
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(w, &bits)| {
            let mut b = bits;
            std::iter::from_fn(move || {
                if b == 0 {
                    return None;
                }
                let t = b.trailing_zeros() as usize;
                b &= b - 1;
                Some(w * 64 + t)
            })
        })
    }
}

/// Operands used by an instruction.
pub(crate) fn inst_uses(d: &InstData, f: &mut dyn FnMut(ir::Value)) {
    match d {
        InstData::Const(_) | InstData::Capture(_) | InstData::SelfRef | InstData::GlobalGet(_) => {}
        InstData::GlobalSet(_, v) | InstData::GlobalDefine(_, v) | InstData::CellNew(v) | InstData::CellGet(v) => f(*v),
        InstData::MakeClosure(_, vs) | InstData::Prim(_, vs) => vs.iter().for_each(|v| f(*v)),
        InstData::CellSet(a, b) | InstData::IAddOvf(a, b) | InstData::ISubOvf(a, b) | InstData::IMulOvf(a, b) | InstData::ICmp(_, a, b) => {
            f(*a);
            f(*b)
        }
        InstData::Call(c, vs) => {
            f(*c);
            vs.iter().for_each(|v| f(*v))
        }
        InstData::Guard { value, live, .. } => {
            f(*value);
            live.iter().for_each(|v| f(*v))
        }
        #[allow(unreachable_patterns)]
        _ => {}
    }
}

/// Operands used by a terminator (including edge arguments).
pub(crate) fn term_uses(t: &Terminator, f: &mut dyn FnMut(ir::Value)) {
    match t {
        Terminator::Jump(bc) => bc.args.iter().for_each(|v| f(*v)),
        Terminator::Branch { cond, then_dest, else_dest } => {
            f(*cond);
            then_dest.args.iter().chain(&else_dest.args).for_each(|v| f(*v))
        }
        Terminator::Return(v) | Terminator::Raise(v) => f(*v),
        Terminator::TailCall { callee, args } | Terminator::CallK { callee, args, .. } => {
            f(*callee);
            args.iter().for_each(|v| f(*v))
        }
        Terminator::Suspend { request, .. } => f(*request),
        Terminator::TryCall { thunk, .. } => f(*thunk),
        Terminator::ApplyK { callee, args, .. } | Terminator::TailApply { callee, args } => {
            f(*callee);
            f(*args)
        }
        #[allow(unreachable_patterns)]
        _ => {}
    }
}

/// Successor blocks of a terminator.
pub(super) fn successors(t: &Terminator) -> Vec<Block> {
    match t {
        Terminator::Jump(bc) => vec![bc.block],
        Terminator::Branch { then_dest, else_dest, .. } => vec![then_dest.block, else_dest.block],
        Terminator::CallK { cont, .. } | Terminator::Suspend { cont, .. } | Terminator::ApplyK { cont, .. } => vec![*cont],
        Terminator::TryCall { ok, err, .. } => vec![*ok, *err],
        _ => vec![],
    }
}

/// Allocates registers for `f` (blocks laid out in index order). With `pin`,
/// the entry parameters and the `pin` values keep their registers for the
/// whole function (a self tail call compiled as a loop jumps back to just
/// after the entry block's prologue, rewriting the parameters). Values with
/// `omit[v]` get no register of their own (they are never materialised).
pub(crate) fn allocate(f: &Function, pin: Option<&[ir::Value]>, omit: &[bool]) -> Allocation {
    let nvals = f.values.len();
    let nblocks = f.blocks.len();
    // Positions: block start, then each instruction, then the terminator.
    let mut start = vec![0u32; nblocks];
    let mut inst_pos = vec![0u32; f.insts.len()];
    let mut term_pos = vec![0u32; nblocks];
    let mut pos = 0u32;
    for (bi, b) in f.blocks.iter().enumerate() {
        start[bi] = pos;
        pos += 1;
        for &i in &b.insts {
            inst_pos[i.index()] = pos;
            pos += 1;
        }
        term_pos[bi] = pos;
        pos += 1;
    }
    // Extra successors from guards (deopt edges) and their positions.
    let mut guard_edges: Vec<Vec<(Block, u32)>> = vec![Vec::new(); nblocks];
    for (bi, b) in f.blocks.iter().enumerate() {
        for &i in &b.insts {
            if let InstData::Guard { deopt, .. } = &f.inst(i).data {
                guard_edges[bi].push((*deopt, inst_pos[i.index()]));
            }
        }
    }
    // Liveness (backward dataflow to a fixed point).
    let mut gen: Vec<BitSet> = Vec::with_capacity(nblocks);
    let mut kill: Vec<BitSet> = Vec::with_capacity(nblocks);
    for b in &f.blocks {
        let mut g = BitSet::new(nvals);
        let mut k = BitSet::new(nvals);
        for p in &b.params {
            k.insert(p.index());
        }
        for &i in &b.insts {
            let node = f.inst(i);
            inst_uses(&node.data, &mut |v| {
                if !k.words[v.index() / 64] & (1 << (v.index() % 64)) != 0 {
                    g.insert(v.index());
                }
            });
            k.insert(node.result.index());
        }
        term_uses(&b.term, &mut |v| {
            if !k.words[v.index() / 64] & (1 << (v.index() % 64)) != 0 {
                g.insert(v.index());
            }
        });
        gen.push(g);
        kill.push(k);
    }
    let succs: Vec<Vec<Block>> = f
        .blocks
        .iter()
        .enumerate()
        .map(|(bi, b)| {
            let mut s = successors(&b.term);
            s.extend(guard_edges[bi].iter().map(|(d, _)| *d));
            s
        })
        .collect();
    let mut live_in: Vec<BitSet> = (0..nblocks).map(|_| BitSet::new(nvals)).collect();
    let mut live_out: Vec<BitSet> = (0..nblocks).map(|_| BitSet::new(nvals)).collect();
    let mut changed = true;
    while changed {
        changed = false;
        for bi in (0..nblocks).rev() {
            let mut out = BitSet::new(nvals);
            for s in &succs[bi] {
                out.union(&live_in[s.index()]);
            }
            // in = gen ∪ (out − kill)
            let mut inn = BitSet::new(nvals);
            for (w, (o, k)) in inn.words.iter_mut().zip(out.words.iter().zip(&kill[bi].words)) {
                *w = o & !k;
            }
            inn.union(&gen[bi]);
            live_out[bi] = out;
            changed |= live_in[bi].union(&inn);
        }
    }
    // Last uses: walk each block backwards from its live-out set.
    let mut pinned = vec![false; nvals];
    for p in pin.unwrap_or(&[]) {
        pinned[p.index()] = true;
    }
    let mut dies_at_inst: Vec<Vec<ir::Value>> = vec![Vec::new(); f.insts.len()];
    let mut dies_at_term: Vec<Vec<ir::Value>> = vec![Vec::new(); nblocks];
    for (bi, b) in f.blocks.iter().enumerate() {
        let mut live = BitSet { words: live_out[bi].words.clone() };
        let mut dying = Vec::new();
        let note = |v: ir::Value, live: &BitSet, dying: &mut Vec<ir::Value>| {
            if !live.contains(v.index()) && !pinned[v.index()] && !dying.contains(&v) {
                dying.push(v);
            }
        };
        term_uses(&b.term, &mut |v| note(v, &live, &mut dying));
        term_uses(&b.term, &mut |v| live.insert(v.index()));
        dies_at_term[bi] = std::mem::take(&mut dying);
        for &i in b.insts.iter().rev() {
            let node = f.inst(i);
            live.remove(node.result.index());
            inst_uses(&node.data, &mut |v| note(v, &live, &mut dying));
            inst_uses(&node.data, &mut |v| live.insert(v.index()));
            dies_at_inst[i.index()] = std::mem::take(&mut dying);
        }
    }
    // Intervals (hulls).
    let mut lo = vec![u32::MAX; nvals];
    let mut hi = vec![0u32; nvals];
    let touch = |v: usize, p: u32, lo: &mut [u32], hi: &mut [u32]| {
        lo[v] = lo[v].min(p);
        hi[v] = hi[v].max(p);
    };
    for (bi, b) in f.blocks.iter().enumerate() {
        for p in &b.params {
            touch(p.index(), start[bi], &mut lo, &mut hi);
        }
        for &i in &b.insts {
            let node = f.inst(i);
            let ip = inst_pos[i.index()];
            inst_uses(&node.data, &mut |v| touch(v.index(), ip, &mut lo, &mut hi));
            touch(node.result.index(), ip, &mut lo, &mut hi);
        }
        let tp = term_pos[bi];
        term_uses(&b.term, &mut |v| touch(v.index(), tp, &mut lo, &mut hi));
        // Parameters of successors are written at this terminator.
        for s in successors(&b.term) {
            for p in &f.block(s).params {
                touch(p.index(), tp, &mut lo, &mut hi);
            }
        }
        for (d, gp) in &guard_edges[bi] {
            for p in &f.block(*d).params {
                touch(p.index(), *gp, &mut lo, &mut hi);
            }
        }
        for v in live_in[bi].iter() {
            touch(v, start[bi], &mut lo, &mut hi);
        }
        for v in live_out[bi].iter() {
            touch(v, tp, &mut lo, &mut hi);
        }
    }
    if let Some(pin) = pin {
        let end = pos;
        for p in f.blocks.first().map(|b| b.params.as_slice()).unwrap_or(&[]).iter().chain(pin) {
            lo[p.index()] = 0;
            hi[p.index()] = end;
        }
    }
    for (v, _) in omit.iter().enumerate().filter(|(_, &o)| o) {
        lo[v] = u32::MAX;
    }
    // Linear scan; entry parameters first, in order, at registers 0..argc.
    let mut reg_of = vec![u16::MAX; nvals];
    let mut order: Vec<usize> = (0..nvals).filter(|&v| lo[v] != u32::MAX).collect();
    order.sort_by_key(|&v| (lo[v], v));
    let entry_params: Vec<usize> = f.blocks.first().map(|b| b.params.iter().map(|p| p.index()).collect()).unwrap_or_default();
    // (register, end) of intervals currently holding a register.
    let mut active: Vec<(u16, u32)> = Vec::new();
    let mut free: Vec<u16> = Vec::new();
    let mut next: u32 = 0;
    for &p in &entry_params {
        reg_of[p] = next as u16;
        active.push((next as u16, hi[p].max(lo[p])));
        next += 1;
    }
    for &v in &order {
        if reg_of[v] != u16::MAX {
            continue;
        }
        let s = lo[v];
        // Release registers whose interval ended strictly before s.
        active.retain(|&(r, end)| {
            if end < s {
                free.push(r);
                false
            } else {
                true
            }
        });
        let r = if let Some(i) = (0..free.len()).min_by_key(|&i| free[i]) {
            free.swap_remove(i)
        } else {
            next += 1;
            (next - 1) as u16
        };
        reg_of[v] = r;
        active.push((r, hi[v]));
    }
    // Values never defined or used (dead arena entries) share register 0.
    let has_reg: Vec<bool> = reg_of.iter().map(|&r| r != u16::MAX).collect();
    for r in reg_of.iter_mut() {
        if *r == u16::MAX {
            *r = 0;
        }
    }
    assert!(next < u16::MAX as u32 - 1, "bytecode: function {:?} needs more than 65534 registers", f.name);
    Allocation { reg_of, nregs: next, dies_at_inst, dies_at_term, has_reg, lo, hi, pos: Positions { block_start: start, inst: inst_pos, term: term_pos } }
}
