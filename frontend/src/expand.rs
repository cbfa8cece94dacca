//! The macro expander: surface forms -> core forms.
//!
//! [`expand_program`] rewrites every derived form of LANGUAGE.md into the core
//! forms below (this is what `sxc inspect --stage expanded` prints) and runs
//! user macros through a [`MacroHost`]. Generated code takes the span of the
//! form it came from; generated temporaries are named by
//! [`MacroHost::gensym`].
//!
//! # Core-form grammar
//!
//! ```text
//! top   ::= (define NAME expr)                  ; global definition
//!         | expr
//! expr  ::= nil | true | false | INT | FLOAT | STRING | :KEYWORD   ; constants
//!         | NAME                                ; variable (local or global)
//!         | (quote DATUM)                       ; DATUM: symbol, list, [bracket], {dict}, ()
//!         | (if expr expr expr)                 ; always three operands
//!         | (begin expr ...)                    ; in order, value of the last; (begin) is nil
//!         | (fn (NAME ... [&rest NAME]) expr)   ; a single body expression
//!         | (let ((NAME expr) ...) expr)        ; sequential: each init sees the names before it
//!         | (letrec ((NAME expr) ...) expr)     ; letrec*: all names visible in all inits
//!         | (set! NAME expr)
//!         | (guard NAME expr expr)              ; body, then handler with NAME bound to the raised value
//!         | (perform expr)
//!         | (%builtin BUILTIN expr ...)         ; unshadowable runtime builtin
//!         | (expr expr ...)                     ; call: callee, then arguments left to right
//! ```
//!
//! A `fn` that is directly the value of a `define` or of a `letrec` binding is
//! named after it (`#<lambda f>`). `BUILTIN`s emitted by the expander:
//! `%list` (the arguments as a new list), `%concat` (concatenation of lists into
//! a new list), `%dict` (key value ... with string keys), `%make-component`
//! (name string, quoted key-name list, has-rest boolean, lambda), `raise`, and
//! `=` (structural equality, for `case`). `%apply` is reserved.
//!
//! # Derived forms
//!
//! - `(define (f a) body...)` => `(define f (fn (a) body))`; `define` (and
//!   `defcomp`) at the start of, or anywhere in, a body turns the body into
//!   `letrec` (internal defines are `letrec*`; an expression before the last
//!   define becomes a binding of a fresh dummy name, as in Racket).
//! - `begin`/`do` at top level or in a body are spliced, so a `define` inside a
//!   top-level `begin` is top level.
//! - `when`, `unless`, `if` without else, `cond` (flat or clause style, chosen
//!   as LANGUAGE.md says; clause style also accepts `(test)` and
//!   `(test => f)`), `case` (flat `value expr` pairs; a list of values matches
//!   any; `else`/`:else`; a trailing odd expression is the default as in
//!   Clojure), `and`, `or` => nested `if`s (with temporaries for the deciding
//!   value unless it is a constant or variable).
//! - `let`/`let*` (`((a 1) (b 2))`, `(a 1 b 2)`, or brackets), `letrec`/
//!   `letrec*`; named let `(let loop ((i 0)) body)` =>
//!   `(letrec ((loop (fn (i) body))) (loop 0))` (inits are bound to
//!   temporaries first when they mention `loop`).
//! - `->`, `->>`, quasiquote (`%list`/`%concat`/`%dict`), `[ ]` => `%list`,
//!   `{ }` => `%dict`, `defcomp` => `%make-component` (the lambda always takes
//!   the keys then a children list; without `&rest` that parameter is a fresh
//!   name), `guard` clauses => a clause `cond` whose fallback is
//!   `(%builtin raise e)`.
//! - Core forms are also accepted as input (`(guard e body handler)` with a
//!   symbol `e` is the core guard), so expanding expanded code changes nothing.
//! - `defmacro` (top level only) registers the macro with the host and emits
//!   nothing; a later call `(name args...)` is replaced by
//!   [`MacroHost::expand_macro`]'s result, which is expanded again. User macros
//!   take precedence over built-in derived forms of the same name.
//! - `(load "path.sx")` (top level only) is replaced by the expanded forms of
//!   that file, read once per program (see the `load` submodule).
//!
//! Errors are [`Diagnostic`]s with ids `expand-bad-FORM` (e.g.
//! `expand-bad-let`, `expand-bad-cond`), `expand-misplaced-define`,
//! `expand-misplaced-defmacro`, `expand-misplaced-load`, `expand-bad-splice`, `expand-bad-unquote`,
//! `expand-bad-dict-key`, `expand-bad-params`, `expand-too-deep`; the span is the
//! offending form. An error inside the expansion of a macro call that does not
//! lie within the call's source is reported at the call (with a label at the
//! original position).

