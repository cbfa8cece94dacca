//! Equality: `equal` (deep, `=`/`equal?`) and `eq` (identity, `eq?`), plus exact
//! numeric comparison across integers and floats and a hash consistent with `equal`.

use crate::value::Value;
use std::cmp::Ordering;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

/// Nesting depth after which `equal` falls back to identity (guards cyclic data).
const MAX_DEPTH: usize = 2_000;

/// Exact comparison of an integer with a float (`None` when `f` is NaN).
pub fn cmp_int_float(i: i64, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    if f >= 9.223_372_036_854_776e18 {
        return Some(Ordering::Less);
    }
    if f < -9.223_372_036_854_776e18 {
        return Some(Ordering::Greater);
    }
    let t = f.trunc();
    match i.cmp(&(t as i64)) {
        Ordering::Equal => {
            if f > t {
                Some(Ordering::Less)
            } else if f < t {
                Some(Ordering::Greater)
            } else {
                Some(Ordering::Equal)
            }
        }
        o => Some(o),
    }
}

/// Numeric comparison (exact across int/float; `None` for NaN or non-numbers).
#[inline]
pub fn num_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y),
        (Value::Int(x), Value::Float(y)) => cmp_int_float(*x, *y),
        (Value::Float(x), Value::Int(y)) => cmp_int_float(*y, *x).map(Ordering::reverse),
        _ => None,
    }
}

/// Identity (`eq?`): the same heap object, or the same immediate. Numbers compare
/// by kind and value (`(eq? 1 1)` is true, `(eq? 1 1.0)` false); `nan` is `eq?` to itself.
pub fn eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::Str(x), Value::Str(y)) => Rc::ptr_eq(x, y),
        (Value::Symbol(x), Value::Symbol(y)) => x == y,
        (Value::Keyword(x), Value::Keyword(y)) => x == y,
        (Value::List(x), Value::List(y)) => Rc::ptr_eq(x, y),
        (Value::Dict(x), Value::Dict(y)) => Rc::ptr_eq(x, y),
        (Value::Closure(x), Value::Closure(y)) => Rc::ptr_eq(x, y),
        (Value::Prim(x), Value::Prim(y)) => x == y,
        (Value::Macro(x), Value::Macro(y)) => Rc::ptr_eq(x, y),
        (Value::Component(x), Value::Component(y)) => Rc::ptr_eq(x, y),
        (Value::Error(x), Value::Error(y)) => Rc::ptr_eq(x, y),
        (Value::Element(x), Value::Element(y)) => Rc::ptr_eq(x, y),
        (Value::Pid(x), Value::Pid(y)) => x == y,
        (Value::Cell(x), Value::Cell(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

/// Deep structural equality (`=`, `equal?`): numbers by value across int/float
/// (IEEE: `nan` is not equal to itself), strings by content, lists element-wise,
/// dicts by key set and values (order ignored), elements structurally, everything
/// else by identity.
pub fn equal(a: &Value, b: &Value) -> bool {
    equal_at(a, b, 0)
}

fn equal_at(a: &Value, b: &Value, depth: usize) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Int(_), Value::Float(_)) | (Value::Float(_), Value::Int(_)) => {
            num_cmp(a, b) == Some(Ordering::Equal)
        }
        (Value::Str(x), Value::Str(y)) => Rc::ptr_eq(x, y) || x.s == y.s,
        _ if depth > MAX_DEPTH => eq(a, b),
        (Value::List(x), Value::List(y)) => {
            if Rc::ptr_eq(x, y) {
                return true;
            }
            if x.len() != y.len() {
                return false;
            }
            x.with_items(|xs| y.with_items(|ys| xs.iter().zip(ys).all(|(p, q)| equal_at(p, q, depth + 1))))
        }
        (Value::Dict(x), Value::Dict(y)) => {
            if Rc::ptr_eq(x, y) {
                return true;
            }
            let (mx, my) = (x.map.borrow(), y.map.borrow());
            mx.len() == my.len()
                && mx.iter().all(|(k, v)| my.get(k).is_some_and(|w| equal_at(v, w, depth + 1)))
        }
        (Value::Element(x), Value::Element(y)) => {
            Rc::ptr_eq(x, y)
                || (x.tag == y.tag
                    && x.attrs.len() == y.attrs.len()
                    && x.children.len() == y.children.len()
                    && x.attrs.iter().zip(&y.attrs).all(|(p, q)| p.0 == q.0 && equal_at(&p.1, &q.1, depth + 1))
                    && x.children.iter().zip(&y.children).all(|(p, q)| equal_at(p, q, depth + 1)))
        }
        _ => eq(a, b),
    }
}

/// A hash consistent with [`equal`] (equal values hash equally; `1` and `1.0` too).
pub fn hash_value<H: Hasher>(v: &Value, h: &mut H) {
    hash_at(v, h, 0)
}

