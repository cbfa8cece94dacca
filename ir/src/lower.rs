//! Lowering of the core AST ([`frontend::ast::Program`]) to IR ([`Module`]).
//!
//! Shape of the output:
//! - `funcs[0]` is the `"<toplevel>"` thunk (arity 0, no captures) and
//!   [`Module::entry`]; it evaluates the top-level expressions in order and
//!   returns the last value (nil for an empty program). Lambdas get ids in
//!   pre-order (an enclosing function before the lambdas it contains).
//! - **Closure conversion**: each lambda (and each `guard` body, which becomes a
//!   zero-argument thunk) captures its free variables in order of first
//!   occurrence; the closure is built with `MakeClosure(f, captures)` and the
//!   body reads them with `Capture(i)` (emitted in the entry block).
//! - **Variables**: a local that is both captured and `set!` lives in a cell
//!   (`CellNew`/`CellGet`/`CellSet`); every other local is a plain SSA value.
//!   Functions are acyclic CFGs (SX has no loop forms: loops are tail calls), so
//!   SSA construction is a variable → value map threaded through the lowering,
//!   with a join-block parameter for every variable whose value differs
//!   between incoming branches (the acyclic special case of Braun et al. 2013,
//!   "Simple and Efficient Construction of SSA Form").
//! - **letrec**: a non-mutated letrec-bound lambda refers to itself through
//!   `SelfRef` (no closure/cell cycle). A letrec variable referenced before its
//!   initialisation (by an earlier init, e.g. mutual recursion, or by its own
//!   init when that is not a self-naming lambda) is pre-allocated in a cell
//!   holding nil.
//! - **Calls**: tail calls are `TailCall`; others `CallK` with a continuation
//!   block; `perform` is `Suspend`; `guard` is `TryCall` with `ok`/`err` blocks
//!   that join; `%apply` is `ApplyK`/`TailApply`; `raise` (builtin or
//!   non-redefined global, one argument) is the `Raise` terminator; `If` is a
//!   `Branch` on truthiness.
//! - **Primitives** (docs/language-decisions.md "Primitive integration"): a
//!   call whose callee is `Global(name)` with `builtins(name)` and `name` never
//!   defined or `set!` by the program is `Prim(name, args)`; `(apply f xs)` in
//!   that situation is `ApplyK` like `%apply`. `Builtin(name, args)` is always
//!   `Prim` (except `%apply` and `raise`).
//! - Types: constants get their type, everything else (including block
//!   parameters) is `Any`; see [`crate::infer_types`] for refinement.
//! - Instructions and call/raise terminators keep the span of their expression.

use crate::entities::{Block, FuncId, Value};
use crate::function::{BlockCall, Function, InstData, Module, Terminator};
use crate::types::Type;
use frontend::ast::{Const, Expr, ExprKind, Lambda, LocalId, Program};
use frontend::{DatumKind, Span};
use rustc_hash::{FxHashMap, FxHashSet};

/// Lowers a resolved program to an IR module (see the module docs for the shape).
///
/// `builtins(name)` tells whether a global name is a runtime primitive.
/// Panics only on a malformed AST (a `Local` outside the scope of its binder).
pub fn lower_program(prog: &Program, builtins: &dyn Fn(&str) -> bool) -> Module {
    let analysis = Analysis::new(prog);
    let span = prog.body.iter().map(|e| e.span).reduce(|a, b| a.to(b)).unwrap_or_default();
    let mut cx = Lowerer { module: Module::default(), analysis, builtins, prog };
    let id = cx.reserve();
    let mut fb = FnBuilder::new(Function::new(Some("<toplevel>".to_string()), span));
    let entry = fb.f.add_block();
    fb.cur = Some(entry);
    match prog.body.split_last() {
        None => {
            let v = fb.konst(Const::Nil, span);
            fb.terminate(Terminator::Return(v), span);
        }
        Some((last, init)) => {
            let mut ok = true;
            for e in init {
                if cx.lower(&mut fb, e).is_none() {
                    ok = false;
                    break;
                }
            }
            if ok {
                cx.lower_tail(&mut fb, last);
            }
        }
    }
    cx.module.funcs[id.index()] = fb.f;
    cx.module.entry = Some(id);
    cx.module
}

