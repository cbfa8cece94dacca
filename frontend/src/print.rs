//! Readable printing of [`Datum`]s, and the float / string literal formats that
//! the runtime reuses for value printing.
//!
//! `read(print(d)) == d` (ignoring spans) for every datum whose symbols and
//! keywords are valid names ([`crate::reader::is_valid_symbol`]) and whose
//! floats are finite. Two-element lists headed by `quote`, `quasiquote`,
//! `unquote` and `splice-unquote` print with their sugar (`'x`, `` `x ``, `,x`,
//! `,@x`), which reads back as the same list.

use crate::datum::{Datum, DatumKind};
use std::fmt;

/// Formats a float by LANGUAGE.md's rule: the shortest digits that read back as
/// the same float; decimal notation with a `.` when `x` is zero or
/// `1e-6 <= |x| < 1e21` (`1.0`, `100.0`, `0.25`, `0.000001`, `-0.0`), otherwise
/// exponent notation without `+` or leading zeros (`1e21`, `1.5e-7`); `inf`,
/// `-inf`, `nan`.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0".into() } else { "0.0".into() };
    }
    let a = f.abs();
    if !(1e-6..1e21).contains(&a) {
        // Rust's `{:e}` is shortest round-trip: `1e21`, `1.5e-7`, `-2.5e300`.
        return format!("{f:e}");
    }
    // Shortest digits and decimal exponent from `{:e}`: d.ddd e E.
    let e = format!("{a:e}");
    let (mant, exp) = e.split_once('e').unwrap();
    let exp: i32 = exp.parse().unwrap();
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let mut out = String::new();
    if f < 0.0 {
        out.push('-');
    }
    if exp >= 0 {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', int_len - digits.len()));
            out.push_str(".0");
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
        out.push_str(&digits);
    }
    out
}

/// Appends `s` as a quoted string literal: `"` and `\` are escaped, newline,
/// tab and carriage return as `\n` `\t` `\r`, other control characters as
/// `\uXXXX`; everything else (including non-ASCII) is written as is.
pub fn write_string_literal(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{:04X}", u));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The readable text of a datum (same as `datum.to_string()`).
pub fn print_datum(d: &Datum) -> String {
    let mut out = String::new();
    write_datum(d, &mut out);
    out
}

fn sugar_of(items: &[Datum]) -> Option<&'static str> {
    if items.len() != 2 {
        return None;
    }
    match items[0].as_symbol()? {
        "quote" => Some("'"),
        "quasiquote" => Some("`"),
        // `(unquote @x)` must not print as `,@x`.
        "unquote" if items[1].as_symbol().is_some_and(|s| s.starts_with('@')) => None,
        "unquote" => Some(","),
        "splice-unquote" => Some(",@"),
        _ => None,
    }
}

fn write_seq(items: &[Datum], open: char, close: char, out: &mut String) {
    out.push(open);
    for (i, d) in items.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_datum(d, out);
    }
    out.push(close);
}

/// Appends the readable text of `d` to `out`.
pub fn write_datum(d: &Datum, out: &mut String) {
    match &d.kind {
        DatumKind::Nil => out.push_str("nil"),
        DatumKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        DatumKind::Int(i) => out.push_str(&i.to_string()),
        DatumKind::Float(f) => out.push_str(&format_float(*f)),
        DatumKind::Str(s) => write_string_literal(s, out),
        DatumKind::Symbol(s) => out.push_str(s),
        DatumKind::Keyword(k) => {
            out.push(':');
            out.push_str(k);
        }
        DatumKind::List(items) => match sugar_of(items) {
            Some(sugar) => {
                out.push_str(sugar);
                write_datum(&items[1], out);
            }
            None => write_seq(items, '(', ')', out),
        },
        DatumKind::Bracket(items) => write_seq(items, '[', ']', out),
        DatumKind::Dict(items) => write_seq(items, '{', '}', out),
    }
}

impl fmt::Display for Datum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&print_datum(self))
    }
}

/// Prints a sequence of datums one per line (the `--stage expanded` dump format).
pub fn print_program(forms: &[Datum]) -> String {
    let mut out = String::new();
    for d in forms {
        write_datum(d, &mut out);
        out.push('\n');
    }
    out
}
