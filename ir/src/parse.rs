//! Parser for the textual IR printed by [`crate::print`] (the grammar is
//! documented there), for file tests of passes: `print(parse(text)) == text`
//! for every printed module.
//!
//! Ids are taken as written: value `vN` becomes `Value(N)` (gaps are filled
//! with unused placeholder values), blocks must appear in order `block0,
//! block1, ...`, instructions are numbered in order of appearance. Spans are
//! not part of the text and come back as `Span::default()`.
//!
//! Errors: `line N: message`.

use crate::entities::{Block, FuncId, Value};
use crate::function::{BlockCall, CmpOp, Function, InstData, InstNode, Module, Terminator, ValueData, ValueDef};
use crate::types::{Effect, Type};
use frontend::ast::Const;
use frontend::{FileId, Span};

/// Parses a module printed by `Display for Module`.
pub fn parse_module(text: &str) -> Result<Module, String> {
    parse_functions(text, 0, 0)
}

/// Parses a run of whole functions of a module's text (one of
/// [`split_functions`]' parts) whose first function is `f{first}` and whose
/// first line is line `first_line` of the module (0-based; for messages).
/// The result holds just those functions; appending the parts' functions
/// in order gives [`parse_module`] of the whole text (`entry` is set by
/// the part that has it).
pub fn parse_functions(text: &str, first: usize, first_line: usize) -> Result<Module, String> {
    let mut m = Module::default();
    let mut lines = text.lines().enumerate().map(|(ln, l)| (ln + first_line, l)).peekable();
    while let Some((ln, line)) = lines.next() {
        if line.trim().is_empty() {
            continue;
        }
        let err = |msg: String| format!("line {}: {msg}", ln + 1);
        let (id, mut f, entry) = parse_header(line).map_err(err)?;
        if id.index() != first + m.funcs.len() {
            return Err(err(format!("expected function f{}, found {id}", first + m.funcs.len())));
        }
        let mut b: Option<Block> = None;
        let mut closed = false;
        for (ln, line) in lines.by_ref() {
            let err = |msg: String| format!("line {}: {msg}", ln + 1);
            if line == "}" {
                closed = true;
                break;
            }
            if let Some(body) = line.strip_prefix("    ") {
                let cur = b.ok_or_else(|| err("instruction outside a block".into()))?;
                parse_body_line(&mut f, cur, body).map_err(err)?;
            } else {
                b = Some(parse_block_header(&mut f, line).map_err(err)?);
            }
        }
        if !closed {
            return Err(format!("function {id}: missing closing `}}`"));
        }
        if entry {
            m.entry = Some(id);
        }
        m.funcs.push(f);
    }
    Ok(m)
}

/// Splits a module's text into at most `n` parts of whole functions and of
/// similar size, to parse in parallel ([`parse_functions`]): each part's
/// text, the index of its first function and its first line (0-based). A
/// function starts at a line beginning `fn ` (body lines are indented,
/// and strings never hold a raw newline).
pub fn split_functions(text: &str, n: usize) -> Vec<(&str, usize, usize)> {
    let mut starts = Vec::new(); // (byte offset, line) of each function
    let mut line = 0;
    let mut at = 0;
    for l in text.split_inclusive('\n') {
        if l.starts_with("fn ") {
            starts.push((at, line));
        }
        at += l.len();
        line += 1;
    }
    let mut parts = Vec::new();
    let (mut from, mut first, mut first_line) = (0, 0, 0);
    let n = n.max(1);
    for (k, &(off, ln)) in starts.iter().enumerate() {
        // Cut before function k once this part holds its share of the text.
        if k > 0 && parts.len() + 1 < n && off - from >= text.len() / n {
            parts.push((&text[from..off], first, first_line));
            (from, first, first_line) = (off, k, ln);
        }
    }
    parts.push((&text[from..], first, first_line));
    parts
}

/// A cursor over one line.
struct Cur<'a> {
    s: &'a str,
}