fn hash_at<H: Hasher>(v: &Value, h: &mut H, depth: usize) {
    if depth > 64 {
        return;
    }
    match v {
        Value::Int(i) => {
            1u8.hash(h);
            i.hash(h);
        }
        Value::Float(f) => {
            if f.fract() == 0.0 && *f >= -9.2e18 && *f <= 9.2e18 {
                1u8.hash(h);
                (*f as i64).hash(h);
            } else {
                2u8.hash(h);
                f.to_bits().hash(h);
            }
        }
        Value::Str(s) => {
            3u8.hash(h);
            s.s.hash(h);
        }
        Value::List(l) => {
            4u8.hash(h);
            l.len().hash(h);
            l.with_items(|xs| xs.iter().for_each(|x| hash_at(x, h, depth + 1)));
        }
        Value::Dict(d) => {
            5u8.hash(h);
            let m = d.map.borrow();
            m.len().hash(h);
            // order-independent: sum of per-entry hashes
            let mut acc: u64 = 0;
            for (k, x) in m.iter() {
                let mut eh = rustc_hash::FxHasher::default();
                k.hash(&mut eh);
                hash_at(x, &mut eh, depth + 1);
                acc = acc.wrapping_add(eh.finish());
            }
            acc.hash(h);
        }
        Value::Nil => 6u8.hash(h),
        Value::Bool(b) => {
            7u8.hash(h);
            b.hash(h);
        }
        Value::Symbol(s) => {
            8u8.hash(h);
            s.hash(h);
        }
        Value::Keyword(s) => {
            9u8.hash(h);
            s.hash(h);
        }
        Value::Element(e) => {
            10u8.hash(h);
            e.tag.hash(h);
        }
        Value::Prim(p) => {
            11u8.hash(h);
            p.hash(h);
        }
        Value::Pid(p) => {
            12u8.hash(h);
            p.hash(h);
        }
        // identity-compared heap objects
        Value::Closure(x) => (Rc::as_ptr(x) as usize).hash(h),
        Value::Macro(x) => (Rc::as_ptr(x) as usize).hash(h),
        Value::Component(x) => (Rc::as_ptr(x) as usize).hash(h),
        Value::Error(x) => (Rc::as_ptr(x) as usize).hash(h),
        Value::Cell(x) => (Rc::as_ptr(x) as usize).hash(h),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(v: Vec<Value>) -> Value {
        Value::list(v)
    }

    #[test]
    fn numbers() {
        assert!(equal(&Value::Int(1), &Value::Float(1.0)));
        assert!(!equal(&Value::Int(1), &Value::Float(1.5)));
        assert!(!equal(&Value::Float(f64::NAN), &Value::Float(f64::NAN)));
        assert!(equal(&Value::Float(0.0), &Value::Float(-0.0)));
        assert!(!equal(&Value::Int(i64::MAX), &Value::Float(9.223372036854775807e18)));
        assert_eq!(cmp_int_float(i64::MAX, 9.223372036854775807e18), Some(Ordering::Less));
        assert_eq!(cmp_int_float(3, 2.5), Some(Ordering::Greater));
        assert_eq!(cmp_int_float(-3, -2.5), Some(Ordering::Less));
        assert_eq!(cmp_int_float(-3, -3.0), Some(Ordering::Equal));
        assert!(!eq(&Value::Int(1), &Value::Float(1.0)));
        assert!(eq(&Value::Int(1), &Value::Int(1)));
    }

    #[test]
    fn structures() {
        let a = l(vec![Value::Int(1), Value::str("x"), l(vec![Value::Nil])]);
        let b = l(vec![Value::Float(1.0), Value::str("x"), l(vec![Value::Nil])]);
        assert!(equal(&a, &b));
        assert!(!eq(&a, &b));
        assert!(eq(&a, &a.clone()));
        let d1 = Value::dict_from([("a", Value::Int(1)), ("b", Value::Int(2))]);
        let d2 = Value::dict_from([("b", Value::Int(2)), ("a", Value::Int(1))]);
        assert!(equal(&d1, &d2));
        let d3 = Value::dict_from([("b", Value::Int(2)), ("a", Value::Int(3))]);
        assert!(!equal(&d1, &d3));
        assert!(!equal(&Value::str("a"), &Value::sym("a")));
        assert!(!equal(&Value::kw("a"), &Value::sym("a")));
        assert!(equal(&Value::kw("a"), &Value::kw("a")));
        assert!(!equal(&Value::Nil, &Value::Bool(false)));
        assert!(!equal(&l(vec![]), &Value::Nil));
    }

    #[test]
    fn hash_consistent() {
        let h = |v: &Value| {
            let mut s = rustc_hash::FxHasher::default();
            hash_value(v, &mut s);
            s.finish()
        };
        assert_eq!(h(&Value::Int(3)), h(&Value::Float(3.0)));
        let d1 = Value::dict_from([("a", Value::Int(1)), ("b", Value::Int(2))]);
        let d2 = Value::dict_from([("b", Value::Int(2)), ("a", Value::Float(1.0))]);
        assert_eq!(h(&d1), h(&d2));
    }
}
