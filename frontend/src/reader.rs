//! The reader: SX source text -> [`Datum`]s with spans.
//!
//! Lexical syntax (LANGUAGE.md "Lexical syntax"):
//!
//! - whitespace separates tokens; `;` starts a comment to the end of the line;
//!   `#;` discards the next datum (which must still be well formed);
//! - numbers: `[+-]?DIGITS` is an integer (i64; outside that range is a read
//!   error), `[+-]?DIGITS(.DIGITS)?([eE][+-]?DIGITS)?` with a `.` or an exponent
//!   is a float. Any other token that starts with a digit, or with a sign or `.`
//!   followed by a digit (also `-.5`), is a malformed number;
//! - a UTF-8 byte order mark at the start of the file is skipped;
//! - strings `"..."` with escapes `\" \\ \n \t \r \uXXXX` (a UTF-16 surrogate
//!   pair written as two `\u` escapes is combined); any other escape is an error;
//! - symbols: letters (Unicode letters allowed), digits and
//!   `! $ % & * + - . / < = > ? @ ^ _ ~`, not starting with a digit;
//!   `true`, `false` and `nil` read as booleans and nil;
//! - keywords `:name` (the name uses symbol characters and may start with a digit);
//! - `( )` lists, `[ ]` brackets, `{ }` dicts (an even number of items);
//! - quote sugar `'x` `` `x `` `,x` `,@x` reads as `(quote x)`, `(quasiquote x)`,
//!   `(unquote x)`, `(splice-unquote x)`; the generated head symbol's span is the
//!   sugar character(s), the list's span covers the sugar and the datum.
//!
//! Every datum's span covers its whole text. Errors are [`Diagnostic`]s with these ids:
//!
//! | id | span | when |
//! |---|---|---|
//! | `read-unterminated-string` | opening `"` | end of file inside a string |
//! | `read-bad-escape` | the `\` | unknown escape, bad `\uXXXX` |
//! | `read-unbalanced-paren` | the closer, or the opener at end of file | stray or mismatched `)` `]` `}`, unclosed list |
//! | `read-int-overflow` | the literal | integer literal outside i64 |
//! | `read-bad-number` | the token | malformed number (`1abc`, `1.`, `2e`) |
//! | `read-bad-char` | the character | a character that cannot start or continue a token (`#x`, `|`, `\`) |
//! | `read-bad-keyword` | the `:` | `:` not followed by a name |
//! | `read-odd-dict` | the `{` | a dict with an odd number of items |
//! | `read-expected-datum` | the sugar / `#;` | quote sugar or `#;` not followed by a datum |
//! | `read-too-deep` | the opener | nesting deeper than [`MAX_DEPTH`] |

use crate::datum::{Datum, DatumKind};
use crate::diag::Diagnostic;
use crate::span::{FileId, SourceMap, Span};

/// Maximum nesting of lists, brackets, dicts and quote sugar (protects the stack).
pub const MAX_DEPTH: usize = 1000;

/// Reads every datum of `file`, in order.
///
/// Errors: the first read error, as a [`Diagnostic`] with one of the ids listed
/// in the module documentation and a span at the offending position.
pub fn read(map: &SourceMap, file: FileId) -> Result<Vec<Datum>, Diagnostic> {
    read_str(&map.file(file).text, file)
}

/// Reads every datum of `text`, attributing spans to `file` (which need not be
/// in any [`SourceMap`]; useful for tests and for reading generated text).
pub fn read_str(text: &str, file: FileId) -> Result<Vec<Datum>, Diagnostic> {
    // A UTF-8 byte order mark at the start is not part of the program.
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut r = Reader { src: text, pos: start, file, depth: 0 };
    let mut out = Vec::new();
    loop {
        r.skip_atmosphere()?;
        if r.pos >= r.src.len() {
            return Ok(out);
        }
        match r.datum()? {
            Some(d) => out.push(d),
            None => {
                let c = r.peek().unwrap();
                return Err(r.stray_closer(c));
            }
        }
    }
}

/// True when `c` may appear in a symbol (or keyword name).
pub fn is_symbol_char(c: char) -> bool {
    c.is_alphanumeric() || "!$%&*+-./<=>?@^_~".contains(c)
}

