//! Terse constructors for core-AST programs, for tests (here and in other
//! crates) that need [`frontend::ast::Program`]s without the reader/expander.
//! All expressions get the default span.
//!
//! ```
//! use ir::ast_build::P;
//! let mut p = P::new();
//! let n = p.local("n");
//! let body = p.call(p.global("*"), vec![p.var(n), p.var(n)]);
//! let sq = p.lambda(Some("sq"), vec![n], None, body);
//! let def = p.define("sq", sq);
//! p.body.push(def);
//! let prog = p.finish();
//! assert_eq!(prog.body.len(), 1);
//! ```

use frontend::ast::{Const, Expr, ExprKind, Lambda, LocalId, LocalInfo, Program};
use frontend::Span;
use std::rc::Rc;

/// A program under construction: allocate locals with [`P::local`], build
/// expressions, push top-level forms onto `body`, then [`P::finish`].
#[derive(Default)]
pub struct P {
    pub locals: Vec<LocalInfo>,
    pub body: Vec<Expr>,
}

fn e(kind: ExprKind) -> Expr {
    Expr::new(kind, Span::default())
}

impl P {
    pub fn new() -> P {
        P::default()
    }
    /// A fresh local named `name` (flags are computed by [`P::finish`]).
    pub fn local(&mut self, name: &str) -> LocalId {
        self.locals.push(LocalInfo { name: name.to_string(), mutated: false, captured: false });
        LocalId(self.locals.len() as u32 - 1)
    }
    /// The program; `LocalInfo::mutated` is filled in (`captured` is left false:
    /// lowering computes its own capture analysis).
    pub fn finish(mut self) -> Program {
        fn walk(x: &Expr, locals: &mut [LocalInfo]) {
            match &x.kind {
                ExprKind::SetLocal(id, v) => {
                    locals[id.0 as usize].mutated = true;
                    walk(v, locals)
                }
                ExprKind::SetGlobal(_, v) | ExprKind::DefineGlobal(_, v) | ExprKind::Perform(v) => walk(v, locals),
                ExprKind::If(a, b, c) => [a, b, c].into_iter().for_each(|y| walk(y, locals)),
                ExprKind::Seq(xs) | ExprKind::Builtin(_, xs) => xs.iter().for_each(|y| walk(y, locals)),
                ExprKind::Let(bs, b) | ExprKind::Letrec(bs, b) => {
                    bs.iter().for_each(|(_, y)| walk(y, locals));
                    walk(b, locals)
                }
                ExprKind::Lambda(l) => walk(&l.body, locals),
                ExprKind::Call(f, xs) => {
                    walk(f, locals);
                    xs.iter().for_each(|y| walk(y, locals))
                }
                ExprKind::Guard { body, handler, .. } => {
                    walk(body, locals);
                    walk(handler, locals)
                }
                _ => {}
            }
        }
        for x in &self.body {
            walk(x, &mut self.locals);
        }
        Program { body: self.body, locals: self.locals }
    }
    pub fn int(&self, i: i64) -> Expr {
        e(ExprKind::Const(Const::Int(i)))
    }
    pub fn float(&self, x: f64) -> Expr {
        e(ExprKind::Const(Const::Float(x)))
    }
    pub fn str(&self, s: &str) -> Expr {
        e(ExprKind::Const(Const::Str(s.to_string())))
    }
    pub fn kw(&self, s: &str) -> Expr {
        e(ExprKind::Const(Const::Keyword(s.to_string())))
    }
    pub fn nil(&self) -> Expr {
        e(ExprKind::Const(Const::Nil))
    }
    pub fn boolean(&self, b: bool) -> Expr {
        e(ExprKind::Const(Const::Bool(b)))
    }
    pub fn global(&self, n: &str) -> Expr {
        e(ExprKind::Global(n.to_string()))
    }
    pub fn var(&self, id: LocalId) -> Expr {
        e(ExprKind::Local(id))
    }
    pub fn set(&self, id: LocalId, v: Expr) -> Expr {
        e(ExprKind::SetLocal(id, Box::new(v)))
    }
    pub fn set_global(&self, n: &str, v: Expr) -> Expr {
        e(ExprKind::SetGlobal(n.to_string(), Box::new(v)))
    }
    pub fn define(&self, n: &str, v: Expr) -> Expr {
        e(ExprKind::DefineGlobal(n.to_string(), Box::new(v)))
    }
    pub fn if_(&self, c: Expr, t: Expr, f: Expr) -> Expr {
        e(ExprKind::If(Box::new(c), Box::new(t), Box::new(f)))
    }
    pub fn seq(&self, xs: Vec<Expr>) -> Expr {
        e(ExprKind::Seq(xs))
    }
    pub fn let_(&self, bs: Vec<(LocalId, Expr)>, body: Expr) -> Expr {
        e(ExprKind::Let(bs, Box::new(body)))
    }
    pub fn letrec(&self, bs: Vec<(LocalId, Expr)>, body: Expr) -> Expr {
        e(ExprKind::Letrec(bs, Box::new(body)))
    }
    pub fn lambda(&self, name: Option<&str>, params: Vec<LocalId>, rest: Option<LocalId>, body: Expr) -> Expr {
        e(ExprKind::Lambda(Rc::new(Lambda { name: name.map(str::to_string), params, rest, body: Box::new(body), span: Span::default() })))
    }
    pub fn call(&self, f: Expr, args: Vec<Expr>) -> Expr {
        e(ExprKind::Call(Box::new(f), args))
    }
    /// `(name args...)` where `name` is a global (a primitive when the predicate says so).
    pub fn callg(&self, name: &str, args: Vec<Expr>) -> Expr {
        self.call(self.global(name), args)
    }
    pub fn builtin(&self, n: &str, args: Vec<Expr>) -> Expr {
        e(ExprKind::Builtin(n.to_string(), args))
    }
    pub fn perform(&self, x: Expr) -> Expr {
        e(ExprKind::Perform(Box::new(x)))
    }
    pub fn guard(&self, body: Expr, var: LocalId, handler: Expr) -> Expr {
        e(ExprKind::Guard { body: Box::new(body), var, handler: Box::new(handler) })
    }
}