impl<'a> Cur<'a> {
    fn ws(&mut self) {
        self.s = self.s.trim_start();
    }
    fn eat(&mut self, t: &str) -> bool {
        self.ws();
        if let Some(r) = self.s.strip_prefix(t) {
            self.s = r;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, t: &str) -> Result<(), String> {
        if self.eat(t) {
            Ok(())
        } else {
            Err(format!("expected `{t}` at `{}`", self.s))
        }
    }
    /// A word: letters, digits and `_ . - ? < > = ! * + / % & ~ ^ @ $`.
    fn word(&mut self) -> Result<&'a str, String> {
        self.ws();
        let n = self.s.find(|c: char| !(c.is_alphanumeric() || "_.-?<>=!*+/%&~^@$".contains(c))).unwrap_or(self.s.len());
        if n == 0 {
            return Err(format!("expected a word at `{}`", self.s));
        }
        let (w, r) = self.s.split_at(n);
        self.s = r;
        Ok(w)
    }
    fn num<T: std::str::FromStr>(&mut self) -> Result<T, String> {
        let w = self.word()?;
        w.parse().map_err(|_| format!("bad number `{w}`"))
    }
    fn prefixed(&mut self, prefix: &str) -> Result<u32, String> {
        let w = self.word()?;
        w.strip_prefix(prefix).and_then(|n| n.parse().ok()).ok_or_else(|| format!("expected {prefix}N, found `{w}`"))
    }
    fn value(&mut self) -> Result<Value, String> {
        Ok(Value(self.prefixed("v")?))
    }
    fn block(&mut self) -> Result<Block, String> {
        Ok(Block(self.prefixed("block")?))
    }
    /// `v1, v2, ...` up to (not including) `close` or end of line.
    fn values(&mut self, close: Option<&str>) -> Result<Vec<Value>, String> {
        let mut vs = Vec::new();
        self.ws();
        if self.s.is_empty() || close.is_some_and(|c| self.s.starts_with(c)) {
            return Ok(vs);
        }
        loop {
            vs.push(self.value()?);
            if !self.eat(",") {
                return Ok(vs);
            }
        }
    }
    fn string(&mut self) -> Result<String, String> {
        self.ws();
        let mut chars = self.s.char_indices();
        if !matches!(chars.next(), Some((_, '"'))) {
            return Err(format!("expected a string at `{}`", self.s));
        }
        let mut out = String::new();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.s = &self.s[i + 1..];
                    return Ok(out);
                }
                '\\' => match chars.next().map(|x| x.1) {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some('0') => out.push('\0'),
                    Some(c @ ('\\' | '"' | '\'')) => out.push(c),
                    Some('u') => {
                        let rest: String = chars.by_ref().map(|x| x.1).take_while(|c| *c != '}').collect();
                        let hex = rest.trim_start_matches('{');
                        let ch = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32).ok_or("bad \\u escape")?;
                        out.push(ch);
                    }
                    _ => return Err("bad escape".into()),
                },
                c => out.push(c),
            }
        }
        Err("unterminated string".into())
    }
    fn ty(&mut self) -> Result<Type, String> {
        let w = self.word()?;
        parse_type(w).ok_or_else(|| format!("unknown type `{w}`"))
    }
    fn end(&mut self) -> Result<(), String> {
        self.ws();
        if self.s.is_empty() {
            Ok(())
        } else {
            Err(format!("unexpected `{}`", self.s))
        }
    }
}

fn parse_type(w: &str) -> Option<Type> {
    Some(match w {
        "any" => Type::Any,
        "nil" => Type::Nil,
        "bool" => Type::Bool,
        "int" => Type::Int,
        "float" => Type::Float,
        "str" => Type::Str,
        "sym" => Type::Symbol,
        "kw" => Type::Keyword,
        "list" => Type::List,
        "dict" => Type::Dict,
        "closure" => Type::Closure,
        _ => return None,
    })
}

