//! Register bytecode compiled from the IR (never from the AST).
//!
//! One [`Proto`] per IR function. SSA values get registers of the frame's
//! register window by linear scan over live intervals (`nregs` registers, the
//! entry block's parameters first, so arguments land in registers `0..argc`); block
//! parameters are filled by parallel moves on the edges; global names are slot
//! indices into the isolate-wide [`GlobalTable`]. See `docs/vm.md`.

mod analysis;
mod compile;
mod disasm;
mod regalloc;

pub use compile::compile_module;
pub use regalloc::Positions;

use crate::value::{PrimId, Value};
use frontend::Span;
use rustc_hash::FxHashMap;
use std::cell::{Cell, OnceCell};
use std::rc::Rc;

/// A register index inside a frame's register window.
pub type Reg = u16;

/// A comparison of two numbers (dedicated opcodes with an `Int` fast path).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Cmp {
    Lt,
    Gt,
    Le,
    Ge,
    Eq,
    Ne,
}

impl Cmp {
    /// The SX primitive implementing the generic case.
    pub fn prim_name(self) -> &'static str {
        match self {
            Cmp::Lt => "<",
            Cmp::Gt => ">",
            Cmp::Le => "<=",
            Cmp::Ge => ">=",
            Cmp::Eq => "=",
            Cmp::Ne => "!=",
        }
    }
    /// Applies the comparison to two floats (IEEE: every comparison with a
    /// NaN is false except `!=`).
    #[inline(always)]
    pub fn float(self, a: f64, b: f64) -> bool {
        match self {
            Cmp::Lt => a < b,
            Cmp::Gt => a > b,
            Cmp::Le => a <= b,
            Cmp::Ge => a >= b,
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
        }
    }
    /// Applies the comparison to two integers.
    #[inline(always)]
    pub fn int(self, a: i64, b: i64) -> bool {
        match self {
            Cmp::Lt => a < b,
            Cmp::Gt => a > b,
            Cmp::Le => a <= b,
            Cmp::Ge => a >= b,
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
        }
    }
}

/// A one-argument math primitive with a float fast path ([`Op::Math`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum MathFn {
    Sqrt,
    Exp,
    Log,
    Sin,
    Cos,
    Tan,
    Atan,
    Abs,
}

impl MathFn {
    /// The function implementing the one-argument call of primitive `name`.
    pub fn of_name(name: &str) -> Option<MathFn> {
        Some(match name {
            "sqrt" => MathFn::Sqrt,
            "exp" => MathFn::Exp,
            "log" => MathFn::Log,
            "sin" => MathFn::Sin,
            "cos" => MathFn::Cos,
            "tan" => MathFn::Tan,
            "atan" => MathFn::Atan,
            "abs" => MathFn::Abs,
            _ => return None,
        })
    }
    /// The result for a float argument (what the primitive computes).
    #[inline(always)]
    pub fn float(self, x: f64) -> f64 {
        match self {
            MathFn::Sqrt => x.sqrt(),
            MathFn::Exp => x.exp(),
            MathFn::Log => x.ln(),
            MathFn::Sin => x.sin(),
            MathFn::Cos => x.cos(),
            MathFn::Tan => x.tan(),
            MathFn::Atan => x.atan(),
            MathFn::Abs => x.abs(),
        }
    }
}

/// A static type tag tested by [`Op::Guard`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TypeTag {
    Nil,
    Bool,
    Int,
    Float,
    Str,
    Symbol,
    Keyword,
    List,
    Dict,
    Closure,
}

impl TypeTag {
    /// True when `v` has this type.
    pub fn matches(self, v: &Value) -> bool {
        matches!(
            (self, v),
            (TypeTag::Nil, Value::Nil)
                | (TypeTag::Bool, Value::Bool(_))
                | (TypeTag::Int, Value::Int(_))
                | (TypeTag::Float, Value::Float(_))
                | (TypeTag::Str, Value::Str(_))
                | (TypeTag::Symbol, Value::Symbol(_))
                | (TypeTag::Keyword, Value::Keyword(_))
                | (TypeTag::List, Value::List(_))
                | (TypeTag::Dict, Value::Dict(_))
                | (TypeTag::Closure, Value::Closure(_) | Value::Prim(_))
        )
    }
}