use crate::datum::{Datum, DatumKind};
use crate::diag::Diagnostic;
use crate::span::{FileId, SourceMap, Span};
use crate::MacroHost;
use std::collections::HashSet;

mod derived;
mod load;
mod quasi;

/// Maximum nesting of expansion (source nesting plus macro expansions).
pub const MAX_EXPAND_DEPTH: usize = 1000;

/// Expands a program's top-level forms into core forms (see the module docs).
///
/// Errors: the first expansion error (malformed special form, misplaced
/// `define`/`defmacro`, bad quasiquote, errors reported by `host`).
/// These forms come from no file, so `(load ...)` among them is an error
/// (`expand-load-unsupported`); [`expand_file`] expands a file with its loads.
pub fn expand_program(forms: &[Datum], host: &mut dyn MacroHost) -> Result<Vec<Datum>, Diagnostic> {
    let mut ex = Expander { host, macros: HashSet::new(), depth: 0, loads: None };
    let mut out = Vec::new();
    for f in forms {
        ex.toplevel(f, &mut out)?;
    }
    Ok(out)
}

/// Reads and expands `file` of `map` as a program's main file, following its
/// top-level `(load "path.sx")` forms: each loaded file is read, added to
/// `map` (with its canonical path, see [`SourceMap::paths`]) and its forms
/// expanded in place of the `load`, once per program (semantics and error ids
/// in the `load` submodule's documentation).
///
/// Errors: the first read, load or expansion error.
pub fn expand_file(map: &mut SourceMap, file: FileId, host: &mut dyn MacroHost) -> Result<Vec<Datum>, Diagnostic> {
    let forms = crate::reader::read(map, file)?;
    let mut ex = Expander { host, macros: HashSet::new(), depth: 0, loads: Some(load::Loads::new(map, file)) };
    let mut out = Vec::new();
    for f in &forms {
        ex.toplevel(f, &mut out)?;
    }
    Ok(out)
}

/// Expands one expression (not a top-level form: `define` is an error) into a
/// core `expr`. Useful for macro isolates and tests.
pub fn expand_expr(form: &Datum, host: &mut dyn MacroHost) -> Result<Datum, Diagnostic> {
    Expander { host, macros: HashSet::new(), depth: 0, loads: None }.expr(form)
}

/// A [`MacroHost`] without macro support, for tools and tests: `defmacro` and
/// macro calls are errors (`expand-macros-unsupported`); gensyms are
/// `%PREFIXN` (`%and1`, `%children2`), names the reader accepts but which the
/// expander's own temporaries are the only users of by convention.
#[derive(Debug, Default)]
pub struct NoMacros {
    counter: u32,
}

impl MacroHost for NoMacros {
    fn define_macro(&mut self, name: &str, _params: &Datum, _body: &[Datum], span: Span) -> Result<(), Diagnostic> {
        Err(Diagnostic::new(
            "expand-macros-unsupported",
            span,
            format!("cannot define macro `{name}`: this context has no macro evaluator"),
        ))
    }
    fn expand_macro(&mut self, name: &str, _args: &[Datum], span: Span) -> Result<Datum, Diagnostic> {
        Err(Diagnostic::new("expand-macros-unsupported", span, format!("unknown macro `{name}`")))
    }
    fn gensym(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("%{prefix}{}", self.counter)
    }
}

