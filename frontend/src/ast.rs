//! The core AST: what the expander and scope resolver hand to `ir` lowering.
//!
//! Every derived form (`cond`, `case`, `when`, `let*`, named `let`, `->`,
//! quasiquote, `defcomp`, `guard` clauses, ...) has been rewritten into these
//! few constructs; variables are resolved to [`LocalId`]s (lexical) or global
//! names. A program is a list of top-level [`Expr`]s evaluated in order.

use crate::datum::Datum;
use crate::span::Span;
use std::rc::Rc;

/// A lexical variable, unique within one [`Program`] (not reused across lambdas).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalId(pub u32);

/// Information about one local variable.
#[derive(Clone, Debug, PartialEq)]
pub struct LocalInfo {
    /// The source name (for dumps and debugging).
    pub name: String,
    /// True when some `set!` assigns it (lowering boxes it in a cell if captured).
    pub mutated: bool,
    /// True when a lambda other than the one binding it refers to it.
    pub captured: bool,
}

/// A literal constant. `Quoted` holds a quoted list or dict datum (`'(1 2)`).
#[derive(Clone, Debug, PartialEq)]
pub enum Const {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Symbol(String),
    Keyword(String),
    Quoted(Datum),
}

/// A lambda: fixed parameters, optional `&rest` parameter, body.
#[derive(Clone, Debug, PartialEq)]
pub struct Lambda {
    /// `Some("f")` for `(define (f ...))`, `(define f (fn ...))`, named let loops.
    pub name: Option<String>,
    pub params: Vec<LocalId>,
    pub rest: Option<LocalId>,
    pub body: Box<Expr>,
    pub span: Span,
}

/// A core expression with its source span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Const(Const),
    Local(LocalId),
    /// A global variable read; unbound at run time raises `unbound name: NAME`.
    Global(String),
    SetLocal(LocalId, Box<Expr>),
    /// `set!` of a global; raises when the global is not defined.
    SetGlobal(String, Box<Expr>),
    /// Top-level `define`; evaluates to nil.
    DefineGlobal(String, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// Evaluate in order, value of the last (`Seq(vec![])` is nil).
    Seq(Vec<Expr>),
    /// Sequential binding (`let`/`let*` after expansion): each init sees the earlier names.
    Let(Vec<(LocalId, Expr)>, Box<Expr>),
    /// `letrec*`: all names are in scope in all inits; inits run in order.
    /// Internal defines and named-let loops lower to this.
    Letrec(Vec<(LocalId, Expr)>, Box<Expr>),
    Lambda(Rc<Lambda>),
    /// A call of an arbitrary callee, arguments evaluated left to right (callee first).
    Call(Box<Expr>, Vec<Expr>),
    /// A call of a runtime builtin by name that user code cannot shadow or redefine
    /// (`%list`, `%concat`, `%dict`, `%make-component`, `raise`...). Emitted by the
    /// expander for quasiquote, literals and derived forms.
    Builtin(String, Vec<Expr>),
    /// `(perform request)`: a suspension point.
    Perform(Box<Expr>),
    /// `(guard (var clauses...) body...)`: run `body`; if it raises, bind the raised
    /// value to `var` and evaluate `handler` (which re-raises itself when no clause holds).
    Guard { body: Box<Expr>, var: LocalId, handler: Box<Expr> },
}

/// A resolved program: its top-level expressions in order and the table of locals.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Program {
    pub body: Vec<Expr>,
    /// Indexed by `LocalId.0`.
    pub locals: Vec<LocalInfo>,
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }
}
