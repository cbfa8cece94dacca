use crate::common::*;
use frontend::DatumKind as K;

fn kind(src: &str) -> K {
    rd1(src).kind.without_spans()
}

trait Strip {
    fn without_spans(&self) -> K;
}
impl Strip for K {
    fn without_spans(&self) -> K {
        frontend::Datum::new(self.clone(), Default::default()).without_spans().kind
    }
}

#[test]
fn atoms() {
    assert_eq!(kind("42"), K::Int(42));
    assert_eq!(kind("-7"), K::Int(-7));
    assert_eq!(kind("+7"), K::Int(7));
    assert_eq!(kind("9223372036854775807"), K::Int(i64::MAX));
    assert_eq!(kind("-9223372036854775808"), K::Int(i64::MIN));
    assert_eq!(kind("3.25"), K::Float(3.25));
    assert_eq!(kind("-0.5"), K::Float(-0.5));
    assert_eq!(kind("1e10"), K::Float(1e10));
    assert_eq!(kind("2.5e-3"), K::Float(2.5e-3));
    assert_eq!(kind("2E+3"), K::Float(2000.0));
    assert_eq!(kind("true"), K::Bool(true));
    assert_eq!(kind("false"), K::Bool(false));
    assert_eq!(kind("nil"), K::Nil);
    assert_eq!(kind(":name"), K::Keyword("name".into()));
    assert_eq!(kind(":else"), K::Keyword("else".into()));
    assert_eq!(kind(":a/b"), K::Keyword("a/b".into()));
    assert_eq!(show("\u{feff}(a)"), "(a)");
    for s in ["foo", "-", "-.", "-.a", "..5", "-foo", "+", "...", "persist/append", "~card", "a->b", "set!", "nil?", "λ", "ünïcode", "<=", "&rest", "a1", "@x", "_"] {
        assert_eq!(kind(s), K::Symbol(s.into()), "{s}");
    }
}

#[test]
fn strings() {
    assert_eq!(kind(r#""""#), K::Str("".into()));
    assert_eq!(kind(r#""a\"b\\c\nd\te\rf""#), K::Str("a\"b\\c\nd\te\rf".into()));
    assert_eq!(kind(r#""\u00e9\u0041""#), K::Str("éA".into()));
    assert_eq!(kind(r#""\uD83D\uDE00""#), K::Str("😀".into()));
    assert_eq!(kind("\"multi\nline ü\""), K::Str("multi\nline ü".into()));
}

#[test]
fn compounds_and_sugar() {
    assert_eq!(show("(a b (c))"), "(a b (c))");
    assert_eq!(show("[1 (+ 1 1)]"), "[1 (+ 1 1)]");
    assert_eq!(show("{:a 1 \"b\" [2]}"), "{:a 1 \"b\" [2]}");
    assert_eq!(show("()  []  {}"), "() [] {}");
    let q = rd1("'x");
    assert_eq!(q.without_spans(), rd1("(quote x)").without_spans());
    assert_eq!(rd1("`(a ,b ,@c)").without_spans(), rd1("(quasiquote (a (unquote b) (splice-unquote c)))").without_spans());
    assert_eq!(show("' x"), "'x");
    assert_eq!(show("''x"), "''x");
    assert_eq!(show("(quote a b)"), "(quote a b)");
}

#[test]
fn comments() {
    assert_eq!(show("1 ; comment\n2;x\n"), "1 2");
    assert_eq!(show("#;(a b) 1 #; 2 3"), "1 3");
    assert_eq!(show("(a #;b c)"), "(a c)");
    assert_eq!(show("#;#;1 2 3"), "3");
    assert_eq!(show("(a b) ; trailing"), "(a b)");
    assert_eq!(show(""), "");
}

#[test]
fn spans() {
    let src = "(foo \"s\" 'x)";
    let d = rd1(src);
    assert_eq!((d.span.lo, d.span.hi), (0, src.len() as u32));
    let items = d.as_list().unwrap();
    assert_eq!((items[0].span.lo, items[0].span.hi), (1, 4));
    assert_eq!((items[1].span.lo, items[1].span.hi), (5, 8));
    assert_eq!((items[2].span.lo, items[2].span.hi), (9, 11));
    let q = items[2].as_list().unwrap();
    assert_eq!((q[0].span.lo, q[0].span.hi), (9, 10));
    assert_eq!((q[1].span.lo, q[1].span.hi), (10, 11));
}

fn err(src: &str) -> (String, String) {
    match read_src(src) {
        Ok(v) => panic!("expected an error for {src:?}, read {v:?}"),
        Err((e, map)) => (e.id.to_string(), map.describe(e.span)),
    }
}

#[test]
fn errors() {
    let cases: &[(&str, &str, &str)] = &[
        ("(a \"abc", "read-unterminated-string", "t.sx:1:4"),
        ("\"a\\qb\"", "read-bad-escape", "t.sx:1:3"),
        ("\"\\u12\"", "read-bad-escape", "t.sx:1:2"),
        ("\"\\uD800x\"", "read-bad-escape", "t.sx:1:2"),
        ("(a\n (b)", "read-unbalanced-paren", "t.sx:1:1"),
        ("(a))", "read-unbalanced-paren", "t.sx:1:4"),
        ("\n  ]", "read-unbalanced-paren", "t.sx:2:3"),
        ("(a]", "read-unbalanced-paren", "t.sx:1:3"),
        ("[a}", "read-unbalanced-paren", "t.sx:1:3"),
        ("x 9223372036854775808", "read-int-overflow", "t.sx:1:3"),
        ("-9223372036854775809", "read-int-overflow", "t.sx:1:1"),
        ("1abc", "read-bad-number", "t.sx:1:1"),
        ("1.", "read-bad-number", "t.sx:1:1"),
        ("2e", "read-bad-number", "t.sx:1:1"),
        (".5", "read-bad-number", "t.sx:1:1"),
        ("-.5", "read-bad-number", "t.sx:1:1"),
        ("-7x", "read-bad-number", "t.sx:1:1"),
        ("{:a 1 :b}", "read-odd-dict", "t.sx:1:1"),
        ("(a #x)", "read-bad-char", "t.sx:1:4"),
        ("ab|c", "read-bad-char", "t.sx:1:3"),
        ("(: a)", "read-bad-keyword", "t.sx:1:2"),
        ("(a ')", "read-expected-datum", "t.sx:1:4"),
        ("'", "read-expected-datum", "t.sx:1:1"),
        ("#;", "read-expected-datum", "t.sx:1:1"),
        ("(a ,@)", "read-expected-datum", "t.sx:1:4"),
        ("ü \"\\z\"", "read-bad-escape", "t.sx:1:4"),
    ];
    for (src, id, at) in cases {
        assert_eq!(err(src), (id.to_string(), at.to_string()), "{src:?}");
    }
}

#[test]
fn too_deep() {
    let src = "(".repeat(5000);
    assert_eq!(err(&src).0, "read-too-deep");
    let ok = format!("{}{}", "(".repeat(500), ")".repeat(500));
    rd(&ok);
}

#[test]
fn error_messages_say_what_was_expected() {
    let (e, _) = read_src("(a").unwrap_err();
    assert!(e.message.contains("expected `)`"), "{}", e.message);
    let (e, _) = read_src("\"\\q\"").unwrap_err();
    assert!(e.message.contains("expected one of"), "{}", e.message);
}
