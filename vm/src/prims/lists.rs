//! List primitives. `rest`, `drop` and `slice` of a list are O(1) views
//! (see [`crate::value::List`]); `append!` changes only the list it is given.

use super::{def, def_consuming, index_arg, int_arg, items_arg, list_arg, ConsumedArg, PrimDef, PrimResult};
use crate::ctx::Ctx;
use crate::equal::{equal, hash_value, num_cmp};
use crate::error::{err, type_err};
use crate::print::repr;
use crate::value::{List, Value};
use std::cmp::Ordering;
use std::hash::Hasher;
use std::rc::Rc;

/// The list primitives.
pub const DEFS: &[PrimDef] = &[
    def("list", 0, -1, false, list),
    def("%list", 0, -1, false, list),
    def_consuming("cons", 2, 2, cons, ConsumedArg::Last, cons_owned),
    def("first", 1, 1, false, first),
    def("second", 1, 1, false, second),
    def("rest", 1, 1, false, rest),
    def("last", 1, 1, false, last),
    def("nth", 2, 2, false, nth),
    def("len", 1, 1, true, len),
    def("empty?", 1, 1, true, is_empty),
    def("reverse", 1, 1, false, reverse),
    def("flatten", 1, 1, false, flatten),
    def("distinct", 1, 1, false, distinct),
    def("zip", 1, -1, false, zip),
    def("range", 1, 3, false, range),
    def("concat", 0, -1, false, concat),
    def("%concat", 0, -1, false, concat),
    def_consuming("append", 2, 2, append, ConsumedArg::First, append_owned),
    def("append!", 2, 2, false, append_bang),
    def("take", 2, 2, false, take),
    def("drop", 2, 2, false, drop),
    def("slice", 2, 3, false, slice),
    def("index-of", 2, 2, true, index_of),
    def("contains?", 2, 2, true, contains),
    def("%sort", 1, 1, false, sort),
];

fn list(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(Value::List(Rc::new(List::from_slice(a))))
}

fn cons(ctx: &mut Ctx, a: &[Value]) -> PrimResult {
    cons_owned(ctx, a[1].clone(), &a[..1])
}

/// `(cons x xs)` with `xs` owned: in place when nothing else references it.
fn cons_owned(_: &mut Ctx, xs: Value, a: &[Value]) -> PrimResult {
    match xs {
        Value::List(l) if Rc::strong_count(&l) == 1 => {
            l.cons_unique(a[0].clone());
            Ok(Value::List(l))
        }
        Value::List(l) => {
            let mut v = Vec::with_capacity(8.max(l.len() + 1));
            v.push(a[0].clone());
            l.with_items(|xs| v.extend_from_slice(xs));
            Ok(Value::list(v))
        }
        Value::Nil => Ok(Value::list(vec![a[0].clone()])),
        other => Err(type_err("cons", "list", &other)),
    }
}

/// A list argument or nil; `None` for nil.
fn opt_list<'a>(name: &str, v: &'a Value) -> Result<Option<&'a Rc<List>>, Value> {
    match v {
        Value::List(l) => Ok(Some(l)),
        Value::Nil => Ok(None),
        _ => Err(type_err(name, "list", v)),
    }
}

fn first(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(opt_list("first", &a[0])?.and_then(|l| l.get(0)).unwrap_or(Value::Nil))
}

fn second(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(opt_list("second", &a[0])?.and_then(|l| l.get(1)).unwrap_or(Value::Nil))
}

fn rest(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(match opt_list("rest", &a[0])? {
        Some(l) => Value::List(Rc::new(l.rest())),
        None => Value::empty_list(),
    })
}

fn last(_: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(match opt_list("last", &a[0])? {
        Some(l) if !l.is_empty() => l.get(l.len() - 1).unwrap_or(Value::Nil),
        _ => Value::Nil,
    })
}

fn nth(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let i = int_arg("nth", &a[1])?;
    let got = match &a[0] {
        Value::List(l) if i >= 0 => l.get(i as usize),
        Value::List(_) | Value::Nil => None,
        Value::Str(s) if i >= 0 => s.s.chars().nth(i as usize).map(|c| Value::string(c.to_string())),
        Value::Str(_) => None,
        other => return Err(type_err("nth", "list", other)),
    };
    got.ok_or_else(|| err(format!("nth: index out of range: {i}")))
}

