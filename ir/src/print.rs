//! The textual IR: `Display` for [`Module`] and [`Function`]. Deterministic
//! (it prints ids as stored; run [`crate::passes::compact`] first for dense
//! numbering) and the format of `sxc inspect --stage ir` and the snapshots.
//!
//! Grammar (one item per line, instructions indented four spaces):
//!
//! ```text
//! module     := function ("\n" function)*          ; functions in id order
//! function   := "fn " FUNCID " " NAME " (arity " N [", rest"] ", captures " N ") "
//!               EFFECT [" entry"] " {" NL block* "}" NL
//! NAME       := string literal | "_" (anonymous)
//! EFFECT     := "pure" | "may-raise" | "may-suspend"
//! block      := BLOCK ["(" param ("," " " param)* ")"] ":" NL inst* "    " term NL
//! param      := VALUE ": " TYPE
//! inst       := "    " VALUE [": " TYPE] " = " op NL  ; the type is shown unless it is `any`
//! op         := "const " CONST | "capture " N | "self_ref" | "global_get " STR
//!             | "global_set " STR " " VALUE | "global_define " STR " " VALUE
//!             | "make_closure " FUNCID " [" values "]" | "cell_new " VALUE
//!             | "cell_get " VALUE | "cell_set " VALUE ", " VALUE
//!             | "prim " STR [" " values] | "call " VALUE "(" values ")"
//!             | "iadd.ovf " VALUE ", " VALUE | "isub.ovf " … | "imul.ovf " …
//!             | "icmp " CMP " " VALUE ", " VALUE
//!             | "guard " VALUE " is " TYPE " else " BLOCK "(" values ")"
//! term       := "jump " target | "branch " VALUE ", " target ", " target
//!             | "return " VALUE | "tail_call " VALUE "(" values ")"
//!             | "callk " VALUE "(" values ") -> " BLOCK
//!             | "applyk " VALUE ", " VALUE " -> " BLOCK | "tail_apply " VALUE ", " VALUE
//!             | "suspend " VALUE " -> " BLOCK
//!             | "try_call " VALUE " ok " BLOCK " err " BLOCK
//!             | "raise " VALUE | "unterminated"
//! target     := BLOCK ["(" values ")"]
//! values     := VALUE (", " VALUE)*
//! CONST      := "nil" | "true" | "false" | INT | FLOAT (Rust `{:?}`: `1.0`, `1e21`, `NaN`, `inf`)
//!             | STR | "'" SYMBOL | ":" KEYWORD | "'" DATUM (quoted list/dict)
//! STR        := double-quoted with Rust escapes (`{:?}`)
//! ```
//!
//! Spans are not printed. Example:
//!
//! ```text
//! fn f1 "fib" (arity 1, captures 0) may-raise {
//! block0(v0: any):
//!     v1: int = const 2
//!     v2 = prim "<" v0, v1
//!     branch v2, block1, block2
//! block1:
//!     return v0
//! ...
//! }
//! ```

use crate::function::{BlockCall, Function, InstData, Module, Terminator};
use crate::types::Type;
use crate::Value;
use frontend::ast::Const;
use frontend::{Datum, DatumKind};
use std::fmt::{self, Display, Formatter, Write};

impl Display for Module {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, func) in self.funcs.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write_function(f, func, crate::FuncId::new(i), self.entry == Some(crate::FuncId::new(i)))?;
        }
        Ok(())
    }
}

impl Display for Function {
    /// Prints the function as `f?` (its id is not known to it).
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_function_named(f, self, "f?", false)
    }
}

/// Prints one function of a module under its id (`fn f3 ...`).
pub fn function_to_string(m: &Module, id: crate::FuncId) -> String {
    let mut s = String::new();
    let _ = write_function(&mut s, m.func(id), id, m.entry == Some(id));
    s
}

fn write_function(out: &mut impl Write, func: &Function, id: crate::FuncId, entry: bool) -> fmt::Result {
    write_function_named(out, func, &id.to_string(), entry)
}

