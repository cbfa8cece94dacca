//! Scope resolution: core forms (see [`crate::expand`]) -> [`ast::Program`].
//!
//! Every binding occurrence (lambda parameter, `let`/`letrec` name, guard
//! variable) gets a fresh [`LocalId`], unique in the program; a name that is not
//! lexically bound is a global. `Program.locals[id]` records the source name,
//! `mutated` (some `set!` assigns it) and `captured` (referenced or assigned from
//! a lambda nested inside the one that binds it).
//!
//! Lambdas are named when they are directly the value of a `define` or of a
//! `letrec` binding.
//!
//! Errors (malformed core forms; the expander never produces them) are
//! [`Diagnostic`]s with ids `resolve-bad-FORM` (`resolve-bad-fn`,
//! `resolve-bad-set`, `resolve-bad-define`, `resolve-bad-let`, ...),
//! `resolve-misplaced-define` and `resolve-bad-form`, with the form's span.

use crate::ast::{self, Const, Expr, ExprKind, Lambda, LocalId, LocalInfo};
use crate::datum::{Datum, DatumKind};
use crate::diag::Diagnostic;
use std::collections::HashSet;
use std::rc::Rc;

/// Resolves expanded top-level core forms into a program.
///
/// Errors: the first malformed core form (e.g. `(fn 1 2)`, `(set! 5 x)`,
/// `(define)`, a `define` not at top level, an unexpanded `[ ]` or `{ }`).
pub fn resolve_program(forms: &[Datum]) -> Result<ast::Program, Diagnostic> {
    let mut r = Resolver::default();
    let mut body = Vec::new();
    for f in forms {
        body.push(r.top(f)?);
    }
    Ok(ast::Program { body, locals: r.locals })
}

#[derive(Default)]
struct Resolver {
    locals: Vec<LocalInfo>,
    /// Lambda nesting depth at which each local is bound (indexed like `locals`).
    bound_at: Vec<u32>,
    /// Visible bindings, innermost last.
    scope: Vec<(String, LocalId)>,
    lambda_depth: u32,
}

#[cold]
#[inline(never)]
fn err(id: &'static str, d: &Datum, msg: impl Into<String>) -> Diagnostic {
    Diagnostic::new(id, d.span, msg)
}

fn head(d: &Datum) -> Option<&str> {
    match &d.kind {
        DatumKind::List(v) => v.first()?.as_symbol(),
        _ => None,
    }
}

impl Resolver {
    fn top(&mut self, d: &Datum) -> Result<Expr, Diagnostic> {
        if head(d) == Some("define") {
            let items = d.as_list().unwrap();
            let name = match items {
                [_, n, _] => n.as_symbol(),
                _ => None,
            };
            let Some(name) = name else {
                return Err(err("resolve-bad-define", d, "expected `(define name expr)`"));
            };
            let value = self.named(&items[2], Some(name))?;
            return Ok(Expr::new(ExprKind::DefineGlobal(name.to_string(), Box::new(value)), d.span));
        }
        self.expr(d)
    }

    fn bind(&mut self, name: &str) -> LocalId {
        let id = LocalId(self.locals.len() as u32);
        self.locals.push(LocalInfo { name: name.to_string(), mutated: false, captured: false });
        self.bound_at.push(self.lambda_depth);
        self.scope.push((name.to_string(), id));
        id
    }

    /// Looks up a local, marking it captured when seen from an inner lambda.
    fn lookup(&mut self, name: &str) -> Option<LocalId> {
        let id = self.scope.iter().rev().find(|(n, _)| n == name).map(|(_, id)| *id)?;
        if self.bound_at[id.0 as usize] < self.lambda_depth {
            self.locals[id.0 as usize].captured = true;
        }
        Some(id)
    }

    /// An expression that, when it is a `fn`, is a lambda named `name`.
    fn named(&mut self, d: &Datum, name: Option<&str>) -> Result<Expr, Diagnostic> {
        if head(d) == Some("fn") {
            return self.lambda(d, name);
        }
        self.expr(d)
    }

    fn exprs(&mut self, ds: &[Datum]) -> Result<Vec<Expr>, Diagnostic> {
        let mut out = Vec::with_capacity(ds.len());
        for x in ds {
            out.push(self.expr(x)?);
        }
        Ok(out)
    }

    fn expr(&mut self, d: &Datum) -> Result<Expr, Diagnostic> {
        let sp = d.span;
        let kind = match &d.kind {
            DatumKind::Nil => ExprKind::Const(Const::Nil),
            DatumKind::Bool(b) => ExprKind::Const(Const::Bool(*b)),
            DatumKind::Int(i) => ExprKind::Const(Const::Int(*i)),
            DatumKind::Float(f) => ExprKind::Const(Const::Float(*f)),
            DatumKind::Str(s) => ExprKind::Const(Const::Str(s.clone())),
            DatumKind::Keyword(k) => ExprKind::Const(Const::Keyword(k.clone())),
            DatumKind::Symbol(s) => match self.lookup(s) {
                Some(id) => ExprKind::Local(id),
                None => ExprKind::Global(s.clone()),
            },
            DatumKind::Bracket(_) | DatumKind::Dict(_) => {
                return Err(err("resolve-bad-form", d, "unexpanded `[ ]` or `{ }` literal: expected a core form"))
            }
            DatumKind::List(items) if items.is_empty() => {
                return Err(err("resolve-bad-form", d, "expected a core form, found `()`"))
            }
            DatumKind::List(items) => return self.compound(d, items),
        };
        Ok(Expr::new(kind, sp))
    }

