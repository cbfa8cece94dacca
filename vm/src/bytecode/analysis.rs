//! Facts about IR functions and instructions used by the bytecode compiler:
//! self-tail-call loops, fused global calls, predecessor counts, immediate
//! operands, comparison and type mappings, literal values.

use super::{Cmp, Op, Reg, TypeTag};
use crate::interp::rt;
use crate::value::Value;
use frontend::ast::Const;
use ir::{CmpOp, Function, InstData, Terminator, Type};

/// A function whose self tail calls become loops: the entry block starts with
/// a prologue of `Capture`/`SelfRef` instructions (re-executing it would only
/// re-read the same closure), and some block ends in a tail call of the
/// `SelfRef` value with exactly `arity` arguments (no `&rest`).
pub(super) struct SelfLoop {
    /// The `SelfRef` value.
    pub self_value: ir::Value,
    /// Number of prologue instructions in the entry block.
    pub prologue: usize,
    /// Prologue values (kept in their registers for the whole function).
    pub pinned: Vec<ir::Value>,
    /// False when the `SelfRef` value is only the callee of self tail calls
    /// (all of which become loops), so its `self` instruction is not emitted.
    pub self_needed: bool,
}

pub(super) fn self_loop(f: &Function) -> Option<SelfLoop> {
    if f.has_rest {
        return None;
    }
    let entry = f.blocks.first()?;
    let prologue = entry.insts.iter().take_while(|&&i| matches!(f.inst(i).data, InstData::Capture(_) | InstData::SelfRef)).count();
    let pinned: Vec<ir::Value> = entry.insts[..prologue].iter().map(|&i| f.inst(i).result).collect();
    let self_value = entry.insts[..prologue].iter().find(|&&i| matches!(f.inst(i).data, InstData::SelfRef)).map(|&i| f.inst(i).result)?;
    let is_loop_edge =
        |t: &Terminator| matches!(t, Terminator::TailCall { callee, args } if *callee == self_value && args.len() == f.arity as usize);
    let edges = f.blocks.iter().filter(|b| is_loop_edge(&b.term)).count();
    if edges == 0 {
        return None;
    }
    // A loop edge uses the value once as its callee; any other use needs it.
    let self_needed = f.use_counts()[self_value.index()] as usize != edges
        || f.blocks.iter().any(|b| matches!(&b.term, Terminator::TailCall { args, .. } if args.contains(&self_value)));
    Some(SelfLoop { self_value, prologue, pinned, self_needed })
}

/// `a + c` / `a - c` where `c` may be a small constant: (prim name, a, c).
pub(super) fn imm_arith(d: &InstData) -> Option<(&'static str, ir::Value, ir::Value)> {
    match d {
        InstData::Prim(n, args) if args.len() == 2 && (n == "+" || n == "-") => {
            Some((if n == "+" { "+" } else { "-" }, args[0], args[1]))
        }
        InstData::IAddOvf(a, b) => Some(("+", *a, *b)),
        InstData::ISubOvf(a, b) => Some(("-", *a, *b)),
        _ => None,
    }
}

pub(super) fn cmp_of(op: CmpOp) -> Cmp {
    match op {
        CmpOp::Lt => Cmp::Lt,
        CmpOp::Le => Cmp::Le,
        CmpOp::Gt => Cmp::Gt,
        CmpOp::Ge => Cmp::Ge,
        CmpOp::Eq => Cmp::Eq,
        CmpOp::Ne => Cmp::Ne,
    }
}

pub(super) fn cmp_of_name(name: &str) -> Option<Cmp> {
    Some(match name {
        "<" => Cmp::Lt,
        ">" => Cmp::Gt,
        "<=" => Cmp::Le,
        ">=" => Cmp::Ge,
        "=" => Cmp::Eq,
        _ => return None,
    })
}

pub(super) fn type_tag(t: Type) -> Option<TypeTag> {
    Some(match t {
        Type::Any => return None,
        Type::Nil => TypeTag::Nil,
        Type::Bool => TypeTag::Bool,
        Type::Int => TypeTag::Int,
        Type::Float => TypeTag::Float,
        Type::Str => TypeTag::Str,
        Type::Symbol => TypeTag::Symbol,
        Type::Keyword => TypeTag::Keyword,
        Type::List => TypeTag::List,
        Type::Dict => TypeTag::Dict,
        Type::Closure => TypeTag::Closure,
        #[allow(unreachable_patterns)]
        _ => return None,
    })
}

