//! An isolate: one per thread — globals, primitive context, source map,
//! macro host and the compiled protos (with their profiles). Fibers run in it.

use crate::bytecode::{compile_module, GlobalTable, Proto};
use crate::ctx::Ctx;
use crate::fiber::Fiber;
use crate::interp::{self, Env};
use crate::resolver::Resolver;
use crate::value::{Closure, Value};
use frontend::{Diagnostic, SourceMap};
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
    /// A `YIELD` interrupt stopped the computation at a safepoint: it is
    /// runnable; `resume` (with any input, ignored) continues it.
    Yielded,
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
    pub(crate) macros: Option<Box<crate::macros::MacroExpander>>,
}

/// A resolver that knows no operation (used for the prelude and macros).
pub struct NoIo;

impl Resolver for NoIo {
    fn resolve(&mut self, request: &Value) -> Result<Value, Value> {
        let op = crate::resolver::request_op(request).map(|(op, _)| op).unwrap_or_default();
        Err(crate::interp::rt::error(format!("unknown io op \"{op}\"")))
    }
}

/// File name under which the prelude is compiled.
pub const PRELUDE_FILE: &str = "<prelude>";

/// The prelude source.
pub const PRELUDE: &str = include_str!("prelude.sx");

/// A macro host for code that defines no macros (the prelude).
struct NoMacros;

impl frontend::MacroHost for NoMacros {
    fn define_macro(&mut self, name: &str, _: &frontend::Datum, _: &[frontend::Datum], span: frontend::Span) -> Result<(), Diagnostic> {
        Err(Diagnostic::new("macro-unsupported", span, format!("defmacro {name}: macros are not available here")))
    }
    fn expand_macro(&mut self, name: &str, _: &[frontend::Datum], span: frontend::Span) -> Result<frontend::Datum, Diagnostic> {
        Err(Diagnostic::new("macro-unsupported", span, format!("unknown macro {name}")))
    }
    fn gensym(&mut self, prefix: &str) -> String {
        format!("{prefix}__p")
    }
}

/// Registers the destructors of this crate's thread-locals on the calling
/// thread, as an isolate is made: glibc registers a thread-local's
/// destructor under its loader lock, which `dlopen` holds while libLLVM's
/// initialisers run (~25 ms, `vm::jit::plugin`). A thread that met one of
/// these for the first time in a request while the compile thread loaded
/// the LLVM plugin waited that long (seen on the blog's first request:
/// `str_concat`'s buffer). `host/tests/e2e.rs` checks requests against a
/// plugin whose load takes seconds.
fn warm_thread_locals() {
    crate::prims::strings::warm_thread_local();
    crate::intern::warm_thread_local();
    crate::gc::warm_thread_local();
}

impl Isolate {
    /// An isolate with every primitive bound as a global and the prelude loaded.
    pub fn new(ctx: Ctx) -> Isolate {
        Isolate::with_prelude(ctx)
    }

    /// [`Isolate::new`]; `macros` tells whether `defmacro` in compiled files is
    /// supported (the macro isolate itself has none of its own).
    pub(crate) fn with_prelude(ctx: Ctx) -> Isolate {
        let mut iso = Isolate::bare(ctx);
        let m = iso.compile_prelude();
        if let Err(e) = iso.run_prelude(&m) {
            panic!("prelude failed: {e}");
        }
        iso
    }

    /// The prelude's optimised IR: its text added to this isolate's source
    /// map as [`PRELUDE_FILE`], read, lowered and optimised, not yet run. For
    /// an isolate made by [`Isolate::bare`]; [`Isolate::run_prelude`] runs it
    /// (`sxc build` puts it in a bundle, whose start then only runs it).
    /// Panics if the prelude does not compile (a bug of this build).
    pub fn compile_prelude(&mut self) -> ir::Module {
        let prelude = self.sources.add(PRELUDE_FILE, PRELUDE);
        match frontend::compile_to_ast(&mut self.sources, prelude, &mut NoMacros) {
            Ok((_, program)) => self.lower(&program),
            Err(d) => panic!("prelude does not compile: {} at {}", d.message, self.sources.describe(d.span)),
        }
    }

