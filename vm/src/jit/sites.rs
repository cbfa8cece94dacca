//! What each bytecode instruction is to the code generator: recorded per pc
//! in [`super::JitMap`] when a function is compiled to bytecode, so the
//! LLVM tier decides from data (never by re-reading bytecode) whether an IR
//! instruction runs inline, as a direct primitive call ([`SiteOp::Prim`],
//! `sx_rt_prim`), through the generic `sx_rt_op`, as a call, or as a side
//! exit. The classification is part of the bundle fingerprint.

use crate::bytecode::Op;
use crate::interp::rt;

/// Kinds of bytecode instruction the runtime can run for an IR instruction
/// (`sx_rt_prim`, `sx_rt_op`) or call from compiled code (`sx_rt_call`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum SiteOp {
    /// A call of builtin `id` with the IR instruction's arguments in order
    /// (`prim`, `prim.own`, and the interpreter's specialised forms `first`,
    /// `empty?`, `nth`, `append!`, `/` and the math functions). `owned`: the
    /// bytecode moves the argument the primitive consumes
    /// ([`crate::prims::Consume`]) out of its register, which dies here.
    Prim { id: u16, owned: bool },
    /// A data instruction `sx_rt_op` runs.
    Data,
    /// `global.get` of slot `slot`: read inline (an unbound slot goes
    /// through `sx_rt_op`, which raises). Slots are the same in every
    /// isolate of a process: a program's globals are numbered in the order
    /// its modules are compiled.
    Global { slot: u32 },
    /// `call`/`call.g`.
    Call,
    /// `tailcall`/`tailcall.g`.
    TailCall,
    /// `suspend` (a `perform`): always a side exit; the pc after it is a
    /// resume state.
    Suspend,
    /// `apply` (made by the interpreter; the pc after it is a resume state).
    Apply,
    /// `try` (a `guard` thunk call, made by the interpreter; the pc after it,
    /// the thunk's normal return, is a resume state).
    TryCall,
    /// Anything else (the site must side-exit to the interpreter).
    Other,
}

/// What the bytecode instruction at `pc` is, for the code generator.
pub fn site_op(map: &super::JitMap, pc: u32) -> SiteOp {
    match map.ops.get(pc as usize) {
        Some(k) => *k,
        None => SiteOp::Other,
    }
}

/// The resume states of a function, sorted by pc: `(pc, block)` where the
/// IR block `block` is the continuation of a terminator — a call (`CallK`),
/// `apply`, `guard` thunk (`TryCall`, its normal return) or `perform`
/// (`Suspend`) — whose bytecode instruction is at `pc - 1`. At `pc` the
/// interpreter continues once the callee returned or the fiber resumed, at
/// the start of `block` with its parameter in its home; the compiled code
/// can take over there. (Calls that are IR instructions in the middle of a
/// block are not states.) Every compiled function has exactly these states
/// (`codegen-llvm`'s `resume` module is the other side).
pub fn resume_states(map: &super::JitMap) -> Vec<(u32, ir::Block)> {
    use ir::Terminator;
    let mut out = Vec::new();
    for (bi, bd) in map.ir.blocks.iter().enumerate() {
        let Some(&pc) = map.term_pc.get(bi) else { continue };
        let (cont, want) = match &bd.term {
            Terminator::CallK { cont, .. } => (*cont, SiteOp::Call),
            Terminator::ApplyK { cont, .. } => (*cont, SiteOp::Apply),
            Terminator::Suspend { cont, .. } => (*cont, SiteOp::Suspend),
            Terminator::TryCall { ok, .. } => (*ok, SiteOp::TryCall),
            Terminator::Jump(_)
            | Terminator::Branch { .. }
            | Terminator::Return(_)
            | Terminator::Raise(_)
            | Terminator::TailCall { .. }
            | Terminator::TailApply { .. }
            | Terminator::Unterminated => continue,
        };
        if map.ops.get(pc as usize) == Some(&want) {
            out.push((pc + 1, cont));
        }
    }
    out.sort_by_key(|s| s.0);
    out.dedup_by_key(|s| s.0);
    out
}