// ---------------------------------------------------------------- builders

pub(crate) fn sym(name: &str, sp: Span) -> Datum {
    Datum::sym(name, sp)
}
pub(crate) fn list(items: Vec<Datum>, sp: Span) -> Datum {
    Datum::list(items, sp)
}
fn nil(sp: Span) -> Datum {
    Datum::new(DatumKind::Nil, sp)
}
fn boolean(b: bool, sp: Span) -> Datum {
    Datum::new(DatumKind::Bool(b), sp)
}
pub(crate) fn quote(d: Datum, sp: Span) -> Datum {
    list(vec![sym("quote", sp), d], sp)
}
pub(crate) fn builtin(name: &str, mut args: Vec<Datum>, sp: Span) -> Datum {
    args.insert(0, sym(name, sp));
    args.insert(0, sym("%builtin", sp));
    list(args, sp)
}
fn iff(c: Datum, t: Datum, e: Datum, sp: Span) -> Datum {
    list(vec![sym("if", sp), c, t, e], sp)
}
fn let1(name: &str, init: Datum, body: Datum, sp: Span) -> Datum {
    list(vec![sym("let", sp), list(vec![list(vec![sym(name, sp), init], sp)], sp), body], sp)
}
fn bindings(kind: &str, binds: Vec<(Datum, Datum)>, body: Datum, sp: Span) -> Datum {
    let bs = binds.into_iter().map(|(n, i)| list(vec![n, i], sp)).collect();
    list(vec![sym(kind, sp), list(bs, sp), body], sp)
}
/// `(begin ...)` of several expressions; one is itself, none is nil.
fn seq(mut exprs: Vec<Datum>, sp: Span) -> Datum {
    match exprs.len() {
        0 => nil(sp),
        1 => exprs.pop().unwrap(),
        _ => {
            exprs.insert(0, sym("begin", sp));
            list(exprs, sp)
        }
    }
}

/// The head symbol of a `( ... )` list.
pub(crate) fn head(d: &Datum) -> Option<&str> {
    match &d.kind {
        DatumKind::List(v) => v.first()?.as_symbol(),
        _ => None,
    }
}

/// True for constants and variables: re-evaluating them has no effect.
fn is_simple(d: &Datum) -> bool {
    !matches!(d.kind, DatumKind::List(_) | DatumKind::Bracket(_) | DatumKind::Dict(_))
}

fn is_else(d: &Datum) -> bool {
    matches!(&d.kind, DatumKind::Symbol(s) | DatumKind::Keyword(s) if s == "else")
}

/// True when the symbol `name` occurs anywhere in `d`.
fn mentions(d: &Datum, name: &str) -> bool {
    match &d.kind {
        DatumKind::Symbol(s) => s == name,
        DatumKind::List(v) | DatumKind::Bracket(v) | DatumKind::Dict(v) => v.iter().any(|x| mentions(x, name)),
        _ => false,
    }
}

fn within(inner: Span, outer: Span) -> bool {
    inner.file == outer.file && inner.lo >= outer.lo && inner.hi <= outer.hi
}

#[cold]
#[inline(never)]
pub(crate) fn bad(id: &'static str, d: &Datum, msg: impl Into<String>) -> Diagnostic {
    Diagnostic::new(id, d.span, msg)
}

// ---------------------------------------------------------------- expander

/// One item of a body after splicing `begin`s.
enum Item {
    Define(Datum, Datum),
    Expr(Datum),
}

