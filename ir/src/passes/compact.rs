//! Compaction: drop unreachable blocks and orphaned instructions/values and
//! renumber blocks, instructions and values densely. Blocks are laid out in
//! reverse post-order (see [`Function::reverse_post_order`]: every block after
//! its dominators, a branch's `then` side before its `else` side); values are
//! numbered block by block (parameters, then instruction results). Gives the
//! printer stable, gap-free numbering with definitions before uses.

use crate::entities::{Block, Inst, Value};
use crate::function::{BlockData, Function, InstData, InstNode, ValueData, ValueDef};

/// Compacts `f` in place (see the module docs). Guard deopt targets count as
/// reachable.
pub fn compact(f: &mut Function) {
    let nb = f.blocks.len();
    if nb == 0 {
        return;
    }
    // Reachability from the entry, following successors and guard deopt targets.
    let mut reach = vec![false; nb];
    let mut stack = vec![Block(0)];
    reach[0] = true;
    while let Some(b) = stack.pop() {
        let bd = &f.blocks[b.index()];
        let mut next = bd.term.successors();
        for &i in &bd.insts {
            if let InstData::Guard { deopt, .. } = &f.insts[i.index()].data {
                next.push(*deopt);
            }
        }
        for s in next {
            if s.index() < nb && !reach[s.index()] {
                reach[s.index()] = true;
                stack.push(s);
            }
        }
    }
    // New order: reverse post-order from the entry (definitions before uses),
    // then blocks reachable only as guard deopt targets, in their old order.
    let mut order: Vec<usize> = f.reverse_post_order().into_iter().map(|b| b.index()).collect();
    let mut placed = vec![false; nb];
    order.iter().for_each(|&i| placed[i] = true);
    order.extend((0..nb).filter(|&i| reach[i] && !placed[i]));
    let mut bmap: Vec<Option<Block>> = vec![None; nb];
    for (k, &i) in order.iter().enumerate() {
        bmap[i] = Some(Block::new(k));
    }
    let mut vmap: Vec<Option<Value>> = vec![None; f.values.len()];
    let mut new_values: Vec<ValueData> = Vec::new();
    let mut new_insts: Vec<InstNode> = Vec::new();
    let mut new_blocks: Vec<BlockData> = Vec::new();
    let mut slots: Vec<Option<BlockData>> = std::mem::take(&mut f.blocks).into_iter().map(Some).collect();
    let old_blocks: Vec<BlockData> = order.iter().map(|&i| slots[i].take().unwrap()).collect();
    // First pass: number values and instructions.
    let mut imap: Vec<Option<Inst>> = vec![None; f.insts.len()];
    let mut ni = 0usize;
    for (k, b) in old_blocks.iter().enumerate() {
        let nbk = Block::new(k);
        for (pi, p) in b.params.iter().enumerate() {
            vmap[p.index()] = Some(Value::new(new_values.len()));
            new_values.push(ValueData { def: ValueDef::Param(nbk, pi as u32), ty: f.values[p.index()].ty });
        }
        for &i in &b.insts {
            let r = f.insts[i.index()].result;
            let ninst = Inst::new(ni);
            ni += 1;
            imap[i.index()] = Some(ninst);
            vmap[r.index()] = Some(Value::new(new_values.len()));
            new_values.push(ValueData { def: ValueDef::Inst(ninst), ty: f.values[r.index()].ty });
        }
    }
    let mv = |v: &mut Value| {
        if let Some(n) = vmap.get(v.index()).copied().flatten() {
            *v = n
        }
    };
    let mb = |b: &mut Block| {
        if let Some(n) = bmap.get(b.index()).copied().flatten() {
            *b = n
        }
    };
    for b in old_blocks {
        let params = b.params.iter().map(|p| vmap[p.index()].unwrap()).collect();
        let mut insts = Vec::with_capacity(b.insts.len());
        for &i in &b.insts {
            let mut node = f.insts[i.index()].clone();
            node.data.for_each_operand_mut(mv);
            if let InstData::Guard { deopt, .. } = &mut node.data {
                mb(deopt);
            }
            node.result = vmap[node.result.index()].unwrap();
            insts.push(imap[i.index()].unwrap());
            new_insts.push(node);
        }
        let mut term = b.term;
        term.for_each_operand_mut(mv);
        term.for_each_successor_mut(mb);
        new_blocks.push(BlockData { params, insts, term, term_span: b.term_span });
    }
    f.blocks = new_blocks;
    f.insts = new_insts;
    f.values = new_values;
}
