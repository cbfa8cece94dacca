//! A readable s-expression dump of the resolved core AST (for
//! `sxc inspect --stage ast`, snapshots and tests).
//!
//! The shape mirrors the core forms of [`crate::expand`], with variables
//! resolved: a local prints as `name#N` (N = its [`LocalId`]), a global as its
//! bare name, `DefineGlobal` as `(define name e)`, lambdas as
//! `(fn NAME? (params... &rest r) body)`, builtins as `(%builtin NAME args...)`,
//! constants in their readable form (quoted data with `'`).

use crate::ast::{Const, Expr, ExprKind, LocalId, Program};
use crate::print::{format_float, write_datum, write_string_literal};

/// One line per top-level expression, then one `;; local` line per local with
/// its flags (`name#N mutated captured`).
pub fn dump_program(p: &Program) -> String {
    let mut out = String::new();
    for e in &p.body {
        dump_expr(p, e, &mut out);
        out.push('\n');
    }
    for (i, l) in p.locals.iter().enumerate() {
        out.push_str(&format!(";; local {}#{}", l.name, i));
        if l.mutated {
            out.push_str(" mutated");
        }
        if l.captured {
            out.push_str(" captured");
        }
        out.push('\n');
    }
    out
}

/// Appends the dump of one expression.
pub fn dump_expr(p: &Program, e: &Expr, out: &mut String) {
    let local = |id: &LocalId, out: &mut String| {
        let name = p.locals.get(id.0 as usize).map_or("?", |l| l.name.as_str());
        out.push_str(&format!("{name}#{}", id.0));
    };
    let form = |head: &str, parts: &[&Expr], out: &mut String| {
        out.push('(');
        out.push_str(head);
        for x in parts {
            out.push(' ');
            dump_expr(p, x, out);
        }
        out.push(')');
    };
    match &e.kind {
        ExprKind::Const(c) => match c {
            Const::Nil => out.push_str("nil"),
            Const::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Const::Int(i) => out.push_str(&i.to_string()),
            Const::Float(f) => out.push_str(&format_float(*f)),
            Const::Str(s) => write_string_literal(s, out),
            Const::Symbol(s) => {
                out.push('\'');
                out.push_str(s);
            }
            Const::Keyword(k) => {
                out.push(':');
                out.push_str(k);
            }
            Const::Quoted(d) => {
                out.push('\'');
                write_datum(d, out);
            }
        },
        ExprKind::Local(id) => local(id, out),
        ExprKind::Global(g) => out.push_str(g),
        ExprKind::SetLocal(id, v) => {
            out.push_str("(set! ");
            local(id, out);
            out.push(' ');
            dump_expr(p, v, out);
            out.push(')');
        }
        ExprKind::SetGlobal(g, v) => form(&format!("set! {g}"), &[v], out),
        ExprKind::DefineGlobal(g, v) => form(&format!("define {g}"), &[v], out),
        ExprKind::If(c, t, f) => form("if", &[c, t, f], out),
        ExprKind::Seq(xs) => form("begin", &xs.iter().collect::<Vec<_>>(), out),
        ExprKind::Let(bs, body) | ExprKind::Letrec(bs, body) => {
            out.push_str(if matches!(e.kind, ExprKind::Let(..)) { "(let (" } else { "(letrec (" });
            for (i, (id, init)) in bs.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push('(');
                local(id, out);
                out.push(' ');
                dump_expr(p, init, out);
                out.push(')');
            }
            out.push_str(") ");
            dump_expr(p, body, out);
            out.push(')');
        }
        ExprKind::Lambda(l) => {
            out.push_str("(fn ");
            if let Some(n) = &l.name {
                out.push_str(n);
                out.push(' ');
            }
            out.push('(');
            for (i, id) in l.params.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                local(id, out);
            }
            if let Some(r) = &l.rest {
                if !l.params.is_empty() {
                    out.push(' ');
                }
                out.push_str("&rest ");
                local(r, out);
            }
            out.push_str(") ");
            dump_expr(p, &l.body, out);
            out.push(')');
        }
        ExprKind::Call(f, args) => {
            out.push('(');
            dump_expr(p, f, out);
            for a in args {
                out.push(' ');
                dump_expr(p, a, out);
            }
            out.push(')');
        }
        ExprKind::Builtin(name, args) => form(&format!("%builtin {name}"), &args.iter().collect::<Vec<_>>(), out),
        ExprKind::Perform(x) => form("perform", &[x], out),
        ExprKind::Guard { body, var, handler } => {
            out.push_str("(guard ");
            local(var, out);
            out.push(' ');
            dump_expr(p, body, out);
            out.push(' ');
            dump_expr(p, handler, out);
            out.push(')');
        }
    }
}