/// The run-time value of a literal.
pub(crate) fn const_value(c: &Const) -> Value {
    match c {
        Const::Nil => Value::Nil,
        Const::Bool(b) => Value::Bool(*b),
        Const::Int(i) => Value::Int(*i),
        Const::Float(x) => Value::Float(*x),
        Const::Str(s) => rt::string(s),
        Const::Symbol(s) => rt::symbol(s),
        Const::Keyword(s) => rt::keyword(s),
        Const::Quoted(d) => rt::datum_value(d),
    }
}

/// The `gget`s fused into the call using them, by value: the global's name.
/// A `gget` is fused when its only use is the callee of a call (in any
/// block: IR functions are acyclic, so the call runs at most once per read).
/// The call then reads the global itself, after its arguments were evaluated
/// (see "Global calls" in `docs/vm.md`); the value gets no register.
pub(super) fn fused_global_calls(f: &Function, uses: &[u32]) -> Vec<Option<String>> {
    let mut global_of: Vec<Option<&String>> = vec![None; f.values.len()];
    for b in &f.blocks {
        for &i in &b.insts {
            let node = f.inst(i);
            if let InstData::GlobalGet(name) = &node.data {
                global_of[node.result.index()] = Some(name);
            }
        }
    }
    let mut fused = vec![None; f.values.len()];
    let mut site = |c: ir::Value| {
        if uses[c.index()] == 1 {
            if let Some(name) = global_of[c.index()] {
                fused[c.index()] = Some(name.clone());
            }
        }
    };
    for b in &f.blocks {
        for &i in &b.insts {
            if let InstData::Call(c, _) = &f.inst(i).data {
                site(*c);
            }
        }
        if let Terminator::CallK { callee, .. } | Terminator::TailCall { callee, .. } = &b.term {
            site(*callee);
        }
    }
    fused
}

/// Number of incoming CFG edges of each block (terminator successors and
/// guard deoptimisation edges).
pub(super) fn predecessor_counts(f: &Function) -> Vec<u32> {
    let mut n = vec![0u32; f.blocks.len()];
    for b in &f.blocks {
        for &i in &b.insts {
            if let InstData::Guard { deopt, .. } = &f.inst(i).data {
                n[deopt.index()] += 1;
            }
        }
        super::regalloc::successors(&b.term).into_iter().for_each(|s| n[s.index()] += 1);
    }
    n
}

/// The destination register of an instruction that only computes a value
/// into it (arithmetic, loads, moves, non-call primitives), mutably: such a
/// destination can be changed without changing anything else.
fn plain_dst_mut(op: &mut Op) -> Option<&mut Reg> {
    match op {
        Op::Move { dst, .. }
        | Op::LoadConst { dst, .. }
        | Op::LoadInt { dst, .. }
        | Op::LoadNil { dst }
        | Op::LoadBool { dst, .. }
        | Op::Prim { dst, .. }
        | Op::PrimOwned { dst, .. }
        | Op::PrimArityError { dst, .. }
        | Op::Nth { dst, .. }
        | Op::First { dst, .. }
        | Op::IsEmpty { dst, .. }
        | Op::Add { dst, .. }
        | Op::Sub { dst, .. }
        | Op::Mul { dst, .. }
        | Op::Div { dst, .. }
        | Op::Math { dst, .. }
        | Op::AddImm { dst, .. }
        | Op::SubImm { dst, .. }
        | Op::Compare { dst, .. }
        | Op::Not { dst, .. } => Some(dst),
        _ => None,
    }
}

/// The destination of an instruction accepted by [`plain_dst_mut`].
pub(super) fn plain_dst(op: &Op) -> Option<Reg> {
    let mut copy = *op;
    plain_dst_mut(&mut copy).map(|r| *r)
}

/// Sets the destination of an instruction accepted by [`plain_dst`].
pub(super) fn set_plain_dst(op: &mut Op, to: Reg) {
    match plain_dst_mut(op) {
        Some(dst) => *dst = to,
        None => unreachable!("set_plain_dst on {op:?}"),
    }
}