/// One bytecode instruction (12 bytes). Register operands are relative to the
/// frame base; `args` fields index [`Proto::arg_pool`] (`n` registers); jump
/// targets are instruction indices. The feedback/profile slot of an
/// instruction is its own index (`pc`).
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Op {
    /// `dst = src`.
    Move { dst: Reg, src: Reg },
    /// `dst = src`, leaving `src` nil: the value's last use (its register is
    /// not read again before being written), so the reference moves instead
    /// of being counted twice (see docs/vm.md, "Owned arguments").
    Take { dst: Reg, src: Reg },
    /// `dst = consts[idx]`.
    LoadConst { dst: Reg, idx: u32 },
    /// `dst = val` (small integer).
    LoadInt { dst: Reg, val: i32 },
    /// `dst = nil`.
    LoadNil { dst: Reg },
    /// `dst = val`.
    LoadBool { dst: Reg, val: bool },
    /// `dst = captures[idx]` of the running closure.
    Capture { dst: Reg, idx: u16 },
    /// `dst = ` the running closure.
    SelfRef { dst: Reg },
    /// `dst = globals[slot]`; raises `unbound name: NAME` when unbound.
    GlobalGet { dst: Reg, slot: u32 },
    /// `globals[slot] = src` (must be bound); `dst = nil`.
    GlobalSet { dst: Reg, src: Reg, slot: u32 },
    /// `globals[slot] = src` (define); `dst = nil`.
    GlobalDefine { dst: Reg, src: Reg, slot: u32 },
    /// `dst = ` a closure of `children[proto]` capturing the `n` registers at `args`.
    MakeClosure { dst: Reg, proto: u16, args: u32, n: u16 },
    /// `dst = ` a new cell holding `src`.
    CellNew { dst: Reg, src: Reg },
    /// `dst = ` contents of cell `cell`.
    CellGet { dst: Reg, cell: Reg },
    /// contents of `cell` = `src`; `dst = nil`.
    CellSet { dst: Reg, cell: Reg, src: Reg },
    /// `dst = prim(args...)`. `prim` is a valid primitive id and `n` is within
    /// its arity (both checked when the proto is built, see [`Proto::validate`]).
    Prim { dst: Reg, prim: u16, args: u32, n: u16 },
    /// `dst = prim(args...)` where the argument the primitive may consume
    /// ([`crate::prims::PrimDef::consume`]) is at its last use: it is moved
    /// out of its register and passed owned, so the primitive can update it
    /// in place when nothing else references it. Its register is not the
    /// register of another argument (checked by the compiler).
    PrimOwned { dst: Reg, prim: u16, args: u32, n: u16 },
    /// A primitive call whose argument count the primitive does not accept:
    /// raises its arity error when executed (disassembled like [`Op::Prim`]).
    PrimArityError { dst: Reg, prim: u16, args: u32, n: u16 },
    /// `dst = (nth a b)`: list/Int fast path, else primitive `prim` (`nth`).
    Nth { dst: Reg, a: Reg, b: Reg, prim: u16 },
    /// `dst = (first a)`: list fast path, else primitive `prim` (`first`).
    First { dst: Reg, a: Reg, prim: u16 },
    /// `dst = (empty? a)`: list fast path, else primitive `prim` (`empty?`).
    IsEmpty { dst: Reg, a: Reg, prim: u16 },
    /// `dst = (append! a b)`: list fast path, else primitive `prim` (`append!`).
    Append { dst: Reg, a: Reg, b: Reg, prim: u16 },
    /// `dst = a + b` (Int fast path, else primitive `prim`).
    Add { dst: Reg, a: Reg, b: Reg, prim: u16 },
    /// `dst = a - b`.
    Sub { dst: Reg, a: Reg, b: Reg, prim: u16 },
    /// `dst = a * b`.
    Mul { dst: Reg, a: Reg, b: Reg, prim: u16 },
    /// `dst = a / b` (two floats, or a float and an integer: IEEE
    /// division; two integers: `prims::arith::div2`; else primitive `prim`).
    Div { dst: Reg, a: Reg, b: Reg, prim: u16 },
    /// `dst = f(a)` for a float `a` (an integer is converted first, except
    /// for `abs`); anything else through primitive `prim`.
    Math { dst: Reg, a: Reg, f: MathFn, prim: u16 },
    /// `dst = a + imm` (`prim` is `+`, or the unary `inc`/`dec` it came from).
    AddImm { dst: Reg, a: Reg, imm: i16, prim: u16 },
    /// `dst = a - imm`.
    SubImm { dst: Reg, a: Reg, imm: i16, prim: u16 },
    /// Jump to `target` when `a CMP b` holds (a fused `(if (not (CMP a b)) ...)`).
    BrIfCmp { cmp: Cmp, a: Reg, b: Reg, prim: u16, target: u32 },
    /// Return `src` when `(a CMP b) != neg`, else continue with the next
    /// instruction: a fused compare-and-branch whose taken side only returns
    /// (the base case of a recursion).
    RetCmp { cmp: Cmp, neg: bool, a: Reg, b: Reg, src: Reg },
    /// Return `src` when `(a CMP imm) != neg`, else continue.
    RetCmpImm { cmp: Cmp, neg: bool, a: Reg, imm: i16, src: Reg },
    /// `dst = (not src)`.
    Not { dst: Reg, src: Reg },
    /// Jump to `target` when `cond` is truthy.
    JumpIfTrue { cond: Reg, target: u32 },
    /// Jump to `target` unless `a CMP imm`.
    BrCmpImm { cmp: Cmp, a: Reg, imm: i16, prim: u16, target: u32 },
    /// `dst = a CMP b` (Int fast path, else primitive `prim`).
    Compare { cmp: Cmp, dst: Reg, a: Reg, b: Reg, prim: u16 },
    /// Jump to `target` unless `a CMP b` (fused compare-and-branch).
    BrCmp { cmp: Cmp, a: Reg, b: Reg, prim: u16, target: u32 },
    /// Unconditional forward jump.
    Jump { target: u32 },
    /// Backward jump (a loop back-edge); bumps `backedges[counter]`.
    Loop { target: u32, counter: u16 },
    /// Jump to `target` when `cond` is falsy (nil or false).
    JumpIfFalse { cond: Reg, target: u32 },
    /// Jump to `target` when `src` is not of type `ty` (deoptimisation edge).
    Guard { src: Reg, ty: TypeTag, target: u32 },
    /// `dst = globals[slot](args...)`: a call of a global read at the call,
    /// after the arguments were evaluated (a fused `gget` + `call`).
    CallGlobal { dst: Reg, slot: u32, args: u16, n: u8 },
    /// `return globals[slot](args...)`, reusing the frame.
    TailCallGlobal { slot: u32, args: u16, n: u8, direct: bool },
    /// `dst = callee(args...)`: pushes a frame for a closure.
    Call { dst: Reg, callee: Reg, args: u32, n: u16 },
    /// `return callee(args...)`, reusing the frame. `direct`: the arguments
    /// can be copied to `r0..n` in order (no later source is an earlier target).
    TailCall { callee: Reg, args: u32, n: u16, direct: bool },
    /// `dst = callee(list...)`.
    Apply { dst: Reg, callee: Reg, list: Reg },
    /// `return callee(list...)`, reusing the frame.
    TailApply { callee: Reg, list: Reg },
    /// `dst = thunk()`; if it raises, `err_dst = ` the raised value and continue at `err_pc`.
    TryCall { dst: Reg, thunk: Reg, err_dst: Reg, err_pc: u32 },
    /// Suspend the fiber with request `req`; the resumed value goes to `dst`.
    Suspend { dst: Reg, req: Reg },
    /// Raise `src`.
    Raise { src: Reg },
    /// Return `src` to the caller.
    Return { src: Reg },
}