/// Where a local lives in the function being built.
#[derive(Copy, Clone, Debug, PartialEq)]
enum Binding {
    /// Its current SSA value.
    Ssa(Value),
    /// The cell holding it.
    Cell(Value),
}

type Env = FxHashMap<LocalId, Binding>;

/// Whole-program facts computed before lowering.
struct Analysis {
    mutated: FxHashSet<LocalId>,
    captured: FxHashSet<LocalId>,
    /// Global names the program defines or `set!`s (never lowered to `Prim`).
    redefined: FxHashSet<String>,
}

impl Analysis {
    fn new(prog: &Program) -> Analysis {
        let mut a = Analysis { mutated: FxHashSet::default(), captured: FxHashSet::default(), redefined: FxHashSet::default() };
        let mut owner: FxHashMap<LocalId, u32> = FxHashMap::default();
        let mut next_scope = 1;
        for e in &prog.body {
            a.walk(e, 0, &mut next_scope, &mut owner);
        }
        a
    }

    /// `scope` numbers the function being walked (lambdas and guard bodies open a new one).
    fn walk(&mut self, e: &Expr, scope: u32, next: &mut u32, owner: &mut FxHashMap<LocalId, u32>) {
        let refer = |this: &mut Analysis, id: LocalId| {
            if owner.get(&id).is_some_and(|&s| s != scope) {
                this.captured.insert(id);
            }
        };
        match &e.kind {
            ExprKind::Const(_) | ExprKind::Global(_) => {}
            ExprKind::Local(id) => refer(self, *id),
            ExprKind::SetLocal(id, v) => {
                refer(self, *id);
                self.mutated.insert(*id);
                self.walk(v, scope, next, owner);
            }
            ExprKind::SetGlobal(n, v) | ExprKind::DefineGlobal(n, v) => {
                self.redefined.insert(n.clone());
                self.walk(v, scope, next, owner);
            }
            ExprKind::If(c, t, f) => {
                for x in [c, t, f] {
                    self.walk(x, scope, next, owner);
                }
            }
            ExprKind::Seq(xs) | ExprKind::Builtin(_, xs) => xs.iter().for_each(|x| self.walk(x, scope, next, owner)),
            ExprKind::Let(bs, body) | ExprKind::Letrec(bs, body) => {
                for (id, _) in bs {
                    owner.insert(*id, scope);
                }
                for (_, x) in bs {
                    self.walk(x, scope, next, owner);
                }
                self.walk(body, scope, next, owner);
            }
            ExprKind::Lambda(l) => {
                let s = *next;
                *next += 1;
                for id in l.params.iter().chain(l.rest.iter()) {
                    owner.insert(*id, s);
                }
                self.walk(&l.body, s, next, owner);
            }
            ExprKind::Call(f, xs) => {
                self.walk(f, scope, next, owner);
                xs.iter().for_each(|x| self.walk(x, scope, next, owner));
            }
            ExprKind::Perform(x) => self.walk(x, scope, next, owner),
            ExprKind::Guard { body, var, handler } => {
                owner.insert(*var, scope);
                let s = *next;
                *next += 1;
                self.walk(body, s, next, owner);
                self.walk(handler, scope, next, owner);
            }
        }
    }

    fn needs_cell(&self, id: LocalId) -> bool {
        self.mutated.contains(&id) && self.captured.contains(&id)
    }
}

/// Locals bound anywhere inside `e` (including nested lambdas) into `bound`,
/// and locals referenced (read or `set!`) into `refs` in order of first occurrence.
fn scan(e: &Expr, bound: &mut FxHashSet<LocalId>, refs: &mut Vec<LocalId>, seen: &mut FxHashSet<LocalId>) {
    let mut refer = |id: LocalId, refs: &mut Vec<LocalId>| {
        if seen.insert(id) {
            refs.push(id)
        }
    };
    match &e.kind {
        ExprKind::Const(_) | ExprKind::Global(_) => {}
        ExprKind::Local(id) => refer(*id, refs),
        ExprKind::SetLocal(id, v) => {
            refer(*id, refs);
            scan(v, bound, refs, seen)
        }
        ExprKind::SetGlobal(_, v) | ExprKind::DefineGlobal(_, v) | ExprKind::Perform(v) => scan(v, bound, refs, seen),
        ExprKind::If(c, t, f) => {
            for x in [c, t, f] {
                scan(x, bound, refs, seen)
            }
        }
        ExprKind::Seq(xs) | ExprKind::Builtin(_, xs) => xs.iter().for_each(|x| scan(x, bound, refs, seen)),
        ExprKind::Let(bs, body) | ExprKind::Letrec(bs, body) => {
            for (id, x) in bs {
                bound.insert(*id);
                scan(x, bound, refs, seen)
            }
            scan(body, bound, refs, seen)
        }
        ExprKind::Lambda(l) => {
            bound.extend(l.params.iter().chain(l.rest.iter()).copied());
            scan(&l.body, bound, refs, seen)
        }
        ExprKind::Call(f, xs) => {
            scan(f, bound, refs, seen);
            xs.iter().for_each(|x| scan(x, bound, refs, seen))
        }
        ExprKind::Guard { body, var, handler } => {
            bound.insert(*var);
            scan(body, bound, refs, seen);
            scan(handler, bound, refs, seen)
        }
    }
}

