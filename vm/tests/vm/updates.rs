//! Functional updates (`cons`, `append`, `assoc`, `dissoc`, `merge`,
//! `update`) update in place only when nothing else can see the collection
//! (docs/vm.md, "Owned arguments"): every value that is still referenced
//! never changes. Random straight-line and looping programs are run in the
//! interpreter and compared with a model of the copying semantics; the
//! programs keep a random subset of the old collections alive to the end.

use crate::common::*;
use indexmap::IndexMap;
use proptest::prelude::*;

/// A model value: a list or a dict of integers.
#[derive(Clone, Debug)]
enum M {
    List(Vec<i64>),
    Dict(IndexMap<String, i64>),
}

impl M {
    fn repr(&self) -> String {
        match self {
            M::List(xs) => format!("({})", xs.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(" ")),
            M::Dict(d) => format!("{{{}}}", d.iter().map(|(k, v)| format!(":{k} {v}")).collect::<Vec<_>>().join(" ")),
        }
    }
}

/// One step: a new variable computed from earlier ones (indices are taken
/// modulo the number of variables of the right kind).
#[derive(Clone, Debug)]
enum Step {
    Cons(usize, i64),
    Append(usize, i64),
    Rest(usize),
    Take(usize),
    ConsLoop(usize, u8),
    Assoc(usize, u8, i64),
    Dissoc(usize, u8),
    Merge(usize, usize),
    Update(usize, u8),
    CountWords(usize, Vec<u8>),
}

fn step() -> impl Strategy<Value = Step> {
    let v = 0usize..64;
    prop_oneof![
        (v.clone(), -9i64..9).prop_map(|(a, x)| Step::Cons(a, x)),
        (v.clone(), -9i64..9).prop_map(|(a, x)| Step::Append(a, x)),
        v.clone().prop_map(Step::Rest),
        v.clone().prop_map(Step::Take),
        (v.clone(), 0u8..12).prop_map(|(a, n)| Step::ConsLoop(a, n)),
        (v.clone(), 0u8..6, -9i64..9).prop_map(|(a, k, x)| Step::Assoc(a, k, x)),
        (v.clone(), 0u8..6).prop_map(|(a, k)| Step::Dissoc(a, k)),
        (v.clone(), v.clone()).prop_map(|(a, b)| Step::Merge(a, b)),
        (v.clone(), 0u8..6).prop_map(|(a, k)| Step::Update(a, k)),
        (v, proptest::collection::vec(0u8..6, 0..8)).prop_map(|(a, ks)| Step::CountWords(a, ks)),
    ]
}

