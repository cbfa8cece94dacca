use frontend::print::format_float;
use frontend::reader::{is_valid_keyword, is_valid_symbol, read_str};
use frontend::{Datum, DatumKind, FileId, Span};
use proptest::prelude::*;

fn leaf() -> impl Strategy<Value = DatumKind> {
    prop_oneof![
        Just(DatumKind::Nil),
        any::<bool>().prop_map(DatumKind::Bool),
        any::<i64>().prop_map(DatumKind::Int),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(DatumKind::Float),
        any::<String>().prop_map(DatumKind::Str),
        "[a-zA-Z!$%&*+./<=>?@^_~λ-][a-zA-Z0-9!$%&*+./<=>?@^_~é-]{0,8}"
            .prop_filter("valid symbol", |s| is_valid_symbol(s))
            .prop_map(DatumKind::Symbol),
        "[a-zA-Z0-9!$%&*+./<=>?@^_~-]{1,8}"
            .prop_filter("valid keyword", |s| is_valid_keyword(s))
            .prop_map(DatumKind::Keyword),
    ]
}

fn datum() -> impl Strategy<Value = Datum> {
    let leaf = leaf().prop_map(|k| Datum::new(k, Span::default()));
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(|v| Datum::new(DatumKind::List(v), Span::default())),
            prop::collection::vec(inner.clone(), 0..6).prop_map(|v| Datum::new(DatumKind::Bracket(v), Span::default())),
            prop::collection::vec(inner.clone(), 0..3)
                .prop_map(|v| {
                    let mut items = Vec::new();
                    for d in v {
                        items.push(d.clone());
                        items.push(d);
                    }
                    Datum::new(DatumKind::Dict(items), Span::default())
                }),
            (prop::sample::select(vec!["quote", "quasiquote", "unquote", "splice-unquote"]), inner)
                .prop_map(|(h, d)| Datum::list(vec![Datum::sym(h, Span::default()), d], Span::default())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn read_print_round_trip(d in datum()) {
        let text = d.to_string();
        let back = read_str(&text, FileId(0)).map_err(|e| TestCaseError::fail(format!("{text}: {}", e.message)))?;
        prop_assert_eq!(back.len(), 1, "{}", text);
        prop_assert_eq!(back[0].without_spans(), d.without_spans(), "{}", text);
    }

    #[test]
    fn float_round_trip(bits in any::<u64>()) {
        let x = f64::from_bits(bits);
        prop_assume!(x.is_finite());
        let s = format_float(x);
        prop_assert_eq!(s.parse::<f64>().unwrap().to_bits(), x.to_bits(), "{}", s);
    }

    #[test]
    fn float_round_trip_decimal_range(x in -1e22f64..1e22) {
        let s = format_float(x);
        prop_assert_eq!(s.parse::<f64>().unwrap().to_bits(), x.to_bits(), "{}", s);
        // Floats also read back through the reader as floats.
        let d = read_str(&s, FileId(0)).unwrap();
        prop_assert_eq!(&d[0].kind, &DatumKind::Float(x));
    }
}
