//! JSON for `json-encode` / `json-decode` (LANGUAGE.md "Conversion").
//!
//! Encoding is compact, keeps dict keys in order, leaves non-ASCII text
//! unescaped, writes control characters as `\n`, `\t` or `\u00XX`, floats in
//! their readable form (`1.0`, `1e21`), keywords and symbols as strings of their
//! name; anything else (functions, errors, elements, non-finite floats) raises
//! `json-encode: cannot encode REPR`. Decoding maps objects to dicts, arrays to
//! lists, `null` to nil; integers (no fraction or exponent, in i64 range) stay
//! integers, other numbers are floats.

use crate::text::Text;
use crate::error::err;
use crate::print::{repr, write_float};
use crate::value::{DictMap, Value};
use std::fmt::Write;

const MAX_DEPTH: usize = 1_000;

/// Encodes `v` as compact JSON.
pub fn encode(v: &Value) -> Result<String, Value> {
    let mut out = String::new();
    encode_into(v, &mut out, 0)?;
    Ok(out)
}

/// Appends `s` as a JSON string literal.
pub fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn encode_into(v: &Value, out: &mut String, depth: usize) -> Result<(), Value> {
    if depth > MAX_DEPTH {
        return Err(err("json-encode: nesting too deep"));
    }
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) if f.is_finite() => write_float(*f, out),
        Value::Str(s) => write_json_string(&s.s, out),
        Value::Keyword(k) | Value::Symbol(k) => write_json_string(k.name(), out),
        Value::List(l) => {
            out.push('[');
            l.with_items(|xs| {
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    encode_into(x, out, depth + 1)?;
                }
                Ok::<(), Value>(())
            })?;
            out.push(']');
        }
        Value::Dict(d) => {
            out.push('{');
            for (i, (k, x)) in d.map.borrow().iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(k, out);
                out.push(':');
                encode_into(x, out, depth + 1)?;
            }
            out.push('}');
        }
        other => return Err(err(format!("json-encode: cannot encode {}", repr(other)))),
    }
    Ok(())
}

