//! Inlining of small known functions at `Call` sites.
//!
//! A `v = call c(args)` instruction or a `tail_call c(args)` terminator is
//! inlined when `c` is a known callee
//! ([`crate::effects::Callees`]: a `MakeClosure` in the same function, a known
//! global or a known capture) of a function `g` that
//! - is not the caller, has no `&rest`, and `g.arity == args.len()` (a wrong
//!   count must still raise the arity error at run time);
//! - has no captures, or the callee value is a `MakeClosure` of the caller
//!   (then `Capture(i)` becomes the closure's i-th captured value);
//! - is not `may-suspend` (which `Call` already implies);
//! - is not self-recursive (no `SelfRef`, no `GlobalGet` of a global known to be `g`);
//! - has at most [`INLINE_LIMIT`] instructions.
//!
//! The caller block is split after the call: the part after it moves to a new
//! continuation block whose parameter replaces `v`; `g`'s blocks are copied
//! (entry parameters replaced by the arguments); `return x` becomes a jump to
//! the continuation, `tail_call` becomes `call` + jump, `tail_apply` becomes
//! `applyk` to the continuation. At a `tail_call` site the copied terminators
//! stay as they are. One round per run: code that was itself
//! inlined is not inlined again in the same run. Spans of inlined instructions
//! are kept (the inlined frame disappears from backtraces).

use crate::effects::Callees;
use crate::entities::{Block, FuncId, Value};
use crate::function::{BlockCall, Function, InstData, Module, Terminator, ValueDef};
use crate::types::{Effect, Type};
use rustc_hash::{FxHashMap, FxHashSet};
use std::ops::Range;

/// Maximum instruction count of an inlined function.
pub const INLINE_LIMIT: usize = 20;

fn inlinable(m: &Module, g: FuncId, caller: FuncId, globals: &FxHashMap<String, FuncId>, nargs: usize, caps: &Option<Vec<Value>>) -> bool {
    let Some(gf) = m.funcs.get(g.index()) else { return false };
    let caps_ok = gf.ncaptures == 0 || caps.as_ref().is_some_and(|c| c.len() == gf.ncaptures as usize);
    if g == caller || !caps_ok || gf.has_rest || gf.arity as usize != nargs || gf.effect == Effect::MaySuspend {
        return false;
    }
    if gf.reverse_post_order().len() != gf.blocks.len() {
        return false; // not compacted: unreachable blocks
    }
    let mut count = 0;
    for b in &gf.blocks {
        count += b.insts.len();
        for &i in &b.insts {
            match &gf.inst(i).data {
                InstData::SelfRef => return false,
                InstData::GlobalGet(n) if globals.get(n) == Some(&g) => return false,
                _ => {}
            }
        }
    }
    count <= INLINE_LIMIT
}

/// Inlines eligible call sites in every function of `m` (see the module docs).
/// With `closed_world == false`, callees reached through globals are not inlined.
pub fn inline_module(m: &mut Module, closed_world: bool) {
    let callees = Callees::analyse(m, closed_world);
    for fi in 0..m.funcs.len() {
        let caller = FuncId::new(fi);
        let original = m.funcs[fi].insts.len();
        // Blocks holding copied callee code: not inlined into again in this run.
        let mut copied: FxHashSet<Block> = FxHashSet::default();
        while let Some(Site { block: b, call: site, callee: g, caps }) = find_site(m, caller, &callees, original, &copied) {
            let callee = m.funcs[g.index()].clone();
            let f = &mut m.funcs[fi];
            let new_blocks = match site {
                Some(k) => inline_at(f, b, k, &callee, &caps),
                None => inline_tail_at(f, b, &callee, &caps),
            };
            copied.extend(new_blocks.map(Block::new));
        }
    }
}

/// An inlining site (see [`find_site`]).
struct Site {
    block: Block,
    /// Position of the `Call` instruction; `None` for the `TailCall` terminator.
    call: Option<usize>,
    callee: FuncId,
    /// The closure's captured values when it is a `MakeClosure` of the caller.
    caps: Option<Vec<Value>>,
}

/// The next eligible site: `(block, Some(position of the call))` for a `Call`
/// instruction, `(block, None)` for a `TailCall` terminator; with the callee
/// and, when the callee value is a `MakeClosure` of this function, its captures.
fn find_site(
    m: &Module,
    caller: FuncId,
    callees: &Callees,
    original: usize,
    copied: &FxHashSet<Block>,
) -> Option<Site> {
    let f = &m.funcs[caller.index()];
    let caps_of = |v: Value| match f.values[v.index()].def {
        ValueDef::Inst(i) => match &f.inst(i).data {
            InstData::MakeClosure(_, caps) => Some(caps.clone()),
            _ => None,
        },
        ValueDef::Param(..) => None,
    };
    for (bi, b) in f.blocks.iter().enumerate() {
        for (k, &i) in b.insts.iter().enumerate() {
            if i.index() >= original {
                continue;
            }
            if let InstData::Call(c, args) = &f.inst(i).data {
                if let Some(g) = callees.callee(f, caller, *c) {
                    let caps = caps_of(*c);
                    if inlinable(m, g, caller, &callees.globals, args.len(), &caps) {
                        return Some(Site { block: Block::new(bi), call: Some(k), callee: g, caps });
                    }
                }
            }
        }
        if let Terminator::TailCall { callee, args } = &b.term {
            if !copied.contains(&Block::new(bi)) {
                if let Some(g) = callees.callee(f, caller, *callee) {
                    let caps = caps_of(*callee);
                    if inlinable(m, g, caller, &callees.globals, args.len(), &caps) {
                        return Some(Site { block: Block::new(bi), call: None, callee: g, caps });
                    }
                }
            }
        }
    }
    None
}

