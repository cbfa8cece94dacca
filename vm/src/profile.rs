//! Interpreter profiles: per-function call counters, per-loop back-edge
//! counters and per-site type feedback (a `u8` bitset of observed operand or
//! callee kinds). Recorded by the interpreter into [`crate::bytecode::ProtoProfile`]
//! (plain `Cell`s, no hashing on the hot path); read here for the JIT and
//! `sxc inspect`.

use crate::bytecode::{Op, Proto};
use crate::value::Value;
use std::fmt::Write;
use std::rc::Rc;

/// Observed-kind bits.
pub mod kinds {
    pub const INT: u8 = 1;
    pub const FLOAT: u8 = 2;
    pub const STR: u8 = 4;
    pub const LIST: u8 = 8;
    pub const DICT: u8 = 16;
    pub const CLOSURE: u8 = 32;
    pub const PRIM: u8 = 64;
    /// Anything else (nil, booleans, symbols, components, ...).
    pub const OTHER: u8 = 128;
}

/// The kind bit of a value.
#[inline]
pub fn kind_bit(v: &Value) -> u8 {
    match v {
        Value::Int(_) => kinds::INT,
        Value::Float(_) => kinds::FLOAT,
        Value::Str(_) => kinds::STR,
        Value::List(_) => kinds::LIST,
        Value::Dict(_) => kinds::DICT,
        Value::Closure(_) => kinds::CLOSURE,
        Value::Prim(_) => kinds::PRIM,
        _ => kinds::OTHER,
    }
}

/// Names of the kinds in a bitset, e.g. `int|float`.
pub fn kinds_name(bits: u8) -> String {
    let names = ["int", "float", "str", "list", "dict", "closure", "prim", "other"];
    let v: Vec<&str> = (0..8).filter(|i| bits & (1 << i) != 0).map(|i| names[i]).collect();
    if v.is_empty() {
        "-".into()
    } else {
        v.join("|")
    }
}

/// A snapshot of one function's profile.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionProfile {
    /// The function's name (`lambda` when anonymous).
    pub name: String,
    /// Times entered.
    pub calls: u64,
    /// Count per loop back-edge (CFG loops).
    pub backedges: Vec<u64>,
    /// Self tail calls (named-let loop iterations).
    pub self_tail_calls: u64,
    /// `(pc, observed kinds)` for every generic arithmetic/compare/call site that
    /// has recorded something other than the `Int` fast path (arithmetic) or
    /// a closure with exact arity (calls).
    pub feedback: Vec<(usize, u8)>,
}

impl FunctionProfile {
    /// Snapshot of `p`'s counters.
    pub fn of(p: &Proto) -> FunctionProfile {
        let prof = &p.profile;
        let feedback = p
            .code()
            .iter()
            .enumerate()
            .filter(|(_, op)| {
                matches!(
                    op,
                    Op::Add { .. }
                        | Op::Sub { .. }
                        | Op::Mul { .. }
                        | Op::Compare { .. }
                        | Op::BrCmp { .. }
                        | Op::Call { .. }
                        | Op::CallGlobal { .. }
                        | Op::TailCallGlobal { .. }
                        | Op::TailCall { .. }
                )
            })
            .map(|(pc, _)| (pc, prof.feedback[pc].get()))
            .filter(|(_, b)| *b != 0)
            .collect();
        FunctionProfile {
            name: p.display_name().to_string(),
            calls: prof.calls.get(),
            backedges: prof.backedges.iter().map(|c| c.get()).collect(),
            self_tail_calls: prof.self_tail_calls.get(),
            feedback,
        }
    }

    /// Total loop iterations: CFG back-edges plus self tail calls.
    pub fn loop_iterations(&self) -> u64 {
        self.backedges.iter().sum::<u64>() + self.self_tail_calls
    }
}

/// Profiles of `root` and all nested protos.
pub fn collect(root: &Rc<Proto>) -> Vec<FunctionProfile> {
    let mut out = Vec::new();
    root.walk(&mut |p| out.push(FunctionProfile::of(p)));
    out
}

/// A human-readable report (for `sxc inspect` and tests).
pub fn render(profiles: &[FunctionProfile]) -> String {
    let mut s = String::new();
    for p in profiles {
        let _ = write!(s, "{}: calls {}", p.name, p.calls);
        if p.loop_iterations() > 0 {
            let _ = write!(s, ", loop iterations {}", p.loop_iterations());
        }
        for (pc, bits) in &p.feedback {
            let _ = write!(s, ", @{pc} {}", kinds_name(*bits));
        }
        s.push('\n');
    }
    s
}
