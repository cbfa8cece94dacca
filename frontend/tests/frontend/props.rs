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
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

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

// ------------------------------------------------------------ expander / resolver

use frontend::expand::{expand_expr, expand_program, NoMacros};
use frontend::resolve::resolve_program;

const HEADS: &[&str] = &[
    "define", "fn", "lambda", "if", "when", "unless", "cond", "case", "let", "let*", "letrec", "do", "begin",
    "and", "or", "set!", "quote", "quasiquote", "unquote", "splice-unquote", "->", "->>", "defcomp", "guard",
    "perform", "else", "&rest", "=>", "f", "x",
];

fn s(n: &str) -> Datum {
    Datum::sym(n, Span::default())
}
fn l(v: Vec<Datum>) -> Datum {
    Datum::list(v, Span::default())
}

/// Surface forms: mostly random shapes headed by special-form names, plus
/// well-formed templates so that many programs expand successfully.
fn surface() -> impl Strategy<Value = Datum> {
    let leaf = prop_oneof![
        (-3i64..3).prop_map(|i| Datum::new(DatumKind::Int(i), Span::default())),
        prop::sample::select(vec!["a", "b", "x", "f", "else", ":else"]).prop_map(|n| match n.strip_prefix(':') {
            Some(k) => Datum::new(DatumKind::Keyword(k.into()), Span::default()),
            None => s(n),
        }),
        Just(Datum::new(DatumKind::Nil, Span::default())),
        Just(Datum::new(DatumKind::Str("s".into()), Span::default())),
    ];
    leaf.prop_recursive(5, 64, 5, |e| {
        let vars = prop::sample::select(vec!["a", "b", "x"]).prop_map(s);
        prop_oneof![
            // random shape under a special-form head
            (prop::sample::select(HEADS.to_vec()), prop::collection::vec(e.clone(), 0..5)).prop_map(|(h, mut v)| {
                v.insert(0, s(h));
                l(v)
            }),
            prop::collection::vec(e.clone(), 0..4).prop_map(|v| Datum::new(DatumKind::Bracket(v), Span::default())),
            prop::collection::vec(e.clone(), 0..3).prop_map(|v| {
                let mut items = Vec::new();
                for (i, d) in v.into_iter().enumerate() {
                    items.push(Datum::new(DatumKind::Keyword(format!("k{i}")), Span::default()));
                    items.push(d);
                }
                Datum::new(DatumKind::Dict(items), Span::default())
            }),
            // templates
            (vars.clone(), e.clone(), e.clone()).prop_map(|(v, i, b)| l(vec![s("let"), l(vec![l(vec![v, i])]), b])),
            (vars.clone(), e.clone(), e.clone()).prop_map(|(v, i, b)| l(vec![s("let"), s("loop"), l(vec![v, i]), b])),
            (vars.clone(), e.clone()).prop_map(|(v, b)| l(vec![s("fn"), l(vec![v]), b])),
            (vars.clone(), e.clone(), e.clone()).prop_map(|(v, i, b)| l(vec![s("fn"), l(vec![]), l(vec![s("define"), v, i]), b])),
            (vars.clone(), e.clone()).prop_map(|(v, b)| l(vec![s("set!"), v, b])),
            prop::collection::vec(e.clone(), 0..4).prop_map(|mut v| {
                v.insert(0, s("and"));
                l(v)
            }),
            (e.clone(), e.clone(), e.clone()).prop_map(|(c, t, x)| l(vec![s("cond"), l(vec![c, t]), l(vec![s("else"), x])])),
            (e.clone(), e.clone(), e.clone()).prop_map(|(k, a, b)| l(vec![s("case"), k, Datum::new(DatumKind::Int(1), Span::default()), a, b])),
            (vars, e.clone(), e.clone()).prop_map(|(v, b, h)| l(vec![s("guard"), l(vec![v, l(vec![s("else"), h])]), b])),
            e.clone().prop_map(|x| l(vec![s("quasiquote"), l(vec![s("a"), l(vec![s("unquote"), x.clone()]), l(vec![s("splice-unquote"), x])])])),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    /// The expander never panics; what it accepts the resolver accepts; and
    /// expanding expanded code changes nothing.
    #[test]
    fn expansion_is_core_and_stable(forms in prop::collection::vec(surface(), 1..4)) {
        if let Ok(out) = expand_program(&forms, &mut NoMacros::default()) {
            let text: Vec<String> = out.iter().map(|d| d.to_string()).collect();
            if let Err(e) = resolve_program(&out) {
                return Err(TestCaseError::fail(format!("{}: {} in {:?}", e.id, e.message, text)));
            }
            for form in &out {
                // Top-level `begin`s are spliced, so re-expand non-definitions as expressions.
                let again = if form.as_list().and_then(|v| v.first()).and_then(|h| h.as_symbol()) == Some("define") {
                    expand_program(std::slice::from_ref(form), &mut NoMacros::default()).map(|mut v| v.remove(0))
                } else {
                    expand_expr(form, &mut NoMacros::default())
                };
                let again = again.map_err(|e| TestCaseError::fail(format!("re-expanding {form}: {}: {}", e.id, e.message)))?;
                prop_assert_eq!(again.without_spans(), form.without_spans(), "{}", form);
            }
        }
    }
}
