//! Dict primitives. Keys are strings; a keyword key is stored by its name.
//! `assoc`/`dissoc`/`merge` return new dicts (updating their first argument
//! in place when it is passed owned and unshared, see [`super::Consume`]);
//! `dict-set!`/`dict-delete!` mutate.

use crate::text::Text;
use super::{def, def_consuming, dict_arg, key_arg, ConsumedArg, PrimDef, PrimResult};
use crate::ctx::Ctx;
use crate::error::{err, type_err};
use crate::value::{Dict, DictMap, Value};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// The dict primitives.
pub const DEFS: &[PrimDef] = &[
    def("dict", 0, -1, false, dict),
    def("%dict", 0, -1, false, dict),
    def("get", 2, 3, false, get),
    def("get-in", 2, 3, false, get_in),
    def_consuming("assoc", 3, -1, assoc, ConsumedArg::First, assoc_owned),
    def_consuming("dissoc", 1, -1, dissoc, ConsumedArg::First, dissoc_owned),
    def_consuming("merge", 0, -1, merge, ConsumedArg::First, merge_owned),
    def("keys", 1, 1, false, keys),
    def("vals", 1, 1, false, vals),
    def("has-key?", 2, 2, true, has_key),
    def("dict-set!", 3, 3, false, dict_set),
    def("dict-delete!", 2, 2, false, dict_delete),
];

fn pairs_into(name: &str, map: &mut DictMap, kvs: &[Value]) -> Result<(), Value> {
    if kvs.len() & 1 == 1 {
        return Err(err(format!("{name}: expected an even number of key/value arguments, got {}", kvs.len())));
    }
    for kv in kvs.chunks_exact(2) {
        let k = key_arg(name, &kv[0])?;
        if let Some(slot) = map.get_mut(k) {
            *slot = kv[1].clone();
        } else {
            map.insert(Text::new(k), kv[1].clone());
        }
    }
    Ok(())
}

fn dict(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let mut map = DictMap::with_capacity(a.len() / 2);
    pairs_into("dict", &mut map, a)?;
    Ok(Value::dict_map(map))
}

/// One step of `get`: `Some(value)` when `key` is present in `coll`.
pub fn lookup(coll: &Value, key: &Value) -> Option<Value> {
    match coll {
        Value::Dict(d) => key.key_str().and_then(|k| d.get(k)),
        Value::List(l) => match key {
            Value::Int(i) if *i >= 0 => l.get(*i as usize),
            _ => None,
        },
        Value::Str(s) => match key {
            Value::Int(i) if *i >= 0 => s.s.chars().nth(*i as usize).map(|c| Value::string(c.to_string())),
            _ => None,
        },
        _ => None,
    }
}

fn get(_: &mut Ctx, a: &[Value]) -> PrimResult {
    // fast path: dict with string or keyword key
    if let Value::Dict(d) = &a[0] {
        if let Some(k) = a[1].key_str() {
            if let Some(v) = d.map.borrow().get(k) {
                return Ok(v.clone());
            }
            return Ok(a.get(2).cloned().unwrap_or(Value::Nil));
        }
    }
    Ok(lookup(&a[0], &a[1]).or_else(|| a.get(2).cloned()).unwrap_or(Value::Nil))
}

fn get_in(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let default = a.get(2).cloned().unwrap_or(Value::Nil);
    let path = match &a[1] {
        Value::List(l) => l.to_vec(),
        Value::Nil => Vec::new(),
        other => return Err(type_err("get-in", "list", other)),
    };
    let mut cur = a[0].clone();
    for k in &path {
        match lookup(&cur, k) {
            Some(v) => cur = v,
            None => return Ok(default),
        }
    }
    Ok(cur)
}

