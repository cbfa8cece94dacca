//! IR data structures: [`Module`], [`Function`], blocks with parameters,
//! instructions ([`InstData`]) and terminators ([`Terminator`]).
//!
//! Conventions (the contract between lowering, passes, the bytecode compiler
//! and, later, LLVM codegen):
//! - A function's entry block is `blocks[0]`'s id `Block(0)`; its parameters are the
//!   function's fixed parameters followed by the `&rest` list when `has_rest`.
//! - A value defined in a block may be used in any block it dominates; values
//!   flowing along an edge that is not dominated travel as block arguments.
//! - Suspension points are terminators: [`Terminator::Suspend`] (perform),
//!   [`Terminator::CallK`] (a call whose callee may suspend) and
//!   [`Terminator::TryCall`] and [`Terminator::ApplyK`]; their continuation
//!   blocks receive the result as their single block parameter.
//! - `Inst`/`Value`/`Block` ids are dense indices into the arenas below.

use crate::entities::{Block, FuncId, Inst, Value};
use crate::types::{Effect, Type};
use frontend::ast::Const;
use frontend::Span;

/// A jump target with its block arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockCall {
    pub block: Block,
    pub args: Vec<Value>,
}

/// Non-terminator instructions. All that produce a result have exactly one
/// result value (`Function::inst_result`).
#[derive(Clone, Debug, PartialEq)]
pub enum InstData {
    /// A literal.
    Const(Const),
    /// The i-th captured value of the running closure.
    Capture(u32),
    /// The running closure itself (for self-recursive local functions: no cell cycle).
    SelfRef,
    /// Read a global; raises `unbound name: NAME`.
    GlobalGet(String),
    /// `set!` of a global; raises when it is not defined. Result: nil.
    GlobalSet(String, Value),
    /// Top-level define. Result: nil.
    GlobalDefine(String, Value),
    /// Allocate a closure of `func` capturing `captures` (in the callee's `Capture(i)` order).
    MakeClosure(FuncId, Vec<Value>),
    /// A mutable cell holding a variable that is both captured and `set!`.
    CellNew(Value),
    CellGet(Value),
    /// Result: nil.
    CellSet(Value, Value),
    /// Call a runtime builtin directly by name (`+`, `<`, `%list`, `car`...). Never suspends.
    /// Generic arithmetic is `Prim("+", [a, b])`; type specialisation rewrites it.
    Prim(String, Vec<Value>),
    /// A call that cannot suspend (its callee's effect is known to be < may-suspend).
    Call(Value, Vec<Value>),
    /// Typed integer add/sub/mul with overflow check (raises `integer overflow`).
    IAddOvf(Value, Value),
    ISubOvf(Value, Value),
    IMulOvf(Value, Value),
    /// Typed integer comparison producing Bool.
    ICmp(CmpOp, Value, Value),
    /// Speculation guard: if `value` is not of type `ty`, deoptimise to the
    /// interpreter at IR position `deopt` with `live` values.
    Guard { value: Value, ty: Type, deopt: Block, live: Vec<Value> },
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl CmpOp {
    pub fn name(self) -> &'static str {
        match self {
            CmpOp::Lt => "lt",
            CmpOp::Le => "le",
            CmpOp::Gt => "gt",
            CmpOp::Ge => "ge",
            CmpOp::Eq => "eq",
            CmpOp::Ne => "ne",
        }
    }
}

/// Block terminators.
#[derive(Clone, Debug, PartialEq)]
pub enum Terminator {
    Jump(BlockCall),
    /// Branch on truthiness (only nil and false are false).
    Branch { cond: Value, then_dest: BlockCall, else_dest: BlockCall },
    Return(Value),
    /// A call in tail position: replaces the current frame.
    TailCall { callee: Value, args: Vec<Value> },
    /// A call that may suspend; `cont` receives the result as its only parameter.
    CallK { callee: Value, args: Vec<Value>, cont: Block },
    /// `perform`: hand `request` to the host; `cont` receives the resumed value.
    Suspend { request: Value, cont: Block },
    /// Call the zero-argument closure `thunk`; on normal return continue at `ok`
    /// (param: result); if it raises, continue at `err` (param: the raised value).
    TryCall { thunk: Value, ok: Block, err: Block },
    /// Raise `value` (re-raising an error value keeps its backtrace).
    Raise(Value),
    /// `(%apply f list)` / `(apply f list)` not in tail position: call `callee`
    /// with the elements of the SX list `args`; may suspend; `cont` receives the
    /// result as its only parameter. Raises when `args` is not a list.
    ApplyK { callee: Value, args: Value, cont: Block },
    /// `(%apply f list)` in tail position: like [`Terminator::ApplyK`] but
    /// replaces the current frame (like [`Terminator::TailCall`]).
    TailApply { callee: Value, args: Value },
    /// Placeholder while building; the verifier rejects it.
    Unterminated,
}