/// A reference from a proto to a proto it makes closures of. The references
/// that close a cycle (a function whose body, after inlining, makes a closure
/// of itself or of an enclosing function) are weak, so the graph of strong
/// references is acyclic; the isolate keeps every compiled module's entry
/// proto, hence every proto, alive.
#[derive(Debug, Clone)]
pub enum ProtoRef {
    Strong(Rc<Proto>),
    Weak(std::rc::Weak<Proto>),
}

impl ProtoRef {
    /// The proto (`None` only if its module was dropped).
    #[inline]
    pub fn get(&self) -> Option<Rc<Proto>> {
        match self {
            ProtoRef::Strong(p) => Some(p.clone()),
            ProtoRef::Weak(w) => w.upgrade(),
        }
    }
}

/// Interpreter profile of one function: calls, loop back-edges and per-site
/// observed operand kinds (see [`crate::profile`]).
#[derive(Debug, Default)]
pub struct ProtoProfile {
    /// Times the function was entered.
    pub calls: Cell<u64>,
    /// One counter per loop back-edge ([`Op::Loop`]`::counter`).
    pub backedges: Box<[Cell<u64>]>,
    /// Self tail calls (a named-let loop iterating: SX loops are tail calls).
    pub self_tail_calls: Cell<u64>,
    /// Per instruction (indexed by pc): bitset of observed operand/callee kinds.
    pub feedback: Box<[Cell<u8>]>,
}