/// Decodes JSON text (surrounding whitespace allowed).
pub fn decode(text: &str) -> Result<Value, Value> {
    let mut p = Parser { s: text.as_bytes(), text, i: 0 };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(p.unexpected());
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn unexpected(&self) -> Value {
        match self.text[self.i.min(self.text.len())..].chars().next() {
            None => err("json-decode: unexpected end of input"),
            Some(c) => err(format!("json-decode: unexpected character {c:?} at position {}", self.i)),
        }
    }

    fn eat(&mut self, b: u8) -> Result<(), Value> {
        if self.s.get(self.i) == Some(&b) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn lit(&mut self, word: &str, v: Value) -> Result<Value, Value> {
        if self.s[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.unexpected())
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, Value> {
        if depth > MAX_DEPTH {
            return Err(err("json-decode: nesting too deep"));
        }
        match self.s.get(self.i) {
            None => Err(self.unexpected()),
            Some(b'n') => self.lit("null", Value::Nil),
            Some(b't') => self.lit("true", Value::Bool(true)),
            Some(b'f') => self.lit("false", Value::Bool(false)),
            Some(b'"') => Ok(Value::string(self.string()?)),
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Value::list(items));
                }
                loop {
                    self.ws();
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Value::list(items));
                        }
                        _ => return Err(self.unexpected()),
                    }
                }
            }
            Some(b'{') => {
                self.i += 1;
                let mut map = DictMap::default();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Value::dict_map(map));
                }
                loop {
                    self.ws();
                    if self.s.get(self.i) != Some(&b'"') {
                        return Err(self.unexpected());
                    }
                    let k = self.string()?;
                    self.ws();
                    self.eat(b':')?;
                    self.ws();
                    let v = self.value(depth + 1)?;
                    if let Some(slot) = map.get_mut(k.as_str()) {
                        *slot = v;
                    } else {
                        map.insert(Text::new(&k), v);
                    }
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Value::dict_map(map));
                        }
                        _ => return Err(self.unexpected()),
                    }
                }
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.unexpected()),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<Value, Value> {
        let start = self.i;
        if self.s[self.i] == b'-' {
            self.i += 1;
        }
        let int_start = self.i;
        let n = self.digits();
        if n == 0 || (n > 1 && self.s[int_start] == b'0') {
            self.i = int_start + usize::from(n > 0);
            return Err(self.unexpected());
        }
        let mut is_float = false;
        if self.s.get(self.i) == Some(&b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.unexpected());
            }
            is_float = true;
        }
        if matches!(self.s.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.s.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.unexpected());
            }
            is_float = true;
        }
        let text = &self.text[start..self.i];
        if !is_float {
            if let Ok(i) = text.parse::<i64>() {
                return Ok(Value::Int(i));
            }
        }
        text.parse::<f64>().map(Value::Float).map_err(|_| err("json-decode: invalid number"))
    }

    fn hex4(&mut self) -> Result<u32, Value> {
        let h = self.text.get(self.i..self.i + 4).ok_or_else(|| err("json-decode: unexpected end of input"))?;
        let v = u32::from_str_radix(h, 16).map_err(|_| err(format!("json-decode: invalid \\u escape at position {}", self.i)))?;
        self.i += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<String, Value> {
        self.i += 1; // opening quote
        let mut out = String::new();
        loop {
            let start = self.i;
            while self.i < self.s.len() && !matches!(self.s[self.i], b'"' | b'\\') && self.s[self.i] >= 0x20 {
                self.i += 1;
            }
            out.push_str(&self.text[start..self.i]);
            match self.s.get(self.i) {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = *self.s.get(self.i).ok_or_else(|| err("json-decode: unexpected end of input"))?;
                    self.i += 1;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let mut cp = self.hex4()?;
                            if (0xD800..0xDC00).contains(&cp) && self.s[self.i..].starts_with(b"\\u") {
                                let save = self.i;
                                self.i += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                                } else {
                                    self.i = save;
                                }
                            }
                            out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                        }
                        _ => {
                            self.i -= 1;
                            return Err(self.unexpected());
                        }
                    }
                }
                _ => return Err(self.unexpected()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::equal::equal;

    fn rt(text: &str) -> String {
        encode(&decode(text).unwrap()).unwrap()
    }

    #[test]
    fn encoding() {
        let v = Value::dict_from([
            ("b", Value::Int(1)),
            ("a", Value::list(vec![Value::Float(1.0), Value::Float(0.5), Value::Nil, Value::Bool(true)])),
            ("s", Value::str("é\"\\\n\t\r\u{1}")),
            ("k", Value::kw("kw")),
            ("y", Value::sym("sym")),
            ("big", Value::Float(1e21)),
        ]);
        assert_eq!(
            encode(&v).unwrap(),
            r#"{"b":1,"a":[1.0,0.5,null,true],"s":"é\"\\\n\t\u000d\u0001","k":"kw","y":"sym","big":1e21}"#
        );
        assert_eq!(encode(&Value::Float(f64::NAN)).unwrap_err().type_name(), "error");
        let e = encode(&crate::error::err("x")).unwrap_err();
        assert_eq!(crate::error::error_message(&e), "json-encode: cannot encode #<error \"x\">");
    }

    #[test]
    fn decoding() {
        let v = decode(r#" {"a": [1, 2.5, -3, 1e2, null, true, false], "b": {"c": "x\u00e9\ud83d\ude00\n"}, "a2": -0} "#).unwrap();
        assert_eq!(crate::print::repr(&v), "{:a (1 2.5 -3 100.0 nil true false) :b {:c \"xé😀\\n\"} :a2 0}");
        assert_eq!(crate::print::repr(&decode("12345678901234567890").unwrap()), "12345678901234567000.0");
        assert_eq!(crate::print::repr(&decode(r#"{"a":1,"a":2}"#).unwrap()), "{:a 2}");
        for bad in ["", "[1,]", "{\"a\" 1}", "01", "1.", "tru", "\"abc", "[1] x", "{1:2}", "\"\\x\"", "-"] {
            assert!(decode(bad).is_err(), "{bad}");
        }
        assert_eq!(crate::error::error_message(&decode("[1,]").unwrap_err()), "json-decode: unexpected character ']' at position 3");
    }

    #[test]
    fn round_trips() {
        for t in [r#"{"z":1,"a":[true,null,"s"],"m":{}}"#, "[]", "[1.5,-0.0,1e-7,3]", r#""\u0000""#, r#"{"k":"é"}"#] {
            assert_eq!(rt(t), t);
        }
        let v = Value::list(vec![Value::Int(i64::MIN), Value::Float(0.1), Value::str("x")]);
        assert!(equal(&decode(&encode(&v).unwrap()).unwrap(), &v));
    }
}