/// Where a value comes from.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum ValueDef {
    /// Result of an instruction.
    Inst(Inst),
    /// The n-th parameter of a block.
    Param(Block, u32),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ValueData {
    pub def: ValueDef,
    pub ty: Type,
}

#[derive(Clone, Debug, PartialEq)]
pub struct InstNode {
    pub data: InstData,
    /// The result value (every instruction has one; nil-valued ones too).
    pub result: Value,
    /// Source location (for backtraces and error messages).
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BlockData {
    pub params: Vec<Value>,
    pub insts: Vec<Inst>,
    pub term: Terminator,
    /// Span of the terminator (calls, raises).
    pub term_span: Span,
}

/// One function: a CFG of blocks. `blocks[0]` is the entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    /// Debug name: `Some("fib")`, `None` for anonymous lambdas; the top-level thunk is `"<toplevel>"`.
    pub name: Option<String>,
    /// Number of fixed parameters.
    pub arity: u32,
    /// True when the last entry-block parameter is the `&rest` list.
    pub has_rest: bool,
    /// Number of captured values (`Capture(0..n)`).
    pub ncaptures: u32,
    pub effect: Effect,
    pub span: Span,
    pub blocks: Vec<BlockData>,
    pub insts: Vec<InstNode>,
    pub values: Vec<ValueData>,
}

/// A compilation unit. `entry` is the top-level thunk (arity 0, no captures).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Module {
    pub funcs: Vec<Function>,
    pub entry: Option<FuncId>,
}

impl Function {
    pub fn new(name: Option<String>, span: Span) -> Function {
        Function {
            name,
            arity: 0,
            has_rest: false,
            ncaptures: 0,
            effect: Effect::MaySuspend,
            span,
            blocks: Vec::new(),
            insts: Vec::new(),
            values: Vec::new(),
        }
    }
    pub fn entry(&self) -> Block {
        Block(0)
    }
    pub fn block(&self, b: Block) -> &BlockData {
        &self.blocks[b.index()]
    }
    pub fn block_mut(&mut self, b: Block) -> &mut BlockData {
        &mut self.blocks[b.index()]
    }
    pub fn inst(&self, i: Inst) -> &InstNode {
        &self.insts[i.index()]
    }
    pub fn value_type(&self, v: Value) -> Type {
        self.values[v.index()].ty
    }
    /// Appends an empty, unterminated block.
    pub fn add_block(&mut self) -> Block {
        self.blocks.push(BlockData { params: Vec::new(), insts: Vec::new(), term: Terminator::Unterminated, term_span: Span::default() });
        Block::new(self.blocks.len() - 1)
    }
    /// Appends a parameter of type `ty` to `block`.
    pub fn add_block_param(&mut self, block: Block, ty: Type) -> Value {
        let n = self.blocks[block.index()].params.len() as u32;
        let v = Value::new(self.values.len());
        self.values.push(ValueData { def: ValueDef::Param(block, n), ty });
        self.blocks[block.index()].params.push(v);
        v
    }
    /// Appends an instruction at the end of `block` and returns its result value.
    pub fn push_inst(&mut self, block: Block, data: InstData, ty: Type, span: Span) -> Value {
        let inst = Inst::new(self.insts.len());
        let v = Value::new(self.values.len());
        self.values.push(ValueData { def: ValueDef::Inst(inst), ty });
        self.insts.push(InstNode { data, result: v, span });
        self.blocks[block.index()].insts.push(inst);
        v
    }
    pub fn set_terminator(&mut self, block: Block, term: Terminator, span: Span) {
        let b = &mut self.blocks[block.index()];
        b.term = term;
        b.term_span = span;
    }
}

impl Module {
    pub fn func(&self, f: FuncId) -> &Function {
        &self.funcs[f.index()]
    }
    pub fn add_func(&mut self, f: Function) -> FuncId {
        self.funcs.push(f);
        FuncId::new(self.funcs.len() - 1)
    }
}
