//! Conversions between reader data ([`frontend::Datum`]) and run-time values:
//! quoted data becomes values, and macro expansion results become datums again.

use crate::text::Text;
use crate::print::{is_keyword_name, repr};
use crate::value::{DictMap, List, Value};
use frontend::{Datum, DatumKind, Span};
use std::rc::Rc;

/// The value of quoted data: `( )` and `[ ]` lists become lists (a bracket list
/// remembers it was one, for [`value_to_datum`]), `{ }` dicts (keyword keys by
/// name), symbols and keywords are interned.
pub fn datum_to_value(d: &Datum) -> Value {
    match &d.kind {
        DatumKind::Nil => Value::Nil,
        DatumKind::Bool(b) => Value::Bool(*b),
        DatumKind::Int(i) => Value::Int(*i),
        DatumKind::Float(f) => Value::Float(*f),
        DatumKind::Str(s) => Value::str(s),
        DatumKind::Symbol(s) => Value::sym(s),
        DatumKind::Keyword(s) => Value::kw(s),
        DatumKind::List(items) => Value::list(items.iter().map(datum_to_value).collect()),
        DatumKind::Bracket(items) => {
            let l = List::from_vec(items.iter().map(datum_to_value).collect());
            l.bracket.set(true);
            Value::List(Rc::new(l))
        }
        DatumKind::Dict(items) => {
            let mut map = DictMap::default();
            for kv in items.chunks(2) {
                let key = match &kv[0].kind {
                    DatumKind::Str(s) | DatumKind::Keyword(s) | DatumKind::Symbol(s) => Text::new(s),
                    _ => Text::from_string(crate::print::display(&datum_to_value(&kv[0]))),
                };
                let v = kv.get(1).map_or(Value::Nil, datum_to_value);
                map.insert(key, v);
            }
            Value::dict_map(map)
        }
    }
}

/// The datum of a macro expansion result, every node carrying `span` (the macro
/// call's location). Lists become `( )` lists (`[ ]` when they came from a bracket
/// datum), dicts `{ }` with keyword keys where the key is a valid keyword name and
/// string keys otherwise. Functions, errors, elements and other run-time objects
/// have no datum: `Err` names the value.
pub fn value_to_datum(v: &Value, span: Span) -> Result<Datum, String> {
    to_datum(v, span, 0)
}

fn to_datum(v: &Value, span: Span, depth: usize) -> Result<Datum, String> {
    if depth > 2_000 {
        return Err("macro expansion is nested too deeply".into());
    }
    let kind = match v {
        Value::Nil => DatumKind::Nil,
        Value::Bool(b) => DatumKind::Bool(*b),
        Value::Int(i) => DatumKind::Int(*i),
        Value::Float(f) => DatumKind::Float(*f),
        Value::Str(s) => DatumKind::Str(s.s.to_string()),
        Value::Symbol(s) => DatumKind::Symbol(s.name().to_string()),
        Value::Keyword(s) => DatumKind::Keyword(s.name().to_string()),
        Value::List(l) => {
            let items = l.with_items(|xs| xs.iter().map(|x| to_datum(x, span, depth + 1)).collect::<Result<Vec<_>, _>>())?;
            if l.bracket.get() {
                DatumKind::Bracket(items)
            } else {
                DatumKind::List(items)
            }
        }
        Value::Dict(d) => {
            let mut items = Vec::new();
            for (k, x) in d.map.borrow().iter() {
                let key = if is_keyword_name(k) { DatumKind::Keyword(k.to_string()) } else { DatumKind::Str(k.to_string()) };
                items.push(Datum::new(key, span));
                items.push(to_datum(x, span, depth + 1)?);
            }
            DatumKind::Dict(items)
        }
        Value::Cell(c) => return to_datum(&c.borrow(), span, depth + 1),
        other => return Err(format!("macro expansion contains a value that is not code: {}", repr(other))),
    };
    Ok(Datum::new(kind, span))
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontend::FileId;

    fn sp() -> Span {
        Span::new(FileId(0), 1, 2)
    }

    fn d(kind: DatumKind) -> Datum {
        Datum::new(kind, sp())
    }

    #[test]
    fn quoted_data() {
        let q = d(DatumKind::List(vec![
            d(DatumKind::Int(1)),
            d(DatumKind::Bracket(vec![d(DatumKind::Symbol("x".into())), d(DatumKind::Float(2.0))])),
            d(DatumKind::Dict(vec![d(DatumKind::Keyword("a".into())), d(DatumKind::Str("s".into()))])),
            d(DatumKind::Keyword("k".into())),
            d(DatumKind::Nil),
            d(DatumKind::Bool(true)),
        ]));
        let v = datum_to_value(&q);
        assert_eq!(repr(&v), "(1 (x 2.0) {:a \"s\"} :k nil true)");
        let back = value_to_datum(&v, sp()).unwrap();
        assert_eq!(back, q);
    }

    #[test]
    fn non_code_values() {
        let e = value_to_datum(&crate::error::err("x"), sp()).unwrap_err();
        assert!(e.contains("#<error \"x\">"));
        let dict = Value::dict_from([("a b", Value::Int(1))]);
        let back = value_to_datum(&dict, sp()).unwrap();
        assert_eq!(back.kind, DatumKind::Dict(vec![d(DatumKind::Str("a b".into())), d(DatumKind::Int(1))]));
    }
}
