//! Printing: the readable form (`repr`) and the display form (`str`, `print`,
//! `println`, `format ~a`), exactly as LANGUAGE.md "Printing" describes.

use crate::text::ShortText;
use crate::value::Value;

/// Nesting depth after which printing shows `...` (guards against cyclic data).
const MAX_DEPTH: usize = 2_000;

/// The readable form of `v`.
pub fn repr(v: &Value) -> String {
    let mut out = String::new();
    write_repr(v, &mut out);
    out
}

/// The display form of `v`: like [`repr`] except that a string or symbol at top
/// level shows its raw text. (`nil` shows as `nil`; `str` special-cases it to `""`.)
pub fn display(v: &Value) -> String {
    let mut out = String::new();
    write_display(v, &mut out);
    out
}

/// `format!("{v}")` is the display form, `format!("{v:#}")` the readable form.
impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if f.alternate() {
            f.write_str(&repr(self))
        } else {
            f.write_str(&display(self))
        }
    }
}

/// Appends the display form of `v` to `out`.
pub fn write_display(v: &Value, out: &mut String) {
    match v {
        Value::Str(s) => out.push_str(&s.s),
        Value::Int(i) => write_int(*i, out),
        Value::Symbol(s) => out.push_str(s.name()),
        _ => write_repr(v, out),
    }
}

/// Appends the decimal digits of `i` (as `{i}` would, without `fmt` machinery;
/// the digits come from [`ShortText::push_int`], the formatter of `str`).
#[inline]
pub fn write_int(i: i64, out: &mut String) {
    let mut b = ShortText::new();
    let fits = b.push_int(i);
    debug_assert!(fits, "an i64 has at most 20 characters");
    out.push_str(b.as_str());
}

/// Appends the readable form of `v` to `out`.
pub fn write_repr(v: &Value, out: &mut String) {
    write_at(v, out, 0)
}

/// Formats a float: shortest round-trip digits; decimal notation with a `.` when
/// x is zero or 1e-6 <= |x| < 1e21, exponent form otherwise (`1e21`, `1.5e-7`);
/// `inf`, `-inf`, `nan`. (The frontend's printer, shared so data and values
/// print alike.)
pub fn format_float(x: f64) -> String {
    frontend::print::format_float(x)
}

/// Appends [`format_float`] of `x` to `out`.
#[inline]
pub fn write_float(x: f64, out: &mut String) {
    out.push_str(&frontend::print::format_float(x));
}

/// Appends `s` as a quoted string literal with escapes (the reader's format:
/// `\"` `\\` `\n` `\t` `\r`, other control characters as `\uXXXX`).
#[inline]
pub fn write_string_literal(s: &str, out: &mut String) {
    frontend::print::write_string_literal(s, out)
}

/// True when `c` may appear in a symbol or keyword name.
pub fn is_symbol_char(c: char) -> bool {
    frontend::reader::is_symbol_char(c)
}

/// True when `name` reads back as the keyword `:name` (the reader's rule:
/// non-empty, symbol characters only).
pub fn is_keyword_name(name: &str) -> bool {
    frontend::reader::is_valid_keyword(name)
}