    /// Compiles the prelude module `m` (from [`Isolate::compile_prelude`],
    /// here or in the process that built a bundle) to bytecode and runs its
    /// top level, which defines the prelude's globals. Errors: its top level
    /// raised (a prelude of another build that does not fit this runtime).
    pub fn run_prelude(&mut self, m: &ir::Module) -> Result<(), SxError> {
        let mut fiber = self.load_module(m);
        self.run(&mut fiber, &mut NoIo).map(|_| ())
    }

    /// An isolate with the primitives bound as globals but no prelude (tests of hand-built IR).
    pub fn bare(ctx: Ctx) -> Isolate {
        warm_thread_locals();
        let mut globals = GlobalTable::new();
        for (i, d) in crate::prims::builtins().iter().enumerate() {
            globals.define(d.name, Value::Prim(crate::value::PrimId(i as u32)));
        }
        Isolate { globals, ctx, sources: SourceMap::new(), modules: Vec::new(), macros: None }
    }

    /// True when `name` is lowered to a direct primitive call: a builtin whose
    /// global is still the primitive (the prelude may replace some), or `%apply`.
    pub fn is_builtin(&self, name: &str) -> bool {
        name == "%apply" || matches!(self.globals.get_named(name), Some(Value::Prim(_)))
    }

    /// Reads, expands (macros run in this isolate's macro isolate), lowers,
    /// optimises and compiles `source`, a text that is not a file on disk
    /// labelled `name` in diagnostics; returns a fiber running its top level.
    /// Its `(load "x.sx")` forms resolve relative to the directory part of
    /// `name` (the current directory for a bare name).
    pub fn compile_file(&mut self, name: &str, source: &str) -> Result<Fiber, Diagnostic> {
        let file = self.sources.add(name, source);
        self.compile_main(file)
    }

    /// [`Isolate::compile_file`] for the file at `path` whose text is
    /// `source`: diagnostics name it as `path` is written, `load`s resolve
    /// relative to its directory, and it is a program file
    /// ([`Isolate::program_files`]). `path` need not exist (then it is
    /// treated as [`Isolate::compile_file`] treats a name).
    pub fn compile_path(&mut self, path: &std::path::Path, source: &str) -> Result<Fiber, Diagnostic> {
        let file = self.sources.add_file(path.display().to_string(), std::fs::canonicalize(path).ok(), source);
        self.compile_main(file)
    }

    fn compile_main(&mut self, file: frontend::FileId) -> Result<Fiber, Diagnostic> {
        let mut host = self.macros.take().unwrap_or_else(|| Box::new(crate::macros::MacroExpander::new()));
        let r = self.compile_with(file, &mut *host);
        self.macros = Some(host);
        r
    }

    fn compile_with(&mut self, file: frontend::FileId, host: &mut dyn frontend::MacroHost) -> Result<Fiber, Diagnostic> {
        let (_, program) = frontend::compile_to_ast(&mut self.sources, file, host)?;
        Ok(self.compile_program(&program))
    }

    /// The canonical paths of the source files compiled in this isolate that
    /// were read from disk: for an isolate that compiled one program with
    /// [`Isolate::compile_path`], its main file and every file it loaded,
    /// each once, in load order (see [`SourceMap::paths`]). Watchers and
    /// bundlers use this list.
    pub fn program_files(&self) -> Vec<std::path::PathBuf> {
        self.sources.paths().map(std::path::Path::to_path_buf).collect()
    }

    /// Lowers, optimises (verifying in debug builds) and compiles a resolved program.
    pub fn compile_program(&mut self, program: &frontend::ast::Program) -> Fiber {
        let m = self.lower(program);
        self.load_module(&m)
    }

    /// The optimised IR of a resolved program.
    pub fn lower(&self, program: &frontend::ast::Program) -> ir::Module {
        let mut m = ir::lower_program(program, &|n: &str| self.is_builtin(n));
        ir::optimise(&mut m);
        if cfg!(debug_assertions) {
            if let Err(errs) = ir::verify_module(&m) {
                panic!("IR verification failed: {}\n{m}", errs.join("\n"));
            }
        }
        m
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
        let entry = Value::Closure(Rc::new(Closure { proto, captures: crate::value::Captures::new() }));
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
                Step::Yielded => input = Ok(Value::Nil),
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