/// Inlines `g` at the `Call` instruction at position `k` of block `b` of `f`;
/// returns the range of blocks holding the copied body.
fn inline_at(f: &mut Function, b: Block, k: usize, g: &Function, caps: &Option<Vec<Value>>) -> Range<usize> {
    let call = f.blocks[b.index()].insts[k];
    let (result, span) = (f.insts[call.index()].result, f.insts[call.index()].span);
    let InstData::Call(_, args) = f.insts[call.index()].data.clone() else { unreachable!() };
    // Split: the tail of `b` moves to `cont`.
    let cont = f.add_block();
    let r = f.add_block_param(cont, f.values[result.index()].ty);
    let tail: Vec<_> = f.blocks[b.index()].insts.drain(k..).skip(1).collect();
    f.blocks[cont.index()].insts = tail;
    let term = std::mem::replace(&mut f.blocks[b.index()].term, Terminator::Unterminated);
    let tspan = f.blocks[b.index()].term_span;
    f.set_terminator(cont, term, tspan);
    let mut subst = FxHashMap::default();
    subst.insert(result, r);
    f.replace_uses(&subst);
    let start = f.blocks.len();
    let entry = copy_body(f, g, &args, caps, Some(cont));
    f.set_terminator(b, Terminator::Jump(BlockCall { block: entry, args: vec![] }), span);
    start..f.blocks.len()
}

/// Inlines `g` at the `TailCall` terminating block `b` of `f`: `g`'s returns
/// and tail calls stay as they are.
fn inline_tail_at(f: &mut Function, b: Block, g: &Function, caps: &Option<Vec<Value>>) -> Range<usize> {
    let Terminator::TailCall { args, .. } = f.blocks[b.index()].term.clone() else { unreachable!() };
    let span = f.blocks[b.index()].term_span;
    let start = f.blocks.len();
    let entry = copy_body(f, g, &args, caps, None);
    f.set_terminator(b, Terminator::Jump(BlockCall { block: entry, args: vec![] }), span);
    start..f.blocks.len()
}

/// Copies `g`'s blocks into `f` with its entry parameters replaced by `args`;
/// returns the copy of `g`'s entry (which has no parameters). `Capture(i)` is
/// replaced by `caps[i]` (the closure's captures in the caller). With
/// `Some(cont)`, returns jump to `cont` and tail calls become calls.
fn copy_body(f: &mut Function, g: &Function, args: &[Value], caps: &Option<Vec<Value>>, cont: Option<Block>) -> Block {
    let bmap: Vec<Block> = g.blocks.iter().map(|_| f.add_block()).collect();
    let mut vmap: FxHashMap<Value, Value> = FxHashMap::default();
    for (p, a) in g.blocks[0].params.iter().zip(args) {
        vmap.insert(*p, *a);
    }
    for (gb, nb) in g.blocks.iter().zip(&bmap).skip(1) {
        for p in &gb.params {
            let np = f.add_block_param(*nb, g.values[p.index()].ty);
            vmap.insert(*p, np);
        }
    }
    let mv = |vmap: &FxHashMap<Value, Value>, v: &mut Value| *v = vmap[v];
    for gb in g.reverse_post_order() {
        let nb = bmap[gb.index()];
        let gbd = g.block(gb);
        for &i in &gbd.insts {
            let node = g.inst(i);
            if let (InstData::Capture(c), Some(caps)) = (&node.data, caps) {
                vmap.insert(node.result, caps[*c as usize]);
                continue;
            }
            let mut data = node.data.clone();
            data.for_each_operand_mut(|v| mv(&vmap, v));
            if let InstData::Guard { deopt, .. } = &mut data {
                *deopt = bmap[deopt.index()];
            }
            let v = f.push_inst(nb, data, g.values[node.result.index()].ty, node.span);
            vmap.insert(node.result, v);
        }
        let mut term = gbd.term.clone();
        term.for_each_operand_mut(|v| mv(&vmap, v));
        term.for_each_successor_mut(|s| *s = bmap[s.index()]);
        let term = match (term, cont) {
            (Terminator::Return(v), Some(cont)) => Terminator::Jump(BlockCall { block: cont, args: vec![v] }),
            (Terminator::TailCall { callee, args }, Some(cont)) => {
                let v = f.push_inst(nb, InstData::Call(callee, args), Type::Any, gbd.term_span);
                Terminator::Jump(BlockCall { block: cont, args: vec![v] })
            }
            (Terminator::TailApply { callee, args }, Some(cont)) => Terminator::ApplyK { callee, args, cont },
            (t, _) => t,
        };
        f.set_terminator(nb, term, gbd.term_span);
    }
    bmap[0]
}
