//! Type predicates.

use super::{def, PrimDef, PrimResult};
use crate::ctx::Ctx;
use crate::value::Value;

/// The predicate primitives.
pub const DEFS: &[PrimDef] = &[
    def("nil?", 1, 1, true, is_nil),
    def("boolean?", 1, 1, true, is_boolean),
    def("string?", 1, 1, true, is_string),
    def("symbol?", 1, 1, true, is_symbol),
    def("keyword?", 1, 1, true, is_keyword),
    def("list?", 1, 1, true, is_list),
    def("dict?", 1, 1, true, is_dict),
    def("fn?", 1, 1, true, is_fn),
    def("error?", 1, 1, true, is_error),
];

macro_rules! pred {
    ($f:ident, $pat:pat) => {
        fn $f(_: &mut Ctx, a: &[Value]) -> PrimResult {
            Ok(Value::Bool(matches!(a[0], $pat)))
        }
    };
}

pred!(is_nil, Value::Nil);
pred!(is_boolean, Value::Bool(_));
pred!(is_string, Value::Str(_));
pred!(is_symbol, Value::Symbol(_));
pred!(is_keyword, Value::Keyword(_));
pred!(is_list, Value::List(_));
pred!(is_dict, Value::Dict(_));
pred!(is_fn, Value::Closure(_) | Value::Prim(_));
pred!(is_error, Value::Error(_));

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use crate::value::{PrimId, Value};

    #[test]
    fn predicates() {
        assert_eq!(run("nil?", &[Value::Nil]), "true");
        assert_eq!(run("nil?", &[Value::Bool(false)]), "false");
        assert_eq!(run("boolean?", &[Value::Bool(false)]), "true");
        assert_eq!(run("string?", &[s("")]), "true");
        assert_eq!(run("symbol?", &[Value::sym("a")]), "true");
        assert_eq!(run("keyword?", &[Value::sym("a")]), "false");
        assert_eq!(run("keyword?", &[Value::kw("a")]), "true");
        assert_eq!(run("list?", &[ints(&[])]), "true");
        assert_eq!(run("list?", &[Value::Nil]), "false");
        assert_eq!(run("dict?", &[Value::dict(vec![])]), "true");
        assert_eq!(run("fn?", &[Value::Prim(PrimId(0))]), "true");
        assert_eq!(run("fn?", &[i(1)]), "false");
        assert_eq!(run("error?", &[crate::error::err("x")]), "true");
        assert_eq!(run("error?", &[s("x")]), "false");
    }
}