/// Free locals of a function body in order of first occurrence, excluding `params`.
fn free_vars(body: &Expr, params: &[LocalId]) -> Vec<LocalId> {
    let mut bound: FxHashSet<LocalId> = params.iter().copied().collect();
    let (mut refs, mut seen) = (Vec::new(), FxHashSet::default());
    scan(body, &mut bound, &mut refs, &mut seen);
    refs.retain(|id| !bound.contains(id));
    refs
}

/// All locals referenced in `e` (including nested lambdas).
fn referenced(e: &Expr) -> FxHashSet<LocalId> {
    let (mut bound, mut refs, mut seen) = (FxHashSet::default(), Vec::new(), FxHashSet::default());
    scan(e, &mut bound, &mut refs, &mut seen);
    seen
}

/// The IR type of a literal.
pub fn const_type(c: &Const) -> Type {
    match c {
        Const::Nil => Type::Nil,
        Const::Bool(_) => Type::Bool,
        Const::Int(_) => Type::Int,
        Const::Float(_) => Type::Float,
        Const::Str(_) => Type::Str,
        Const::Symbol(_) => Type::Symbol,
        Const::Keyword(_) => Type::Keyword,
        Const::Quoted(d) => match &d.kind {
            DatumKind::List(_) | DatumKind::Bracket(_) => Type::List,
            DatumKind::Dict(_) => Type::Dict,
            DatumKind::Nil => Type::Nil,
            DatumKind::Bool(_) => Type::Bool,
            DatumKind::Int(_) => Type::Int,
            DatumKind::Float(_) => Type::Float,
            DatumKind::Str(_) => Type::Str,
            DatumKind::Symbol(_) => Type::Symbol,
            DatumKind::Keyword(_) => Type::Keyword,
        },
    }
}

/// One function under construction.
struct FnBuilder {
    f: Function,
    /// The block being filled; `None` after a terminator that does not continue
    /// (return, tail call, raise): the code that follows is unreachable.
    cur: Option<Block>,
    env: Env,
}

impl FnBuilder {
    fn new(f: Function) -> FnBuilder {
        FnBuilder { f, cur: None, env: Env::default() }
    }
    fn push(&mut self, data: InstData, ty: Type, span: Span) -> Value {
        let b = self.cur.expect("lowering: emitting into unreachable code");
        self.f.push_inst(b, data, ty, span)
    }
    fn konst(&mut self, c: Const, span: Span) -> Value {
        let ty = const_type(&c);
        self.push(InstData::Const(c), ty, span)
    }
    fn terminate(&mut self, term: Terminator, span: Span) {
        let b = self.cur.take().expect("lowering: terminating unreachable code");
        self.f.set_terminator(b, term, span);
    }
    /// Terminates the current block with a suspension-style terminator built from
    /// a fresh one-parameter continuation block, and continues there.
    fn continue_with(&mut self, span: Span, mk: impl FnOnce(Block) -> Terminator) -> Value {
        let cont = self.f.add_block();
        let term = mk(cont);
        self.terminate(term, span);
        self.cur = Some(cont);
        self.f.add_block_param(cont, Type::Any)
    }
}

/// A branch that reached the join point: its last block, environment and value.
struct Arm {
    block: Block,
    env: Env,
    value: Value,
}

struct Lowerer<'a> {
    module: Module,
    analysis: Analysis,
    builtins: &'a dyn Fn(&str) -> bool,
    prog: &'a Program,
}

