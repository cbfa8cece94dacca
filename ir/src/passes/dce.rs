//! Dead-code elimination.
//!
//! Removes (to a fixpoint) instructions whose result is unused and that have
//! no observable effect ([`InstData::is_removable_if_unused`]: `Const`,
//! `Capture`, `SelfRef`, `MakeClosure`, `CellNew`, `CellGet`, and primitives
//! that cannot raise at their argument count such as `list`), unused
//! parameters of blocks reached only through `jump`/`branch` edges (with the
//! matching arguments), and unreachable blocks (via [`super::compact`]).

use crate::entities::Block;
use crate::effects::prim_effect;
use crate::function::{Function, InstData, Terminator};
use crate::types::Effect;

/// Runs DCE on `f` and compacts it.
pub fn dce_function(f: &mut Function) {
    loop {
        let mut changed = false;
        let uses = f.use_counts();
        for b in 0..f.blocks.len() {
            let before = f.blocks[b].insts.len();
            let insts = std::mem::take(&mut f.blocks[b].insts);
            let kept: Vec<_> = insts
                .into_iter()
                .filter(|&i| {
                    let n = &f.insts[i.index()];
                    !(removable(&n.data) && uses[n.result.index()] == 0)
                })
                .collect();
            changed |= kept.len() != before;
            f.blocks[b].insts = kept;
        }
        changed |= remove_unused_params(f, &uses);
        if !changed {
            break;
        }
    }
    super::compact(f);
}

/// Side-effect-free instructions plus primitives that are total at their
/// argument count ([`crate::effects::prim_effect`] is `Pure`: `list`, `not`, ...).
fn removable(d: &InstData) -> bool {
    match d {
        InstData::Prim(n, args) => prim_effect(n, args.len()) == Effect::Pure,
        _ => d.is_removable_if_unused(),
    }
}

/// Drops unused parameters of non-entry blocks whose every incoming edge is a
/// `jump` or `branch` arm (continuation blocks keep their single parameter).
fn remove_unused_params(f: &mut Function, uses: &[u32]) -> bool {
    let n = f.blocks.len();
    // Blocks that are the target of a non-argument edge (continuations) are excluded.
    let mut only_jumps = vec![true; n];
    only_jumps[0] = false;
    for b in &f.blocks {
        match &b.term {
            Terminator::Jump(_) | Terminator::Branch { .. } => {}
            t => t.for_each_successor(|s| {
                if s.index() < n {
                    only_jumps[s.index()] = false
                }
            }),
        }
    }
    let mut changed = false;
    for (t, &eligible) in only_jumps.iter().enumerate() {
        if !eligible {
            continue;
        }
        let dead: Vec<usize> = f.blocks[t].params.iter().enumerate().filter(|(_, p)| uses[p.index()] == 0).map(|(k, _)| k).collect();
        if dead.is_empty() {
            continue;
        }
        changed = true;
        let target = Block::new(t);
        let keep = |k: usize| !dead.contains(&k);
        for b in 0..n {
            for bc in f.blocks[b].term.block_calls_mut() {
                if bc.block == target {
                    let args = std::mem::take(&mut bc.args);
                    bc.args = args.into_iter().enumerate().filter(|(k, _)| keep(*k)).map(|(_, v)| v).collect();
                }
            }
        }
        let params = std::mem::take(&mut f.blocks[t].params);
        let kept: Vec<_> = params.into_iter().enumerate().filter(|(k, _)| keep(*k)).map(|(_, v)| v).collect();
        for (k, v) in kept.iter().enumerate() {
            f.values[v.index()].def = crate::ValueDef::Param(target, k as u32);
        }
        f.blocks[t].params = kept;
    }
    changed
}