fn parse_header(line: &str) -> Result<(FuncId, Function, bool), String> {
    let mut c = Cur { s: line };
    c.expect("fn")?;
    let id = FuncId(c.prefixed("f")?);
    let name = if c.eat("_") { None } else { Some(c.string()?) };
    let mut f = Function::new(name, Span::default());
    c.expect("(")?;
    c.expect("arity")?;
    f.arity = c.num()?;
    c.expect(",")?;
    if c.eat("rest") {
        f.has_rest = true;
        c.expect(",")?;
    }
    c.expect("captures")?;
    f.ncaptures = c.num()?;
    c.expect(")")?;
    f.effect = match c.word()? {
        "pure" => Effect::Pure,
        "may-raise" => Effect::MayRaise,
        "may-suspend" => Effect::MaySuspend,
        w => return Err(format!("unknown effect `{w}`")),
    };
    let entry = c.eat("entry");
    c.expect("{")?;
    c.end()?;
    Ok((id, f, entry))
}

/// Makes room for value `v` and records its definition.
fn define(f: &mut Function, v: Value, def: ValueDef, ty: Type) -> Result<(), String> {
    let placeholder = ValueData { def: ValueDef::Param(Block(u32::MAX), u32::MAX), ty: Type::Any };
    while f.values.len() <= v.index() {
        f.values.push(placeholder.clone());
    }
    if f.values[v.index()] != placeholder {
        return Err(format!("{v} defined twice"));
    }
    f.values[v.index()] = ValueData { def, ty };
    Ok(())
}

fn parse_block_header(f: &mut Function, line: &str) -> Result<Block, String> {
    let mut c = Cur { s: line };
    let b = c.block()?;
    if b.index() != f.blocks.len() {
        return Err(format!("expected block{}, found {b}", f.blocks.len()));
    }
    f.add_block();
    if c.eat("(") {
        let mut k = 0;
        loop {
            let v = c.value()?;
            c.expect(":")?;
            let ty = c.ty()?;
            define(f, v, ValueDef::Param(b, k), ty)?;
            f.blocks[b.index()].params.push(v);
            k += 1;
            if !c.eat(",") {
                break;
            }
        }
        c.expect(")")?;
    }
    c.expect(":")?;
    c.end()?;
    Ok(b)
}

fn parse_body_line(f: &mut Function, b: Block, line: &str) -> Result<(), String> {
    let mut c = Cur { s: line };
    let starts_inst = line.starts_with('v') && line.split_whitespace().next().is_some_and(|w| w.trim_end_matches(':').strip_prefix('v').is_some_and(|n| n.parse::<u32>().is_ok()));
    if !starts_inst {
        let t = parse_term(&mut c)?;
        c.end()?;
        f.set_terminator(b, t, Span::default());
        return Ok(());
    }
    let v = c.value()?;
    let ty = if c.eat(":") { c.ty()? } else { Type::Any };
    c.expect("=")?;
    let data = parse_inst(&mut c)?;
    c.end()?;
    let inst = crate::Inst::new(f.insts.len());
    define(f, v, ValueDef::Inst(inst), ty)?;
    f.insts.push(InstNode { data, result: v, span: Span::default() });
    f.blocks[b.index()].insts.push(inst);
    Ok(())
}

fn parse_const(c: &mut Cur) -> Result<Const, String> {
    c.ws();
    if c.s.starts_with('"') {
        return Ok(Const::Str(c.string()?));
    }
    if let Some(rest) = c.s.strip_prefix('\'') {
        if rest.starts_with(['(', '[', '{']) {
            let forms = frontend::reader::read_str(rest, FileId(0)).map_err(|d| format!("bad quoted datum: {}", d.message))?;
            c.s = "";
            return match <[_; 1]>::try_from(forms) {
                Ok([d]) => Ok(Const::Quoted(d.without_spans())),
                Err(_) => Err("expected one quoted datum".into()),
            };
        }
        c.s = rest;
        return Ok(Const::Symbol(c.word()?.to_string()));
    }
    if c.eat(":") {
        return Ok(Const::Keyword(c.word()?.to_string()));
    }
    let w = c.word()?;
    Ok(match w {
        "nil" => Const::Nil,
        "true" => Const::Bool(true),
        "false" => Const::Bool(false),
        _ => match w.parse::<i64>() {
            Ok(i) => Const::Int(i),
            Err(_) => Const::Float(w.parse::<f64>().map_err(|_| format!("bad constant `{w}`"))?),
        },
    })
}

