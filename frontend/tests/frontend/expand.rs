use frontend::expand::expand_program;
use frontend::print::print_program;
use frontend::{Datum, DatumKind, Diagnostic, MacroHost, SourceMap, Span};

/// A mock macro host: gensyms are `%PREFIXN`; macros are recorded, and their
/// expansion is computed natively by name:
/// - `my-when c body...` => `(if c (begin body...) nil)`
/// - `def-one name` => `(begin (define name 1))`
/// - `bad` => `(let 1)` with a span outside the call
/// - `forever` => `(forever)`
#[derive(Default)]
pub struct Mock {
    n: u32,
    pub defined: Vec<String>,
}

impl MacroHost for Mock {
    fn define_macro(&mut self, name: &str, params: &Datum, body: &[Datum], _span: Span) -> Result<(), Diagnostic> {
        self.defined.push(format!("{name} {params} {}", body.len()));
        Ok(())
    }
    fn expand_macro(&mut self, name: &str, args: &[Datum], span: Span) -> Result<Datum, Diagnostic> {
        let s = |n: &str| Datum::sym(n, span);
        let l = |v: Vec<Datum>| Datum::list(v, span);
        Ok(match name {
            "my-when" => {
                let mut body = vec![s("begin")];
                body.extend(args[1..].iter().cloned());
                l(vec![s("if"), args[0].clone(), l(body), Datum::new(DatumKind::Nil, span)])
            }
            "def-one" => l(vec![s("begin"), l(vec![s("define"), args[0].clone(), Datum::new(DatumKind::Int(1), span)])]),
            "bad" => Datum::list(vec![Datum::sym("let", Span::default()), Datum::new(DatumKind::Int(1), Span::default())], Span::default()),
            "forever" => l(vec![s("forever")]),
            "failing" => return Err(Diagnostic::new("macro-error", span, "boom")),
            _ => panic!("unknown macro {name}"),
        })
    }
    fn gensym(&mut self, prefix: &str) -> String {
        self.n += 1;
        format!("%{prefix}{}", self.n)
    }
}

pub fn expand_src(src: &str) -> Result<String, (Diagnostic, SourceMap)> {
    let mut map = SourceMap::new();
    let f = map.add("t.sx", src);
    let forms = frontend::reader::read(&map, f).map_err(|e| (e, map.clone()))?;
    let out = expand_program(&forms, &mut Mock::default()).map_err(|e| (e, map.clone()))?;
    Ok(print_program(&out).trim_end().to_string())
}

fn ex(src: &str) -> String {
    match expand_src(src) {
        Ok(s) => s,
        Err((e, map)) => panic!("expand {src:?}: {} at {}: {}", e.id, map.describe(e.span), e.message),
    }
}

