//! The IR verifier. Runs after every pass in debug builds; a failure is a
//! compiler bug.
//!
//! Checked, per function (messages start with `fN "name" blockK:`):
//! - the module has an entry function of arity 0 without captures;
//! - every function has an entry block whose parameters number `arity + has_rest`;
//! - every block is terminated (no [`Terminator::Unterminated`]);
//! - ids are in range: values, instructions, blocks, `FuncId`s; every
//!   instruction sits in at most one block; value definitions agree with
//!   where they appear (`ValueDef::Param(b, n)` is `b`'s n-th parameter,
//!   `ValueDef::Inst(i)` is `i`'s result);
//! - jump/branch argument counts equal the target's parameter count; the
//!   continuation of `CallK`/`ApplyK`/`Suspend` and both `TryCall` targets
//!   have exactly one parameter;
//! - `Capture(i)` has `i < ncaptures`; `MakeClosure(f, caps)` passes exactly
//!   `f.ncaptures` captures;
//! - every use in a reachable block is dominated by its definition (same block:
//!   defined earlier). Dominators are computed with Cooper, Harvey & Kennedy,
//!   "A Simple, Fast Dominance Algorithm" (2001). Unreachable blocks are
//!   checked for everything but dominance.

use crate::entities::{Block, FuncId, Value};
use crate::function::{Function, InstData, Module, Terminator, ValueDef};

/// Verifies every function of `m`; `Err` holds one message per problem.
pub fn verify_module(m: &Module) -> Result<(), Vec<String>> {
    let mut errs = Vec::new();
    match m.entry {
        None => errs.push("module: no entry function".to_string()),
        Some(e) if e.index() >= m.funcs.len() => errs.push(format!("module: entry {e} out of range")),
        Some(e) => {
            let f = m.func(e);
            if f.arity != 0 || f.has_rest || f.ncaptures != 0 {
                errs.push(format!("{e}: entry function must have arity 0 and no captures"));
            }
        }
    }
    for i in 0..m.funcs.len() {
        errs.extend(verify_function(m, FuncId::new(i)));
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs)
    }
}

/// Dominator tree of the reachable blocks of `f`: `idom[b]` is the immediate
/// dominator (`idom[entry] == entry`), `None` for unreachable blocks.
/// Cooper–Harvey–Kennedy iterative algorithm over reverse post-order.
pub fn dominators(f: &Function) -> Vec<Option<Block>> {
    let n = f.blocks.len();
    let rpo = f.reverse_post_order();
    let mut order = vec![usize::MAX; n];
    for (k, b) in rpo.iter().enumerate() {
        order[b.index()] = k;
    }
    let preds = f.predecessors();
    let mut idom: Vec<Option<Block>> = vec![None; n];
    if n == 0 {
        return idom;
    }
    idom[0] = Some(Block(0));
    let intersect = |idom: &Vec<Option<Block>>, mut a: Block, mut b: Block| {
        while a != b {
            while order[a.index()] > order[b.index()] {
                a = idom[a.index()].unwrap();
            }
            while order[b.index()] > order[a.index()] {
                b = idom[b.index()].unwrap();
            }
        }
        a
    };
    let mut changed = true;
    while changed {
        changed = false;
        for &b in rpo.iter().skip(1) {
            let mut new: Option<Block> = None;
            for &p in &preds[b.index()] {
                if idom[p.index()].is_none() {
                    continue;
                }
                new = Some(match new {
                    None => p,
                    Some(x) => intersect(&idom, p, x),
                });
            }
            if new.is_some() && idom[b.index()] != new {
                idom[b.index()] = new;
                changed = true;
            }
        }
    }
    idom
}

/// True when `a` dominates `b` (reflexive) under `idom` from [`dominators`].
pub fn dominates(idom: &[Option<Block>], a: Block, b: Block) -> bool {
    let mut x = b;
    loop {
        if x == a {
            return true;
        }
        match idom[x.index()] {
            Some(p) if p != x => x = p,
            _ => return false,
        }
    }
}