fn parse_inst(c: &mut Cur) -> Result<InstData, String> {
    let op = c.word()?;
    let two = |c: &mut Cur| -> Result<(Value, Value), String> {
        let a = c.value()?;
        c.expect(",")?;
        Ok((a, c.value()?))
    };
    Ok(match op {
        "const" => InstData::Const(parse_const(c)?),
        "capture" => InstData::Capture(c.num()?),
        "self_ref" => InstData::SelfRef,
        "global_get" => InstData::GlobalGet(c.string()?),
        "global_set" => InstData::GlobalSet(c.string()?, c.value()?),
        "global_define" => InstData::GlobalDefine(c.string()?, c.value()?),
        "make_closure" => {
            let fid = FuncId(c.prefixed("f")?);
            c.expect("[")?;
            let vs = c.values(Some("]"))?;
            c.expect("]")?;
            InstData::MakeClosure(fid, vs)
        }
        "cell_new" => InstData::CellNew(c.value()?),
        "cell_get" => InstData::CellGet(c.value()?),
        "cell_set" => {
            let (a, b) = two(c)?;
            InstData::CellSet(a, b)
        }
        "prim" => {
            let name = c.string()?;
            InstData::Prim(name, c.values(None)?)
        }
        "call" => {
            let callee = c.value()?;
            c.expect("(")?;
            let args = c.values(Some(")"))?;
            c.expect(")")?;
            InstData::Call(callee, args)
        }
        "iadd.ovf" | "isub.ovf" | "imul.ovf" => {
            let (a, b) = two(c)?;
            match op {
                "iadd.ovf" => InstData::IAddOvf(a, b),
                "isub.ovf" => InstData::ISubOvf(a, b),
                _ => InstData::IMulOvf(a, b),
            }
        }
        "icmp" => {
            let cmp = match c.word()? {
                "lt" => CmpOp::Lt,
                "le" => CmpOp::Le,
                "gt" => CmpOp::Gt,
                "ge" => CmpOp::Ge,
                "eq" => CmpOp::Eq,
                "ne" => CmpOp::Ne,
                w => return Err(format!("unknown comparison `{w}`")),
            };
            let (a, b) = two(c)?;
            InstData::ICmp(cmp, a, b)
        }
        "guard" => {
            let value = c.value()?;
            c.expect("is")?;
            let ty = c.ty()?;
            c.expect("else")?;
            let deopt = c.block()?;
            c.expect("(")?;
            let live = c.values(Some(")"))?;
            c.expect(")")?;
            InstData::Guard { value, ty, deopt, live }
        }
        _ => return Err(format!("unknown instruction `{op}`")),
    })
}

fn target(c: &mut Cur) -> Result<BlockCall, String> {
    let block = c.block()?;
    let args = if c.eat("(") {
        let a = c.values(Some(")"))?;
        c.expect(")")?;
        a
    } else {
        Vec::new()
    };
    Ok(BlockCall { block, args })
}