/// Builds the SX program and the expected output for `steps`; `keep[i]`
/// says whether variable `i` is printed at the end (otherwise it dies at its
/// last use, and its collection may be updated in place).
fn program(steps: &[Step], keep: &[bool]) -> (String, String) {
    let mut vals = vec![
        M::List(vec![]),
        M::Dict(IndexMap::new()),
        M::List(vec![1, 2, 3]),
        M::Dict([("a".to_string(), 1), ("b".to_string(), 2)].into_iter().collect()),
    ];
    let mut src = String::from(
        "(define (inc1 x) (if (nil? x) 1 (+ x 1)))\n(define (f)\n(let ((v0 (list)) (v1 {}) (v2 (list 1 2 3)) (v3 {:a 1 :b 2}))\n",
    );
    let pick = |vals: &[M], i: usize, list: bool| -> usize {
        let of_kind: Vec<usize> = (0..vals.len()).filter(|&j| matches!(vals[j], M::List(_)) == list).collect();
        of_kind[i % of_kind.len()]
    };
    let mut closes = 1;
    for s in steps {
        let n = vals.len();
        let (expr, val) = match s {
            Step::Cons(a, x) => {
                let a = pick(&vals, *a, true);
                let M::List(xs) = &vals[a] else { unreachable!() };
                (format!("(cons {x} v{a})"), M::List(std::iter::once(*x).chain(xs.iter().copied()).collect()))
            }
            Step::Append(a, x) => {
                let a = pick(&vals, *a, true);
                let M::List(xs) = &vals[a] else { unreachable!() };
                (format!("(append v{a} {x})"), M::List(xs.iter().copied().chain(std::iter::once(*x)).collect()))
            }
            Step::Rest(a) => {
                let a = pick(&vals, *a, true);
                let M::List(xs) = &vals[a] else { unreachable!() };
                (format!("(rest v{a})"), M::List(xs.iter().skip(1).copied().collect()))
            }
            Step::Take(a) => {
                let a = pick(&vals, *a, true);
                let M::List(xs) = &vals[a] else { unreachable!() };
                (format!("(take 2 v{a})"), M::List(xs.iter().take(2).copied().collect()))
            }
            Step::ConsLoop(a, k) => {
                let a = pick(&vals, *a, true);
                let M::List(xs) = &vals[a] else { unreachable!() };
                let mut ys = xs.clone();
                for i in 0..*k as i64 {
                    ys.insert(0, i);
                }
                (format!("(let loop ((i 0) (acc v{a})) (if (< i {k}) (loop (+ i 1) (cons i acc)) acc))"), M::List(ys))
            }
            Step::Assoc(a, k, x) => {
                let a = pick(&vals, *a, false);
                let M::Dict(d) = &vals[a] else { unreachable!() };
                let mut d = d.clone();
                d.insert(format!("k{k}"), *x);
                (format!("(assoc v{a} :k{k} {x})"), M::Dict(d))
            }
            Step::Dissoc(a, k) => {
                let a = pick(&vals, *a, false);
                let M::Dict(d) = &vals[a] else { unreachable!() };
                let mut d = d.clone();
                d.shift_remove(&format!("k{k}"));
                (format!("(dissoc v{a} :k{k})"), M::Dict(d))
            }
            Step::Merge(a, b) => {
                let (a, b) = (pick(&vals, *a, false), pick(&vals, *b, false));
                let (M::Dict(d), M::Dict(e)) = (&vals[a], &vals[b]) else { unreachable!() };
                let mut d = d.clone();
                for (k, v) in e {
                    d.insert(k.clone(), *v);
                }
                (format!("(merge v{a} v{b})"), M::Dict(d))
            }
            Step::Update(a, k) => {
                let a = pick(&vals, *a, false);
                let M::Dict(d) = &vals[a] else { unreachable!() };
                let mut d = d.clone();
                *d.entry(format!("k{k}")).or_insert(0) += 1;
                (format!("(update v{a} :k{k} inc1)"), M::Dict(d))
            }
            Step::CountWords(a, ks) => {
                let a = pick(&vals, *a, false);
                let M::Dict(d) = &vals[a] else { unreachable!() };
                let mut d = d.clone();
                for k in ks {
                    *d.entry(format!("k{k}")).or_insert(0) += 1;
                }
                let words: Vec<String> = ks.iter().map(|k| format!(":k{k}")).collect();
                (format!("(reduce (fn (d w) (update d w inc1)) v{a} (list {}))", words.join(" ")), M::Dict(d))
            }
        };
        src.push_str(&format!("(let ((v{n} {expr}))\n"));
        closes += 1;
        vals.push(val);
    }
    let last = vals.len() - 1;
    let shown: Vec<usize> = (0..vals.len()).filter(|&i| i == last || keep.get(i).copied().unwrap_or(false)).collect();
    src.push_str(&format!("(list {})", shown.iter().map(|i| format!("v{i}")).collect::<Vec<_>>().join(" ")));
    src.push_str(&")".repeat(closes));
    src.push_str(")\n(println (f))\n");
    let expected = format!("({})\n", shown.iter().map(|&i| vals[i].repr()).collect::<Vec<_>>().join(" "));
    (src, expected)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Same results as the copying semantics, whichever old collections
    /// stay alive.
    #[test]
    fn updates_agree_with_the_copying_model(
        steps in proptest::collection::vec(step(), 1..24),
        keep in proptest::collection::vec(any::<bool>(), 0..32),
    ) {
        let (src, expected) = program(&steps, &keep);
        prop_assert_eq!(out(&src), expected, "program:\n{}", src);
    }
}

