//! Simple forward type inference: records in [`crate::ValueData::ty`] what is
//! obvious without profiles. Conservative: anything unsure stays `Any`.
//!
//! - constants: their literal type; `make_closure`/`self_ref`: `closure`;
//!   `global_define`/`global_set`/`cell_set`: `nil`;
//! - typed ops: `iadd.ovf`… `int`, `icmp` `bool`;
//! - primitives ([`prim_result_type`]): comparisons and type predicates `bool`,
//!   a few string builders `str`, list builders `list`, dict builders `dict`,
//!   `+ - *` on all-`int` operands `int`, on numeric operands with at least
//!   one `float` `float`;
//! - parameters of blocks reached only by `jump`/`branch`: the join of the
//!   incoming argument types; entry and continuation parameters: `any`.
//!
//! Iterates to a fixpoint over reverse post-order (block parameters start at
//! bottom), so it is also correct on cyclic CFGs.

use crate::entities::Value;
use crate::function::{Function, InstData, Module, Terminator};
use crate::lower::const_type;
use crate::types::Type;

/// The result type of primitive `name` applied to arguments of types `args`.
pub fn prim_result_type(name: &str, args: &[Type]) -> Type {
    match name {
        "=" | "!=" | "<" | ">" | "<=" | ">=" | "not" | "eq?" | "equal?" | "nil?" | "number?" | "integer?" | "float?" | "string?"
        | "symbol?" | "keyword?" | "list?" | "dict?" | "boolean?" | "fn?" | "error?" => Type::Bool,
        "str" | "repr" | "type-of" | "upper" | "lower" | "trim" => Type::Str,
        "list" | "%list" | "cons" => Type::List,
        "dict" | "%dict" => Type::Dict,
        "+" | "-" | "*" if !args.is_empty() => {
            if args.iter().all(|t| *t == Type::Int) {
                Type::Int
            } else if args.iter().all(|t| matches!(t, Type::Int | Type::Float)) {
                Type::Float
            } else {
                Type::Any
            }
        }
        _ => Type::Any,
    }
}

fn inst_type(data: &InstData, ty: &dyn Fn(Value) -> Type) -> Type {
    match data {
        InstData::Const(c) => const_type(c),
        InstData::MakeClosure(..) | InstData::SelfRef => Type::Closure,
        InstData::GlobalDefine(..) | InstData::GlobalSet(..) | InstData::CellSet(..) => Type::Nil,
        InstData::IAddOvf(..) | InstData::ISubOvf(..) | InstData::IMulOvf(..) => Type::Int,
        InstData::ICmp(..) => Type::Bool,
        InstData::Prim(n, args) => {
            let ts: Vec<Type> = args.iter().map(|a| ty(*a)).collect();
            prim_result_type(n, &ts)
        }
        InstData::Capture(_) | InstData::GlobalGet(_) | InstData::CellNew(_) | InstData::CellGet(_) | InstData::Call(..) | InstData::Guard { .. } => {
            Type::Any
        }
    }
}

/// Infers value types of one function in place.
pub fn infer_types_function(f: &mut Function) {
    let n = f.values.len();
    // None = bottom (no information yet).
    let mut tys: Vec<Option<Type>> = vec![None; n];
    // Entry and continuation parameters are Any.
    let mut jump_only = vec![true; f.blocks.len()];
    if !jump_only.is_empty() {
        jump_only[0] = false;
    }
    for b in &f.blocks {
        if !matches!(b.term, Terminator::Jump(_) | Terminator::Branch { .. }) {
            b.term.for_each_successor(|s| jump_only[s.index()] = false);
        }
    }
    for (bi, b) in f.blocks.iter().enumerate() {
        if !jump_only[bi] {
            for p in &b.params {
                tys[p.index()] = Some(Type::Any);
            }
        }
    }
    let rpo = f.reverse_post_order();
    loop {
        let mut changed = false;
        for &b in &rpo {
            let bd = f.block(b);
            for &i in &bd.insts {
                let node = f.inst(i);
                let t = inst_type(&node.data, &|v| tys[v.index()].unwrap_or(Type::Any));
                if tys[node.result.index()] != Some(t) {
                    tys[node.result.index()] = Some(t);
                    changed = true;
                }
            }
            let edges: Vec<(crate::Block, Vec<Value>)> = match &bd.term {
                Terminator::Jump(bc) => vec![(bc.block, bc.args.clone())],
                Terminator::Branch { then_dest, else_dest, .. } => {
                    vec![(then_dest.block, then_dest.args.clone()), (else_dest.block, else_dest.args.clone())]
                }
                _ => vec![],
            };
            for (t, args) in edges {
                if !jump_only[t.index()] {
                    continue;
                }
                for (p, a) in f.block(t).params.iter().zip(args) {
                    let at = tys[a.index()].unwrap_or(Type::Any);
                    let new = match tys[p.index()] {
                        None => at,
                        Some(old) => old.join(at),
                    };
                    if tys[p.index()] != Some(new) {
                        tys[p.index()] = Some(new);
                        changed = true;
                    }
                }
            }
        }
        if !changed {
            break;
        }
    }
    for (v, t) in f.values.iter_mut().zip(tys) {
        v.ty = t.unwrap_or(Type::Any);
    }
}

/// Infers value types in every function of `m` (see the module docs).
pub fn infer_types(m: &mut Module) {
    for f in &mut m.funcs {
        infer_types_function(f);
    }
}
