//! `Data`: the portable, thread-safe form of storable values. What crosses
//! isolates (stored values, messages, IO requests and results) is `Data`, never
//! a [`crate::value::Value`].

use crate::text::Text;
use crate::error::{cannot_send, cannot_store};
use crate::value::{DictMap, Value};

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
    /// A process id. Only messages carry pids ([`Data::from_message`]);
    /// [`Data::from_value`] refuses them, so nothing stored holds one.
    Pid(u64),
}

const MAX_DEPTH: usize = 1_000;

impl Data {
    /// Copies a storable value out of the heap. Anything else (a function, error,
    /// element, pid, component, or data nested deeper than 1,000 levels — which
    /// includes cyclic data) gives the error value `OP: cannot store REPR`, with
    /// REPR the offending value, e.g. `kv/put: cannot store #<lambda f>`.
    pub fn from_value(v: &Value, op: &str) -> Result<Data, Value> {
        from_at(v, op, 0, false)
    }

    /// Copies a message out of the heap (what `send`, `call` and `reply`
    /// transmit): a storable value that may also hold pids. Anything else
    /// gives `OP: cannot send REPR`.
    pub fn from_message(v: &Value, op: &str) -> Result<Data, Value> {
        from_at(v, op, 0, true)
    }

    /// A fresh heap value equal to this data, with the same types (an integer
    /// stays an integer, `1.0` stays a float).
    pub fn to_value(&self) -> Value {
        match self {
            Data::Nil => Value::Nil,
            Data::Bool(b) => Value::Bool(*b),
            Data::Int(i) => Value::Int(*i),
            Data::Float(f) => Value::Float(*f),
            Data::Str(s) => Value::str(s),
            Data::Symbol(s) => Value::sym(s),
            Data::Keyword(s) => Value::kw(s),
            Data::List(xs) => Value::list(xs.iter().map(Data::to_value).collect()),
            Data::Dict(entries) => {
                let mut map = DictMap::with_capacity(entries.len());
                for (k, x) in entries {
                    map.insert(Text::new(k.as_str()), x.to_value());
                }
                Value::dict_map(map)
            }
            Data::Pid(p) => Value::Pid(*p),
        }
    }

    /// A string's text, when this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Data::Str(s) => Some(s),
            _ => None,
        }
    }
}

fn from_at(v: &Value, op: &str, depth: usize, message: bool) -> Result<Data, Value> {
    let refuse = |v: &Value| if message { cannot_send(op, v) } else { cannot_store(op, v) };
    if depth > MAX_DEPTH {
        return Err(refuse(v));
    }
    Ok(match v {
        Value::Nil => Data::Nil,
        Value::Bool(b) => Data::Bool(*b),
        Value::Int(i) => Data::Int(*i),
        Value::Float(f) => Data::Float(*f),
        Value::Str(s) => Data::Str(s.s.to_string()),
        Value::Symbol(s) => Data::Symbol(s.name().to_string()),
        Value::Keyword(s) => Data::Keyword(s.name().to_string()),
        Value::List(l) => {
            Data::List(l.with_items(|xs| xs.iter().map(|x| from_at(x, op, depth + 1, message)).collect::<Result<_, _>>())?)
        }
        Value::Dict(d) => Data::Dict(
            d.map
                .borrow()
                .iter()
                .map(|(k, x)| Ok((k.to_string(), from_at(x, op, depth + 1, message)?)))
                .collect::<Result<_, Value>>()?,
        ),
        Value::Pid(p) if message => Data::Pid(*p),
        other => return Err(refuse(other)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::error_message;
    use proptest::prelude::*;

    fn arb_data() -> impl Strategy<Value = Data> {
        let leaf = prop_oneof![
            Just(Data::Nil),
            any::<bool>().prop_map(Data::Bool),
            any::<i64>().prop_map(Data::Int),
            any::<f64>().prop_filter("nan != nan", |f| !f.is_nan()).prop_map(Data::Float),
            ".{0,8}".prop_map(Data::Str),
            "[a-z][a-z0-9-]{0,6}".prop_map(Data::Symbol),
            "[a-z][a-z0-9-]{0,6}".prop_map(Data::Keyword),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Data::List),
                prop::collection::vec(("[a-z ]{0,5}", inner), 0..6).prop_map(|entries| {
                    // dict keys are unique; keep the first occurrence of each
                    let mut seen = std::collections::HashSet::new();
                    Data::Dict(entries.into_iter().filter(|(k, _)| seen.insert(k.clone())).collect())
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn data_round_trips(d in arb_data()) {
            let v = d.to_value();
            prop_assert_eq!(Data::from_value(&v, "test").unwrap(), d);
        }
    }

    fn readable(d: &Data) -> bool {
        match d {
            Data::Float(f) => f.is_finite(),
            Data::Symbol(s) => !matches!(s.as_str(), "nil" | "true" | "false"),
            Data::List(xs) => xs.iter().all(readable),
            Data::Dict(es) => es.iter().all(|(_, x)| readable(x)),
            _ => true,
        }
    }

    proptest! {
        /// `repr` is readable: the frontend reader reads it back as the same data
        /// (same types), for every storable value without non-finite floats.
        #[test]
        fn repr_reads_back(d in arb_data().prop_filter("readable", readable)) {
            let v = d.to_value();
            let text = crate::print::repr(&v);
            let datums = frontend::reader::read_str(&text, frontend::FileId(0)).map_err(|e| TestCaseError::fail(format!("{text}: {}", e.message)))?;
            prop_assert_eq!(datums.len(), 1, "{}", text);
            let back = crate::convert::datum_to_value(&datums[0]);
            prop_assert_eq!(Data::from_value(&back, "t").unwrap(), d, "{}", text);
        }

        /// JSON round trip for JSON-shaped data (no symbols/keywords, finite floats).
        #[test]
        fn json_round_trip(d in arb_data().prop_filter("json", |d| readable(d) && json_shaped(d))) {
            let v = d.to_value();
            let text = crate::json::encode(&v).unwrap();
            let back = crate::json::decode(&text).unwrap();
            prop_assert_eq!(Data::from_value(&back, "t").unwrap(), d, "{}", text);
        }
    }

    fn json_shaped(d: &Data) -> bool {
        match d {
            Data::Symbol(_) | Data::Keyword(_) => false,
            Data::List(xs) => xs.iter().all(json_shaped),
            Data::Dict(es) => es.iter().all(|(_, x)| json_shaped(x)),
            _ => true,
        }
    }

    #[test]
    fn types_survive() {
        let d = Data::List(vec![Data::Int(1), Data::Float(1.0), Data::Keyword("k".into()), Data::Symbol("s".into())]);
        assert_eq!(crate::print::repr(&d.to_value()), "(1 1.0 :k s)");
        assert_eq!(Data::from_value(&d.to_value(), "x").unwrap(), d);
    }

    #[test]
    fn non_storable() {
        let v = Value::list(vec![Value::Int(1), crate::error::err("e")]);
        let e = Data::from_value(&v, "kv/put").unwrap_err();
        assert_eq!(error_message(&e), "kv/put: cannot store #<error \"e\">");
        let p = Value::Prim(crate::prims::lookup("+").unwrap());
        assert_eq!(error_message(&Data::from_value(&p, "kv/put").unwrap_err()), "kv/put: cannot store #<lambda +>");
    }
}