fn write_function_named(out: &mut impl Write, func: &Function, id: &str, entry: bool) -> fmt::Result {
    write!(out, "fn {id} ")?;
    match &func.name {
        Some(n) => write!(out, "{n:?}")?,
        None => write!(out, "_")?,
    }
    write!(out, " (arity {}", func.arity)?;
    if func.has_rest {
        write!(out, ", rest")?;
    }
    write!(out, ", captures {}) {}", func.ncaptures, func.effect)?;
    if entry {
        write!(out, " entry")?;
    }
    writeln!(out, " {{")?;
    for (bi, b) in func.blocks.iter().enumerate() {
        write!(out, "block{bi}")?;
        if !b.params.is_empty() {
            write!(out, "(")?;
            for (k, p) in b.params.iter().enumerate() {
                if k > 0 {
                    write!(out, ", ")?;
                }
                write!(out, "{p}: {}", ty_of(func, *p))?;
            }
            write!(out, ")")?;
        }
        writeln!(out, ":")?;
        for &i in &b.insts {
            let node = func.inst(i);
            write!(out, "    {}", node.result)?;
            let ty = ty_of(func, node.result);
            if ty != Type::Any {
                write!(out, ": {ty}")?;
            }
            write!(out, " = ")?;
            write_inst(out, &node.data)?;
            writeln!(out)?;
        }
        write!(out, "    ")?;
        write_term(out, &b.term)?;
        writeln!(out)?;
    }
    writeln!(out, "}}")
}

fn ty_of(func: &Function, v: Value) -> Type {
    func.values.get(v.index()).map(|d| d.ty).unwrap_or(Type::Any)
}

fn values(out: &mut impl Write, vs: &[Value]) -> fmt::Result {
    for (k, v) in vs.iter().enumerate() {
        if k > 0 {
            write!(out, ", ")?;
        }
        write!(out, "{v}")?;
    }
    Ok(())
}

fn target(out: &mut impl Write, bc: &BlockCall) -> fmt::Result {
    write!(out, "{}", bc.block)?;
    if !bc.args.is_empty() {
        write!(out, "(")?;
        values(out, &bc.args)?;
        write!(out, ")")?;
    }
    Ok(())
}

/// Writes one instruction (without result) in the grammar of the module docs.
pub fn write_inst(out: &mut impl Write, data: &InstData) -> fmt::Result {
    match data {
        InstData::Const(c) => write!(out, "const {}", ConstDisplay(c)),
        InstData::Capture(i) => write!(out, "capture {i}"),
        InstData::SelfRef => write!(out, "self_ref"),
        InstData::GlobalGet(n) => write!(out, "global_get {n:?}"),
        InstData::GlobalSet(n, v) => write!(out, "global_set {n:?} {v}"),
        InstData::GlobalDefine(n, v) => write!(out, "global_define {n:?} {v}"),
        InstData::MakeClosure(fid, vs) => {
            write!(out, "make_closure {fid} [")?;
            values(out, vs)?;
            write!(out, "]")
        }
        InstData::CellNew(v) => write!(out, "cell_new {v}"),
        InstData::CellGet(v) => write!(out, "cell_get {v}"),
        InstData::CellSet(c, v) => write!(out, "cell_set {c}, {v}"),
        InstData::Prim(n, vs) => {
            write!(out, "prim {n:?}")?;
            if !vs.is_empty() {
                write!(out, " ")?;
                values(out, vs)?;
            }
            Ok(())
        }
        InstData::Call(c, vs) => {
            write!(out, "call {c}(")?;
            values(out, vs)?;
            write!(out, ")")
        }
        InstData::IAddOvf(a, b) => write!(out, "iadd.ovf {a}, {b}"),
        InstData::ISubOvf(a, b) => write!(out, "isub.ovf {a}, {b}"),
        InstData::IMulOvf(a, b) => write!(out, "imul.ovf {a}, {b}"),
        InstData::ICmp(op, a, b) => write!(out, "icmp {} {a}, {b}", op.name()),
        InstData::Guard { value, ty, deopt, live } => {
            write!(out, "guard {value} is {ty} else {deopt}(")?;
            values(out, live)?;
            write!(out, ")")
        }
    }
}

/// Writes one terminator in the grammar of the module docs.
pub fn write_term(out: &mut impl Write, t: &Terminator) -> fmt::Result {
    match t {
        Terminator::Jump(bc) => {
            write!(out, "jump ")?;
            target(out, bc)
        }
        Terminator::Branch { cond, then_dest, else_dest } => {
            write!(out, "branch {cond}, ")?;
            target(out, then_dest)?;
            write!(out, ", ")?;
            target(out, else_dest)
        }
        Terminator::Return(v) => write!(out, "return {v}"),
        Terminator::TailCall { callee, args } => {
            write!(out, "tail_call {callee}(")?;
            values(out, args)?;
            write!(out, ")")
        }
        Terminator::CallK { callee, args, cont } => {
            write!(out, "callk {callee}(")?;
            values(out, args)?;
            write!(out, ") -> {cont}")
        }
        Terminator::ApplyK { callee, args, cont } => write!(out, "applyk {callee}, {args} -> {cont}"),
        Terminator::TailApply { callee, args } => write!(out, "tail_apply {callee}, {args}"),
        Terminator::Suspend { request, cont } => write!(out, "suspend {request} -> {cont}"),
        Terminator::TryCall { thunk, ok, err } => write!(out, "try_call {thunk} ok {ok} err {err}"),
        Terminator::Raise(v) => write!(out, "raise {v}"),
        Terminator::Unterminated => write!(out, "unterminated"),
    }
}

