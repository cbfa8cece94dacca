//! Conversions (`repr symbol keyword symbol-name keyword-name type-of`, JSON),
//! errors (`raise error error-message`), `gensym`, and the expander's internal
//! `%make-component`.

use super::{def, items_arg, str_arg, PrimDef, PrimResult};
use crate::ctx::Ctx;
use crate::error::{error_message, error_with_irritants, type_err};
use crate::print::repr;
use crate::value::{Component, Value};
use std::rc::Rc;

/// The conversion, error and internal primitives.
pub const DEFS: &[PrimDef] = &[
    def("repr", 1, 1, true, prim_repr),
    def("type-of", 1, 1, true, type_of),
    def("symbol", 1, 1, true, symbol),
    def("keyword", 1, 1, true, keyword),
    def("symbol-name", 1, 1, true, symbol_name),
    def("keyword-name", 1, 1, true, keyword_name),
    def("json-encode", 1, 1, true, json_encode),
    def("json-decode", 1, 1, false, json_decode),
    def("raise", 1, 1, false, raise),
    def("error", 1, -1, false, error),
    def("error-message", 1, 1, true, prim_error_message),
    def("gensym", 0, 1, false, gensym),
    def("%make-component", 4, 4, false, make_component),
];

fn prim_repr(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(Value::string(repr(&a[0])))
}

fn type_of(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(Value::str(a[0].type_name()))
}

fn name_of<'a>(name: &str, v: &'a Value) -> Result<&'a str, Value> {
    match v {
        Value::Str(s) => Ok(&s.s),
        Value::Symbol(s) | Value::Keyword(s) => Ok(s.name()),
        _ => Err(type_err(name, "string", v)),
    }
}

fn symbol(_: &mut Ctx, a: &[Value]) -> PrimResult {
    match &a[0] {
        Value::Symbol(_) => Ok(a[0].clone()),
        v => Ok(Value::sym(name_of("symbol", v)?)),
    }
}

fn keyword(_: &mut Ctx, a: &[Value]) -> PrimResult {
    match &a[0] {
        Value::Keyword(_) => Ok(a[0].clone()),
        v => Ok(Value::kw(name_of("keyword", v)?)),
    }
}

fn symbol_name(_: &mut Ctx, a: &[Value]) -> PrimResult {
    match &a[0] {
        Value::Symbol(s) | Value::Keyword(s) => Ok(Value::str(s.name())),
        v => Err(type_err("symbol-name", "symbol", v)),
    }
}

fn keyword_name(_: &mut Ctx, a: &[Value]) -> PrimResult {
    match &a[0] {
        Value::Keyword(s) | Value::Symbol(s) => Ok(Value::str(s.name())),
        v => Err(type_err("keyword-name", "keyword", v)),
    }
}

fn json_encode(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(Value::string(crate::json::encode(&a[0])?))
}

fn json_decode(_: &mut Ctx, a: &[Value]) -> PrimResult {
    crate::json::decode(str_arg("json-decode", &a[0])?)
}

fn raise(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Err(a[0].clone())
}

fn error(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Err(error_with_irritants(&a[0], &a[1..]))
}

fn prim_error_message(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(Value::string(error_message(&a[0])))
}

/// The next `(gensym)` name: `gensym__N`, N counting up per isolate from 1
/// (`PREFIX__N` when a prefix string or symbol is given).
pub fn next_gensym(ctx: &mut Ctx, prefix: &str) -> String {
    ctx.gensym_counter += 1;
    format!("{prefix}__{}", ctx.gensym_counter)
}

fn gensym(ctx: &mut Ctx, a: &[Value]) -> PrimResult {
    let prefix = match a.first() {
        None | Some(Value::Nil) => "gensym",
        Some(v) => name_of("gensym", v)?,
    };
    Ok(Value::sym(&next_gensym(ctx, prefix)))
}

/// `(%make-component name keys has-rest func)`: `name` a string or symbol
/// (`~card`), `keys` a list of key names (strings, keywords or symbols).
fn make_component(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let name = name_of("%make-component", &a[0])?.to_string();
    let keys = items_arg("%make-component", &a[1])?
        .iter()
        .map(|k| name_of("%make-component", k).map(str::to_string))
        .collect::<Result<Vec<_>, _>>()?;
    let has_rest = a[2].is_truthy();
    if !matches!(a[3], Value::Closure(_) | Value::Prim(_)) {
        return Err(type_err("%make-component", "lambda", &a[3]));
    }
    Ok(Value::Component(Rc::new(Component { name, keys, has_rest, func: a[3].clone() })))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use crate::prims::{call_named, lookup};
    use crate::value::Value;

    #[test]
    fn conversions() {
        assert_eq!(run("repr", &[s("a")]), "\"\\\"a\\\"\"");
        assert_eq!(run("type-of", &[f(1.0)]), "\"number\"");
        assert_eq!(run("type-of", &[Value::Nil]), "\"nil\"");
        assert_eq!(run("type-of", &[Value::Pid(1)]), "\"pid\"");
        assert_eq!(run("symbol", &[s("abc")]), "abc");
        assert_eq!(run("keyword", &[s("abc")]), ":abc");
        assert_eq!(run("keyword", &[Value::kw("abc")]), ":abc");
        assert_eq!(run("symbol-name", &[Value::sym("abc")]), "\"abc\"");
        assert_eq!(run("keyword-name", &[Value::kw("abc")]), "\"abc\"");
        assert_eq!(run("symbol", &[i(1)]), "ERR: symbol: expected string, got 1");
    }

    #[test]
    fn errors() {
        assert_eq!(run("error", &[s("msg"), i(1), s("x")]), "ERR: msg 1 \"x\"");
        assert_eq!(run("error", &[s("plain")]), "ERR: plain");
        assert_eq!(run("raise", &[i(42)]), "ERR: 42");
        let e = call_named(&mut ctx(), "error", &[s("boom")]).unwrap_err();
        assert_eq!(run("error-message", &[e.clone()]), "\"boom\"");
        assert_eq!(run("error-message", &[s("raw")]), "\"raw\"");
        assert_eq!(run("error-message", &[ints(&[1])]), "\"(1)\"");
        assert_eq!(run("error?", &[e]), "true");
    }

    #[test]
    fn gensym_counts() {
        let mut c = ctx();
        let a = call_named(&mut c, "gensym", &[]).unwrap();
        let b = call_named(&mut c, "gensym", &[]).unwrap();
        assert_eq!(crate::print::repr(&a), "gensym__1");
        assert_eq!(crate::print::repr(&b), "gensym__2");
    }

    #[test]
    fn components() {
        let f = Value::Prim(lookup("list").unwrap());
        let c = call_named(&mut ctx(), "%make-component", &[s("~card"), l(vec![Value::kw("title"), s("body")]), Value::Bool(true), f])
            .unwrap();
        assert_eq!(crate::print::repr(&c), "#<component ~card>");
        match &c {
            Value::Component(c) => {
                assert_eq!(c.keys, ["title", "body"]);
                assert!(c.has_rest);
            }
            _ => panic!(),
        }
        assert_eq!(run("type-of", &[c]), "\"component\"");
    }
}