fn len(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let n = match &a[0] {
        Value::List(l) => l.len(),
        Value::Str(s) => s.char_len(),
        Value::Dict(d) => d.len(),
        Value::Nil => 0,
        other => return Err(type_err("len", "list, string or dict", other)),
    };
    Ok(Value::Int(n as i64))
}

fn is_empty(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let e = match &a[0] {
        Value::List(l) => l.is_empty(),
        Value::Str(s) => s.s.is_empty(),
        Value::Dict(d) => d.is_empty(),
        Value::Nil => true,
        other => return Err(type_err("empty?", "list, string or dict", other)),
    };
    Ok(Value::Bool(e))
}

fn reverse(_: &mut Ctx, a: &[Value]) -> PrimResult {
    match &a[0] {
        Value::Str(s) => Ok(Value::string(s.s.chars().rev().collect())),
        v => {
            let mut items = items_arg("reverse", v)?;
            items.reverse();
            Ok(Value::list(items))
        }
    }
}

fn flatten(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let mut out = Vec::new();
    match &a[0] {
        Value::List(l) => {
            // explicit stack of (list, next index): no recursion on the Rust stack
            let mut stack: Vec<(Rc<List>, usize)> = vec![(l.clone(), 0)];
            while let Some((list, i)) = stack.pop() {
                match list.get(i) {
                    None => {}
                    Some(Value::List(inner)) => {
                        stack.push((list, i + 1));
                        if stack.len() > 100_000 {
                            return Err(err("flatten: nesting too deep"));
                        }
                        stack.push((inner, 0));
                    }
                    Some(x) => {
                        out.push(x);
                        stack.push((list, i + 1));
                    }
                }
            }
        }
        Value::Nil => {}
        other => return Err(type_err("flatten", "list", other)),
    }
    Ok(Value::list(out))
}

fn distinct(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let items = items_arg("distinct", &a[0])?;
    let mut seen: rustc_hash::FxHashMap<u64, Vec<usize>> = Default::default();
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    for x in items {
        let mut h = rustc_hash::FxHasher::default();
        hash_value(&x, &mut h);
        let bucket = seen.entry(h.finish()).or_default();
        if bucket.iter().any(|&j| equal(&out[j], &x)) {
            continue;
        }
        bucket.push(out.len());
        out.push(x);
    }
    Ok(Value::list(out))
}

fn zip(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let lists: Vec<Vec<Value>> = a.iter().map(|x| items_arg("zip", x)).collect::<Result<_, _>>()?;
    let n = lists.iter().map(Vec::len).min().unwrap_or(0);
    Ok(Value::list((0..n).map(|i| Value::list(lists.iter().map(|l| l[i].clone()).collect())).collect()))
}

fn range(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let (start, end, step) = match a {
        [e] => (Value::Int(0), e.clone(), Value::Int(1)),
        [s, e] => (s.clone(), e.clone(), Value::Int(1)),
        [s, e, st] => (s.clone(), e.clone(), st.clone()),
        _ => unreachable!(),
    };
    for v in [&start, &end, &step] {
        if !v.is_number() {
            return Err(type_err("range", "number", v));
        }
    }
    if num_cmp(&step, &Value::Int(0)) == Some(Ordering::Equal) {
        return Err(err("range: step must not be zero"));
    }
    let mut out = Vec::new();
    match (&start, &end, &step) {
        (Value::Int(s), Value::Int(e), Value::Int(st)) => {
            let (s, e, st) = (*s as i128, *e as i128, *st as i128);
            let n = if st > 0 { (e - s + st - 1).max(0) / st } else { (s - e - st - 1).max(0) / -st };
            if n > 100_000_000 {
                return Err(err("range: too many elements"));
            }
            out.reserve(n as usize);
            for k in 0..n {
                out.push(Value::Int((s + k * st) as i64));
            }
        }
        _ => {
            let (s, e, st) = (start.as_f64().unwrap(), end.as_f64().unwrap(), step.as_f64().unwrap());
            let n = ((e - s) / st).ceil();
            if n.is_nan() || n > 1e8 {
                return Err(err("range: too many elements"));
            }
            for k in 0..(n.max(0.0) as usize) {
                out.push(Value::Float(s + k as f64 * st));
            }
        }
    }
    Ok(Value::list(out))
}