/// (input, expected expansion); several top-level forms print one per line.
const CASES: &[(&str, &str)] = &[
    // constants, variables, calls, literals
    ("1 -2.5 \"s\" :k nil true x", "1\n-2.5\n\"s\"\n:k\nnil\ntrue\nx"),
    ("(f a (g b))", "(f a (g b))"),
    ("((f) 1)", "((f) 1)"),
    ("()", "'()"),
    ("'x '(1 2) '[a] '{:a 1}", "'x\n'(1 2)\n'[a]\n'{:a 1}"),
    ("[1 (+ 1 1)]", "(%builtin %list 1 (+ 1 1))"),
    ("[]", "(%builtin %list)"),
    ("{:a 1 \"b c\" (f x)}", "(%builtin %dict \"a\" 1 \"b c\" (f x))"),
    // define
    ("(define x 1)", "(define x 1)"),
    ("(define (f a b) (+ a b))", "(define f (fn (a b) (+ a b)))"),
    ("(define (f a &rest r) a r)", "(define f (fn (a &rest r) (begin a r)))"),
    ("(define f (fn [a] a))", "(define f (fn (a) a))"),
    ("(define (f))", "(define f (fn () nil))"),
    // fn / lambda
    ("(fn (a b &rest more) (f a) more)", "(fn (a b &rest more) (begin (f a) more))"),
    ("(lambda (x) x)", "(fn (x) x)"),
    ("(fn (& xs) xs)", "(fn (&rest xs) xs)"),
    // internal defines
    ("(fn () (define a 1) (define (g) a) (g))", "(fn () (letrec ((a 1) (g (fn () a))) (g)))"),
    ("(fn () (begin (define a 1)) a)", "(fn () (letrec ((a 1)) a))"),
    ("(fn () (print 1) (define a 2) a)", "(fn () (letrec ((%_1 (print 1)) (a 2)) a))"),
    ("(fn () (define a 1))", "(fn () (letrec ((a 1)) nil))"),
    // if / when / unless
    ("(if a b c)", "(if a b c)"),
    ("(if a b)", "(if a b nil)"),
    ("(when a b c)", "(if a (begin b c) nil)"),
    ("(when a)", "(if a nil nil)"),
    ("(unless a b)", "(if a nil b)"),
    // begin / do
    ("(begin)", ""),
    ("(f (begin))", "(f nil)"),
    ("(f (do 1 2))", "(f (begin 1 2))"),
    ("(begin (define x 1) (define y x))", "(define x 1)\n(define y x)"),
    ("(do (define x 1) x)", "(define x 1)\nx"),
    // cond
    ("(cond a 1 b 2 :else 3)", "(if a 1 (if b 2 3))"),
    ("(cond a 1 else 3)", "(if a 1 3)"),
    ("(cond a 1)", "(if a 1 nil)"),
    ("(cond)", "nil"),
    ("(cond ((> x 0) \"pos\") ((< x 0) \"neg\"))", "(if (> x 0) \"pos\" (if (< x 0) \"neg\" nil))"),
    ("(cond ((p x) 1 2) (else 3))", "(if (p x) (begin 1 2) 3)"),
    ("(cond (a 1) (:else 2))", "(if a 1 2)"),
    ("(cond (nil? x) 1 :else 2)", "(if (nil? x) 1 2)"),
    ("(cond ((f x)) (else 2))", "(let ((%cond1 (f x))) (if %cond1 %cond1 2))"),
    ("(cond ((f x) => g) (else 2))", "(let ((%cond1 (f x))) (if %cond1 (g %cond1) 2))"),
    // case
    ("(case x 1 \"one\" (2 3) \"few\" :else \"many\")",
     "(if (%builtin = x 1) \"one\" (if (if (%builtin = x 2) true (%builtin = x 3)) \"few\" \"many\"))"),
    ("(case (f) a 1 \"s\" 2 else 3)", "(let ((%case1 (f))) (if (%builtin = %case1 'a) 1 (if (%builtin = %case1 \"s\") 2 3)))"),
    ("(case x :k 1)", "(if (%builtin = x :k) 1 nil)"),
    ("(case x 1 2 9)", "(if (%builtin = x 1) 2 9)"),
    ("(case x () 1)", "(if false 1 nil)"),
    // let family
    ("(let ((a 1) (b a)) b)", "(let ((a 1) (b a)) b)"),
    ("(let (a 1 b 2) a b)", "(let ((a 1) (b 2)) (begin a b))"),
    ("(let [a 1 b 2] b)", "(let ((a 1) (b 2)) b)"),
    ("(let [[a 1] [b 2]] b)", "(let ((a 1) (b 2)) b)"),
    ("(let* ((a 1)) a)", "(let ((a 1)) a)"),
    ("(let () 1)", "1"),
    ("(let ((a 1)) (define b a) b)", "(let ((a 1)) (letrec ((b a)) b))"),
    ("(letrec ((ev? (fn (n) (od? n))) (od? (fn (n) n))) (ev? 1))",
     "(letrec ((ev? (fn (n) (od? n))) (od? (fn (n) n))) (ev? 1))"),
    ("(letrec (f (fn () (f))) (f))", "(letrec ((f (fn () (f)))) (f))"),
    ("(let loop ((i 0) (acc 1)) (if (< i 3) (loop (+ i 1) acc) acc))",
     "(letrec ((loop (fn (i acc) (if (< i 3) (loop (+ i 1) acc) acc)))) (loop 0 1))"),
    ("(let loop (i 0) i)", "(letrec ((loop (fn (i) i))) (loop 0))"),
    ("(let loop ((i loop)) i)", "(let ((%init1 loop)) (letrec ((loop (fn (i) i))) (loop %init1)))"),
    // and / or
    ("(and)", "true"),
    ("(or)", "nil"),
    ("(and a)", "a"),
    ("(and a b c)", "(if a (if b c b) a)"),
    ("(or a b)", "(if a a b)"),
    ("(and (f) b)", "(let ((%and1 (f))) (if %and1 b %and1))"),
    ("(or (f) (g) h)", "(let ((%or2 (f))) (if %or2 %or2 (let ((%or1 (g))) (if %or1 %or1 h))))"),
    // set!, quote, perform, builtin
    ("(set! x (+ x 1))", "(set! x (+ x 1))"),
    ("(quote (a b))", "'(a b)"),
    ("(perform {:op \"kv/get\" :args (list \"k\")})", "(perform (%builtin %dict \"op\" \"kv/get\" \"args\" (list \"k\")))"),
    ("(%builtin raise x)", "(%builtin raise x)"),
    // quasiquote
    ("`x", "'x"),
    ("`(a b)", "'(a b)"),
    ("`1", "1"),
    ("`(a ,b)", "(%builtin %list 'a b)"),
    ("`(a ,@xs b)", "(%builtin %concat (%builtin %list 'a) xs (%builtin %list 'b))"),
    ("`(,@xs)", "(%builtin %concat xs)"),
    ("`(1 (2 ,x))", "(%builtin %list 1 (%builtin %list 2 x))"),
    ("`[a ,b]", "(%builtin %list 'a b)"),
    ("`{:a ,x :b (c)}", "(%builtin %dict \"a\" x \"b\" '(c))"),
    ("`(a `(b ,(c ,x)))", "(%builtin %list 'a (%builtin %list 'quasiquote (%builtin %list 'b (%builtin %list 'unquote (%builtin %list 'c x)))))"),
    ("`(a `(b ,c))", "'(a `(b ,c))"),
    ("`,x", "x"),
    // threading
    ("(-> x (f a) g)", "(g (f x a))"),
    ("(->> x (f a) g)", "(g (f a x))"),
    ("(-> x)", "x"),
    // defcomp
    ("(defcomp ~card (&key title body &rest children) (div title children))",
     "(define ~card (%builtin %make-component \"~card\" '(title body) true (fn (title body children) (div title children))))"),
    ("(defcomp ~x (&key a) a)", "(define ~x (%builtin %make-component \"~x\" '(a) false (fn (a %children1) a)))"),
    ("(defcomp ~y () 1)", "(define ~y (%builtin %make-component \"~y\" '() false (fn (%children1) 1)))"),
    // guard
    ("(guard (e ((string? e) 1) (else 2)) (f))", "(guard e (f) (if (string? e) 1 2))"),
    ("(guard (e ((string? e) 1)) (f) (g))", "(guard e (begin (f) (g)) (if (string? e) 1 (%builtin raise e)))"),
    ("(guard (e) (f))", "(guard e (f) (%builtin raise e))"),
    // macros
    ("(defmacro my-when (c &rest body) `(if ,c (do ,@body))) (my-when a b c)", "(if a (begin b c) nil)"),
    ("(defmacro my-when (c &rest body) 1) (f (my-when a b))", "(f (if a b nil))"),
    ("(defmacro def-one (n) 1) (def-one z) z", "(define z 1)\nz"),
    ("(defmacro def-one (n) 1) (fn () (def-one z) z)", "(fn () (letrec ((z 1)) z))"),
    ("(defmacro my-when (c) 1) '(my-when a)", "'(my-when a)"),
    ("(begin (defmacro my-when (c) 1)) (my-when a)", "(if a nil nil)"),
];

