//! The correspondence between a function's optimised IR and its bytecode,
//! kept with the proto for the LLVM tier.
//!
//! Compiled code runs on the interpreter's frame: the activation's register
//! window is the frame of the compiled function too. An IR value's *home* is
//! the bytecode register the register allocator gave it, so compiled code
//! can hand control to the interpreter at any IR position that has a
//! bytecode instruction (a side exit: deoptimisation, a suspension, a call
//! the interpreter must make) by writing the values live there into their
//! homes and setting the frame's pc. The live set at a position comes from
//! the register allocator's intervals (a value whose interval contains the
//! position owns its register there), restricted by the code generator to
//! the values that dominate the position. This is the same "materialise the
//! interpreter frame at the exit" contract as V8's deoptimiser, without
//! stack maps: every exit is an explicit call in the generated code.

use crate::bytecode::Positions;

/// What the LLVM tier needs to compile one function and to leave it for
/// the interpreter at any instruction.
#[derive(Clone, Debug)]
pub struct JitMap {
    /// The optimised IR the bytecode was compiled from.
    pub ir: ir::Function,
    /// Per IR value: its home register (meaningful only where `has_reg`).
    pub reg_of: Vec<u16>,
    /// Per IR value: whether it has a home register (values fused into
    /// another instruction or folded into an immediate operand may not).
    pub has_reg: Vec<bool>,
    /// Per IR value: the live interval `[lo, hi]` in [`Positions`].
    pub lo: Vec<u32>,
    pub hi: Vec<u32>,
    /// Positions of blocks, instructions and terminators.
    pub pos: Positions,
    /// Per IR instruction: the pc of the bytecode instruction that performs
    /// it (for instructions fused into a later one, that one's pc; for
    /// instructions that emit nothing, the next instruction's pc).
    pub inst_pc: Vec<u32>,
    /// Per block: the pc of its terminator's first instruction
    /// (`u32::MAX` for blocks folded into their predecessor's `ret.if`).
    pub term_pc: Vec<u32>,
    /// Per IR value: how many instructions and terminators use it.
    pub uses: Vec<u32>,
    /// Per block: the values whose last use is its terminator (dead in
    /// every successor; the register allocator's `dies_at_term`). An edge
    /// copy of such a value moves it, as the bytecode's `take` does, so an
    /// unshared collection stays unshared along loop edges (issue #11).
    pub dies_at_term: Vec<Vec<ir::Value>>,
    /// A function whose self tail calls are a loop: the `SelfRef` value they
    /// call and the pc of the loop header (just after the entry prologue).
    pub self_loop: Option<(ir::Value, u32)>,
    /// Per bytecode pc: what kind of instruction is there (for the code
    /// generator's choice of runtime call at a site).
    pub ops: Vec<super::sites::SiteOp>,
    /// Per call instruction (`call`/`call.g`, `tailcall`/`tailcall.g`), by pc: its destination and
    /// where its callee comes from (global slots are this isolate's, so they
    /// are part of what the code cache is keyed by).
    pub call_sites: std::collections::BTreeMap<u32, CallSite>,
    /// The scratch register (edge moves, unused results).
    pub tmp: u16,
    /// Size of the register window.
    pub nregs: u32,
    /// The resume states (`(pc, IR block)`, sorted by pc; see
    /// [`super::sites::resume_states`]), derived from `ir`, `term_pc` and
    /// `ops` when the map is made.
    pub resume: Vec<(u32, ir::Block)>,
}

impl JitMap {
    /// True when `v` owns its home register at position `p`.
    pub fn live_at(&self, v: ir::Value, p: u32) -> bool {
        let i = v.index();
        self.has_reg[i] && self.lo[i] <= p && p <= self.hi[i]
    }
}

/// A call instruction's operands the code generator needs.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct CallSite {
    /// The register receiving the result.
    pub dst: u16,
    pub callee: Callee,
}

/// Where a call's callee is read from.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Callee {
    Reg(u16),
    Global(u32),
}
