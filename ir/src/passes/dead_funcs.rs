//! Removal of functions no longer referenced: a function is live when it is
//! the entry or a `MakeClosure` of a live function creates it. Surviving
//! functions keep their relative order and are renumbered densely (every
//! `MakeClosure` and [`Module::entry`] is rewritten).

use crate::entities::FuncId;
use crate::function::{InstData, Module};

/// Drops unreferenced functions (see the module docs). Does nothing for a
/// module without an entry.
pub fn remove_dead_functions(m: &mut Module) {
    let Some(entry) = m.entry.filter(|e| e.index() < m.funcs.len()) else { return };
    let n = m.funcs.len();
    let mut live = vec![false; n];
    let mut stack = vec![entry];
    live[entry.index()] = true;
    while let Some(f) = stack.pop() {
        let func = &m.funcs[f.index()];
        for b in &func.blocks {
            for &i in &b.insts {
                if let InstData::MakeClosure(g, _) = &func.inst(i).data {
                    if g.index() < n && !live[g.index()] {
                        live[g.index()] = true;
                        stack.push(*g);
                    }
                }
            }
        }
    }
    if live.iter().all(|l| *l) {
        return;
    }
    let mut map = vec![None; n];
    let mut k = 0;
    for (i, l) in live.iter().enumerate() {
        if *l {
            map[i] = Some(FuncId::new(k));
            k += 1;
        }
    }
    let funcs = std::mem::take(&mut m.funcs);
    m.funcs = funcs.into_iter().enumerate().filter(|(i, _)| live[*i]).map(|(_, f)| f).collect();
    for f in &mut m.funcs {
        for node in &mut f.insts {
            if let InstData::MakeClosure(g, _) = &mut node.data {
                if let Some(new) = map.get(g.index()).copied().flatten() {
                    *g = new;
                }
            }
        }
    }
    m.entry = map[entry.index()];
}