fn write_at(v: &Value, out: &mut String, depth: usize) {
    use std::fmt::Write;
    if depth > MAX_DEPTH {
        out.push_str("...");
        return;
    }
    match v {
        Value::Nil => out.push_str("nil"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => write_int(*i, out),
        Value::Float(f) => write_float(*f, out),
        Value::Str(s) => write_string_literal(&s.s, out),
        Value::Symbol(s) => out.push_str(s.name()),
        Value::Keyword(s) => {
            out.push(':');
            out.push_str(s.name());
        }
        Value::List(l) => {
            out.push('(');
            l.with_items(|items| {
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    write_at(x, out, depth + 1);
                }
            });
            out.push(')');
        }
        Value::Dict(d) => {
            out.push('{');
            let m = d.map.borrow();
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                if is_keyword_name(k) {
                    out.push(':');
                    out.push_str(k);
                } else {
                    write_string_literal(k, out);
                }
                out.push(' ');
                write_at(x, out, depth + 1);
            }
            out.push('}');
        }
        Value::Closure(c) => match &c.proto.name {
            Some(n) => {
                let _ = write!(out, "#<lambda {n}>");
            }
            None => out.push_str("#<lambda>"),
        },
        Value::Prim(id) => {
            let _ = write!(out, "#<lambda {}>", crate::prims::get(*id).name);
        }
        Value::Macro(m) => {
            let _ = write!(out, "#<macro {}>", m.name);
        }
        Value::Component(c) => {
            let tilde = if c.name.starts_with('~') { "" } else { "~" };
            let _ = write!(out, "#<component {tilde}{}>", c.name);
        }
        Value::Error(e) => {
            out.push_str("#<error ");
            write_string_literal(&e.message, out);
            out.push('>');
        }
        Value::Element(e) => {
            if e.tag.is_empty() {
                out.push_str("#<element raw-html>");
            } else {
                let _ = write!(out, "#<element {}>", e.tag);
            }
        }
        Value::Pid(p) => {
            let _ = write!(out, "#<pid {p}>");
        }
        Value::Cell(c) => match c.try_borrow() {
            Ok(inner) => write_at(&inner, out, depth + 1),
            Err(_) => out.push_str("#<cell>"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{Component, Element, MacroObj};
    use std::rc::Rc;

    #[test]
    fn floats() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (100.0, "100.0"),
            (0.25, "0.25"),
            (0.1 + 0.2, "0.30000000000000004"),
            (0.000001, "0.000001"),
            (1e21, "1e21"),
            (1.5e-7, "1.5e-7"),
            (1e20, "100000000000000000000.0"),
            (3.14, "3.14"),
            (-0.5, "-0.5"),
            (2.5e-3, "0.0025"),
            (1e10, "10000000000.0"),
            (1.7976931348623157e308, "1.7976931348623157e308"),
            (5e-324, "5e-324"),
            (-1e22, "-1e22"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
        ];
        for (x, s) in cases {
            assert_eq!(format_float(*x), *s, "{x:?}");
        }
    }

    #[test]
    fn readable_forms() {
        assert_eq!(repr(&Value::Nil), "nil");
        assert_eq!(repr(&Value::Bool(true)), "true");
        assert_eq!(repr(&Value::Bool(false)), "false");
        assert_eq!(repr(&Value::Int(42)), "42");
        assert_eq!(repr(&Value::Int(-7)), "-7");
        assert_eq!(repr(&Value::str("a\"b\\c\nd\te\r\u{1}")), "\"a\\\"b\\\\c\\nd\\te\\r\\u0001\"");
        assert_eq!(repr(&Value::kw("kw")), ":kw");
        assert_eq!(repr(&Value::sym("persist/append")), "persist/append");
        assert_eq!(repr(&Value::list(vec![Value::Int(1), Value::Int(2), Value::Int(3)])), "(1 2 3)");
        assert_eq!(repr(&Value::empty_list()), "()");
        assert_eq!(repr(&Value::dict_from([("a", Value::Int(1)), ("b", Value::str("x"))])), "{:a 1 :b \"x\"}");
        assert_eq!(repr(&Value::dict_from([("a b", Value::Int(1))])), "{\"a b\" 1}");
        assert_eq!(repr(&Value::dict_from([("1x", Value::Int(1)), ("", Value::Int(2))])), "{:1x 1 \"\" 2}");
        assert_eq!(repr(&Value::dict(vec![])), "{}");
        assert_eq!(repr(&Value::Pid(7)), "#<pid 7>");
        assert_eq!(repr(&crate::error::err("msg")), "#<error \"msg\">");
        let el = Value::Element(Rc::new(Element { tag: "div".into(), attrs: vec![], children: vec![] }));
        assert_eq!(repr(&el), "#<element div>");
        // closures (`#<lambda f>`, `#<lambda>`) are covered by the interpreter's tests,
        // which can build a `Proto`.
        assert_eq!(repr(&Value::Macro(Rc::new(MacroObj { name: "m".into() }))), "#<macro m>");
        let comp = Component { name: "~card".into(), keys: vec![], has_rest: false, func: Value::Nil };
        assert_eq!(repr(&Value::Component(Rc::new(comp))), "#<component ~card>");
        let plus = crate::prims::lookup("+").unwrap();
        assert_eq!(repr(&Value::Prim(plus)), "#<lambda +>");
        assert_eq!(repr(&Value::Float(1.0)), "1.0");
    }

    #[test]
    fn display_forms() {
        assert_eq!(display(&Value::str("a")), "a");
        assert_eq!(display(&Value::sym("s")), "s");
        assert_eq!(display(&Value::kw("k")), ":k");
        assert_eq!(display(&Value::Nil), "nil");
        assert_eq!(display(&Value::list(vec![Value::str("a"), Value::sym("b")])), "(\"a\" b)");
        assert_eq!(display(&Value::dict_from([("k", Value::str("v"))])), "{:k \"v\"}");
        assert_eq!(format!("{} {:#}", Value::str("s"), Value::str("s")), "s \"s\"");
    }

    #[test]
    fn keyword_names() {
        for ok in ["a", "a-b", "ok?", "x/y", "~card", "é", "-", "+", "->", "a1", "1a"] {
            assert!(is_keyword_name(ok), "{ok}");
        }
        for bad in ["", "a b", "a:b", "a\"", "(x", "a,b"] {
            assert!(!is_keyword_name(bad), "{bad}");
        }
    }

    #[test]
    fn cyclic_list_does_not_overflow() {
        let l = Value::empty_list();
        l.as_list().unwrap().push(l.clone());
        let r = repr(&l);
        assert!(r.contains("(...)") && r.ends_with(")))"));
        drop(l.as_list().unwrap().take_storage()); // break the cycle
    }
}