fn concat(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let mut out = Vec::new();
    for x in a {
        match x {
            Value::List(l) => l.with_items(|xs| out.extend_from_slice(xs)),
            Value::Nil => {}
            other => return Err(type_err("concat", "list", other)),
        }
    }
    Ok(Value::list(out))
}

fn append(ctx: &mut Ctx, a: &[Value]) -> PrimResult {
    append_owned(ctx, a[0].clone(), &a[1..])
}

/// `(append xs x)` with `xs` owned: in place when nothing else references it.
fn append_owned(_: &mut Ctx, xs: Value, a: &[Value]) -> PrimResult {
    match xs {
        Value::List(l) if Rc::strong_count(&l) == 1 => {
            l.push_unique(a[0].clone());
            Ok(Value::List(l))
        }
        other => {
            let mut v = items_arg("append", &other)?;
            v.push(a[0].clone());
            Ok(Value::list(v))
        }
    }
}

fn append_bang(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let l = list_arg("append!", &a[0])?;
    l.append(a[1].clone());
    Ok(a[0].clone())
}

fn take(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let n = index_arg("take", &a[0])?;
    Ok(match opt_list("take", &a[1])? {
        Some(l) => Value::List(Rc::new(l.view(0, n))),
        None => Value::empty_list(),
    })
}

fn drop(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let n = index_arg("drop", &a[0])?;
    Ok(match opt_list("drop", &a[1])? {
        Some(l) => Value::List(Rc::new(l.drop_n(n))),
        None => Value::empty_list(),
    })
}

fn slice(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let start = index_arg("slice", &a[1])?;
    let end = match a.get(2) {
        None | Some(Value::Nil) => usize::MAX,
        Some(v) => index_arg("slice", v)?,
    };
    match &a[0] {
        Value::List(l) => Ok(Value::List(Rc::new(l.view(start, end)))),
        Value::Nil => Ok(Value::empty_list()),
        Value::Str(s) => Ok(Value::str(super::strings::char_slice(&s.s, start, end))),
        other => Err(type_err("slice", "list", other)),
    }
}

fn index_of(_: &mut Ctx, a: &[Value]) -> PrimResult {
    match &a[0] {
        Value::List(l) => Ok(l
            .with_items(|xs| xs.iter().position(|x| equal(x, &a[1])))
            .map_or(Value::Nil, |i| Value::Int(i as i64))),
        Value::Nil => Ok(Value::Nil),
        Value::Str(s) => {
            let needle = super::str_arg("index-of", &a[1])?;
            Ok(match s.s.find(needle) {
                Some(b) => Value::Int(s.s[..b].chars().count() as i64),
                None => Value::Nil,
            })
        }
        other => Err(type_err("index-of", "list or string", other)),
    }
}

fn contains(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let r = match &a[0] {
        Value::List(l) => l.with_items(|xs| xs.iter().any(|x| equal(x, &a[1]))),
        Value::Dict(d) => match a[1].key_str() {
            Some(k) => d.contains_key(k),
            None => false,
        },
        Value::Str(s) => s.s.contains(super::str_arg("contains?", &a[1])?),
        Value::Nil => false,
        other => return Err(type_err("contains?", "list, dict or string", other)),
    };
    Ok(Value::Bool(r))
}

/// The default order of `(sort xs)`: numbers numerically (nan last), strings,
/// keywords and symbols by text; mixed kinds raise `sort: cannot compare A and B`.
pub fn default_order(a: &Value, b: &Value) -> Result<Ordering, Value> {
    Ok(match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => match num_cmp(a, b) {
            Some(o) => o,
            None => {
                let an = matches!(a, Value::Float(f) if f.is_nan());
                let bn = matches!(b, Value::Float(f) if f.is_nan());
                an.cmp(&bn)
            }
        },
        (Value::Str(x), Value::Str(y)) => x.s.cmp(&y.s),
        (Value::Keyword(x), Value::Keyword(y)) | (Value::Symbol(x), Value::Symbol(y)) => x.name().cmp(y.name()),
        _ => return Err(err(format!("sort: cannot compare {} and {}", repr(a), repr(b)))),
    })
}

