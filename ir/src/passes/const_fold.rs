//! Constant folding.
//!
//! Folds `Prim` calls of `+ - * < > <= >= = not` whose arguments are all
//! constants, typed integer ops (`iadd.ovf`, `isub.ovf`, `imul.ovf`, `icmp`),
//! and `Branch` on a constant condition (to a `Jump`; the dead arm becomes
//! unreachable and is removed by [`mod@crate::passes::dce`]).
//!
//! Never folded, so that the runtime raises exactly as it would have:
//! integer overflow (checked arithmetic), anything involving `/`, `quotient`,
//! etc. (division by zero), non-numeric operands (type errors), wrong argument
//! counts. Mixed integer/float arithmetic follows SX (the result is a float);
//! mixed comparisons are folded only when the integer is exactly representable
//! as a float (|i| ≤ 2^53).

use crate::entities::Value;
use crate::function::{BlockCall, CmpOp, Function, InstData, Terminator, ValueDef};
use crate::lower::const_type;
use frontend::ast::Const;

#[derive(Copy, Clone, Debug, PartialEq)]
enum Num {
    I(i64),
    F(f64),
}

fn as_num(c: &Const) -> Option<Num> {
    match c {
        Const::Int(i) => Some(Num::I(*i)),
        Const::Float(x) => Some(Num::F(*x)),
        _ => None,
    }
}

fn to_f(n: Num) -> Option<f64> {
    match n {
        Num::F(x) => Some(x),
        Num::I(i) if i.unsigned_abs() <= (1u64 << 53) => Some(i as f64),
        Num::I(_) => None,
    }
}

fn arith(op: &str, a: Num, b: Num) -> Option<Num> {
    match (a, b) {
        (Num::I(x), Num::I(y)) => match op {
            "+" => x.checked_add(y).map(Num::I),
            "-" => x.checked_sub(y).map(Num::I),
            "*" => x.checked_mul(y).map(Num::I),
            _ => None,
        },
        _ => {
            // At least one float: the integer converts (as the runtime does).
            let (x, y) = (flt(a), flt(b));
            match op {
                "+" => Some(Num::F(x + y)),
                "-" => Some(Num::F(x - y)),
                "*" => Some(Num::F(x * y)),
                _ => None,
            }
        }
    }
}

fn flt(n: Num) -> f64 {
    match n {
        Num::I(i) => i as f64,
        Num::F(x) => x,
    }
}

fn compare(op: &str, a: Num, b: Num) -> Option<bool> {
    if let (Num::I(x), Num::I(y)) = (a, b) {
        return Some(match op {
            "<" => x < y,
            ">" => x > y,
            "<=" => x <= y,
            ">=" => x >= y,
            "=" => x == y,
            _ => return None,
        });
    }
    let (x, y) = (to_f(a)?, to_f(b)?);
    Some(match op {
        "<" => x < y,
        ">" => x > y,
        "<=" => x <= y,
        ">=" => x >= y,
        "=" => x == y,
        _ => return None,
    })
}

/// Folds `op` applied to constant arguments; `None` when it must not be folded.
pub fn fold_prim(op: &str, args: &[Const]) -> Option<Const> {
    match op {
        "not" if args.len() == 1 => Some(Const::Bool(matches!(args[0], Const::Nil | Const::Bool(false)))),
        "+" | "*" => {
            let nums: Vec<Num> = args.iter().map(as_num).collect::<Option<_>>()?;
            let mut acc = if op == "+" { Num::I(0) } else { Num::I(1) };
            for n in nums {
                acc = arith(op, acc, n)?;
            }
            Some(num_const(acc))
        }
        "-" => {
            let nums: Vec<Num> = args.iter().map(as_num).collect::<Option<_>>()?;
            match nums.as_slice() {
                [] => None,
                [Num::I(x)] => x.checked_neg().map(Const::Int),
                [Num::F(x)] => Some(Const::Float(-x)),
                [first, rest @ ..] => {
                    let mut acc = *first;
                    for n in rest {
                        acc = arith("-", acc, *n)?;
                    }
                    Some(num_const(acc))
                }
            }
        }
        "<" | ">" | "<=" | ">=" | "=" => {
            let nums: Vec<Num> = args.iter().map(as_num).collect::<Option<_>>()?;
            if nums.is_empty() {
                return None;
            }
            let mut all = true;
            for w in nums.windows(2) {
                all &= compare(op, w[0], w[1])?;
            }
            Some(Const::Bool(all))
        }
        _ => None,
    }
}