/// True when `name` would read back as the symbol `name` (not a number, boolean
/// or nil, and made of symbol characters only).
pub fn is_valid_symbol(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        None => return false,
        Some(c) if c.is_ascii_digit() || !is_symbol_char(c) => return false,
        _ => {}
    }
    if !name.chars().all(is_symbol_char) || matches!(name, "true" | "false" | "nil") {
        return false;
    }
    !looks_numeric(name)
}

/// True when `name` would read back as the keyword `:name`.
pub fn is_valid_keyword(name: &str) -> bool {
    !name.is_empty() && name.chars().all(is_symbol_char)
}

/// A token that must be read as a number (starts with a digit, or with a sign
/// or `.` followed by a digit, or with a sign, `.` and a digit).
fn looks_numeric(tok: &str) -> bool {
    let b = tok.as_bytes();
    match b.first() {
        Some(c) if c.is_ascii_digit() => true,
        Some(b'.') => b.get(1).is_some_and(|c| c.is_ascii_digit()),
        Some(b'+') | Some(b'-') => match b.get(1) {
            Some(c) if c.is_ascii_digit() => true,
            Some(b'.') => b.get(2).is_some_and(|c| c.is_ascii_digit()),
            _ => false,
        },
        _ => false,
    }
}

fn is_delimiter(c: char) -> bool {
    c.is_whitespace() || "()[]{}\"';`,".contains(c)
}

struct Reader<'a> {
    src: &'a str,
    pos: usize,
    file: FileId,
    depth: usize,
}

