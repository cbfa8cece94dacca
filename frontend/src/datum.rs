//! `Datum`: the reader's output, s-expressions with spans.

use crate::span::Span;

/// One s-expression with the span it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Datum {
    pub kind: DatumKind,
    pub span: Span,
}

/// The shapes a datum can take. Quote sugar is read as a two-element list
/// (`'x` => `(quote x)`, `` `x `` => `(quasiquote x)`, `,x` => `(unquote x)`,
/// `,@x` => `(splice-unquote x)`).
#[derive(Debug, Clone, PartialEq)]
pub enum DatumKind {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// A symbol, including namespaced (`persist/append`) and component (`~card`) names.
    Symbol(String),
    /// A keyword, without its leading colon (`:name` => `Keyword("name")`).
    Keyword(String),
    /// `( ... )`
    List(Vec<Datum>),
    /// `[ ... ]`: a list whose elements are evaluated (or a parameter/binding list).
    Bracket(Vec<Datum>),
    /// `{ k v ... }`: alternating keys and values, as written.
    Dict(Vec<Datum>),
}

impl Datum {
    pub fn new(kind: DatumKind, span: Span) -> Datum {
        Datum { kind, span }
    }
    pub fn sym(name: &str, span: Span) -> Datum {
        Datum::new(DatumKind::Symbol(name.to_string()), span)
    }
    pub fn list(items: Vec<Datum>, span: Span) -> Datum {
        Datum::new(DatumKind::List(items), span)
    }
    /// The symbol name, when this is a symbol.
    pub fn as_symbol(&self) -> Option<&str> {
        match &self.kind {
            DatumKind::Symbol(s) => Some(s),
            _ => None,
        }
    }
    /// The items of a `( )` or `[ ]` list.
    pub fn as_list(&self) -> Option<&[Datum]> {
        match &self.kind {
            DatumKind::List(v) | DatumKind::Bracket(v) => Some(v),
            _ => None,
        }
    }
}

impl Datum {
    /// A copy with every span (recursively) set to `Span::default()`, for
    /// comparing datums by shape only.
    pub fn without_spans(&self) -> Datum {
        let map = |v: &[Datum]| v.iter().map(Datum::without_spans).collect();
        let kind = match &self.kind {
            DatumKind::List(v) => DatumKind::List(map(v)),
            DatumKind::Bracket(v) => DatumKind::Bracket(map(v)),
            DatumKind::Dict(v) => DatumKind::Dict(map(v)),
            k => k.clone(),
        };
        Datum::new(kind, Span::default())
    }
}