/// Verifies one function; returns the problems found.
pub fn verify_function(m: &Module, id: FuncId) -> Vec<String> {
    let f = m.func(id);
    let fname = format!("{id} {:?}", f.name.as_deref().unwrap_or("_"));
    let mut errs = Vec::new();
    let nv = f.values.len();
    if f.blocks.is_empty() {
        errs.push(format!("{fname}: no blocks"));
        return errs;
    }
    let entry_params = f.blocks[0].params.len();
    let want = f.arity as usize + f.has_rest as usize;
    if entry_params != want {
        errs.push(format!("{fname} block0: entry block has {entry_params} params, expected {want} (arity {} + rest {})", f.arity, f.has_rest));
    }
    // Where each value is defined: (block, position); params at position 0 but
    // "before" every instruction, instructions at 1 + index.
    let mut def_at: Vec<Option<(Block, usize)>> = vec![None; nv];
    let mut inst_seen = vec![false; f.insts.len()];
    for (bi, b) in f.blocks.iter().enumerate() {
        let blk = Block::new(bi);
        for (k, &p) in b.params.iter().enumerate() {
            if p.index() >= nv {
                errs.push(format!("{fname} block{bi}: param {p} out of range"));
                continue;
            }
            if f.values[p.index()].def != ValueDef::Param(blk, k as u32) {
                errs.push(format!("{fname} block{bi}: param {p} has definition {:?}", f.values[p.index()].def));
            }
            if def_at[p.index()].replace((blk, 0)).is_some() {
                errs.push(format!("{fname} block{bi}: value {p} defined twice"));
            }
        }
        for (k, &i) in b.insts.iter().enumerate() {
            if i.index() >= f.insts.len() {
                errs.push(format!("{fname} block{bi}: instruction {i} out of range"));
                continue;
            }
            if std::mem::replace(&mut inst_seen[i.index()], true) {
                errs.push(format!("{fname} block{bi}: instruction {i} placed twice"));
            }
            let r = f.insts[i.index()].result;
            if r.index() >= nv {
                errs.push(format!("{fname} block{bi}: result {r} of {i} out of range"));
                continue;
            }
            if f.values[r.index()].def != ValueDef::Inst(i) {
                errs.push(format!("{fname} block{bi}: result {r} of {i} has definition {:?}", f.values[r.index()].def));
            }
            if def_at[r.index()].replace((blk, k + 1)).is_some() {
                errs.push(format!("{fname} block{bi}: value {r} defined twice"));
            }
        }
    }
    let idom = dominators(f);
    let nb = f.blocks.len();
    let check_use = |errs: &mut Vec<String>, bi: usize, pos: usize, v: Value, what: &str| {
        if v.index() >= nv {
            errs.push(format!("{fname} block{bi}: {what} uses {v}, out of range"));
            return;
        }
        let Some((db, dpos)) = def_at[v.index()] else {
            errs.push(format!("{fname} block{bi}: {what} uses {v}, which is not defined in any block"));
            return;
        };
        if idom[bi].is_none() {
            return; // unreachable: dominance is vacuous
        }
        let ok = if db.index() == bi { dpos < pos } else { dominates(&idom, db, Block::new(bi)) };
        if !ok {
            errs.push(format!("{fname} block{bi}: {what} uses {v} (defined in {db}), which does not dominate the use"));
        }
    };
    let check_block = |errs: &mut Vec<String>, bi: usize, b: Block, what: &str| -> Option<usize> {
        if b.index() >= nb {
            errs.push(format!("{fname} block{bi}: {what} target {b} out of range"));
            None
        } else {
            Some(f.blocks[b.index()].params.len())
        }
    };
    for (bi, b) in f.blocks.iter().enumerate() {
        for (k, &i) in b.insts.iter().enumerate() {
            let Some(node) = f.insts.get(i.index()) else { continue };
            let what = format!("{} = {}", node.result, inst_name(&node.data));
            node.data.for_each_operand(|v| check_use(&mut errs, bi, k + 1, v, &what));
            match &node.data {
                InstData::Capture(c) if *c >= f.ncaptures => {
                    errs.push(format!("{fname} block{bi}: capture {c} but the function has {} captures", f.ncaptures))
                }
                InstData::MakeClosure(fid, caps) => match m.funcs.get(fid.index()) {
                    None => errs.push(format!("{fname} block{bi}: make_closure of {fid}, out of range")),
                    Some(g) if g.ncaptures as usize != caps.len() => errs.push(format!(
                        "{fname} block{bi}: make_closure {fid} passes {} captures, {fid} has {}",
                        caps.len(),
                        g.ncaptures
                    )),
                    _ => {}
                },
                InstData::Guard { deopt, .. } if deopt.index() >= nb => {
                    errs.push(format!("{fname} block{bi}: guard deopt target {deopt} out of range"))
                }
                _ => {}
            }
        }
        let pos = b.insts.len() + 1;
        let tname = term_name(&b.term);
        b.term.for_each_operand(|v| check_use(&mut errs, bi, pos, v, tname));
        match &b.term {
            Terminator::Unterminated => errs.push(format!("{fname} block{bi}: unterminated block")),
            Terminator::Jump(bc) => {
                if let Some(n) = check_block(&mut errs, bi, bc.block, "jump") {
                    if n != bc.args.len() {
                        errs.push(format!("{fname} block{bi}: jump to {} passes {} args, it has {n} params", bc.block, bc.args.len()));
                    }
                }
            }
            Terminator::Branch { then_dest, else_dest, .. } => {
                for bc in [then_dest, else_dest] {
                    if let Some(n) = check_block(&mut errs, bi, bc.block, "branch") {
                        if n != bc.args.len() {
                            errs.push(format!("{fname} block{bi}: branch to {} passes {} args, it has {n} params", bc.block, bc.args.len()));
                        }
                    }
                }
            }
            Terminator::CallK { cont, .. } | Terminator::ApplyK { cont, .. } | Terminator::Suspend { cont, .. } => {
                if let Some(n) = check_block(&mut errs, bi, *cont, tname) {
                    if n != 1 {
                        errs.push(format!("{fname} block{bi}: {tname} continuation {cont} has {n} params, expected 1"));
                    }
                }
            }
            Terminator::TryCall { ok, err, .. } => {
                for (t, which) in [(ok, "ok"), (err, "err")] {
                    if let Some(n) = check_block(&mut errs, bi, *t, "try_call") {
                        if n != 1 {
                            errs.push(format!("{fname} block{bi}: try_call {which} block {t} has {n} params, expected 1"));
                        }
                    }
                }
            }
            Terminator::Return(_) | Terminator::Raise(_) | Terminator::TailCall { .. } | Terminator::TailApply { .. } => {}
        }
    }
    errs
}

