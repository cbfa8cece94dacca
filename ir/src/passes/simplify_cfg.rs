//! CFG simplification.
//!
//! 1. Empty forwarding blocks (no parameters, no instructions, `jump C(args)`)
//!    are bypassed: every `jump`/`branch` edge to them goes to `C(args)`
//!    directly (the arguments dominate every predecessor, so this is valid).
//!    A `branch` whose arms become identical turns into a `jump`.
//! 2. Jump threading through a join that only branches on one of its
//!    parameters (what `(if (or a b) x y)` and `(and …)` conditions lower to,
//!    and an inlined predicate's result): an edge that passes a constant, or
//!    the value its own branch just tested, goes straight to the side that
//!    value selects, and any other `jump` to the join becomes the join's
//!    branch (a copy of one terminator). The join usually becomes unreachable.
//! 3. A block reached by exactly one edge, an unconditional `jump` from its
//!    predecessor, is merged into that predecessor (its parameters are replaced
//!    by the jump arguments).
//! 4. Unreachable blocks are dropped and the function compacted.

use crate::entities::{Block, Value};
use crate::function::{BlockCall, Function, Terminator};
use frontend::ast::Const;
use rustc_hash::FxHashMap;

/// Simplifies the CFG of `f` (see the module docs).
pub fn simplify_cfg_function(f: &mut Function) {
    bypass_forwarders(f);
    thread_branches(f);
    merge_straight_lines(f);
    super::compact(f);
}

fn bypass_forwarders(f: &mut Function) {
    let n = f.blocks.len();
    // Resolve each forwarding block to its final (block, args).
    let forward = |f: &Function, b: Block| -> Option<(Block, Vec<Value>)> {
        let bd = &f.blocks[b.index()];
        if b.index() == 0 || !bd.params.is_empty() || !bd.insts.is_empty() {
            return None;
        }
        match &bd.term {
            Terminator::Jump(bc) if bc.block != b && bc.block.index() < n => Some((bc.block, bc.args.clone())),
            _ => None,
        }
    };
    for b in 0..n {
        let mut calls: Vec<(usize, Block, Vec<Value>)> = Vec::new();
        {
            let term = &f.blocks[b].term;
            let edges: Vec<(Block, Vec<Value>)> = match term {
                Terminator::Jump(bc) => vec![(bc.block, bc.args.clone())],
                Terminator::Branch { then_dest, else_dest, .. } => {
                    vec![(then_dest.block, then_dest.args.clone()), (else_dest.block, else_dest.args.clone())]
                }
                _ => continue,
            };
            for (k, (mut t, mut args)) in edges.into_iter().enumerate() {
                let mut hops = 0;
                while args.is_empty() && hops < n {
                    let Some((t2, a2)) = forward(f, t) else { break };
                    if t2.index() == b {
                        break;
                    }
                    t = t2;
                    args = a2;
                    hops += 1;
                }
                if hops > 0 {
                    calls.push((k, t, args));
                }
            }
        }
        if calls.is_empty() {
            continue;
        }
        let mut bcs = f.blocks[b].term.block_calls_mut();
        for (k, t, args) in calls {
            bcs[k].block = t;
            bcs[k].args = args;
        }
        if let Terminator::Branch { then_dest, else_dest, .. } = &f.blocks[b].term {
            if then_dest == else_dest {
                let d = then_dest.clone();
                f.blocks[b].term = Terminator::Jump(d);
            }
        }
    }
}

fn thread_branches(f: &mut Function) {
    let n = f.blocks.len();
    for j in 1..n {
        let jd = &f.blocks[j];
        if !jd.insts.is_empty() {
            continue;
        }
        let Terminator::Branch { cond, then_dest, else_dest } = &jd.term else { continue };
        let Some(pi) = jd.params.iter().position(|p| p == cond) else { continue };
        let (params, then_dest, else_dest) = (jd.params.clone(), then_dest.clone(), else_dest.clone());
        // `dest` of the join's branch, with the join's parameters replaced by
        // the arguments of the edge being threaded. (Other values the join
        // passes on dominate the join, hence every predecessor too.)
        let through = |edge: &[Value], dest: &BlockCall| BlockCall {
            block: dest.block,
            args: dest.args.iter().map(|a| params.iter().position(|p| p == a).map_or(*a, |k| edge[k])).collect(),
        };
        for p in 0..n {
            if p == j {
                continue;
            }
            // The side of the join an edge passing `v` takes, when known: `v` is
            // a constant (an inlined predicate's `true`/`false`), or `v` is the
            // value the edge's own branch tested (`tested`: that value and
            // whether this edge is taken when it is truthy).
            let side = |v: Value, tested: Option<(Value, bool)>| -> Option<&BlockCall> {
                let truthy = match super::const_fold::const_of(f, v) {
                    Some(c) => !matches!(c, Const::Nil | Const::Bool(false)),
                    None => match tested {
                        Some((c, when_truthy)) if c == v => when_truthy,
                        _ => return None,
                    },
                };
                Some(if truthy { &then_dest } else { &else_dest })
            };
            // An edge to the join, redirected to the side it is known to take.
            let thread = |bc: &BlockCall, tested: Option<(Value, bool)>| -> Option<BlockCall> {
                if bc.block.index() != j {
                    return None;
                }
                side(bc.args[pi], tested).map(|d| through(&bc.args, d))
            };
            let threaded = match &f.blocks[p].term {
                Terminator::Jump(bc) if bc.block.index() == j => Some(match thread(bc, None) {
                    Some(d) => Terminator::Jump(d),
                    None => Terminator::Branch {
                        cond: bc.args[pi],
                        then_dest: through(&bc.args, &then_dest),
                        else_dest: through(&bc.args, &else_dest),
                    },
                }),
                Terminator::Branch { cond: c, then_dest: t, else_dest: e } => {
                    let (t2, e2) = (thread(t, Some((*c, true))), thread(e, Some((*c, false))));
                    (t2.is_some() || e2.is_some()).then(|| {
                        let (t, e) = (t2.unwrap_or_else(|| t.clone()), e2.unwrap_or_else(|| e.clone()));
                        if t == e { Terminator::Jump(t) } else { Terminator::Branch { cond: *c, then_dest: t, else_dest: e } }
                    })
                }
                _ => None,
            };
            if let Some(term) = threaded {
                f.blocks[p].term = term;
            }
        }
    }
}

fn merge_straight_lines(f: &mut Function) {
    let preds = f.predecessors();
    let npreds: Vec<usize> = preds.iter().map(|p| p.len()).collect();
    let mut subst: FxHashMap<Value, Value> = FxHashMap::default();
    for a in f.reverse_post_order() {
        while let Terminator::Jump(bc) = &f.blocks[a.index()].term {
            let b = bc.block;
            if b == a || b.index() == 0 || npreds[b.index()] != 1 {
                break;
            }
            let args = bc.args.clone();
            let params = std::mem::take(&mut f.blocks[b.index()].params);
            for (p, v) in params.into_iter().zip(args) {
                subst.insert(p, v);
            }
            let insts = std::mem::take(&mut f.blocks[b.index()].insts);
            let term = std::mem::replace(&mut f.blocks[b.index()].term, Terminator::Unterminated);
            let span = f.blocks[b.index()].term_span;
            f.blocks[a.index()].insts.extend(insts);
            f.blocks[a.index()].term = term;
            f.blocks[a.index()].term_span = span;
            // `b` is now unreachable (its only predecessor was `a`); compaction drops it.
        }
    }
    f.replace_uses(&subst);
}
