//! Lambda lifting of known local functions: their captured values become
//! extra parameters, so making the closure allocates no capture vector.
//!
//! A function `g` with captures is lifted when
//! - exactly one `MakeClosure(g, caps)` exists in the module (placed in a
//!   block of a function other than `g`), and its result `v` is used only as
//!   the callee of `call`/`tail_call`/`callk` with exactly `g.arity`
//!   arguments (not as an argument, a jump argument, a returned value, an
//!   `apply` callee...), so no other code can ever call the closure;
//! - inside `g`, every `SelfRef` is likewise used only as such a callee;
//! - `g` has no `&rest` parameter.
//!
//! Then `g` gets one entry parameter per capture (after its own parameters)
//! replacing its `Capture(i)` instructions, every call of `v` and every self
//! call passes the values along, and the closure is made with no captures.
//! Every call site passes exactly the arity it always passed, now plus the
//! captures, so no arity error can arise or change.
//!
//! The typical case is a named `let` loop (`(let loop ((i 0)) … (loop (+ i
//! 1)))`): its closure captured the loop's free variables and was made on
//! every entry to the loop; now the loop receives them as parameters, which
//! its self tail call passes back unchanged (register moves to themselves,
//! which the bytecode compiler drops). This is the closure-conversion choice
//! of Chez Scheme's "well-known" functions (Keep, Hearn and Dybvig,
//! "Optimizing closures in O(0) time", Scheme Workshop 2012); here only for
//! functions called from one site and themselves.

use crate::entities::{FuncId, Inst, Value};
use crate::function::{Function, InstData, Module, Terminator};
use rustc_hash::{FxHashMap, FxHashSet};

/// Lifts the captures of every eligible function of `m` (see the module docs).
pub fn lift_captures(m: &mut Module) {
    let sites = super::closure_sites(m);
    let mut lifted: Vec<(FuncId, FuncId, Inst)> = sites
        .into_iter()
        .filter_map(|(g, s)| match s[..] {
            [(caller, site)] if caller != g => Some((g, caller, site)),
            _ => None,
        })
        .collect();
    // Deterministic order (the printed IR must not depend on hashing).
    lifted.sort_by_key(|&(g, _, _)| g.index());
    let mut changed = Vec::new();
    for (g, caller, site) in lifted {
        let gf = &m.funcs[g.index()];
        if gf.ncaptures == 0 || gf.has_rest {
            continue;
        }
        let arity = gf.arity as usize;
        let v = m.funcs[caller.index()].inst(site).result;
        let self_refs: FxHashSet<Value> = placed_insts(gf).filter(|&i| matches!(gf.inst(i).data, InstData::SelfRef)).map(|i| gf.inst(i).result).collect();
        if !only_called(&m.funcs[caller.index()], &FxHashSet::from_iter([v]), arity) || !only_called(gf, &self_refs, arity) {
            continue;
        }
        let caps = match &mut m.funcs[caller.index()].insts[site.index()].data {
            InstData::MakeClosure(_, caps) => std::mem::take(caps),
            _ => unreachable!("sites are MakeClosure instructions"),
        };
        let types: Vec<_> = caps.iter().map(|&c| m.funcs[caller.index()].value_type(c)).collect();
        append_args(&mut m.funcs[caller.index()], &FxHashSet::from_iter([v]), &caps);
        lift(&mut m.funcs[g.index()], &self_refs, &types);
        changed.push(g);
    }
    // Renumber so the new parameters print in order with the others; only
    // now, as the recorded sites are instruction ids of the callers (which
    // may themselves be lifted functions).
    for g in changed {
        super::compact(&mut m.funcs[g.index()]);
    }
}

/// Instructions placed in a block (the arena may hold dead ones).
fn placed_insts(f: &Function) -> impl Iterator<Item = Inst> + '_ {
    f.blocks.iter().flat_map(|b| b.insts.iter().copied())
}

/// True when every use of a value of `callees` in `f` is as the callee of a
/// `call`, `tail_call` or `callk` with exactly `arity` arguments.
fn only_called(f: &Function, callees: &FxHashSet<Value>, arity: usize) -> bool {
    let ok_call = |callee: Value, args: &[Value]| -> bool {
        (!callees.contains(&callee) || args.len() == arity) && !args.iter().any(|a| callees.contains(a))
    };
    let mut ok = true;
    for b in &f.blocks {
        for &i in &b.insts {
            match &f.inst(i).data {
                InstData::Call(c, args) => ok &= ok_call(*c, args),
                data => data.for_each_operand(|x| ok &= !callees.contains(&x)),
            }
        }
        match &b.term {
            Terminator::TailCall { callee, args } | Terminator::CallK { callee, args, .. } => ok &= ok_call(*callee, args),
            term => term.for_each_operand(|x| ok &= !callees.contains(&x)),
        }
    }
    ok
}

/// Appends `extra` to the arguments of every call whose callee is in `callees`.
fn append_args(f: &mut Function, callees: &FxHashSet<Value>, extra: &[Value]) {
    for b in 0..f.blocks.len() {
        for k in 0..f.blocks[b].insts.len() {
            let i = f.blocks[b].insts[k];
            if let InstData::Call(c, args) = &mut f.insts[i.index()].data {
                if callees.contains(c) {
                    args.extend_from_slice(extra);
                }
            }
        }
        if let Terminator::TailCall { callee, args } | Terminator::CallK { callee, args, .. } = &mut f.blocks[b].term {
            if callees.contains(callee) {
                args.extend_from_slice(extra);
            }
        }
    }
}

/// Turns `g`'s captures into entry parameters of the given types (see the
/// module docs); `self_refs` are its `SelfRef` values.
fn lift(g: &mut Function, self_refs: &FxHashSet<Value>, types: &[crate::types::Type]) {
    let entry = g.entry();
    let params: Vec<Value> = types.iter().map(|&ty| g.add_block_param(entry, ty)).collect();
    let mut map = FxHashMap::default();
    for b in 0..g.blocks.len() {
        g.blocks[b].insts.retain(|&i| match g.insts[i.index()].data {
            InstData::Capture(k) => {
                map.insert(g.insts[i.index()].result, params[k as usize]);
                false
            }
            _ => true,
        });
    }
    g.replace_uses(&map);
    append_args(g, self_refs, &params);
    g.arity += params.len() as u32;
    g.ncaptures = 0;
}