/// A compiled function prototype (one per IR function).
#[derive(Debug)]
pub struct Proto {
    /// Debug name (`None` for anonymous lambdas; `"<toplevel>"` for the entry thunk).
    pub name: Option<String>,
    /// Number of fixed parameters.
    pub arity: u16,
    /// `arity`, or `u32::MAX` with `&rest` (see [`Proto::exact_arity`]).
    pub(crate) exact_arity: u32,
    /// Whether a `&rest` list follows the fixed parameters (in register `arity`).
    pub has_rest: bool,
    /// Number of captured values.
    pub ncaptures: u16,
    /// Size of the register window (every register index in `code` is below it;
    /// checked when the proto is built, relied upon by the interpreter).
    pub(crate) nregs: u32,
    pub(crate) code: Vec<Op>,
    /// Source span per instruction (for backtraces).
    pub spans: Vec<Span>,
    /// Constant pool.
    pub consts: Vec<Value>,
    /// Register lists of calls/prims/closures.
    pub(crate) arg_pool: Vec<Reg>,
    /// Parallel to `arg_pool`: for the argument lists of calls, true when the
    /// value in that register is at its last use and appears nowhere else in
    /// the call (not as the callee, not as a later argument), so the call may
    /// move it into the callee's frame instead of copying it. False elsewhere.
    pub(crate) arg_dies: Vec<bool>,
    /// One past the highest register that may hold a heap reference
    /// (parameters and results of non-arithmetic instructions; 0 when there
    /// is none): a returning frame clears registers `0..heap_hi`, so a dead
    /// frame keeps nothing alive.
    pub(crate) heap_hi: u32,
    /// Prototypes of closures made by [`Op::MakeClosure`] (set once, right
    /// after the whole module is compiled; see [`ProtoRef`]).
    pub(crate) children: OnceCell<Vec<ProtoRef>>,
    /// Per child (same indices as `children`, set with it): the one closure
    /// of a capture-free child, made on first use and shared by every later
    /// `MakeClosure` of it (`eq?` to each other; see
    /// docs/language-decisions.md). Only strongly referenced children are
    /// cached, so the cache never closes a reference cycle.
    pub(crate) static_closures: OnceCell<Box<[OnceCell<Rc<crate::value::Closure>>]>>,
    /// Names of the global slots this proto uses (for the disassembler).
    pub global_names: Vec<(u32, Rc<str>)>,
    /// The function's span.
    pub span: Span,
    /// Interpreter profile.
    pub profile: ProtoProfile,
    /// The LLVM tier's view: the IR, its map to this bytecode, the tier state
    /// and the compiled entry (see [`crate::jit`]).
    pub jit: crate::jit::JitInfo,
}