    /// A non-empty list: dispatches on the head. Each form is its own
    /// non-inlined function so that this frame, part of every level of
    /// recursion, stays small.
    fn compound(&mut self, d: &Datum, items: &[Datum]) -> Result<Expr, Diagnostic> {
        let args = &items[1..];
        let kind = match items[0].as_symbol() {
            Some("quote") => self.quote(d, args)?,
            Some("if") => self.if_(d, args)?,
            Some("begin") => ExprKind::Seq(self.exprs(args)?),
            Some("fn") => return self.lambda(d, None),
            Some("let") => self.let_(d, args)?,
            Some("letrec") => self.letrec(d, args)?,
            Some("set!") => self.set(d, args)?,
            Some("guard") => self.guard(d, args)?,
            Some("%builtin") => self.builtin(d, args)?,
            Some("perform") => self.perform(d, args)?,
            Some("define") => return Err(err("resolve-misplaced-define", d, "`define` is only allowed at top level")),
            _ => self.call(items)?,
        };
        Ok(Expr::new(kind, d.span))
    }

    #[inline(never)]
    fn quote(&mut self, d: &Datum, args: &[Datum]) -> Result<ExprKind, Diagnostic> {
        match args {
            [x] => Ok(ExprKind::Const(quoted(x))),
            _ => Err(err("resolve-bad-quote", d, "expected `(quote datum)`")),
        }
    }

    #[inline(never)]
    fn if_(&mut self, d: &Datum, args: &[Datum]) -> Result<ExprKind, Diagnostic> {
        let [c, t, e] = args else {
            return Err(err("resolve-bad-if", d, "expected `(if test then else)`"));
        };
        let c = Box::new(self.expr(c)?);
        let t = Box::new(self.expr(t)?);
        let e = Box::new(self.expr(e)?);
        Ok(ExprKind::If(c, t, e))
    }

    #[inline(never)]
    fn perform(&mut self, d: &Datum, args: &[Datum]) -> Result<ExprKind, Diagnostic> {
        match args {
            [x] => Ok(ExprKind::Perform(Box::new(self.expr(x)?))),
            _ => Err(err("resolve-bad-perform", d, "expected `(perform request)`")),
        }
    }

    #[inline(never)]
    fn call(&mut self, items: &[Datum]) -> Result<ExprKind, Diagnostic> {
        let f = Box::new(self.expr(&items[0])?);
        Ok(ExprKind::Call(f, self.exprs(&items[1..])?))
    }

    /// `(let ((x e) ...) body)`: sequential.
    #[inline(never)]
    fn let_(&mut self, d: &Datum, args: &[Datum]) -> Result<ExprKind, Diagnostic> {
        let binds = self.bindings(d, args, "let")?;
        let mark = self.scope.len();
        let mut out = Vec::new();
        for (n, init) in binds {
            let e = self.expr(init)?;
            out.push((self.bind(n), e));
        }
        let body = self.expr(&args[1]);
        self.scope.truncate(mark);
        Ok(ExprKind::Let(out, Box::new(body?)))
    }

    /// `(letrec ((x e) ...) body)`: all names visible in all inits.
    #[inline(never)]
    fn letrec(&mut self, d: &Datum, args: &[Datum]) -> Result<ExprKind, Diagnostic> {
        let binds = self.bindings(d, args, "letrec")?;
        let mark = self.scope.len();
        let ids: Vec<LocalId> = binds.iter().map(|(n, _)| self.bind(n)).collect();
        let mut out = Vec::new();
        for ((n, init), id) in binds.iter().zip(ids) {
            out.push((id, self.named(init, Some(n))?));
        }
        let body = self.expr(&args[1]);
        self.scope.truncate(mark);
        Ok(ExprKind::Letrec(out, Box::new(body?)))
    }

    #[inline(never)]
    fn set(&mut self, d: &Datum, args: &[Datum]) -> Result<ExprKind, Diagnostic> {
        let (name, value) = match args {
            [n, v] => match n.as_symbol() {
                Some(name) => (name, v),
                None => return Err(err("resolve-bad-set", n, "expected a variable name to assign")),
            },
            _ => return Err(err("resolve-bad-set", d, "expected `(set! name expr)`")),
        };
        let value = Box::new(self.expr(value)?);
        Ok(match self.lookup(name) {
            Some(id) => {
                self.locals[id.0 as usize].mutated = true;
                ExprKind::SetLocal(id, value)
            }
            None => ExprKind::SetGlobal(name.to_string(), value),
        })
    }