#[test]
fn expansions() {
    let mut failures = Vec::new();
    for (src, want) in CASES {
        let got = ex(src);
        if got != *want {
            failures.push(format!("{src}\n   want: {want}\n    got: {got}"));
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn defmacro_reaches_host() {
    let mut map = SourceMap::new();
    let f = map.add("t.sx", "(defmacro m (a &rest b) `(x ,a) 2)");
    let forms = frontend::reader::read(&map, f).unwrap();
    let mut host = Mock::default();
    let out = expand_program(&forms, &mut host).unwrap();
    assert!(out.is_empty());
    assert_eq!(host.defined, vec!["m (a &rest b) 2".to_string()]);
}

fn ex_err(src: &str) -> (String, String) {
    match expand_src(src) {
        Ok(s) => panic!("expected an expansion error for {src:?}, got {s}"),
        Err((e, map)) => (e.id.to_string(), map.describe(e.span)),
    }
}

#[test]
fn errors() {
    let cases: &[(&str, &str, &str)] = &[
        ("(if)", "expand-bad-if", "t.sx:1:1"),
        ("(x\n (if 1 2 3 4))", "expand-bad-if", "t.sx:2:2"),
        ("(fn)", "expand-bad-fn", "t.sx:1:1"),
        ("(fn x 1)", "expand-bad-params", "t.sx:1:5"),
        ("(fn (a 1) 1)", "expand-bad-params", "t.sx:1:8"),
        ("(fn (a a) 1)", "expand-bad-params", "t.sx:1:8"),
        ("(fn (a &rest) 1)", "expand-bad-params", "t.sx:1:8"),
        ("(fn (&rest a b) 1)", "expand-bad-params", "t.sx:1:6"),
        ("(fn (&key a) 1)", "expand-bad-params", "t.sx:1:6"),
        ("(define)", "expand-bad-define", "t.sx:1:1"),
        ("(define 1 2)", "expand-bad-define", "t.sx:1:1"),
        ("(define x 1 2)", "expand-bad-define", "t.sx:1:1"),
        ("(f (define x 1))", "expand-misplaced-define", "t.sx:1:4"),
        ("(when c (define x 1))", "expand-misplaced-define", "t.sx:1:9"),
        ("(fn () (defmacro m () 1))", "expand-misplaced-defmacro", "t.sx:1:8"),
        ("(defmacro)", "expand-bad-defmacro", "t.sx:1:1"),
        ("(set! 5 x)", "expand-bad-set", "t.sx:1:1"),
        ("(set! x)", "expand-bad-set", "t.sx:1:1"),
        ("(cond a)", "expand-bad-cond", "t.sx:1:1"),
        ("(cond (else 1) 2)", "expand-bad-cond", "t.sx:1:16"),
        ("(case)", "expand-bad-case", "t.sx:1:1"),
        ("(let)", "expand-bad-let", "t.sx:1:1"),
        ("(let (a) a)", "expand-bad-let", "t.sx:1:6"),
        ("(let ((a)) a)", "expand-bad-let", "t.sx:1:7"),
        ("(let ((1 2)) a)", "expand-bad-let", "t.sx:1:8"),
        ("(let 5 1)", "expand-bad-let", "t.sx:1:1"),
        ("(letrec 5 1)", "expand-bad-letrec", "t.sx:1:1"),
        ("(quote)", "expand-bad-quote", "t.sx:1:1"),
        ("(quote a b)", "expand-bad-quote", "t.sx:1:1"),
        (",x", "expand-bad-unquote", "t.sx:1:1"),
        ("(f ,@x)", "expand-bad-unquote", "t.sx:1:4"),
        ("`,@x", "expand-bad-splice", "t.sx:1:2"),
        ("`{:a ,@x}", "expand-bad-splice", "t.sx:1:6"),
        ("`(unquote a b)", "expand-bad-unquote", "t.sx:1:2"),
        ("{1 2}", "expand-bad-dict-key", "t.sx:1:2"),
        ("{a 2}", "expand-bad-dict-key", "t.sx:1:2"),
        ("(->)", "expand-bad-thread", "t.sx:1:1"),
        ("(guard e 1)", "expand-bad-guard", "t.sx:1:1"),
        ("(guard (1) 1)", "expand-bad-guard", "t.sx:1:9"),
        ("(guard (e 5) 1)", "expand-bad-guard", "t.sx:1:11"),
        ("(perform)", "expand-bad-perform", "t.sx:1:1"),
        ("(perform a b)", "expand-bad-perform", "t.sx:1:1"),
        ("(defcomp ~c (&key 1) 1)", "expand-bad-params", "t.sx:1:19"),
        ("(defcomp)", "expand-bad-defcomp", "t.sx:1:1"),
        ("(f (defcomp ~c () 1))", "expand-misplaced-define", "t.sx:1:4"),
        // macro errors: reported at the call
        ("(defmacro bad () 1)\n(f (bad))", "expand-bad-let", "t.sx:2:4"),
        ("(defmacro failing () 1)\n  (failing 1)", "macro-error", "t.sx:2:3"),
        ("(defmacro forever () 1) (forever)", "expand-too-deep", "t.sx:1:25"),
        ("(defmacro my-when (c &rest b) 1) (my-when x (if))", "expand-bad-if", "t.sx:1:45"),
    ];
    let mut failures = Vec::new();
    for (src, id, at) in cases {
        let got = std::panic::catch_unwind(|| ex_err(src));
        match got {
            Ok(got) if got == (id.to_string(), at.to_string()) => {}
            Ok(got) => failures.push(format!("{src:?}: want {id} {at}, got {} {}", got.0, got.1)),
            Err(_) => failures.push(format!("{src:?}: no error")),
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn macro_error_keeps_original_position_as_label() {
    let (e, _) = expand_src("(defmacro bad () 1)\n(f (bad))").unwrap_err();
    assert_eq!(e.labels.len(), 1);
    assert!(e.notes.iter().any(|n| n.contains("`bad`")), "{:?}", e.notes);
}

#[test]
fn deep_cond_is_not_recursive() {
    let mut src = String::from("(cond");
    for i in 0..1000 {
        src.push_str(&format!(" (= x {i}) {i}"));
    }
    src.push(')');
    let out = ex(&src);
    assert!(out.starts_with("(if (= x 0) 0 (if"));
    // The 1000-deep `if` chain also resolves on a default test thread.
    let mut map = SourceMap::new();
    let f = map.add("t.sx", src);
    let (_, p) = frontend::compile_to_ast(&mut map, f, &mut Mock::default()).unwrap();
    assert_eq!(p.body.len(), 1);
}