/// Displays a literal as in the IR text (`nil`, `42`, `1.5`, `"s"`, `'sym`, `:kw`, `'(1 2)`).
pub struct ConstDisplay<'a>(pub &'a Const);

impl Display for ConstDisplay<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.0 {
            Const::Nil => write!(f, "nil"),
            Const::Bool(b) => write!(f, "{b}"),
            Const::Int(i) => write!(f, "{i}"),
            Const::Float(x) => write!(f, "{x:?}"),
            Const::Str(s) => write!(f, "{s:?}"),
            Const::Symbol(s) => write!(f, "'{s}"),
            Const::Keyword(k) => write!(f, ":{k}"),
            Const::Quoted(d) => {
                write!(f, "'")?;
                write_datum(f, d)
            }
        }
    }
}

fn write_datum(f: &mut impl Write, d: &Datum) -> fmt::Result {
    match &d.kind {
        DatumKind::Nil => write!(f, "nil"),
        DatumKind::Bool(b) => write!(f, "{b}"),
        DatumKind::Int(i) => write!(f, "{i}"),
        DatumKind::Float(x) => write!(f, "{x:?}"),
        DatumKind::Str(s) => write!(f, "{s:?}"),
        DatumKind::Symbol(s) => write!(f, "{s}"),
        DatumKind::Keyword(k) => write!(f, ":{k}"),
        DatumKind::List(xs) | DatumKind::Bracket(xs) | DatumKind::Dict(xs) => {
            let (open, close) = match &d.kind {
                DatumKind::List(_) => ("(", ")"),
                DatumKind::Bracket(_) => ("[", "]"),
                _ => ("{", "}"),
            };
            write!(f, "{open}")?;
            for (k, x) in xs.iter().enumerate() {
                if k > 0 {
                    write!(f, " ")?;
                }
                write_datum(f, x)?;
            }
            write!(f, "{close}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::function::BlockCall;
    use frontend::Span;

    #[test]
    fn prints_consts_and_instructions() {
        let sp = Span::default();
        let d = Datum::list(vec![Datum::new(DatumKind::Int(1), sp), Datum::sym("a", sp), Datum::new(DatumKind::Str("s".into()), sp)], sp);
        let cases = [
            (Const::Nil, "nil"),
            (Const::Bool(true), "true"),
            (Const::Int(-7), "-7"),
            (Const::Float(1.0), "1.0"),
            (Const::Str("a\"b\n".into()), "\"a\\\"b\\n\""),
            (Const::Symbol("x".into()), "'x"),
            (Const::Keyword("k".into()), ":k"),
            (Const::Quoted(d), "'(1 a \"s\")"),
        ];
        for (c, want) in cases {
            assert_eq!(ConstDisplay(&c).to_string(), want);
        }
        let mut f = Function::new(Some("g".into()), sp);
        f.arity = 1;
        f.has_rest = true;
        f.ncaptures = 1;
        let b0 = f.add_block();
        let b1 = f.add_block();
        let a = f.add_block_param(b0, Type::Any);
        let r = f.add_block_param(b0, Type::List);
        let c = f.push_inst(b0, InstData::Capture(0), Type::Any, sp);
        let p = f.push_inst(b0, InstData::Prim("+".into(), vec![a, c]), Type::Any, sp);
        f.set_terminator(b0, Terminator::CallK { callee: c, args: vec![p, r], cont: b1 }, sp);
        let k = f.add_block_param(b1, Type::Any);
        f.set_terminator(b1, Terminator::Jump(BlockCall { block: b1, args: vec![k] }), sp);
        let want = "fn f? \"g\" (arity 1, rest, captures 1) may-suspend {\n\
                    block0(v0: any, v1: list):\n    v2 = capture 0\n    v3 = prim \"+\" v0, v2\n    callk v2(v3, v1) -> block1\n\
                    block1(v4: any):\n    jump block1(v4)\n}\n";
        assert_eq!(f.to_string(), want);
    }
}