fn num_const(n: Num) -> Const {
    match n {
        Num::I(i) => Const::Int(i),
        Num::F(x) => Const::Float(x),
    }
}

pub(super) fn const_of(f: &Function, v: Value) -> Option<&Const> {
    match f.values.get(v.index())?.def {
        ValueDef::Inst(i) => match &f.inst(i).data {
            InstData::Const(c) => Some(c),
            _ => None,
        },
        ValueDef::Param(..) => None,
    }
}

/// Constant-folds `f` in place (see the module docs). Returns true if anything changed.
pub fn const_fold_function(f: &mut Function) -> bool {
    let mut changed = false;
    for b in f.reverse_post_order() {
        for k in 0..f.blocks[b.index()].insts.len() {
            let i = f.blocks[b.index()].insts[k];
            let folded = match &f.inst(i).data {
                InstData::Prim(op, args) => {
                    let cs: Option<Vec<Const>> = args.iter().map(|a| const_of(f, *a).cloned()).collect();
                    cs.and_then(|cs| fold_prim(op, &cs))
                }
                InstData::IAddOvf(a, b) | InstData::ISubOvf(a, b) | InstData::IMulOvf(a, b) => {
                    let op = match &f.inst(i).data {
                        InstData::IAddOvf(..) => "+",
                        InstData::ISubOvf(..) => "-",
                        _ => "*",
                    };
                    match (const_of(f, *a), const_of(f, *b)) {
                        (Some(Const::Int(x)), Some(Const::Int(y))) => arith(op, Num::I(*x), Num::I(*y)).map(num_const),
                        _ => None,
                    }
                }
                InstData::ICmp(op, a, b) => match (const_of(f, *a), const_of(f, *b)) {
                    (Some(Const::Int(x)), Some(Const::Int(y))) => Some(Const::Bool(match op {
                        CmpOp::Lt => x < y,
                        CmpOp::Le => x <= y,
                        CmpOp::Gt => x > y,
                        CmpOp::Ge => x >= y,
                        CmpOp::Eq => x == y,
                        CmpOp::Ne => x != y,
                    })),
                    _ => None,
                },
                _ => None,
            };
            if let Some(c) = folded {
                let r = f.insts[i.index()].result;
                f.values[r.index()].ty = const_type(&c);
                f.insts[i.index()].data = InstData::Const(c);
                changed = true;
            }
        }
        if let Terminator::Branch { cond, then_dest, else_dest } = &f.blocks[b.index()].term {
            if let Some(c) = const_of(f, *cond) {
                let truthy = !matches!(c, Const::Nil | Const::Bool(false));
                let dest: BlockCall = if truthy { then_dest.clone() } else { else_dest.clone() };
                f.blocks[b.index()].term = Terminator::Jump(dest);
                changed = true;
            }
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_and_refuses() {
        assert_eq!(fold_prim("+", &[Const::Int(1), Const::Int(2)]), Some(Const::Int(3)));
        assert_eq!(fold_prim("+", &[Const::Int(i64::MAX), Const::Int(1)]), None);
        assert_eq!(fold_prim("*", &[Const::Int(i64::MAX), Const::Int(2)]), None);
        assert_eq!(fold_prim("-", &[Const::Int(i64::MIN)]), None);
        assert_eq!(fold_prim("/", &[Const::Int(1), Const::Int(0)]), None);
        assert_eq!(fold_prim("+", &[Const::Int(1), Const::Float(0.5)]), Some(Const::Float(1.5)));
        assert_eq!(fold_prim("+", &[Const::Int(1), Const::Str("x".into())]), None);
        assert_eq!(fold_prim("<", &[Const::Int(1), Const::Int(2), Const::Int(3)]), Some(Const::Bool(true)));
        assert_eq!(fold_prim("=", &[Const::Int(1), Const::Float(1.0)]), Some(Const::Bool(true)));
        assert_eq!(fold_prim("<", &[Const::Float(f64::NAN), Const::Int(1)]), Some(Const::Bool(false)));
        assert_eq!(fold_prim("<", &[Const::Int(i64::MAX), Const::Float(1.0)]), None);
        assert_eq!(fold_prim("-", &[Const::Int(5), Const::Int(2), Const::Int(1)]), Some(Const::Int(2)));
        assert_eq!(fold_prim("+", &[]), Some(Const::Int(0)));
    }
}