impl Proto {
    /// The instructions.
    pub fn code(&self) -> &[Op] {
        &self.code
    }
    /// Size of the register window.
    pub fn nregs(&self) -> u32 {
        self.nregs
    }
    /// Register lists referenced by `args`/`n` operands.
    pub fn arg_pool(&self) -> &[Reg] {
        &self.arg_pool
    }
    /// Checks the invariants the interpreter relies on: every register operand
    /// is below `nregs`, every jump target and pool range is in bounds, and the
    /// code ends in an instruction that does not fall through.
    pub fn validate(&self) -> Result<(), String> {
        let n = self.nregs as usize;
        let len = self.code.len();
        let bad = |what: &str, pc: usize| Err(format!("proto {}: {what} at @{pc}", self.display_name()));
        if self.arity as usize + self.has_rest as usize > n {
            return bad("parameters exceed registers", 0);
        }
        match self.code.last() {
            Some(
                Op::Return { .. }
                | Op::Jump { .. }
                | Op::Loop { .. }
                | Op::Raise { .. }
                | Op::TailCall { .. }
                | Op::TailCallGlobal { .. }
                | Op::TailApply { .. },
            ) => {}
            _ => return bad("code falls off the end", len),
        }
        for (pc, op) in self.code.iter().enumerate() {
            let (regs, target, pool) = op_operands(op);
            if regs.iter().any(|&r| r as usize >= n) {
                return bad("register out of range", pc);
            }
            if target.is_some_and(|t| t as usize >= len) {
                return bad("jump target out of range", pc);
            }
            if let Some((a, k)) = pool {
                if a as usize + k as usize > self.arg_pool.len() || self.args(a, k).iter().any(|&r| r as usize >= n) {
                    return bad("argument list out of range", pc);
                }
            }
            match *op {
                Op::LoadConst { idx, .. } if idx as usize >= self.consts.len() => return bad("constant out of range", pc),
                Op::MakeClosure { proto, .. } if proto as usize >= self.children().len() => return bad("child proto out of range", pc),
                Op::Loop { counter, .. } if counter as usize >= self.profile.backedges.len() => return bad("loop counter out of range", pc),
                Op::Prim { prim, n, .. } => match crate::prims::builtins().get(prim as usize) {
                    Some(def) if prim_accepts(def, n as usize) => {}
                    _ => return bad("primitive or its argument count invalid", pc),
                },
                Op::PrimOwned { prim, n, args, .. } => match crate::prims::builtins().get(prim as usize) {
                    Some(def) if prim_accepts(def, n as usize) && n >= 1 => match def.consume {
                        Some(c) => {
                            let regs = self.args(args, n);
                            let k = c.index(regs.len());
                            if regs.iter().enumerate().any(|(i, &r)| i != k && r == regs[k]) {
                                return bad("consumed argument register repeated", pc);
                            }
                        }
                        None => return bad("primitive consumes no argument", pc),
                    },
                    _ => return bad("primitive or its argument count invalid", pc),
                },
                Op::PrimArityError { prim, .. } if prim as usize >= crate::prims::builtins().len() => {
                    return bad("primitive out of range", pc)
                }
                _ => {}
            }
        }
        if self.arg_dies.len() != self.arg_pool.len() {
            return bad("argument death flags do not match the pool", 0);
        }
        if self.heap_hi as usize > n {
            return bad("heap register out of range", 0);
        }
        if self.profile.feedback.len() != len || self.spans.len() != len {
            return bad("profile/span tables do not match the code", 0);
        }
        Ok(())
    }
    /// The name shown in backtraces and arity errors (`lambda` when anonymous).
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or("lambda")
    }
    /// The protos this one makes closures of.
    pub fn children(&self) -> &[ProtoRef] {
        self.children.get().map(|v| v.as_slice()).unwrap_or(&[])
    }
    /// Visits this proto and every nested one once (pre-order over the strong references).
    pub fn walk(self: &Rc<Proto>, f: &mut dyn FnMut(&Rc<Proto>)) {
        let mut seen = rustc_hash::FxHashSet::default();
        self.walk_inner(f, &mut seen);
    }
    fn walk_inner(self: &Rc<Proto>, f: &mut dyn FnMut(&Rc<Proto>), seen: &mut rustc_hash::FxHashSet<*const Proto>) {
        if !seen.insert(Rc::as_ptr(self)) {
            return;
        }
        f(self);
        for c in self.children() {
            if let ProtoRef::Strong(c) = c {
                c.walk_inner(f, seen);
            }
        }
    }
    /// The registers of an `args`/`n` operand pair.
    #[inline(always)]
    pub fn args(&self, args: u32, n: u16) -> &[Reg] {
        &self.arg_pool[args as usize..args as usize + n as usize]
    }
    /// The last-use flags of an `args`/`n` operand pair (see `arg_dies`).
    ///
    /// # Safety
    /// As [`Proto::args_unchecked`] (`validate` checked `arg_dies` has the
    /// pool's length).
    #[inline(always)]
    pub(crate) unsafe fn arg_dies_unchecked(&self, args: u32, n: u16) -> &[bool] {
        // SAFETY: the caller guarantees the range is in bounds.
        unsafe { self.arg_dies.get_unchecked(args as usize..args as usize + n as usize) }
    }
    /// [`Proto::args`] without the bounds check.
    ///
    /// # Safety
    /// `args`/`n` must be the operands of one of this proto's instructions
    /// (`validate` checked that those ranges lie inside `arg_pool`).
    #[inline(always)]
    pub(crate) unsafe fn args_unchecked(&self, args: u32, n: u16) -> &[Reg] {
        // SAFETY: the caller guarantees the range is in bounds.
        unsafe { self.arg_pool.get_unchecked(args as usize..args as usize + n as usize) }
    }
    /// The number of arguments a call must pass to take the exact-arity fast
    /// path (`u32::MAX`, never matched, for a function with `&rest`).
    #[inline(always)]
    pub(crate) fn exact_arity(&self) -> u32 {
        self.exact_arity
    }
}

