//! String primitives. Indices and lengths count characters, not bytes;
//! ASCII strings (the common case) take byte-indexed fast paths.

use super::{def, index_arg, int_arg, str_arg, PrimDef, PrimResult};
use crate::ctx::Ctx;
use crate::error::{err, type_err};
use crate::print::{write_display, write_repr};
use crate::text::{ShortText, Text};
use crate::value::{SxStr, Value};

/// The string primitives.
pub const DEFS: &[PrimDef] = &[
    def("str", 0, -1, true, str),
    def("substring", 2, 3, true, substring),
    def("char-at", 2, 2, true, char_at),
    def("upper", 1, 1, true, upper),
    def("lower", 1, 1, true, lower),
    def("trim", 1, 1, true, trim),
    def("split", 2, 2, false, split),
    def("join", 2, 2, true, join),
    def("replace", 3, 3, true, replace),
    def("starts-with?", 2, 2, true, starts_with),
    def("ends-with?", 2, 2, true, ends_with),
    def("string->list", 1, 1, false, string_to_list),
    def("format", 1, -1, true, format),
    def("escape-html", 1, 1, true, escape_html),
];

/// Appends `v` as `str` shows it: display form, `nil` as nothing.
pub fn write_str_part(v: &Value, out: &mut String) {
    if !v.is_nil() {
        write_display(v, out);
    }
}

thread_local! {
    /// Scratch buffer of `str_concat`: the result is copied once into an exact-size string.
    static BUF: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Registers this thread's [`BUF`] (`crate::isolate::warm_thread_locals`).
pub(crate) fn warm_thread_local() {
    BUF.with(|_| {});
}

/// `(str a b ...)`: concatenated display forms; `nil` contributes nothing.
pub fn str_concat(args: &[Value]) -> Value {
    if let [v @ Value::Str(_)] = args {
        return v.clone();
    }
    if let Some(t) = short_concat(args) {
        return Value::Str(std::rc::Rc::new(SxStr::from_text(t)));
    }
    BUF.with(|b| {
        let mut out = b.borrow_mut();
        out.clear();
        for a in args {
            write_str_part(a, &mut out);
        }
        let v = Value::str(&out);
        if out.capacity() > 1 << 16 {
            *out = String::new();
        }
        v
    })
}

/// `str` of strings, integers and `nil` whose result fits inline in a
/// [`Text`]: built in place on the stack (no thread-local `String`, no
/// UTF-8 re-validation).
#[inline]
fn short_concat(args: &[Value]) -> Option<Text> {
    let mut b = ShortText::new();
    for a in args {
        let fits = match a {
            Value::Str(s) => b.push_text(&s.s),
            Value::Int(i) => b.push_int(*i),
            Value::Nil => true,
            _ => false,
        };
        if !fits {
            return None;
        }
    }
    Some(b.finish())
}

fn str(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(str_concat(a))
}

/// Byte offset of character index `i` in `s` (clamped to `s.len()`).
fn byte_at(s: &str, i: usize) -> usize {
    s.char_indices().nth(i).map_or(s.len(), |(b, _)| b)
}

/// Characters `start..end` of `s`, clamped to the string; empty when start >= end.
pub fn char_slice(s: &str, start: usize, end: usize) -> &str {
    if start >= end {
        return "";
    }
    if s.is_ascii() {
        let e = end.min(s.len());
        return &s[start.min(e)..e];
    }
    let b0 = byte_at(s, start);
    let rest = &s[b0..];
    let b1 = byte_at(rest, end - start);
    &rest[..b1]
}

fn sx_str<'a>(name: &str, v: &'a Value) -> Result<&'a SxStr, Value> {
    match v {
        Value::Str(s) => Ok(s),
        _ => Err(type_err(name, "string", v)),
    }
}

fn substring(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let s = sx_str("substring", &a[0])?;
    let start = index_arg("substring", &a[1])?;
    let end = match a.get(2) {
        None | Some(Value::Nil) => usize::MAX,
        Some(v) => index_arg("substring", v)?,
    };
    Ok(Value::str(char_slice(&s.s, start, end)))
}

fn char_at(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let s = sx_str("char-at", &a[0])?;
    let i = int_arg("char-at", &a[1])?;
    if i < 0 {
        return Ok(Value::Nil);
    }
    let i = i as usize;
    let c = if s.s.is_ascii() {
        s.s.get(i..i + 1).map(|c| c.to_string())
    } else {
        s.s.chars().nth(i).map(|c| c.to_string())
    };
    Ok(c.map_or(Value::Nil, Value::string))
}

fn upper(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(Value::string(str_arg("upper", &a[0])?.to_uppercase()))
}

fn lower(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(Value::string(str_arg("lower", &a[0])?.to_lowercase()))
}

fn trim(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let s = str_arg("trim", &a[0])?;
    let t = s.trim();
    if t.len() == s.len() {
        return Ok(a[0].clone());
    }
    Ok(Value::str(t))
}

fn split(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let s = str_arg("split", &a[0])?;
    let sep = str_arg("split", &a[1])?;
    let parts: Vec<Value> = if sep.is_empty() {
        s.chars().map(|c| Value::string(c.to_string())).collect()
    } else {
        s.split(sep).map(Value::str).collect()
    };
    Ok(Value::list(parts))
}

fn join(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let sep = str_arg("join", &a[0])?;
    let mut out = String::new();
    let mut write_all = |xs: &[Value]| {
        for (i, x) in xs.iter().enumerate() {
            if i > 0 {
                out.push_str(sep);
            }
            write_str_part(x, &mut out);
        }
    };
    match &a[1] {
        Value::List(l) => l.with_items(&mut write_all),
        Value::Nil => {}
        other => return Err(type_err("join", "list", other)),
    }
    Ok(Value::string(out))
}