impl Lowerer<'_> {
    /// Reserves a function id (pre-order numbering); the slot is filled when done.
    fn reserve(&mut self) -> FuncId {
        self.module.add_func(Function::new(None, Span::default()))
    }

    fn is_prim(&self, name: &str) -> bool {
        (self.builtins)(name) && !self.analysis.redefined.contains(name)
    }

    /// Binds a freshly initialised local (a parameter, `let`, guard variable).
    fn bind(&self, fb: &mut FnBuilder, id: LocalId, v: Value, span: Span) {
        let b = if self.analysis.needs_cell(id) { Binding::Cell(fb.push(InstData::CellNew(v), Type::Any, span)) } else { Binding::Ssa(v) };
        fb.env.insert(id, b);
    }

    fn read_local(&self, fb: &mut FnBuilder, id: LocalId, span: Span) -> Value {
        match fb.env.get(&id) {
            Some(Binding::Ssa(v)) => *v,
            Some(Binding::Cell(c)) => {
                let c = *c;
                fb.push(InstData::CellGet(c), Type::Any, span)
            }
            None => panic!("lowering: local {} ({:?}) used outside its scope", id.0, self.local_name(id)),
        }
    }

    fn local_name(&self, id: LocalId) -> &str {
        self.prog.locals.get(id.0 as usize).map(|l| l.name.as_str()).unwrap_or("?")
    }

    /// Lowers `es` left to right; `None` when one of them does not return.
    fn lower_all(&mut self, fb: &mut FnBuilder, es: &[Expr]) -> Option<Vec<Value>> {
        es.iter().map(|e| self.lower(fb, e)).collect()
    }

    /// Lowers `e` in non-tail position and returns its value, or `None` when
    /// control cannot continue after it (then `fb.cur` is `None`).
    fn lower(&mut self, fb: &mut FnBuilder, e: &Expr) -> Option<Value> {
        let span = e.span;
        match &e.kind {
            ExprKind::Const(c) => Some(fb.konst(c.clone(), span)),
            ExprKind::Local(id) => Some(self.read_local(fb, *id, span)),
            ExprKind::Global(n) => Some(fb.push(InstData::GlobalGet(n.clone()), Type::Any, span)),
            ExprKind::SetLocal(id, x) => {
                let v = self.lower(fb, x)?;
                match fb.env.get(id).copied() {
                    Some(Binding::Cell(c)) => {
                        fb.push(InstData::CellSet(c, v), Type::Nil, span);
                    }
                    Some(Binding::Ssa(_)) => {
                        fb.env.insert(*id, Binding::Ssa(v));
                    }
                    None => panic!("lowering: set! of local {} ({:?}) outside its scope", id.0, self.local_name(*id)),
                }
                Some(fb.konst(Const::Nil, span))
            }
            ExprKind::SetGlobal(n, x) => {
                let v = self.lower(fb, x)?;
                Some(fb.push(InstData::GlobalSet(n.clone(), v), Type::Nil, span))
            }
            ExprKind::DefineGlobal(n, x) => {
                let v = self.lower(fb, x)?;
                Some(fb.push(InstData::GlobalDefine(n.clone(), v), Type::Nil, span))
            }
            ExprKind::If(c, t, f) => {
                let cv = self.lower(fb, c)?;
                let (tb, eb) = (fb.f.add_block(), fb.f.add_block());
                fb.terminate(
                    Terminator::Branch { cond: cv, then_dest: BlockCall { block: tb, args: vec![] }, else_dest: BlockCall { block: eb, args: vec![] } },
                    span,
                );
                let base = fb.env.clone();
                let mut arms = Vec::new();
                for (b, x) in [(tb, t), (eb, f)] {
                    fb.env = base.clone();
                    fb.cur = Some(b);
                    if let Some(value) = self.lower(fb, x) {
                        arms.push(Arm { block: fb.cur.unwrap(), env: std::mem::take(&mut fb.env), value });
                    }
                }
                self.join(fb, base, arms, span)
            }
            ExprKind::Seq(xs) => match xs.split_last() {
                None => Some(fb.konst(Const::Nil, span)),
                Some((last, init)) => {
                    for x in init {
                        self.lower(fb, x)?;
                    }
                    self.lower(fb, last)
                }
            },
            ExprKind::Let(bs, body) => {
                for (id, x) in bs {
                    let v = self.lower(fb, x)?;
                    self.bind(fb, *id, v, x.span);
                }
                self.lower(fb, body)
            }
            ExprKind::Letrec(bs, body) => {
                self.lower_letrec_bindings(fb, bs)?;
                self.lower(fb, body)
            }
            ExprKind::Lambda(l) => Some(self.lower_lambda(fb, l, None)),
            ExprKind::Call(callee, args) => self.lower_call(fb, callee, args, span, false),
            ExprKind::Builtin(name, args) => self.lower_builtin(fb, name, args, span, false),
            ExprKind::Perform(x) => {
                let request = self.lower(fb, x)?;
                Some(fb.continue_with(span, |cont| Terminator::Suspend { request, cont }))
            }
            ExprKind::Guard { body, var, handler } => self.lower_guard(fb, body, *var, handler, span, false),
        }
    }

    /// Lowers `e` in tail position: the current block ends with a `Return`, a
    /// tail call, or a branch to blocks that do.
    fn lower_tail(&mut self, fb: &mut FnBuilder, e: &Expr) {
        let span = e.span;
        match &e.kind {
            ExprKind::If(c, t, f) => {
                let Some(cv) = self.lower(fb, c) else { return };
                let (tb, eb) = (fb.f.add_block(), fb.f.add_block());
                fb.terminate(
                    Terminator::Branch { cond: cv, then_dest: BlockCall { block: tb, args: vec![] }, else_dest: BlockCall { block: eb, args: vec![] } },
                    span,
                );
                let base = fb.env.clone();
                for (b, x) in [(tb, t), (eb, f)] {
                    fb.env = base.clone();
                    fb.cur = Some(b);
                    self.lower_tail(fb, x);
                }
            }
            ExprKind::Seq(xs) if !xs.is_empty() => {
                let (last, init) = xs.split_last().unwrap();
                for x in init {
                    if self.lower(fb, x).is_none() {
                        return;
                    }
                }
                self.lower_tail(fb, last)
            }
            ExprKind::Let(bs, body) => {
                for (id, x) in bs {
                    let Some(v) = self.lower(fb, x) else { return };
                    self.bind(fb, *id, v, x.span);
                }
                self.lower_tail(fb, body)
            }
            ExprKind::Letrec(bs, body) => {
                if self.lower_letrec_bindings(fb, bs).is_some() {
                    self.lower_tail(fb, body)
                }
            }
            ExprKind::Call(callee, args) => {
                self.lower_call(fb, callee, args, span, true);
            }
            ExprKind::Builtin(name, args) => {
                self.lower_builtin(fb, name, args, span, true);
            }
            ExprKind::Guard { body, var, handler } => {
                self.lower_guard(fb, body, *var, handler, span, true);
            }
            _ => {
                if let Some(v) = self.lower(fb, e) {
                    fb.terminate(Terminator::Return(v), span);
                }
            }
        }
    }

    /// Joins the arms of a conditional (see the module docs). Returns the joined
    /// value, or `None` when no arm continues.
    fn join(&mut self, fb: &mut FnBuilder, base: Env, arms: Vec<Arm>, span: Span) -> Option<Value> {
        match arms.len() {
            0 => {
                fb.env = base;
                fb.cur = None;
                None
            }
            1 => {
                let arm = arms.into_iter().next().unwrap();
                fb.cur = Some(arm.block);
                fb.env = arm.env;
                Some(arm.value)
            }
            _ => {
                let jb = fb.f.add_block();
                let result = fb.f.add_block_param(jb, Type::Any);
                // Variables of the enclosing scope whose SSA value differs between arms.
                let mut vars: Vec<LocalId> = base
                    .iter()
                    .filter(|(id, b)| matches!(b, Binding::Ssa(_)) && arms.iter().any(|a| a.env.get(id) != Some(b)))
                    .map(|(id, _)| *id)
                    .collect();
                vars.sort();
                let mut env = base;
                for id in &vars {
                    let p = fb.f.add_block_param(jb, Type::Any);
                    env.insert(*id, Binding::Ssa(p));
                }
                for arm in &arms {
                    let mut args = vec![arm.value];
                    for id in &vars {
                        match arm.env.get(id) {
                            Some(Binding::Ssa(v)) => args.push(*v),
                            other => panic!("lowering: variable {} changed binding kind in a branch: {other:?}", id.0),
                        }
                    }
                    fb.f.set_terminator(arm.block, Terminator::Jump(BlockCall { block: jb, args }), span);
                }
                fb.env = env;
                fb.cur = Some(jb);
                Some(result)
            }
        }
    }

    /// Binds the names of a `letrec*` group (see the module docs for cells and `SelfRef`).
    fn lower_letrec_bindings(&mut self, fb: &mut FnBuilder, bs: &[(LocalId, Expr)]) -> Option<()> {
        // A variable is referenced early when an earlier init (or its own init,
        // unless that is a lambda naming itself by `SelfRef`) mentions it: it must
        // exist, as a cell, before its init runs.
        let mut early: FxHashSet<LocalId> = FxHashSet::default();
        let mut seen_before: FxHashSet<LocalId> = FxHashSet::default();
        for (id, x) in bs {
            let refs = referenced(x);
            // A lambda refers to itself through `SelfRef` unless the name is `set!`.
            let self_ref_ok = matches!(x.kind, ExprKind::Lambda(_)) && !self.analysis.mutated.contains(id);
            if seen_before.contains(id) || (!self_ref_ok && refs.contains(id)) {
                early.insert(*id);
            }
            seen_before.extend(refs);
        }
        for (id, x) in bs {
            if early.contains(id) {
                let nil = fb.konst(Const::Nil, x.span);
                let c = fb.push(InstData::CellNew(nil), Type::Any, x.span);
                fb.env.insert(*id, Binding::Cell(c));
            }
        }
        for (id, x) in bs {
            let v = match &x.kind {
                ExprKind::Lambda(l) => {
                    let self_local = (!self.analysis.mutated.contains(id)).then_some(*id);
                    self.lower_lambda(fb, l, self_local)
                }
                _ => self.lower(fb, x)?,
            };
            match fb.env.get(id).copied() {
                Some(Binding::Cell(c)) if early.contains(id) => {
                    fb.push(InstData::CellSet(c, v), Type::Nil, x.span);
                }
                _ => self.bind(fb, *id, v, x.span),
            }
        }
        Some(())
    }

    /// Lowers a lambda to a new function and returns the `MakeClosure` value in `fb`.
    /// `self_local`: the letrec variable that names this lambda (read as `SelfRef`).
    fn lower_lambda(&mut self, fb: &mut FnBuilder, l: &Lambda, self_local: Option<LocalId>) -> Value {
        let params: Vec<LocalId> = l.params.iter().chain(l.rest.iter()).copied().collect();
        let mut f = Function::new(l.name.clone(), l.span);
        f.arity = l.params.len() as u32;
        f.has_rest = l.rest.is_some();
        self.lower_function(fb, f, &params, &l.body, self_local)
    }

    /// Shared by lambdas and guard thunks: builds the function and the closure.
    fn lower_function(&mut self, outer: &mut FnBuilder, f: Function, params: &[LocalId], body: &Expr, self_local: Option<LocalId>) -> Value {
        let span = f.span;
        let mut free = free_vars(body, params);
        let uses_self = match self_local {
            Some(s) => {
                let n = free.len();
                free.retain(|x| *x != s);
                free.len() != n
            }
            None => false,
        };
        let id = self.reserve();
        let mut fb = FnBuilder::new(f);
        fb.f.ncaptures = free.len() as u32;
        let entry = fb.f.add_block();
        fb.cur = Some(entry);
        let pvals: Vec<Value> = params.iter().map(|_| fb.f.add_block_param(entry, Type::Any)).collect();
        if let Some(s) = self_local.filter(|_| uses_self) {
            let v = fb.push(InstData::SelfRef, Type::Any, span);
            fb.env.insert(s, Binding::Ssa(v));
        }
        let mut caps = Vec::with_capacity(free.len());
        for (i, x) in free.iter().enumerate() {
            let ob = *outer.env.get(x).unwrap_or_else(|| panic!("lowering: captured local {} ({:?}) is not in scope", x.0, self.local_name(*x)));
            let v = fb.push(InstData::Capture(i as u32), Type::Any, span);
            let (b, cap) = match ob {
                Binding::Ssa(o) => (Binding::Ssa(v), o),
                Binding::Cell(o) => (Binding::Cell(v), o),
            };
            fb.env.insert(*x, b);
            caps.push(cap);
        }
        for (p, v) in params.iter().zip(pvals) {
            self.bind(&mut fb, *p, v, span);
        }
        self.lower_tail(&mut fb, body);
        self.module.funcs[id.index()] = fb.f;
        outer.push(InstData::MakeClosure(id, caps), Type::Any, span)
    }

    fn lower_call(&mut self, fb: &mut FnBuilder, callee: &Expr, args: &[Expr], span: Span, tail: bool) -> Option<Value> {
        if let ExprKind::Global(name) = &callee.kind {
            if self.is_prim(name) {
                return self.lower_builtin(fb, name, args, span, tail);
            }
        }
        let f = self.lower(fb, callee)?;
        let args = self.lower_all(fb, args)?;
        if tail {
            fb.terminate(Terminator::TailCall { callee: f, args }, span);
            None
        } else {
            Some(fb.continue_with(span, |cont| Terminator::CallK { callee: f, args, cont }))
        }
    }

    /// A call of a primitive by name (`Builtin`, or a non-redefined builtin global).
    fn lower_builtin(&mut self, fb: &mut FnBuilder, name: &str, args: &[Expr], span: Span, tail: bool) -> Option<Value> {
        let vals = self.lower_all(fb, args)?;
        match (name, vals.as_slice()) {
            ("%apply" | "apply", &[callee, list]) => {
                if tail {
                    fb.terminate(Terminator::TailApply { callee, args: list }, span);
                    None
                } else {
                    Some(fb.continue_with(span, |cont| Terminator::ApplyK { callee, args: list, cont }))
                }
            }
            ("raise", &[v]) => {
                fb.terminate(Terminator::Raise(v), span);
                None
            }
            _ => {
                let v = fb.push(InstData::Prim(name.to_string(), vals), Type::Any, span);
                if tail {
                    fb.terminate(Terminator::Return(v), span);
                    None
                } else {
                    Some(v)
                }
            }
        }
    }

    fn lower_guard(&mut self, fb: &mut FnBuilder, body: &Expr, var: LocalId, handler: &Expr, span: Span, tail: bool) -> Option<Value> {
        let thunk_fn = Function::new(None, body.span);
        let thunk = self.lower_function(fb, thunk_fn, &[], body, None);
        let (ok, err) = (fb.f.add_block(), fb.f.add_block());
        fb.terminate(Terminator::TryCall { thunk, ok, err }, span);
        let result = fb.f.add_block_param(ok, Type::Any);
        let raised = fb.f.add_block_param(err, Type::Any);
        let base = fb.env.clone();
        if tail {
            fb.cur = Some(ok);
            fb.terminate(Terminator::Return(result), span);
            fb.cur = Some(err);
            self.bind(fb, var, raised, span);
            self.lower_tail(fb, handler);
            return None;
        }
        let mut arms = vec![Arm { block: ok, env: base.clone(), value: result }];
        fb.cur = Some(err);
        self.bind(fb, var, raised, span);
        if let Some(value) = self.lower(fb, handler) {
            arms.push(Arm { block: fb.cur.unwrap(), env: std::mem::take(&mut fb.env), value });
        }
        self.join(fb, base, arms, span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast_build::P;

    #[test]
    fn empty_program_returns_nil() {
        let m = lower_program(&Program::default(), &|_| false);
        assert_eq!(m.entry, Some(FuncId(0)));
        assert_eq!(m.funcs.len(), 1);
        assert!(matches!(m.funcs[0].blocks[0].term, Terminator::Return(_)));
    }

    #[test]
    fn builtin_global_call_is_prim_unless_redefined() {
        let mut p = P::new();
        let e = p.call(p.global("+"), vec![p.int(1), p.int(2)]);
        p.body.push(e);
        let m = lower_program(&p.finish(), &|n| n == "+");
        assert!(m.funcs[0].insts.iter().any(|i| matches!(&i.data, InstData::Prim(n, a) if n == "+" && a.len() == 2)));

        let mut p = P::new();
        let d = p.define("+", p.int(0));
        let e = p.call(p.global("+"), vec![p.int(1), p.int(2)]);
        p.body.extend([d, e]);
        let m = lower_program(&p.finish(), &|n| n == "+");
        assert!(!m.funcs[0].insts.iter().any(|i| matches!(&i.data, InstData::Prim(..))));
        assert!(matches!(m.funcs[0].blocks[0].term, Terminator::TailCall { .. }));
    }
}