pub(crate) struct Expander<'h> {
    pub(crate) host: &'h mut dyn MacroHost,
    macros: HashSet<String>,
    depth: usize,
    /// The program's files, when expanding a file ([`expand_file`]).
    loads: Option<load::Loads<'h>>,
}

impl<'h> Expander<'h> {
    pub(crate) fn gensym(&mut self, prefix: &str) -> String {
        self.host.gensym(prefix)
    }

    /// When `d` is a call of a user macro, its name.
    fn macro_name(&self, d: &Datum) -> Option<String> {
        let h = head(d)?;
        if self.macros.contains(h) || self.host.is_macro(h) {
            Some(h.to_string())
        } else {
            None
        }
    }

    /// Expands the macro call `d` once and hands the result to `k`, moving
    /// errors that lie outside the call onto the call.
    fn with_macro<T>(
        &mut self,
        name: &str,
        d: &Datum,
        k: impl FnOnce(&mut Self, &Datum) -> Result<T, Diagnostic>,
    ) -> Result<T, Diagnostic> {
        self.enter(d)?;
        let args = &d.as_list().unwrap()[1..];
        let out = self.host.expand_macro(name, args, d.span)?;
        let r = k(self, &out).map_err(|mut e| {
            if !within(e.span, d.span) {
                let orig = e.span;
                e.span = d.span;
                e.labels.insert(0, crate::diag::Label { span: orig, message: "error inside the expansion".into() });
                e.notes.push(format!("in the expansion of macro `{name}`"));
            }
            e
        });
        self.depth -= 1;
        r
    }

    fn enter(&mut self, d: &Datum) -> Result<(), Diagnostic> {
        self.depth += 1;
        if self.depth > MAX_EXPAND_DEPTH {
            return Err(bad(
                "expand-too-deep",
                d,
                format!("expansion nests deeper than {MAX_EXPAND_DEPTH} levels (a macro that expands into itself?)"),
            ));
        }
        Ok(())
    }

    fn toplevel(&mut self, d: &Datum, out: &mut Vec<Datum>) -> Result<(), Diagnostic> {
        if let Some(name) = self.macro_name(d) {
            return self.with_macro(&name, d, |ex, e| ex.toplevel(e, out));
        }
        match head(d) {
            Some("begin") | Some("do") => {
                for f in &d.as_list().unwrap()[1..] {
                    self.toplevel(f, out)?;
                }
            }
            Some("define") | Some("defcomp") => {
                let (name, init) = self.define(d)?;
                out.push(list(vec![sym("define", d.span), name, init], d.span));
            }
            Some("defmacro") => self.defmacro(d)?,
            Some("load") => self.load(d, out)?,
            _ => out.push(self.expr(d)?),
        }
        Ok(())
    }

    #[inline(never)]
    fn defmacro(&mut self, d: &Datum) -> Result<(), Diagnostic> {
        let items = d.as_list().unwrap();
        let usage = "expected `(defmacro name (params...) body...)`";
        let name = items.get(1).and_then(|n| n.as_symbol()).ok_or_else(|| bad("expand-bad-defmacro", d, usage))?;
        let params = items.get(2).filter(|p| p.as_list().is_some()).ok_or_else(|| bad("expand-bad-defmacro", d, usage))?;
        self.host.define_macro(name, params, &items[3..], d.span)?;
        self.macros.insert(name.to_string());
        Ok(())
    }

    /// `(define name expr)`, `(define (name params...) body...)` or a `defcomp`:
    /// the name symbol and the expanded value.
    #[inline(never)]
    fn define(&mut self, d: &Datum) -> Result<(Datum, Datum), Diagnostic> {
        let items = d.as_list().unwrap();
        if head(d) == Some("defcomp") {
            return self.defcomp(d);
        }
        let usage = "expected `(define name expr)` or `(define (name params...) body...)`";
        match items.get(1).map(|t| &t.kind) {
            Some(DatumKind::Symbol(_)) if items.len() == 3 => Ok((items[1].clone(), self.expr(&items[2])?)),
            Some(DatumKind::List(sig)) if sig.first().is_some_and(|n| n.as_symbol().is_some()) => {
                let params = Datum::list(sig[1..].to_vec(), items[1].span);
                let f = self.lambda(&params, &items[2..], d)?;
                Ok((sig[0].clone(), f))
            }
            _ => Err(bad("expand-bad-define", d, usage)),
        }
    }

