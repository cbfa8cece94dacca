//! An isolate: one per thread — globals, primitive context, source map,
//! macro host and the compiled protos (with their profiles). Fibers run in it.

use crate::bytecode::{compile_module, GlobalTable, Proto};
use crate::ctx::Ctx;
use crate::fiber::Fiber;
use crate::interp::{self, Env};
use crate::resolver::Resolver;
use crate::value::{Closure, Value};
use frontend::SourceMap;
use std::fmt;
use std::rc::Rc;

/// The result of running a fiber until it stops.
#[derive(Debug)]
pub enum Step {
    /// The computation returned this value.
    Done(Value),
    /// The computation performed this request and waits to be resumed.
    Suspended(Value),
    /// The computation raised an error nobody caught.
    Failed(SxError),
}

/// An uncaught SX error: the raised value, its message and the SX backtrace
/// (`"  at NAME (file:line:col)"`, innermost first).
#[derive(Debug, Clone)]
pub struct SxError {
    pub value: Value,
    pub message: String,
    pub backtrace: Vec<String>,
}

impl fmt::Display for SxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        for l in &self.backtrace {
            write!(f, "\n{l}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SxError {}

/// One SX heap and its global environment.
pub struct Isolate {
    pub(crate) globals: GlobalTable,
    pub(crate) ctx: Ctx,
    pub(crate) sources: SourceMap,
    /// Entry protos of everything compiled here (profiles are read through them).
    pub(crate) modules: Vec<Rc<Proto>>,
    #[allow(dead_code)]
    pub(crate) macros: Option<Box<crate::macros::MacroExpander>>,
}

impl Isolate {
    /// An isolate with no prelude (only primitives; for tests of hand-built IR).
    pub fn bare(ctx: Ctx) -> Isolate {
        Isolate { globals: GlobalTable::new(), ctx, sources: SourceMap::new(), modules: Vec::new(), macros: None }
    }

    /// The source map of everything compiled in this isolate.
    pub fn source_map(&self) -> &SourceMap {
        &self.sources
    }

    /// Mutable access to the source map (for hosts that add files themselves).
    pub fn source_map_mut(&mut self) -> &mut SourceMap {
        &mut self.sources
    }

    /// The global table.
    pub fn globals(&self) -> &GlobalTable {
        &self.globals
    }

    /// Mutable global table (hosts define extra globals here).
    pub fn globals_mut(&mut self) -> &mut GlobalTable {
        &mut self.globals
    }

    /// The primitive context (output streams, gensym counter).
    pub fn ctx_mut(&mut self) -> &mut Ctx {
        &mut self.ctx
    }

    /// Compiles an (optimised) IR module to bytecode and returns a fiber that
    /// runs its top-level thunk (not yet started).
    pub fn load_module(&mut self, m: &ir::Module) -> Fiber {
        let proto = compile_module(m, &mut self.globals);
        self.modules.push(proto.clone());
        let entry = Value::Closure(Rc::new(Closure { proto, captures: Box::new([]) }));
        Fiber::new_call(entry, Vec::new())
    }

    /// The entry protos compiled so far (for disassembly and profiles).
    pub fn modules(&self) -> &[Rc<Proto>] {
        &self.modules
    }

    /// Runs `fiber` until it finishes, fails or suspends. The first call's
    /// `input` is ignored (pass `Ok(Value::Nil)`); later calls deliver the
    /// result of the pending `perform` (or raise `Err(v)` at that point).
    pub fn resume(&mut self, fiber: &mut Fiber, input: Result<Value, Value>) -> Step {
        let mut env = Env { globals: &mut self.globals, ctx: &mut self.ctx, sources: &self.sources };
        interp::resume(fiber, &mut env, input)
    }

    /// Drives `fiber` to completion, resolving every request with `resolver`.
    pub fn run(&mut self, fiber: &mut Fiber, resolver: &mut dyn Resolver) -> Result<Value, SxError> {
        let mut input = Ok(Value::Nil);
        loop {
            match self.resume(fiber, input) {
                Step::Done(v) => return Ok(v),
                Step::Failed(e) => return Err(e),
                Step::Suspended(req) => input = resolver.resolve(&req),
            }
        }
    }

    /// A fiber that calls `f` with `args` (not yet started).
    pub fn call_value(&mut self, f: &Value, args: Vec<Value>) -> Fiber {
        Fiber::new_call(f.clone(), args)
    }

    /// Profiles of every function compiled in this isolate.
    pub fn profiles(&self) -> Vec<crate::profile::FunctionProfile> {
        self.modules.iter().flat_map(crate::profile::collect).collect()
    }
}