/// The isolate-wide table of global variables: names ↔ dense slot indices.
/// Reading an unbound slot raises `unbound name: NAME`.
#[derive(Default, Debug)]
pub struct GlobalTable {
    names: Vec<Rc<str>>,
    index: FxHashMap<Rc<str>, u32>,
    pub(crate) values: Vec<Option<Value>>,
}

impl GlobalTable {
    /// An empty table.
    pub fn new() -> GlobalTable {
        GlobalTable::default()
    }
    /// The slot of `name`, allocating an unbound one when new.
    pub fn slot(&mut self, name: &str) -> u32 {
        if let Some(&s) = self.index.get(name) {
            return s;
        }
        let n: Rc<str> = Rc::from(name);
        let s = self.names.len() as u32;
        self.names.push(n.clone());
        self.index.insert(n, s);
        self.values.push(None);
        s
    }
    /// The slot of `name` if it has one.
    pub fn lookup(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }
    /// The name of a slot.
    pub fn name(&self, slot: u32) -> &Rc<str> {
        &self.names[slot as usize]
    }
    /// The value of a slot (`None` when unbound).
    pub fn get(&self, slot: u32) -> Option<&Value> {
        self.values[slot as usize].as_ref()
    }
    /// The value bound to `name`, if any.
    pub fn get_named(&self, name: &str) -> Option<&Value> {
        self.lookup(name).and_then(|s| self.get(s))
    }
    /// Binds `name` (define).
    pub fn define(&mut self, name: &str, v: Value) {
        let s = self.slot(name);
        self.values[s as usize] = Some(v);
    }
    /// Number of slots.
    pub fn len(&self) -> usize {
        self.names.len()
    }
    /// True when there are no slots.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
    /// Names of the bound globals, in slot order.
    pub fn bound_names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().zip(&self.values).filter(|(_, v)| v.is_some()).map(|(n, _)| &**n)
    }
}

/// True when primitive `def` accepts `n` arguments.
#[inline]
pub(crate) fn prim_accepts(def: &crate::prims::PrimDef, n: usize) -> bool {
    n >= def.min && def.max.is_none_or(|m| n <= m)
}

/// A primitive id as stored in an instruction.
#[inline(always)]
pub(crate) fn prim_of(p: u16) -> PrimId {
    PrimId(p as u32)
}

/// The register an instruction writes a possibly-heap value into, if any
/// (`try` also writes its `err_dst`, handled by the caller).
pub(crate) fn heap_dst(op: &Op) -> Option<Reg> {
    match *op {
        Op::Add { .. }
        | Op::Sub { .. }
        | Op::Mul { .. }
        | Op::Div { .. }
        | Op::Math { .. }
        | Op::AddImm { .. }
        | Op::SubImm { .. }
        | Op::Compare { .. }
        | Op::Not { .. }
        | Op::LoadInt { .. }
        | Op::LoadNil { .. }
        | Op::LoadBool { .. }
        | Op::GlobalSet { .. }
        | Op::GlobalDefine { .. }
        | Op::CellSet { .. } => None,
        Op::Move { dst, .. }
        | Op::Take { dst, .. }
        | Op::LoadConst { dst, .. }
        | Op::Capture { dst, .. }
        | Op::SelfRef { dst }
        | Op::GlobalGet { dst, .. }
        | Op::MakeClosure { dst, .. }
        | Op::CellNew { dst, .. }
        | Op::CellGet { dst, .. }
        | Op::Prim { dst, .. }
        | Op::PrimOwned { dst, .. }
        | Op::PrimArityError { dst, .. }
        | Op::Nth { dst, .. }
        | Op::First { dst, .. }
        | Op::IsEmpty { dst, .. }
        | Op::Append { dst, .. }
        | Op::Call { dst, .. }
        | Op::CallGlobal { dst, .. }
        | Op::Apply { dst, .. }
        | Op::TryCall { dst, .. }
        | Op::Suspend { dst, .. } => Some(dst),
        _ => None,
    }
}