impl<'a> Reader<'a> {
    fn span(&self, lo: usize, hi: usize) -> Span {
        Span::new(self.file, lo as u32, hi as u32)
    }

    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek2(&self) -> Option<char> {
        let mut it = self.src[self.pos..].chars();
        it.next();
        it.next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn char_span(&self, at: usize) -> Span {
        let len = self.src[at..].chars().next().map_or(0, |c| c.len_utf8());
        self.span(at, at + len)
    }

    /// Skips whitespace, `;` comments and `#;` datum comments.
    fn skip_atmosphere(&mut self) -> Result<(), Diagnostic> {
        loop {
            match self.peek() {
                Some(c) if c.is_whitespace() => {
                    self.bump();
                }
                Some(';') => {
                    while let Some(c) = self.bump() {
                        if c == '\n' {
                            break;
                        }
                    }
                }
                Some('#') if self.peek2() == Some(';') => {
                    let lo = self.pos;
                    self.pos += 2;
                    self.skip_atmosphere()?;
                    if self.datum()?.is_none() {
                        return Err(self.expected_datum(lo, "#;"));
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn expected_datum(&self, lo: usize, what: &str) -> Diagnostic {
        let found = match self.peek() {
            None => "end of file".to_string(),
            Some(c) => format!("`{c}`"),
        };
        Diagnostic::new(
            "read-expected-datum",
            self.span(lo, lo + what.len()),
            format!("expected a datum after `{what}`, found {found}"),
        )
    }

    #[cold]
    #[inline(never)]
    fn stray_closer(&self, c: char) -> Diagnostic {
        Diagnostic::new(
            "read-unbalanced-paren",
            self.char_span(self.pos),
            format!("unexpected `{c}`: there is no open list to close"),
        )
    }

    /// Reads one datum after atmosphere has been skipped. Returns `None` at end of
    /// file or in front of a closing delimiter (which is left unread).
    fn datum(&mut self) -> Result<Option<Datum>, Diagnostic> {
        let lo = self.pos;
        let c = match self.peek() {
            None => return Ok(None),
            Some(c) => c,
        };
        let d = match c {
            ')' | ']' | '}' => return Ok(None),
            '(' => self.seq(')')?,
            '[' => self.seq(']')?,
            '{' => self.seq('}')?,
            '"' => self.string()?,
            '\'' => self.sugar("quote", 1)?,
            '`' => self.sugar("quasiquote", 1)?,
            ',' if self.peek2() == Some('@') => self.sugar("splice-unquote", 2)?,
            ',' => self.sugar("unquote", 1)?,
            ':' => self.keyword()?,
            c if is_symbol_char(c) => self.atom()?,
            _ => return Err(self.bad_char(lo, c)),
        };
        Ok(Some(d))
    }

    #[inline(never)]
    fn keyword(&mut self) -> Result<Datum, Diagnostic> {
        let lo = self.pos;
        self.bump();
        let name = self.token();
        if name.is_empty() {
            return Err(Diagnostic::new("read-bad-keyword", self.span(lo, lo + 1), "expected a keyword name after `:`"));
        }
        self.check_token_end()?;
        Ok(Datum::new(DatumKind::Keyword(name.to_string()), self.span(lo, self.pos)))
    }

    #[cold]
    #[inline(never)]
    fn bad_char(&self, lo: usize, c: char) -> Diagnostic {
        Diagnostic::new(
            "read-bad-char",
            self.char_span(lo),
            format!("unexpected character `{}`: expected a datum", c.escape_debug()),
        )
    }

    /// Consumes a run of symbol characters; errors on a non-delimiter, non-symbol char.
    fn token(&mut self) -> &'a str {
        let lo = self.pos;
        while let Some(c) = self.peek() {
            if !is_symbol_char(c) {
                break;
            }
            self.bump();
        }
        &self.src[lo..self.pos]
    }

    fn check_token_end(&self) -> Result<(), Diagnostic> {
        match self.peek() {
            Some(c) if !is_delimiter(c) => Err(Diagnostic::new(
                "read-bad-char",
                self.char_span(self.pos),
                format!(
                    "unexpected character `{}`: expected whitespace or a delimiter after a token",
                    c.escape_debug()
                ),
            )),
            _ => Ok(()),
        }
    }

    #[inline(never)]
    fn atom(&mut self) -> Result<Datum, Diagnostic> {
        let lo = self.pos;
        let tok = self.token();
        self.check_token_end()?;
        let span = self.span(lo, self.pos);
        let kind = if looks_numeric(tok) {
            parse_number(tok, span)?
        } else {
            match tok {
                "true" => DatumKind::Bool(true),
                "false" => DatumKind::Bool(false),
                "nil" => DatumKind::Nil,
                _ => DatumKind::Symbol(tok.to_string()),
            }
        };
        Ok(Datum::new(kind, span))
    }

    fn sugar(&mut self, head: &str, len: usize) -> Result<Datum, Diagnostic> {
        let lo = self.pos;
        let text = &self.src[lo..lo + len];
        self.pos += len;
        self.enter(lo)?;
        self.skip_atmosphere()?;
        let inner = match self.datum()? {
            Some(d) => d,
            None => return Err(self.expected_datum(lo, text)),
        };
        self.depth -= 1;
        let head = Datum::sym(head, self.span(lo, lo + len));
        let span = self.span(lo, inner.span.hi as usize);
        Ok(Datum::list(vec![head, inner], span))
    }

    fn enter(&mut self, lo: usize) -> Result<(), Diagnostic> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.too_deep(lo));
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn too_deep(&self, lo: usize) -> Diagnostic {
        Diagnostic::new("read-too-deep", self.char_span(lo), format!("expected at most {MAX_DEPTH} levels of nesting"))
    }

    #[cold]
    #[inline(never)]
    fn odd_dict(&self, lo: usize, n: usize) -> Diagnostic {
        Diagnostic::new(
            "read-odd-dict",
            self.char_span(lo),
            format!("expected an even number of items (key value ...) in a dict, found {n}"),
        )
    }

    /// End of file or a wrong closer inside a list opened at `lo`.
    #[cold]
    #[inline(never)]
    fn unclosed(&self, lo: usize, open: char, close: char, found: Option<char>) -> Diagnostic {
        match found {
            None => Diagnostic::new(
                "read-unbalanced-paren",
                self.char_span(lo),
                format!("expected `{close}` to close this `{open}`, found end of file"),
            )
            .with_label(self.span(self.pos, self.pos), "file ends here"),
            Some(c) => Diagnostic::new(
                "read-unbalanced-paren",
                self.char_span(self.pos),
                format!("expected `{close}` to close `{open}`, found `{c}`"),
            )
            .with_label(self.char_span(lo), format!("this `{open}` is unclosed")),
        }
    }

    fn seq(&mut self, close: char) -> Result<Datum, Diagnostic> {
        let lo = self.pos;
        let open = self.bump().unwrap();
        self.enter(lo)?;
        let mut items = Vec::new();
        loop {
            self.skip_atmosphere()?;
            match self.datum()? {
                Some(d) => items.push(d),
                None => match self.peek() {
                    Some(c) if c == close => {
                        self.bump();
                        break;
                    }
                    found => return Err(self.unclosed(lo, open, close, found)),
                },
            }
        }
        self.depth -= 1;
        let span = self.span(lo, self.pos);
        let kind = match close {
            ')' => DatumKind::List(items),
            ']' => DatumKind::Bracket(items),
            _ => {
                if items.len() % 2 == 1 {
                    return Err(self.odd_dict(lo, items.len()));
                }
                DatumKind::Dict(items)
            }
        };
        Ok(Datum::new(kind, span))
    }

    #[inline(never)]
    fn string(&mut self) -> Result<Datum, Diagnostic> {
        let lo = self.pos;
        self.bump();
        let mut s = String::new();
        loop {
            let at = self.pos;
            match self.bump() {
                None => {
                    return Err(Diagnostic::new(
                        "read-unterminated-string",
                        self.span(lo, lo + 1),
                        "expected `\"` to close this string, found end of file",
                    ))
                }
                Some('"') => break,
                Some('\\') => {
                    let c = self.escape(at)?;
                    s.push(c);
                }
                Some(c) => s.push(c),
            }
        }
        Ok(Datum::new(DatumKind::Str(s), self.span(lo, self.pos)))
    }

    #[cold]
    #[inline(never)]
    fn bad_escape(&self, at: usize, msg: String) -> Diagnostic {
        let hi = self.pos.max(at + 1);
        Diagnostic::new("read-bad-escape", self.span(at, hi), msg)
    }

    /// Reads the escape after a `\` at byte `at`.
    fn escape(&mut self, at: usize) -> Result<char, Diagnostic> {
        match self.bump() {
            Some('"') => Ok('"'),
            Some('\\') => Ok('\\'),
            Some('n') => Ok('\n'),
            Some('t') => Ok('\t'),
            Some('r') => Ok('\r'),
            Some('u') => {
                let hi = self.hex4(at)?;
                if (0xD800..0xDC00).contains(&hi) {
                    // A high surrogate must be followed by `\u` + low surrogate.
                    if self.src[self.pos..].starts_with("\\u") {
                        self.pos += 2;
                        let lo = self.hex4(at)?;
                        if (0xDC00..0xE000).contains(&lo) {
                            let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                            return Ok(char::from_u32(c).unwrap());
                        }
                    }
                    return Err(self.bad_escape(
                        at,
                        format!("expected a low surrogate `\\uDC00`-`\\uDFFF` after `\\u{hi:04X}`"),
                    ));
                }
                char::from_u32(hi).ok_or_else(|| {
                    self.bad_escape(at, format!("`\\u{hi:04X}` is not a Unicode scalar value"))
                })
            }
            Some(c) => Err(self.bad_escape(
                at,
                format!(
                    "unknown escape `\\{}`: expected one of \\\" \\\\ \\n \\t \\r \\uXXXX",
                    c.escape_debug()
                ),
            )),
            None => Err(self.bad_escape(at, "expected an escape character after `\\`, found end of file".into())),
        }
    }

    fn hex4(&mut self, at: usize) -> Result<u32, Diagnostic> {
        let mut v = 0u32;
        for _ in 0..4 {
            match self.peek().and_then(|c| c.to_digit(16)) {
                Some(d) => {
                    self.bump();
                    v = v * 16 + d;
                }
                None => {
                    return Err(self.bad_escape(at, "expected four hex digits after `\\u`".into()));
                }
            }
        }
        Ok(v)
    }
}

/// Parses a numeric token (`looks_numeric` holds).
fn parse_number(tok: &str, span: Span) -> Result<DatumKind, Diagnostic> {
    let bad = || {
        Diagnostic::new(
            "read-bad-number",
            span,
            format!("malformed number `{tok}`: expected digits with an optional `.digits` and `e[+-]digits`"),
        )
    };
    let b = tok.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let s = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - s
    };
    if digits(&mut i) == 0 {
        return Err(bad());
    }
    let mut is_float = false;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        is_float = true;
        if digits(&mut i) == 0 {
            return Err(bad());
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        is_float = true;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return Err(bad());
        }
    }
    if i != b.len() {
        return Err(bad());
    }
    if is_float {
        tok.parse::<f64>().map(DatumKind::Float).map_err(|_| bad())
    } else {
        tok.parse::<i64>().map(DatumKind::Int).map_err(|_| {
            Diagnostic::new(
                "read-int-overflow",
                span,
                format!(
                    "integer literal `{tok}` is outside the 64-bit range {}..={}; write a float (`{tok}.0`) instead",
                    i64::MIN,
                    i64::MAX
                ),
            )
        })
    }
}
