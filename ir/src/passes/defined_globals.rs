//! Removal of unused `global_get`s of globals that are certainly defined when
//! the read runs.
//!
//! An unused `global_get` is kept by DCE because it raises `unbound name`
//! when the global is not defined; inlining a global function leaves one at
//! every call site (the read of the callee). It is dead when the global is
//! defined before the read can run:
//! - in the entry function (the top level), a `global_define` of the name
//!   that dominates the read (same block and earlier, or a dominating block);
//! - in another function `g`, when every closure of `g` is made after such a
//!   define: each `make_closure g` site is in the entry function, dominated by
//!   the define, or in a function for which the same holds (a greatest fixed
//!   point, so mutually recursive local functions work).
//!
//! A global is never undefined again (`set!` changes the value, never the
//! binding), and a closure of this module can only be made by running this
//! module's code, so code that can only run after the define never reads an
//! unbound global. Top-level forms run in order, which is what makes
//! `(define (f) …) (define (g) (f))` free of the check in `g`.

use crate::verify::{dominates, dominators};
use crate::entities::{Block, FuncId, Inst};
use crate::function::{InstData, Module};
use rustc_hash::{FxHashMap, FxHashSet};

/// Removes every unused `global_get` that cannot raise (see the module docs).
pub fn remove_defined_global_checks(m: &mut Module) {
    let Some(entry) = m.entry else { return };
    // Candidates: unused reads, per global name.
    let mut dead: FxHashMap<String, Vec<(FuncId, Inst)>> = FxHashMap::default();
    for (fi, f) in m.funcs.iter().enumerate() {
        let uses = f.use_counts();
        for b in &f.blocks {
            for &i in &b.insts {
                if let InstData::GlobalGet(name) = &f.inst(i).data {
                    if uses[f.inst(i).result.index()] == 0 {
                        dead.entry(name.clone()).or_default().push((FuncId::new(fi), i));
                    }
                }
            }
        }
    }
    if dead.is_empty() {
        return;
    }
    let top = &m.funcs[entry.index()];
    let idom = dominators(top);
    // Position (block, index in block) of every placed instruction of the
    // entry, and of its defines per global name.
    let mut pos: FxHashMap<Inst, (Block, usize)> = FxHashMap::default();
    let mut defines: FxHashMap<&str, Vec<(Block, usize)>> = FxHashMap::default();
    for (bi, b) in top.blocks.iter().enumerate() {
        for (k, &i) in b.insts.iter().enumerate() {
            pos.insert(i, (Block::new(bi), k));
            if let InstData::GlobalDefine(n, _) = &top.inst(i).data {
                defines.entry(n.as_str()).or_default().push((Block::new(bi), k));
            }
        }
    }
    // Where each function's closures are made: (maker, instruction).
    let sites = super::closure_sites(m);
    let mut remove: FxHashSet<(FuncId, Inst)> = FxHashSet::default();
    for (name, reads) in &dead {
        let Some(defines) = defines.get(name.as_str()) else { continue };
        // True when the entry's instruction `i` runs only after a define.
        let after_define = |i: Inst| {
            let Some(&(b, k)) = pos.get(&i) else { return false };
            defines.iter().any(|&(db, dk)| if db == b { dk < k } else { dominates(&idom, db, b) })
        };
        // Greatest fixed point: start from every function with a maker site,
        // drop those with a site that may run before the define.
        let mut safe: FxHashSet<FuncId> = sites.keys().copied().filter(|&g| g != entry).collect();
        loop {
            let unsafe_now: Vec<FuncId> = safe
                .iter()
                .copied()
                .filter(|g| !sites[g].iter().all(|&(maker, i)| if maker == entry { after_define(i) } else { safe.contains(&maker) }))
                .collect();
            if unsafe_now.is_empty() {
                break;
            }
            for g in unsafe_now {
                safe.remove(&g);
            }
        }
        for &(f, i) in reads {
            if if f == entry { after_define(i) } else { safe.contains(&f) } {
                remove.insert((f, i));
            }
        }
    }
    let mut changed: Vec<FuncId> = Vec::new();
    for &(f, i) in &remove {
        for b in &mut m.funcs[f.index()].blocks {
            b.insts.retain(|&x| x != i);
        }
        changed.push(f);
    }
    changed.sort_by_key(|f| f.index());
    changed.dedup();
    for f in changed {
        super::compact(&mut m.funcs[f.index()]);
    }
}