/// The dict an update starts from: `d` itself when the caller gave its only
/// reference (then it is changed in place), else a copy (`nil` is empty).
fn owned_dict(name: &str, d: Value) -> Result<Rc<Dict>, Value> {
    match d {
        Value::Dict(d) if Rc::strong_count(&d) == 1 => Ok(d),
        Value::Dict(d) => Ok(Rc::new(Dict { map: RefCell::new(d.clone_map()), gc_buffered: Cell::new(false) })),
        Value::Nil => Ok(Rc::new(Dict::new())),
        other => Err(type_err(name, "dict", &other)),
    }
}

fn assoc(ctx: &mut Ctx, a: &[Value]) -> PrimResult {
    assoc_owned(ctx, a[0].clone(), &a[1..])
}

fn assoc_owned(_: &mut Ctx, d: Value, kvs: &[Value]) -> PrimResult {
    let d = owned_dict("assoc", d)?;
    pairs_into("assoc", &mut d.map.borrow_mut(), kvs)?;
    Ok(Value::Dict(d))
}

fn dissoc(ctx: &mut Ctx, a: &[Value]) -> PrimResult {
    dissoc_owned(ctx, a[0].clone(), &a[1..])
}

fn dissoc_owned(_: &mut Ctx, d: Value, ks: &[Value]) -> PrimResult {
    let d = owned_dict("dissoc", d)?;
    {
        let mut map = d.map.borrow_mut();
        for k in ks {
            map.shift_remove(key_arg("dissoc", k)?);
        }
    }
    Ok(Value::Dict(d))
}

fn merge(ctx: &mut Ctx, a: &[Value]) -> PrimResult {
    match a.split_first() {
        Some((d, rest)) => merge_owned(ctx, d.clone(), rest),
        None => Ok(Value::dict_map(DictMap::default())),
    }
}

fn merge_owned(_: &mut Ctx, d: Value, others: &[Value]) -> PrimResult {
    let d = owned_dict("merge", d)?;
    {
        let mut map = d.map.borrow_mut();
        for o in others {
            match o {
                Value::Dict(o) => {
                    for (k, v) in o.map.borrow().iter() {
                        if let Some(slot) = map.get_mut(k) {
                            *slot = v.clone();
                        } else {
                            map.insert(k.clone(), v.clone());
                        }
                    }
                }
                Value::Nil => {}
                other => return Err(type_err("merge", "dict", other)),
            }
        }
    }
    Ok(Value::Dict(d))
}

fn keys(_: &mut Ctx, a: &[Value]) -> PrimResult {
    match &a[0] {
        Value::Nil => Ok(Value::empty_list()),
        v => {
            let d = dict_arg("keys", v)?;
            Ok(Value::list(d.map.borrow().keys().map(|k| Value::str(k)).collect()))
        }
    }
}

fn vals(_: &mut Ctx, a: &[Value]) -> PrimResult {
    match &a[0] {
        Value::Nil => Ok(Value::empty_list()),
        v => Ok(Value::list(dict_arg("vals", v)?.values())),
    }
}

fn has_key(_: &mut Ctx, a: &[Value]) -> PrimResult {
    if let (Value::Dict(d), Value::Str(k)) = (&a[0], &a[1]) {
        return Ok(Value::Bool(d.map.borrow().contains_key(&*k.s)));
    }
    match &a[0] {
        Value::Nil => Ok(Value::Bool(false)),
        v => {
            let d = dict_arg("has-key?", v)?;
            Ok(Value::Bool(a[1].key_str().is_some_and(|k| d.contains_key(k))))
        }
    }
}

fn dict_set(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let d = dict_arg("dict-set!", &a[0])?;
    match d.put_value(&a[1], a[2].clone()) {
        Some(()) => Ok(Value::Nil),
        None => Err(key_arg("dict-set!", &a[1]).err().unwrap_or(Value::Nil)),
    }
}