/// Every update form, with the old collection kept alive and checked
/// afterwards (straight-line, in loops, and through calls).
#[test]
fn old_collections_never_change() {
    let src = r#"
(define (inc1 x) (if (nil? x) 1 (+ x 1)))
(define (check)
  (let ((xs (list 1 2 3)) (d {:a 1 :b 2}))
    (let ((c (cons 0 xs)) (a (append xs 4)) (s (assoc d :c 3)) (r (dissoc d :a))
          (m (merge d {:a 9})) (u (update d :a inc1)))
      (list xs d c a s r m u))))
(println (check))
(define (build n)
  (let loop ((i 0) (acc (list)) (snaps (list)))
    (if (< i n) (loop (+ i 1) (cons i acc) (if (= i 2) (cons acc snaps) snaps)) (list acc snaps))))
(println (build 5))
(define (grow n)
  (let loop ((i 0) (d {}) (snap nil))
    (if (< i n) (loop (+ i 1) (assoc d (str "k" i) i) (if (= i 1) d snap)) (list d snap))))
(println (grow 4))
(define base (list 5 6))
(define (twice xs) (list (cons 1 xs) (cons 2 xs)))
(println (twice base) base)
(define v (rest (list 1 2 3 4)))
(define w (cons 0 v))
(define z (append (take 2 (list 7 8 9)) 10))
(println v w z)
(define counts (reduce (fn (d w) (update d w inc1)) {} (list :x :y :x)))
(define again (reduce (fn (d w) (update d w inc1)) counts (list :x)))
(println counts again)
"#;
    assert_eq!(
        out(src),
        "((1 2 3) {:a 1 :b 2} (0 1 2 3) (1 2 3 4) {:a 1 :b 2 :c 3} {:b 2} {:a 9 :b 2} {:a 2 :b 2})\n\
         ((4 3 2 1 0) ((1 0)))\n\
         ({:k0 0 :k1 1 :k2 2 :k3 3} {:k0 0})\n\
         ((1 5 6) (2 5 6)) (5 6)\n\
         (2 3 4) (0 2 3 4) (7 8 10)\n\
         {:x 2 :y 1} {:x 3 :y 1}\n"
    );
}

/// The update primitives are compiled to consume their collection argument
/// where it is at its last use, and the loop's accumulator moves.
#[test]
fn last_uses_compile_to_owned_calls() {
    let src = "(define (build n) (let loop ((i 0) (acc (list))) (if (< i n) (loop (+ i 1) (cons i acc)) acc)))\n\
               (define (keep xs) (list (cons 1 xs) xs))";
    let text = vm::pipeline::dump("t.sx", src, vm::pipeline::Stage::Bytecode, None).unwrap_or_else(|(_, d)| panic!("{}", d.message));
    // (The named-let loop is its own proto, `loop`.)
    let build = text.split("proto ").find(|p| p.starts_with("loop")).expect("loop proto");
    assert!(build.contains("prim.own") && build.contains("cons"), "{build}");
    let keep = text.split("proto ").find(|p| p.starts_with("keep")).expect("keep proto");
    assert!(!keep.contains("prim.own"), "xs is used after the cons: {keep}");
}

/// A long `cons` loop and a reverse by `cons` give the right list (each
/// `cons` is in place: see bench/growth.sh for the timing).
#[test]
fn cons_loops_build_and_reverse() {
    let src = "(define (build n) (let loop ((i 0) (acc (list))) (if (< i n) (loop (+ i 1) (cons i acc)) acc)))\n\
               (define (rev xs) (let loop ((xs xs) (acc (list))) (if (empty? xs) acc (loop (rest xs) (cons (first xs) acc)))))\n\
               (define ys (rev (build 20000)))\n(println (len ys) (first ys) (last ys) (nth ys 777))";
    assert_eq!(out(src), "20000 0 19999 777\n");
}
