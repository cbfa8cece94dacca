use crate::common::*;
use frontend::print::{format_float, write_string_literal};

#[test]
fn floats() {
    let cases: &[(f64, &str)] = &[
        (1.0, "1.0"),
        (100.0, "100.0"),
        (0.25, "0.25"),
        (0.1 + 0.2, "0.30000000000000004"),
        (0.000001, "0.000001"),
        (-0.0, "-0.0"),
        (0.0, "0.0"),
        (1e21, "1e21"),
        (1.5e-7, "1.5e-7"),
        (-1.5e-7, "-1.5e-7"),
        (1e20, "100000000000000000000.0"),
        (123456.789, "123456.789"),
        (-3.25, "-3.25"),
        (9.999999e-7, "9.999999e-7"),
        (2.5e300, "2.5e300"),
        (f64::MAX, "1.7976931348623157e308"),
        (5e-324, "5e-324"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
        (f64::NAN, "nan"),
    ];
    for (f, s) in cases {
        assert_eq!(format_float(*f), *s);
    }
}

#[test]
fn string_literals() {
    let mut out = String::new();
    write_string_literal("a\"b\\c\nd\te\rf\u{1}é", &mut out);
    assert_eq!(out, r#""a\"b\\c\nd\te\rf\u0001é""#);
}

#[test]
fn datums() {
    for s in [
        "(1 -2 3.5 \"x\" :k sym nil true false)",
        "[a [b] {:c (d)}]",
        "'a",
        "`(a ,b ,@c)",
        "(quote)",
        "(unquote @x)",
        "1e21",
        "-0.0",
    ] {
        assert_eq!(show(s), s);
    }
}