fn inst_name(d: &InstData) -> &'static str {
    match d {
        InstData::Const(_) => "const",
        InstData::Capture(_) => "capture",
        InstData::SelfRef => "self_ref",
        InstData::GlobalGet(_) => "global_get",
        InstData::GlobalSet(..) => "global_set",
        InstData::GlobalDefine(..) => "global_define",
        InstData::MakeClosure(..) => "make_closure",
        InstData::CellNew(_) => "cell_new",
        InstData::CellGet(_) => "cell_get",
        InstData::CellSet(..) => "cell_set",
        InstData::Prim(..) => "prim",
        InstData::Call(..) => "call",
        InstData::IAddOvf(..) => "iadd.ovf",
        InstData::ISubOvf(..) => "isub.ovf",
        InstData::IMulOvf(..) => "imul.ovf",
        InstData::ICmp(..) => "icmp",
        InstData::Guard { .. } => "guard",
    }
}

fn term_name(t: &Terminator) -> &'static str {
    match t {
        Terminator::Jump(_) => "jump",
        Terminator::Branch { .. } => "branch",
        Terminator::Return(_) => "return",
        Terminator::TailCall { .. } => "tail_call",
        Terminator::CallK { .. } => "callk",
        Terminator::ApplyK { .. } => "applyk",
        Terminator::TailApply { .. } => "tail_apply",
        Terminator::Suspend { .. } => "suspend",
        Terminator::TryCall { .. } => "try_call",
        Terminator::Raise(_) => "raise",
        Terminator::Unterminated => "unterminated",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::function::BlockCall;
    use crate::types::Type;
    use frontend::ast::Const;
    use frontend::Span;

    fn module(f: Function) -> Module {
        let mut top = Function::new(Some("<toplevel>".into()), Span::default());
        let b = top.add_block();
        let v = top.push_inst(b, InstData::Const(Const::Nil), Type::Nil, Span::default());
        top.set_terminator(b, Terminator::Return(v), Span::default());
        let mut m = Module::default();
        m.entry = Some(m.add_func(top));
        m.add_func(f);
        m
    }

    /// `fn (x) { if x then a = 1 else b = 2; join(r) return r }`, valid.
    fn diamond() -> Function {
        let sp = Span::default();
        let mut f = Function::new(Some("d".into()), sp);
        f.arity = 1;
        let (b0, b1, b2, b3) = (f.add_block(), f.add_block(), f.add_block(), f.add_block());
        let x = f.add_block_param(b0, Type::Any);
        f.set_terminator(b0, Terminator::Branch { cond: x, then_dest: BlockCall { block: b1, args: vec![] }, else_dest: BlockCall { block: b2, args: vec![] } }, sp);
        let one = f.push_inst(b1, InstData::Const(Const::Int(1)), Type::Int, sp);
        f.set_terminator(b1, Terminator::Jump(BlockCall { block: b3, args: vec![one] }), sp);
        let two = f.push_inst(b2, InstData::Const(Const::Int(2)), Type::Int, sp);
        f.set_terminator(b2, Terminator::Jump(BlockCall { block: b3, args: vec![two] }), sp);
        let r = f.add_block_param(b3, Type::Any);
        f.set_terminator(b3, Terminator::Return(r), sp);
        f
    }

    fn errors(f: Function) -> Vec<String> {
        verify_module(&module(f)).err().unwrap_or_default()
    }

    fn assert_rejects(f: Function, needle: &str) {
        let errs = errors(f);
        assert!(errs.iter().any(|e| e.contains(needle) && e.starts_with("f1 \"d\" block")), "expected {needle:?} in {errs:#?}");
    }

    #[test]
    fn accepts_valid_diamond() {
        assert_eq!(errors(diamond()), Vec::<String>::new());
        let idom = dominators(&diamond());
        assert_eq!(idom, vec![Some(Block(0)), Some(Block(0)), Some(Block(0)), Some(Block(0))]);
    }

    #[test]
    fn rejects_unterminated() {
        let mut f = diamond();
        f.blocks[3].term = Terminator::Unterminated;
        assert_rejects(f, "unterminated");
    }

    #[test]
    fn rejects_jump_arity() {
        let mut f = diamond();
        if let Terminator::Jump(bc) = &mut f.blocks[1].term {
            bc.args.clear();
        }
        assert_rejects(f, "passes 0 args, it has 1 params");
    }

    #[test]
    fn rejects_undominated_use() {
        let mut f = diamond();
        // block3 returns the constant defined in block1 only.
        let one = f.insts[0].result;
        f.blocks[3].term = Terminator::Return(one);
        assert_rejects(f, "does not dominate");
    }

    #[test]
    fn rejects_use_before_def_in_block() {
        let mut f = diamond();
        let sp = Span::default();
        let b1 = Block(1);
        let one = f.insts[0].result;
        let v = f.push_inst(b1, InstData::Prim("+".into(), vec![one, one]), Type::Any, sp);
        f.blocks[1].insts.reverse(); // the prim now precedes the const it uses
        let _ = v;
        assert_rejects(f, "does not dominate");
    }

    #[test]
    fn rejects_bad_continuation_and_entry_params() {
        let mut f = diamond();
        let x = f.blocks[0].params[0];
        f.blocks[0].term = Terminator::CallK { callee: x, args: vec![], cont: Block(1) };
        assert_rejects(f, "continuation block1 has 0 params, expected 1");
        let mut f = diamond();
        f.arity = 2;
        assert_rejects(f, "entry block has 1 params, expected 2");
        let mut f = diamond();
        let x = f.blocks[0].params[0];
        f.blocks[0].term = Terminator::TryCall { thunk: x, ok: Block(3), err: Block(1) };
        assert_rejects(f, "try_call err block block1 has 0 params");
    }

    #[test]
    fn rejects_bad_captures_and_func_ids() {
        let sp = Span::default();
        let mut f = diamond();
        f.push_inst(Block(1), InstData::Capture(0), Type::Any, sp);
        assert_rejects(f, "capture 0 but the function has 0 captures");
        let mut f = diamond();
        f.push_inst(Block(1), InstData::MakeClosure(crate::FuncId(7), vec![]), Type::Any, sp);
        assert_rejects(f, "make_closure of f7, out of range");
        let mut f = diamond();
        let x = f.blocks[0].params[0];
        f.push_inst(Block(1), InstData::MakeClosure(crate::FuncId(0), vec![x]), Type::Any, sp);
        assert_rejects(f, "passes 1 captures, f0 has 0");
        let mut f = diamond();
        f.blocks[1].term = Terminator::Jump(BlockCall { block: Block(9), args: vec![] });
        assert_rejects(f, "target block9 out of range");
    }

    #[test]
    fn rejects_out_of_range_values() {
        let mut f = diamond();
        f.blocks[3].term = Terminator::Return(Value(99));
        assert_rejects(f, "out of range");
    }
}