/// Whether `pc` is one of the function's resume states ([`resume_states`]).
pub fn is_resume_state(map: &super::JitMap, pc: u32) -> bool {
    map.resume.binary_search_by_key(&pc, |s| s.0).is_ok()
}

/// The primitive id of `name` (for generic fallbacks in generated code).
pub fn prim_id(name: &str) -> Option<u32> {
    rt::prim_lookup(name).map(|p| p.0)
}

/// Classifies an instruction (recorded in [`super::JitMap::ops`] at compile time).
pub(crate) fn classify(op: &Op) -> SiteOp {
    match *op {
        Op::Prim { prim, .. }
        | Op::First { prim, .. }
        | Op::IsEmpty { prim, .. }
        | Op::Nth { prim, .. }
        | Op::Append { prim, .. }
        | Op::Div { prim, .. }
        | Op::Math { prim, .. } => SiteOp::Prim { id: prim, owned: false },
        Op::PrimOwned { prim, .. } => SiteOp::Prim { id: prim, owned: true },
        Op::LoadConst { .. }
        | Op::LoadInt { .. }
        | Op::LoadNil { .. }
        | Op::LoadBool { .. }
        | Op::Capture { .. }
        | Op::SelfRef { .. }
        | Op::GlobalSet { .. }
        | Op::GlobalDefine { .. }
        | Op::MakeClosure { .. }
        | Op::CellNew { .. }
        | Op::CellGet { .. }
        | Op::CellSet { .. }
        | Op::PrimArityError { .. }
        | Op::Not { .. }
        | Op::Move { .. }
        | Op::Take { .. } => SiteOp::Data,
        Op::GlobalGet { slot, .. } => SiteOp::Global { slot },
        Op::Call { .. } | Op::CallGlobal { .. } => SiteOp::Call,
        Op::Suspend { .. } => SiteOp::Suspend,
        Op::Apply { .. } => SiteOp::Apply,
        Op::TryCall { .. } => SiteOp::TryCall,
        Op::TailCall { .. } | Op::TailCallGlobal { .. } => SiteOp::TailCall,
        Op::Add { .. }
        | Op::Sub { .. }
        | Op::Mul { .. }
        | Op::AddImm { .. }
        | Op::SubImm { .. }
        | Op::BrCmpImm { .. }
        | Op::Compare { .. }
        | Op::BrCmp { .. }
        | Op::BrIfCmp { .. }
        | Op::RetCmp { .. }
        | Op::RetCmpImm { .. }
        | Op::JumpIfTrue { .. }
        | Op::Jump { .. }
        | Op::Loop { .. }
        | Op::JumpIfFalse { .. }
        | Op::Guard { .. }
        | Op::TailApply { .. }
        | Op::Raise { .. }
        | Op::Return { .. } => SiteOp::Other,
    }
}

/// The operands of every call and tail call instruction of `code`, by pc
/// (a tail call's `dst` is `u16::MAX`).
pub(crate) fn call_sites(code: &[Op]) -> std::collections::BTreeMap<u32, super::CallSite> {
    use super::{CallSite, Callee};
    let mut out = std::collections::BTreeMap::new();
    for (pc, op) in code.iter().enumerate() {
        let site = match *op {
            Op::Call { dst, callee, .. } => CallSite { dst, callee: Callee::Reg(callee) },
            Op::CallGlobal { dst, slot, .. } => CallSite { dst, callee: Callee::Global(slot) },
            Op::TailCall { callee, .. } => CallSite { dst: u16::MAX, callee: Callee::Reg(callee) },
            Op::TailCallGlobal { slot, .. } => CallSite { dst: u16::MAX, callee: Callee::Global(slot) },
            _ => continue,
        };
        out.insert(pc as u32, site);
    }
    out
}