fn dict_delete(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let d = dict_arg("dict-delete!", &a[0])?;
    let k = key_arg("dict-delete!", &a[1])?;
    d.delete(k);
    Ok(Value::Nil)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use crate::prims::call_named;
    use crate::print::repr;
    use crate::value::Value;

    fn kw(x: &str) -> Value {
        Value::kw(x)
    }

    #[test]
    fn construction_and_access() {
        assert_eq!(run("dict", &[kw("a"), i(1), s("b c"), i(2)]), "{:a 1 \"b c\" 2}");
        assert_eq!(run("dict", &[]), "{}");
        assert_eq!(run("dict", &[kw("a")]), "ERR: dict: expected an even number of key/value arguments, got 1");
        assert_eq!(run("dict", &[i(1), i(2)]), "ERR: dict: expected string or keyword, got 1");
        assert_eq!(run("%dict", &[kw("a"), i(1), kw("a"), i(2)]), "{:a 2}");
        let d = Value::dict_from([("a", i(1)), ("n", Value::Nil)]);
        assert_eq!(run("get", &[d.clone(), kw("a")]), "1");
        assert_eq!(run("get", &[d.clone(), s("a")]), "1");
        assert_eq!(run("get", &[d.clone(), kw("z")]), "nil");
        assert_eq!(run("get", &[d.clone(), kw("z"), i(0)]), "0");
        assert_eq!(run("get", &[d.clone(), kw("n"), i(0)]), "nil");
        assert_eq!(run("get", &[ints(&[5, 6]), i(1)]), "6");
        assert_eq!(run("get", &[ints(&[5, 6]), i(2), s("d")]), "\"d\"");
        assert_eq!(run("get", &[ints(&[5, 6]), i(-1), s("d")]), "\"d\"");
        assert_eq!(run("get", &[Value::Nil, kw("a"), i(3)]), "3");
        let nested = Value::dict_from([("a", Value::dict_from([("b", ints(&[7, 8]))]))]);
        assert_eq!(run("get-in", &[nested.clone(), l(vec![kw("a"), kw("b"), i(1)])]), "8");
        assert_eq!(run("get-in", &[nested.clone(), l(vec![kw("a"), kw("x"), i(1)]), s("no")]), "\"no\"");
        assert_eq!(run("get-in", &[nested.clone(), l(vec![])]), repr(&nested));
    }

    #[test]
    fn functional_updates() {
        let d = Value::dict_from([("a", i(1)), ("b", i(2))]);
        assert_eq!(run("assoc", &[d.clone(), kw("c"), i(3), kw("a"), i(9)]), "{:a 9 :b 2 :c 3}");
        assert_eq!(run("dissoc", &[d.clone(), kw("a")]), "{:b 2}");
        assert_eq!(run("merge", &[d.clone(), Value::dict_from([("c", i(3)), ("a", i(0))]), Value::Nil]), "{:a 0 :b 2 :c 3}");
        assert_eq!(repr(&d), "{:a 1 :b 2}", "originals unchanged");
        assert_eq!(run("keys", &[d.clone()]), "(\"a\" \"b\")");
        assert_eq!(run("vals", &[d.clone()]), "(1 2)");
        assert_eq!(run("has-key?", &[d.clone(), kw("a")]), "true");
        assert_eq!(run("has-key?", &[d.clone(), s("z")]), "false");
        assert_eq!(run("assoc", &[Value::Nil, kw("a"), i(1)]), "{:a 1}");
    }

    #[test]
    fn mutation_order() {
        let mut c = ctx();
        let d = Value::dict_from([("a", i(1)), ("b", i(2)), ("c", i(3))]);
        call_named(&mut c, "dict-set!", &[d.clone(), kw("a"), i(10)]).unwrap();
        assert_eq!(repr(&d), "{:a 10 :b 2 :c 3}");
        call_named(&mut c, "dict-delete!", &[d.clone(), kw("a")]).unwrap();
        assert_eq!(repr(&d), "{:b 2 :c 3}");
        call_named(&mut c, "dict-set!", &[d.clone(), s("a"), i(5)]).unwrap();
        assert_eq!(repr(&d), "{:b 2 :c 3 :a 5}");
        let other = Value::dict_from([("a", i(5)), ("c", i(3)), ("b", i(2))]);
        assert_eq!(run("=", &[d, other]), "true");
    }
}