fn kind_class(v: &Value) -> u8 {
    match v {
        Value::Int(_) | Value::Float(_) => 0,
        Value::Str(_) => 1,
        Value::Keyword(_) => 2,
        Value::Symbol(_) => 3,
        _ => 4,
    }
}

fn sort(_: &mut Ctx, a: &[Value]) -> PrimResult {
    let mut items = items_arg("sort", &a[0])?;
    if items.len() > 1 {
        let x0 = &items[0];
        let k = kind_class(x0);
        for x in &items[1..] {
            if kind_class(x) != k || k == 4 {
                return Err(err(format!("sort: cannot compare {} and {}", repr(x0), repr(x))));
            }
        }
    }
    // all of one comparable kind: default_order is a total order here
    items.sort_by(|x, y| default_order(x, y).unwrap_or(Ordering::Equal));
    Ok(Value::list(items))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use crate::prims::call_named;
    use crate::print::repr;
    use crate::value::Value;

    #[test]
    fn basics() {
        assert_eq!(run("list", &[i(1), s("a")]), "(1 \"a\")");
        assert_eq!(run("list", &[]), "()");
        assert_eq!(run("cons", &[i(0), ints(&[1, 2])]), "(0 1 2)");
        assert_eq!(run("cons", &[i(0), Value::Nil]), "(0)");
        assert_eq!(run("first", &[ints(&[1, 2])]), "1");
        assert_eq!(run("first", &[ints(&[])]), "nil");
        assert_eq!(run("first", &[Value::Nil]), "nil");
        assert_eq!(run("rest", &[ints(&[1, 2, 3])]), "(2 3)");
        assert_eq!(run("rest", &[ints(&[])]), "()");
        assert_eq!(run("rest", &[Value::Nil]), "()");
        assert_eq!(run("last", &[ints(&[1, 2, 3])]), "3");
        assert_eq!(run("last", &[ints(&[])]), "nil");
        assert_eq!(run("nth", &[ints(&[1, 2, 3]), i(1)]), "2");
        assert_eq!(run("nth", &[ints(&[1, 2, 3]), i(3)]), "ERR: nth: index out of range: 3");
        assert_eq!(run("len", &[ints(&[1, 2, 3])]), "3");
        assert_eq!(run("len", &[s("héllo")]), "5");
        assert_eq!(run("len", &[Value::Nil]), "0");
        assert_eq!(run("len", &[i(1)]), "ERR: len: expected list, string or dict, got 1");
        assert_eq!(run("empty?", &[ints(&[])]), "true");
        assert_eq!(run("empty?", &[s("")]), "true");
        assert_eq!(run("empty?", &[ints(&[1])]), "false");
        assert_eq!(run("reverse", &[ints(&[1, 2, 3])]), "(3 2 1)");
        assert_eq!(run("first", &[i(1)]), "ERR: first: expected list, got 1");
    }

    #[test]
    fn structure() {
        let nested = l(vec![i(1), l(vec![i(2), l(vec![i(3), l(vec![])])]), i(4)]);
        assert_eq!(run("flatten", &[nested]), "(1 2 3 4)");
        assert_eq!(run("distinct", &[l(vec![i(1), f(1.0), i(2), s("a"), s("a"), i(1)])]), "(1 2 \"a\")");
        assert_eq!(run("zip", &[ints(&[1, 2, 3]), l(vec![s("a"), s("b")])]), "((1 \"a\") (2 \"b\"))");
        assert_eq!(run("range", &[i(5)]), "(0 1 2 3 4)");
        assert_eq!(run("range", &[i(2), i(5)]), "(2 3 4)");
        assert_eq!(run("range", &[i(0), i(10), i(3)]), "(0 3 6 9)");
        assert_eq!(run("range", &[i(5), i(0), i(-2)]), "(5 3 1)");
        assert_eq!(run("range", &[i(5), i(0)]), "()");
        assert_eq!(run("range", &[i(0)]), "()");
        assert_eq!(run("range", &[i(-3)]), "()");
        assert_eq!(run("range", &[i(0), i(1), f(0.25)]), "(0.0 0.25 0.5 0.75)");
        assert_eq!(run("range", &[i(0), i(1), i(0)]), "ERR: range: step must not be zero");
        assert_eq!(run("concat", &[ints(&[1]), Value::Nil, ints(&[2, 3])]), "(1 2 3)");
        assert_eq!(run("concat", &[]), "()");
        assert_eq!(run("append", &[ints(&[1]), i(2)]), "(1 2)");
        assert_eq!(run("take", &[i(2), ints(&[1, 2, 3])]), "(1 2)");
        assert_eq!(run("take", &[i(10), ints(&[1, 2, 3])]), "(1 2 3)");
        assert_eq!(run("take", &[i(-1), ints(&[1, 2, 3])]), "()");
        assert_eq!(run("drop", &[i(2), ints(&[1, 2, 3])]), "(3)");
        assert_eq!(run("drop", &[i(5), ints(&[1, 2, 3])]), "()");
        assert_eq!(run("slice", &[ints(&[1, 2, 3, 4]), i(1), i(3)]), "(2 3)");
        assert_eq!(run("slice", &[ints(&[1, 2, 3, 4]), i(1)]), "(2 3 4)");
        assert_eq!(run("slice", &[ints(&[1, 2, 3, 4]), i(3), i(1)]), "()");
        assert_eq!(run("slice", &[ints(&[1, 2]), i(5), i(9)]), "()");
        assert_eq!(run("slice", &[s("héllo"), i(1), i(3)]), "\"él\"");
        assert_eq!(run("index-of", &[ints(&[1, 2, 3]), i(3)]), "2");
        assert_eq!(run("index-of", &[ints(&[1, 2, 3]), i(9)]), "nil");
        assert_eq!(run("index-of", &[s("héllo"), s("l")]), "2");
        assert_eq!(run("index-of", &[s("hello"), s("z")]), "nil");
        assert_eq!(run("contains?", &[ints(&[1, 2]), f(2.0)]), "true");
        assert_eq!(run("contains?", &[s("hello"), s("ell")]), "true");
        let d = Value::dict_from([("a", i(1))]);
        assert_eq!(run("contains?", &[d.clone(), Value::kw("a")]), "true");
        assert_eq!(run("contains?", &[d, s("b")]), "false");
    }

    #[test]
    fn append_bang_views() {
        let mut c = ctx();
        let xs = ints(&[1, 2, 3]);
        let r = call_named(&mut c, "rest", &[xs.clone()]).unwrap();
        let d = call_named(&mut c, "drop", &[i(1), xs.clone()]).unwrap();
        let sl = call_named(&mut c, "slice", &[xs.clone(), i(0), i(2)]).unwrap();
        let out = call_named(&mut c, "append!", &[xs.clone(), i(4)]).unwrap();
        assert!(crate::equal::eq(&out, &xs));
        assert_eq!(repr(&xs), "(1 2 3 4)");
        assert_eq!(repr(&r), "(2 3)");
        assert_eq!(repr(&d), "(2 3)");
        assert_eq!(repr(&sl), "(1 2)");
        call_named(&mut c, "append!", &[sl.clone(), i(9)]).unwrap();
        assert_eq!(repr(&sl), "(1 2 9)");
        assert_eq!(repr(&xs), "(1 2 3 4)");
        call_named(&mut c, "append!", &[r.clone(), i(7)]).unwrap();
        assert_eq!(repr(&r), "(2 3 7)");
        assert_eq!(repr(&xs), "(1 2 3 4)");
        assert_eq!(repr(&d), "(2 3)");
        assert_eq!(run("append!", &[Value::Nil, i(1)]), "ERR: append!: expected list, got nil");
    }

    #[test]
    fn sorting() {
        assert_eq!(run("%sort", &[l(vec![i(3), f(1.5), i(2), i(-1)])]), "(-1 1.5 2 3)");
        assert_eq!(run("%sort", &[l(vec![s("b"), s("a"), s("c")])]), "(\"a\" \"b\" \"c\")");
        assert_eq!(run("%sort", &[l(vec![i(1), f(1.0), i(0)])]), "(0 1 1.0)");
        assert_eq!(run("%sort", &[l(vec![f(1.0), i(1), i(0)])]), "(0 1.0 1)");
        assert_eq!(run("%sort", &[l(vec![f(f64::NAN), i(1), i(0)])]), "(0 1 nan)");
        assert_eq!(run("%sort", &[l(vec![i(1), s("a")])]), "ERR: sort: cannot compare 1 and \"a\"");
        assert_eq!(run("%sort", &[ints(&[])]), "()");
    }
}