    /// `(defcomp ~name (&key a b &rest children) body...)` =>
    /// `(~name, (%builtin %make-component "~name" '(a b) has-rest (fn (a b children) body)))`.
    #[inline(never)]
    fn defcomp(&mut self, d: &Datum) -> Result<(Datum, Datum), Diagnostic> {
        let items = d.as_list().unwrap();
        let usage = "expected `(defcomp ~name (&key a b &rest children) body...)`";
        let name = items.get(1).and_then(|n| n.as_symbol()).ok_or_else(|| bad("expand-bad-defcomp", d, usage))?;
        let plist = items.get(2).and_then(|p| p.as_list()).ok_or_else(|| bad("expand-bad-defcomp", d, usage))?;
        let sp = d.span;
        let mut keys = Vec::new();
        let mut rest = None;
        let mut i = 0;
        while i < plist.len() {
            let p = &plist[i];
            match p.as_symbol() {
                Some("&key") => {}
                Some("&rest") | Some("&children") if i + 2 == plist.len() && plist[i + 1].as_symbol().is_some() => {
                    rest = Some(plist[i + 1].clone());
                    i += 1;
                }
                Some(s) if !s.starts_with('&') => keys.push(p.clone()),
                _ => return Err(bad("expand-bad-params", p, usage)),
            }
            i += 1;
        }
        let has_rest = rest.is_some();
        let rest = rest.unwrap_or_else(|| {
            let g = self.gensym("children");
            sym(&g, sp)
        });
        let mut params = keys.clone();
        params.push(rest);
        let f = self.lambda(&list(params, items[2].span), &items[3..], d)?;
        let comp = builtin(
            "%make-component",
            vec![
                Datum::new(DatumKind::Str(name.to_string()), items[1].span),
                quote(list(keys, items[2].span), items[2].span),
                boolean(has_rest, sp),
                f,
            ],
            sp,
        );
        Ok((items[1].clone(), comp))
    }

    /// Checks a parameter list and builds `(fn (params...) body)`.
    #[inline(never)]
    pub(crate) fn lambda(&mut self, params: &Datum, body: &[Datum], form: &Datum) -> Result<Datum, Diagnostic> {
        let ps = params
            .as_list()
            .ok_or_else(|| bad("expand-bad-params", params, "expected a parameter list `(a b &rest more)`"))?;
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut check = |p: &Datum| -> Result<(), Diagnostic> {
            let name = p.as_symbol().ok_or_else(|| bad("expand-bad-params", p, "expected a parameter name"))?;
            if name.starts_with('&') {
                return Err(bad("expand-bad-params", p, format!("unexpected `{name}`: expected a name or `&rest name`")));
            }
            if !seen.insert(name.to_string()) {
                return Err(bad("expand-bad-params", p, format!("duplicate parameter `{name}`")));
            }
            Ok(())
        };
        let mut i = 0;
        while i < ps.len() {
            let p = &ps[i];
            if matches!(p.as_symbol(), Some("&rest") | Some("&")) {
                if i + 2 != ps.len() {
                    return Err(bad("expand-bad-params", p, "expected exactly one name after `&rest`, at the end"));
                }
                check(&ps[i + 1])?;
                out.push(sym("&rest", p.span));
                out.push(ps[i + 1].clone());
                break;
            }
            check(p)?;
            out.push(p.clone());
            i += 1;
        }
        let body = self.body(body, form.span)?;
        Ok(list(vec![sym("fn", form.span), list(out, params.span), body], form.span))
    }