/// Register operands, jump target and argument-list operand of an instruction.
fn op_operands(op: &Op) -> (Vec<Reg>, Option<u32>, Option<(u32, u16)>) {
    match *op {
        Op::Move { dst, src } | Op::Take { dst, src } | Op::CellNew { dst, src } => (vec![dst, src], None, None),
        Op::LoadConst { dst, .. }
        | Op::LoadInt { dst, .. }
        | Op::LoadNil { dst }
        | Op::LoadBool { dst, .. }
        | Op::Capture { dst, .. }
        | Op::SelfRef { dst }
        | Op::GlobalGet { dst, .. } => (vec![dst], None, None),
        Op::GlobalSet { dst, src, .. } | Op::GlobalDefine { dst, src, .. } => (vec![dst, src], None, None),
        Op::MakeClosure { dst, args, n, .. }
        | Op::Prim { dst, args, n, .. }
        | Op::PrimOwned { dst, args, n, .. }
        | Op::PrimArityError { dst, args, n, .. } => {
            (vec![dst], None, Some((args, n)))
        }
        Op::CellGet { dst, cell } => (vec![dst, cell], None, None),
        Op::CellSet { dst, cell, src } => (vec![dst, cell, src], None, None),
        Op::Add { dst, a, b, .. }
        | Op::Sub { dst, a, b, .. }
        | Op::Mul { dst, a, b, .. }
        | Op::Div { dst, a, b, .. }
        | Op::Nth { dst, a, b, .. }
        | Op::Append { dst, a, b, .. }
        | Op::Compare { dst, a, b, .. } => {
            (vec![dst, a, b], None, None)
        }
        Op::AddImm { dst, a, .. }
        | Op::SubImm { dst, a, .. }
        | Op::Math { dst, a, .. }
        | Op::First { dst, a, .. }
        | Op::IsEmpty { dst, a, .. } => (vec![dst, a], None, None),
        Op::BrCmp { a, b, target, .. } | Op::BrIfCmp { a, b, target, .. } => (vec![a, b], Some(target), None),
        Op::RetCmp { a, b, src, .. } => (vec![a, b, src], None, None),
        Op::RetCmpImm { a, src, .. } => (vec![a, src], None, None),
        Op::Not { dst, src } => (vec![dst, src], None, None),
        Op::JumpIfTrue { cond, target } => (vec![cond], Some(target), None),
        Op::BrCmpImm { a, target, .. } => (vec![a], Some(target), None),
        Op::Jump { target } | Op::Loop { target, .. } => (vec![], Some(target), None),
        Op::JumpIfFalse { cond, target } => (vec![cond], Some(target), None),
        Op::Guard { src, target, .. } => (vec![src], Some(target), None),
        Op::Call { dst, callee, args, n } => (vec![dst, callee], None, Some((args, n))),
        Op::CallGlobal { dst, args, n, .. } => (vec![dst], None, Some((args as u32, n as u16))),
        Op::TailCallGlobal { args, n, .. } => (vec![], None, Some((args as u32, n as u16))),
        Op::TailCall { callee, args, n, .. } => (vec![callee], None, Some((args, n))),
        Op::Apply { dst, callee, list } => (vec![dst, callee, list], None, None),
        Op::TailApply { callee, list } => (vec![callee, list], None, None),
        Op::TryCall { dst, thunk, err_dst, err_pc } => (vec![dst, thunk, err_dst], Some(err_pc), None),
        Op::Suspend { dst, req } => (vec![dst, req], None, None),
        Op::Raise { src } | Op::Return { src } => (vec![src], None, None),
    }
}

const _: () = assert!(std::mem::size_of::<Op>() <= 12);