    /// `(guard var body handler)`: `var` is bound in `handler` only.
    #[inline(never)]
    fn guard(&mut self, d: &Datum, args: &[Datum]) -> Result<ExprKind, Diagnostic> {
        let [v, body, handler] = args else {
            return Err(err("resolve-bad-guard", d, "expected `(guard var body handler)`"));
        };
        let Some(name) = v.as_symbol() else {
            return Err(err("resolve-bad-guard", v, "expected a variable name"));
        };
        let body = self.expr(body)?;
        let mark = self.scope.len();
        let var = self.bind(name);
        let handler = self.expr(handler);
        self.scope.truncate(mark);
        Ok(ExprKind::Guard { body: Box::new(body), var, handler: Box::new(handler?) })
    }

    /// `(%builtin NAME args...)`. The lambda given to
    /// `(%builtin %make-component "~name" ...)` is named `~name`.
    #[inline(never)]
    fn builtin(&mut self, d: &Datum, args: &[Datum]) -> Result<ExprKind, Diagnostic> {
        let Some((name, rest)) = args.split_first().and_then(|(n, r)| Some((n.as_symbol()?, r))) else {
            return Err(err("resolve-bad-builtin", d, "expected `(%builtin NAME args...)`"));
        };
        let comp_name = match (name, rest.first().map(|x| &x.kind)) {
            ("%make-component", Some(DatumKind::Str(s))) => Some(s.as_str()),
            _ => None,
        };
        let mut out = Vec::with_capacity(rest.len());
        for (i, x) in rest.iter().enumerate() {
            out.push(if i + 1 == rest.len() { self.named(x, comp_name)? } else { self.expr(x)? });
        }
        Ok(ExprKind::Builtin(name.to_string(), out))
    }

    /// The `((name init) ...)` list of a `let`/`letrec` with a body after it.
    fn bindings<'d>(&self, d: &Datum, args: &'d [Datum], what: &str) -> Result<Vec<(&'d str, &'d Datum)>, Diagnostic> {
        let id = if what == "let" { "resolve-bad-let" } else { "resolve-bad-letrec" };
        let usage = format!("expected `({what} ((name expr) ...) body)`");
        let [bs, _body] = args else {
            return Err(err(id, d, usage));
        };
        let DatumKind::List(bs) = &bs.kind else {
            return Err(err(id, bs, usage));
        };
        let mut out = Vec::new();
        for b in bs {
            match &b.kind {
                DatumKind::List(pair) if pair.len() == 2 && pair[0].as_symbol().is_some() => {
                    out.push((pair[0].as_symbol().unwrap(), &pair[1]));
                }
                _ => return Err(err(id, b, "expected a binding `(name expr)`")),
            }
        }
        Ok(out)
    }

    /// `(fn (params... [&rest r]) body)`.
    #[inline(never)]
    fn lambda(&mut self, d: &Datum, name: Option<&str>) -> Result<Expr, Diagnostic> {
        let usage = "expected `(fn (params... &rest name) body)`";
        let items = d.as_list().unwrap();
        let (ps, body) = match items {
            [_, ps, body] => match &ps.kind {
                DatumKind::List(ps) => (ps, body),
                _ => return Err(err("resolve-bad-fn", ps, "expected a parameter list")),
            },
            _ => return Err(err("resolve-bad-fn", d, usage)),
        };
        let mut fixed = Vec::new();
        let mut rest = None;
        let mut i = 0;
        while i < ps.len() {
            match ps[i].as_symbol() {
                Some("&rest") if i + 2 == ps.len() && ps[i + 1].as_symbol().is_some() => {
                    rest = Some(ps[i + 1].as_symbol().unwrap());
                    break;
                }
                Some(s) if !s.starts_with('&') => fixed.push(s),
                _ => return Err(err("resolve-bad-fn", &ps[i], "expected a parameter name or `&rest name` at the end")),
            }
            i += 1;
        }
        let mut seen = HashSet::new();
        for n in fixed.iter().chain(rest.iter()) {
            if !seen.insert(*n) {
                return Err(err("resolve-bad-fn", d, format!("duplicate parameter `{n}`")));
            }
        }
        let mark = self.scope.len();
        self.lambda_depth += 1;
        let params = fixed.iter().map(|n| self.bind(n)).collect();
        let rest = rest.map(|n| self.bind(n));
        let body = self.expr(body);
        self.lambda_depth -= 1;
        self.scope.truncate(mark);
        let lambda = Lambda { name: name.map(str::to_string), params, rest, body: Box::new(body?), span: d.span };
        Ok(Expr::new(ExprKind::Lambda(Rc::new(lambda)), d.span))
    }
}

/// The constant of `(quote x)`.
fn quoted(x: &Datum) -> Const {
    match &x.kind {
        DatumKind::Nil => Const::Nil,
        DatumKind::Bool(b) => Const::Bool(*b),
        DatumKind::Int(i) => Const::Int(*i),
        DatumKind::Float(f) => Const::Float(*f),
        DatumKind::Str(s) => Const::Str(s.clone()),
        DatumKind::Symbol(s) => Const::Symbol(s.clone()),
        DatumKind::Keyword(k) => Const::Keyword(k.clone()),
        DatumKind::List(_) | DatumKind::Bracket(_) | DatumKind::Dict(_) => Const::Quoted(x.clone()),
    }
}