    /// A body: `begin`s spliced, internal defines => `letrec`.
    #[inline(never)]
    pub(crate) fn body(&mut self, forms: &[Datum], sp: Span) -> Result<Datum, Diagnostic> {
        let mut items = Vec::new();
        for f in forms {
            self.body_item(f, &mut items)?;
        }
        let last_def = items.iter().rposition(|i| matches!(i, Item::Define(..)));
        let Some(last_def) = last_def else {
            let exprs = items.into_iter().map(|i| if let Item::Expr(e) = i { e } else { unreachable!() }).collect();
            return Ok(seq(exprs, sp));
        };
        let rest: Vec<Datum> = items
            .drain(last_def + 1..)
            .map(|i| if let Item::Expr(e) = i { e } else { unreachable!() })
            .collect();
        let mut binds = Vec::new();
        for item in items {
            match item {
                Item::Define(n, v) => binds.push((n, v)),
                Item::Expr(e) => {
                    let g = self.gensym("_");
                    binds.push((sym(&g, e.span), e));
                }
            }
        }
        Ok(bindings("letrec", binds, seq(rest, sp), sp))
    }

    fn body_item(&mut self, d: &Datum, items: &mut Vec<Item>) -> Result<(), Diagnostic> {
        if let Some(name) = self.macro_name(d) {
            return self.with_macro(&name, d, |ex, e| ex.body_item(e, items));
        }
        match head(d) {
            Some("begin") | Some("do") => {
                for f in &d.as_list().unwrap()[1..] {
                    self.body_item(f, items)?;
                }
            }
            Some("define") | Some("defcomp") => {
                let (n, v) = self.define(d)?;
                items.push(Item::Define(n, v));
            }
            _ => items.push(Item::Expr(self.expr(d)?)),
        }
        Ok(())
    }

    /// Expands an expression into a core `expr`.
    pub(crate) fn expr(&mut self, d: &Datum) -> Result<Datum, Diagnostic> {
        self.enter(d)?;
        let r = self.expr_inner(d);
        self.depth -= 1;
        r
    }

