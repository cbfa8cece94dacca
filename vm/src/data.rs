//! `Data`: the portable, thread-safe form of storable values. What crosses
//! isolates (stored values, messages, IO requests and results) is `Data`, never
//! a [`crate::value::Value`].

/// A storable value: nil, booleans, numbers, strings, symbols, keywords, and
/// lists/dicts of storable values. Dict entries keep insertion order.
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Symbol(String),
    Keyword(String),
    List(Vec<Data>),
    Dict(Vec<(String, Data)>),
}