fn parse_term(c: &mut Cur) -> Result<Terminator, String> {
    let op = c.word()?;
    let call = |c: &mut Cur| -> Result<(Value, Vec<Value>), String> {
        let callee = c.value()?;
        c.expect("(")?;
        let args = c.values(Some(")"))?;
        c.expect(")")?;
        Ok((callee, args))
    };
    Ok(match op {
        "jump" => Terminator::Jump(target(c)?),
        "branch" => {
            let cond = c.value()?;
            c.expect(",")?;
            let then_dest = target(c)?;
            c.expect(",")?;
            Terminator::Branch { cond, then_dest, else_dest: target(c)? }
        }
        "return" => Terminator::Return(c.value()?),
        "raise" => Terminator::Raise(c.value()?),
        "tail_call" => {
            let (callee, args) = call(c)?;
            Terminator::TailCall { callee, args }
        }
        "callk" => {
            let (callee, args) = call(c)?;
            c.expect("->")?;
            Terminator::CallK { callee, args, cont: c.block()? }
        }
        "applyk" | "tail_apply" => {
            let callee = c.value()?;
            c.expect(",")?;
            let args = c.value()?;
            if op == "tail_apply" {
                Terminator::TailApply { callee, args }
            } else {
                c.expect("->")?;
                Terminator::ApplyK { callee, args, cont: c.block()? }
            }
        }
        "suspend" => {
            let request = c.value()?;
            c.expect("->")?;
            Terminator::Suspend { request, cont: c.block()? }
        }
        "try_call" => {
            let thunk = c.value()?;
            c.expect("ok")?;
            let ok = c.block()?;
            c.expect("err")?;
            Terminator::TryCall { thunk, ok, err: c.block()? }
        }
        "unterminated" => Terminator::Unterminated,
        _ => return Err(format!("unknown terminator `{op}`")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_a_small_module() {
        let text = "fn f0 \"<toplevel>\" (arity 0, captures 0) may-raise entry {\n\
block0:\n    v0: closure = make_closure f1 []\n    v1: nil = global_define \"f\" v0\n    v2: int = const 3\n    v3 = const 'sym\n    v4: list = const '(1 \"a\" b)\n    v5: float = const NaN\n    v6: str = const \"q\\\"\\n\"\n    tail_call v0(v2)\n}\n\n\
fn f1 _ (arity 1, rest, captures 0) may-suspend {\n\
block0(v0: any, v1: list):\n    v2 = prim \"+\" v0, v1\n    v3 = prim \"%list\"\n    callk v0(v2) -> block1\n\
block1(v4: any):\n    branch v4, block2(v4), block3\n\
block2(v5: int):\n    suspend v5 -> block3\n\
block3(v6: any):\n    try_call v6 ok block4 err block5\n\
block4(v7: any):\n    applyk v7, v1 -> block5\n\
block5(v8: any):\n    tail_apply v8, v1\n}\n";
        let m = parse_module(text).unwrap();
        assert_eq!(m.to_string(), text);
    }

    #[test]
    fn parts_parse_to_the_whole() {
        let one = "fn f{} _ (arity 0, captures 0) pure {\nblock0:\n    v0: int = const {}\n    return v0\n}\n\n";
        let mut text = "fn f0 \"<toplevel>\" (arity 0, captures 0) pure entry {\nblock0:\n    v0: nil = const nil\n    return v0\n}\n\n".to_string();
        for i in 1..20 {
            text.push_str(&one.replacen("{}", &i.to_string(), 2));
        }
        let whole = parse_module(&text).unwrap();
        for n in [1, 2, 3, 8, 40] {
            let parts = split_functions(&text, n);
            assert!(parts.len() <= n && parts.iter().all(|(t, _, _)| t.starts_with("fn ")), "{n}: {parts:?}");
            let mut m = Module::default();
            for (t, first, line) in parts {
                let p = parse_functions(t, first, line).unwrap();
                m.entry = m.entry.or(p.entry);
                m.funcs.extend(p.funcs);
            }
            assert_eq!(m.to_string(), whole.to_string(), "{n}");
            assert_eq!(m.entry, whole.entry);
        }
        // Errors name the module's line, not the part's.
        let bad = text.replace("v0: int = const 19", "v0 = frob");
        let parts = split_functions(&bad, 4);
        let (t, first, line) = parts.last().copied().unwrap();
        let e = parse_functions(t, first, line).unwrap_err();
        assert_eq!(e, parse_module(&bad).unwrap_err());
    }

    #[test]
    fn reports_line_numbers() {
        let e = parse_module("fn f0 _ (arity 0, captures 0) pure {\nblock0:\n    v0 = frob v1\n}\n").unwrap_err();
        assert!(e.starts_with("line 3:"), "{e}");
    }
}