    fn expr_inner(&mut self, d: &Datum) -> Result<Datum, Diagnostic> {
        let sp = d.span;
        let items = match &d.kind {
            DatumKind::List(items) => items,
            DatumKind::Bracket(items) => {
                let args = items.iter().map(|x| self.expr(x)).collect::<Result<_, _>>()?;
                return Ok(builtin("%list", args, sp));
            }
            DatumKind::Dict(items) => return self.dict(items, sp),
            _ => return Ok(d.clone()),
        };
        if items.is_empty() {
            return Ok(quote(d.clone(), sp));
        }
        if let Some(name) = self.macro_name(d) {
            return self.with_macro(&name, d, |ex, e| ex.expr(e));
        }
        let args = &items[1..];
        let Some(h) = items[0].as_symbol() else {
            return self.call(items, sp);
        };
        match h {
            "quote" => {
                if args.len() != 1 {
                    return Err(bad("expand-bad-quote", d, "expected `(quote datum)`"));
                }
                Ok(quote(args[0].clone(), sp))
            }
            "quasiquote" => {
                if args.len() != 1 {
                    return Err(bad("expand-bad-quasiquote", d, "expected `(quasiquote datum)`"));
                }
                self.quasi(&args[0], 1)
            }
            "unquote" | "splice-unquote" => {
                Err(bad("expand-bad-unquote", d, format!("`{h}` is only allowed inside a quasiquote (`)")))
            }
            "if" => {
                if args.len() != 2 && args.len() != 3 {
                    return Err(bad("expand-bad-if", d, "expected `(if test then else?)`"));
                }
                let e = if args.len() == 3 { self.expr(&args[2])? } else { nil(sp) };
                Ok(iff(self.expr(&args[0])?, self.expr(&args[1])?, e, sp))
            }
            "when" | "unless" => {
                let Some((c, body)) = args.split_first() else {
                    return Err(bad("expand-bad-when", d, format!("expected `({h} test body...)`")));
                };
                let c = self.expr(c)?;
                let body = self.exprs(body, sp)?;
                Ok(if h == "when" { iff(c, body, nil(sp), sp) } else { iff(c, nil(sp), body, sp) })
            }
            "begin" | "do" => self.exprs(args, sp),
            "fn" | "lambda" => {
                let Some((params, body)) = args.split_first() else {
                    return Err(bad("expand-bad-fn", d, format!("expected `({h} (params...) body...)`")));
                };
                self.lambda(params, body, d)
            }
            "define" | "defcomp" => Err(bad(
                "expand-misplaced-define",
                d,
                format!("`{h}` is only allowed at top level or at the start of a body"),
            )),
            "defmacro" => Err(bad("expand-misplaced-defmacro", d, "`defmacro` is only allowed at top level")),
            "load" => Err(bad(
                "expand-misplaced-load",
                d,
                "`load` is only allowed at top level (files are loaded when the program is compiled)",
            )),
            "set!" => {
                if args.len() != 2 || args[0].as_symbol().is_none() {
                    return Err(bad("expand-bad-set", d, "expected `(set! name expr)`"));
                }
                Ok(list(vec![sym("set!", sp), args[0].clone(), self.expr(&args[1])?], sp))
            }
            "perform" => {
                if args.len() != 1 {
                    return Err(bad("expand-bad-perform", d, "expected `(perform request)`"));
                }
                Ok(list(vec![sym("perform", sp), self.expr(&args[0])?], sp))
            }
            "%builtin" => {
                let Some(name) = args.first().and_then(|n| n.as_symbol()) else {
                    return Err(bad("expand-bad-builtin", d, "expected `(%builtin NAME args...)`"));
                };
                let rest = args[1..].iter().map(|x| self.expr(x)).collect::<Result<_, _>>()?;
                Ok(builtin(name, rest, sp))
            }
            "and" => self.and_or(args, true, sp),
            "or" => self.and_or(args, false, sp),
            "cond" => self.cond(d, args),
            "case" => self.case(d, args),
            "let" | "let*" => self.let_form(d, args),
            "letrec" | "letrec*" => self.letrec(d, args),
            "->" | "->>" => self.thread(d, args, h == "->"),
            "guard" => self.guard(d, args),
            _ => self.call(items, sp),
        }
    }

    fn call(&mut self, items: &[Datum], sp: Span) -> Result<Datum, Diagnostic> {
        let mut out = Vec::with_capacity(items.len());
        for x in items {
            out.push(self.expr(x)?);
        }
        Ok(list(out, sp))
    }

    /// A plain sequence of expressions (no definitions) as one expression.
    #[inline(never)]
    fn exprs(&mut self, forms: &[Datum], sp: Span) -> Result<Datum, Diagnostic> {
        Ok(seq(forms.iter().map(|x| self.expr(x)).collect::<Result<_, _>>()?, sp))
    }

    /// `{k v ...}` in expression position.
    #[inline(never)]
    fn dict(&mut self, items: &[Datum], sp: Span) -> Result<Datum, Diagnostic> {
        let mut args = Vec::new();
        for pair in items.chunks(2) {
            let k = match &pair[0].kind {
                DatumKind::Keyword(s) | DatumKind::Str(s) => Datum::new(DatumKind::Str(s.clone()), pair[0].span),
                _ => return Err(bad("expand-bad-dict-key", &pair[0], "expected a keyword or string as a dict key")),
            };
            args.push(k);
            match pair.get(1) {
                Some(v) => args.push(self.expr(v)?),
                None => return Err(bad("expand-bad-dict", &pair[0], "expected a value after this dict key")),
            }
        }
        Ok(builtin("%dict", args, sp))
    }
}