fn replace(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let s = str_arg("replace", &a[0])?;
    let old = str_arg("replace", &a[1])?;
    let new = str_arg("replace", &a[2])?;
    if old.is_empty() || !s.contains(old) {
        return Ok(a[0].clone());
    }
    Ok(Value::string(s.replace(old, new)))
}

fn starts_with(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(Value::Bool(str_arg("starts-with?", &a[0])?.starts_with(str_arg("starts-with?", &a[1])?)))
}

fn ends_with(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(Value::Bool(str_arg("ends-with?", &a[0])?.ends_with(str_arg("ends-with?", &a[1])?)))
}

fn string_to_list(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let s = str_arg("string->list", &a[0])?;
    Ok(Value::list(s.chars().map(|c| Value::string(c.to_string())).collect()))
}

/// `(format fmt args...)`: `~a` display form (nil shows as `nil`), `~s` readable
/// form, `~%` newline, `~~` a tilde.
pub fn format_text(fmt: &str, args: &[Value]) -> Result<String, Value> {
    let mut out = String::with_capacity(fmt.len() + 16);
    let mut next = args.iter();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '~' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('a') | Some('A') => {
                write_display(next.next().ok_or_else(|| err("format: not enough arguments"))?, &mut out)
            }
            Some('s') | Some('S') => {
                write_repr(next.next().ok_or_else(|| err("format: not enough arguments"))?, &mut out)
            }
            Some('%') => out.push('\n'),
            Some('~') => out.push('~'),
            Some(d) => return Err(err(format!("format: unknown directive ~{d}"))),
            None => return Err(err("format: unknown directive ~")),
        }
    }
    Ok(out)
}

fn format(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let fmt = str_arg("format", &a[0])?;
    Ok(Value::string(format_text(fmt, &a[1..])?))
}

fn escape_html(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let s = str_arg("escape-html", &a[0])?;
    let mut out = String::with_capacity(s.len());
    crate::html::escape_into(s, &mut out);
    Ok(Value::string(out))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use crate::value::Value;

    #[test]
    fn strings() {
        assert_eq!(run("str", &[s("a"), i(1)]), "\"a1\"");
        assert_eq!(run("str", &[Value::Nil]), "\"\"");
        assert_eq!(run("str", &[]), "\"\"");
        assert_eq!(run("str", &[l(vec![s("a"), Value::Nil]), Value::sym("b"), Value::kw("c"), f(1.0)]), "\"(\\\"a\\\" nil)b:c1.0\"");
        assert_eq!(run("substring", &[s("hello"), i(1), i(3)]), "\"el\"");
        assert_eq!(run("substring", &[s("héllo"), i(1)]), "\"éllo\"");
        assert_eq!(run("substring", &[s("hello"), i(3), i(99)]), "\"lo\"");
        assert_eq!(run("substring", &[s("hello"), i(4), i(2)]), "\"\"");
        assert_eq!(run("char-at", &[s("héllo"), i(1)]), "\"é\"");
        assert_eq!(run("char-at", &[s("abc"), i(2)]), "\"c\"");
        assert_eq!(run("char-at", &[s("abc"), i(3)]), "nil");
        assert_eq!(run("upper", &[s("abé")]), "\"ABÉ\"");
        assert_eq!(run("lower", &[s("ABC")]), "\"abc\"");
        assert_eq!(run("trim", &[s("  a b \n")]), "\"a b\"");
        assert_eq!(run("split", &[s(",a,"), s(",")]), "(\"\" \"a\" \"\")");
        assert_eq!(run("split", &[s("a b c"), s(" ")]), "(\"a\" \"b\" \"c\")");
        assert_eq!(run("split", &[s("abc"), s("")]), "(\"a\" \"b\" \"c\")");
        assert_eq!(run("split", &[s(""), s(",")]), "(\"\")");
        assert_eq!(run("join", &[s(", "), l(vec![s("a"), i(1), s("b")])]), "\"a, 1, b\"");
        assert_eq!(run("join", &[s(","), l(vec![])]), "\"\"");
        assert_eq!(run("replace", &[s("a-b-c"), s("-"), s("+")]), "\"a+b+c\"");
        assert_eq!(run("replace", &[s("abc"), s(""), s("+")]), "\"abc\"");
        assert_eq!(run("starts-with?", &[s("hello"), s("he")]), "true");
        assert_eq!(run("ends-with?", &[s("hello"), s("lo")]), "true");
        assert_eq!(run("ends-with?", &[s("hello"), s("he")]), "false");
        assert_eq!(run("string->list", &[s("aé")]), "(\"a\" \"é\")");
        assert_eq!(run("upper", &[i(1)]), "ERR: upper: expected string, got 1");
    }

    #[test]
    fn format_and_escape() {
        assert_eq!(run("format", &[s("~a and ~s~%"), s("x"), s("y")]), "\"x and \\\"y\\\"\\n\"");
        assert_eq!(run("format", &[s("~a ~a"), Value::Nil, i(1)]), "\"nil 1\"");
        assert_eq!(run("format", &[s("~~")]), "\"~\"");
        assert_eq!(run("format", &[s("~a")]), "ERR: format: not enough arguments");
        assert_eq!(run("format", &[s("~q"), i(1)]), "ERR: format: unknown directive ~q");
        assert_eq!(run("escape-html", &[s("<a href=\"x\">'&'</a>")]), "\"&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;\"");
    }
}
