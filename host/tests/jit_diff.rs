//! Differential fuzzing of the tiers: generated SX programs run by the real
//! `sxc` binary under `--jit off` and under the LLVM tier (`--jit eager`,
//! `--jit tiered --jit-threshold 1`, and `--jit eager` with
//! `SXC_JIT_STRESS_DEOPT=3`); stdout, stderr (messages and backtraces) and
//! the exit status must be identical. The interpreter is the reference: any
//! difference is a JIT bug (or a non-determinism the interpreter should not
//! have either).
//!
//! The programs mix what the tier speculates on and must undo exactly:
//! integer arithmetic that overflows or turns float mid-loop, arguments of
//! the wrong type (strings, nil) reaching speculated sites, closures,
//! lists, dicts, strings, `perform` inside `map`/`filter`/`reduce`/`sort`
//! callbacks, `try-call`, `dynamic-wind`, `apply` with `&rest`, raised and
//! caught errors, deep and tail (and mutual tail) recursion. Each generated
//! file holds several independent functions, each called twice (integer
//! arguments, then mixed ones) with errors caught and printed — in half the
//! files also 20 times in a loop (hot, then alternating argument kinds, so
//! tiered compiles land mid-loop and repeated deopts force a recompile
//! without speculation) — and may end with one uncaught call (exit status 1
//! and a backtrace on stderr).
//!
//! Knobs: `SXC_FUZZ_CASES=N` files (default 6: CI, well under a minute) and
//! `SXC_FUZZ_SEED=S` (default 7). A failing file is shrunk by proptest
//! (fewer functions, smaller expressions), printed, and saved under
//! `$CARGO_TARGET_TMPDIR/jit-diff/` so it can be rerun with
//! `sxc run FILE --jit eager` beside `--jit off`; `SXC_FUZZ_KEEP=DIR` keeps
//! every generated file there; `SXC_FUZZ_BIN=PATH` runs another `sxc` build
//! (a release build, or a copy that a rebuild will not replace mid-run).
//! docs/jit.md records the longer runs.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A generated numeric expression over the variables `x` and `y`.
fn num() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        4 => (-20i64..20).prop_map(|n| n.to_string()),
        1 => prop_oneof![
            Just("9223372036854775807"),
            Just("-9223372036854775808"),
            Just("4611686018427387904"),
            Just("3037000500"),
        ]
        .prop_map(str::to_string),
        2 => (-40i32..40).prop_map(|n| format!("{:.2}", n as f64 / 4.0)),
        3 => Just("x".to_string()),
        3 => Just("y".to_string()),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        let op = prop_oneof![
            Just("+"),
            Just("-"),
            Just("*"),
            Just("/"),
            Just("quotient"),
            Just("remainder"),
            Just("mod"),
            Just("max"),
            Just("min"),
        ];
        let cmp = prop_oneof![Just("<"), Just("<="), Just(">"), Just(">="), Just("="), Just("!=")];
        let un = prop_oneof![Just("inc"), Just("dec"), Just("abs"), Just("-"), Just("floor")];
        prop_oneof![
            5 => (op, inner.clone(), inner.clone()).prop_map(|(o, a, b)| format!("({o} {a} {b})")),
            2 => (un, inner.clone()).prop_map(|(o, a)| format!("({o} {a})")),
            2 => (cmp, inner.clone(), inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, a, b, t, f)| format!("(if ({c} {a} {b}) {t} {f})")),
            1 => (inner.clone(), inner.clone()).prop_map(|(i, b)| format!("(let ((y {i})) {b})")),
            1 => inner.clone().prop_map(|a| format!("(if (even? (len (str {a}))) {a} 1)")),
            1 => (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("(+ {a} (len (list {b} {b})))")),
        ]
    })
}

/// A second argument that is usually a number but sometimes a value the
/// speculated code must not accept.
fn odd_arg() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (-30i64..30).prop_map(|n| n.to_string()),
        3 => (-30i32..30).prop_map(|n| format!("{:.1}", n as f64 / 2.0)),
        1 => Just("\"s\"".to_string()),
        1 => Just("nil".to_string()),
        1 => Just("9223372036854775807".to_string()),
    ]
}

/// One generated function: its shape, two expressions, and its arguments.
#[derive(Clone, Debug)]
struct Prog {
    shape: u8,
    a: String,
    b: String,
    seed: i64,
    odd: String,
}

const SHAPES: u8 = 14;

fn prog() -> impl Strategy<Value = Prog> {
    (0..SHAPES, num(), num(), -30i64..30, odd_arg()).prop_map(|(shape, a, b, seed, odd)| Prog { shape, a, b, seed, odd })
}

impl Prog {
    /// The definition(s) of function `f` and the argument lists (after `f`)
    /// of its two calls: the first with integers, the second mixed.
    fn render(&self, f: &str) -> (String, [String; 2]) {
        let Prog { a, b, seed, odd, .. } = self;
        match self.shape {
            // A plain function.
            0 => (format!("(define ({f} x y) {a})"), [format!("{seed} 3"), format!("{odd} {seed}")]),
            // A self tail-call loop over int/float accumulators (overflow, deopt mid-loop).
            1 => (
                format!("(define ({f} i x y) (if (<= i 0) (list x y) ({f} (- i 1) {a} (+ y 1))))"),
                [format!("40 {seed} 0"), format!("30 {odd} 1")],
            ),
            // Non-tail recursion, a few thousand deep.
            2 => (
                format!("(define ({f} n x y) (if (<= n 0) {a} (+ 1 ({f} (- n 1) x y))))"),
                [format!("3000 {seed} 2"), format!("2000 {odd} 1")],
            ),
            // Performs inside map / filter / reduce callbacks.
            3 => (
                format!(
                    "(define ({f} xs y) (reduce (fn (acc x) (+ acc (perform {{:op \"kv/get\" :args (list (str \"{f}\" x) 0)}}))) 0 \
                     (filter (fn (x) (perform {{:op \"kv/put\" :args (list (str \"{f}\" x) {a})}}) (odd? (len (str x)))) \
                     (map (fn (x) (+ x 1)) xs))))"
                ),
                [format!("(list 1 2 {seed}) 5"), format!("(list {odd} 3 4) 2")],
            ),
            // Closures captured and called from map.
            4 => (
                format!(
                    "(define ({f} x y) (let ((g (fn (x) {a})) (h (fn (y) {b}))) (map (fn (k) (list (g k) (h k))) (list x y 7))))"
                ),
                [format!("{seed} 2"), format!("{odd} 2.5")],
            ),
            // Dicts and strings.
            5 => (
                format!(
                    "(define ({f} x y) (let ((d (assoc {{:a 1}} :b {a}))) (dict-set! d \"c\" {b}) \
                     (str (get d :b) \"/\" (len (keys d)) \"/\" (get d \"c\") \"/\" (upper (join \",\" (keys d))))))"
                ),
                [format!("{seed} 4"), format!("{odd} {seed}")],
            ),
            // A raise caught inside, or escaping to the caller's guard.
            6 => (
                format!(
                    "(define ({f} x y) (+ (guard (e ((string? e) 7) ((error? e) (len (error-message e)))) \
                     (if (> {a} 0) (raise (error \"pos\" x)) (if (< {b} 0) (raise \"neg\") 1))) y))"
                ),
                [format!("{seed} 1"), format!("{odd} 2")],
            ),
            // A string built in a tail loop.
            7 => (
                format!(
                    "(define ({f} n acc x y) (if (<= n 0) (list (len acc) acc) ({f} (- n 1) (str acc \",\" {a}) (+ x 1) y)))"
                ),
                [format!("6 \"\" {seed} 2"), format!("5 \"\" {odd} 0.5")],
            ),
            // sort with a performing comparator; apply over &rest.
            8 => (
                format!(
                    "(define ({f} x &rest ys) (let ((y (len ys))) (perform {{:op \"kv/put\" :args (list \"{f}\" {a})}}) \
                     (apply max x (sort (fn (p q) (< (+ p (perform {{:op \"kv/get\" :args (list \"{f}\" 0)}})) q)) ys))))"
                ),
                [format!("{seed} 3 1 2"), format!("{odd} 2.5 -1 {seed}")],
            ),
            // try-call and dynamic-wind.
            9 => (
                format!(
                    "(define ({f} x y) (let ((log (list))) (let ((r (try-call (fn () (dynamic-wind (fn () (append! log \"in\")) \
                     (fn () {a}) (fn () (append! log \"out\"))))))) (list (get r :ok) (get r :value) (get r :error) log))))"
                ),
                [format!("{seed} 1"), format!("{odd} 3")],
            ),
            // A named-let loop mutating a dict.
            10 => (
                format!(
                    "(define ({f} x y) (let ((d (dict))) (let loop ((i 0) (y y)) (when (< i 6) \
                     (dict-set! d (str \"k\" (remainder i 3)) {a}) (loop (+ i 1) (+ y 1)))) d))"
                ),
                [format!("{seed} 0"), format!("{seed} {odd}")],
            ),
            // Many values live across a suspension (flushed to their homes
            // before the perform, read back after it).
            12 => (
                format!(
                    "(define ({f} x y) (let ((p (+ x 1)) (q (* y 2)) (r {a})) \
                     (+ p (perform {{:op \"kv/put\" :args (list \"{f}\" (- p q))}}) q r (* p q) {b})))"
                ),
                [format!("{seed} 3"), format!("{seed} {odd}")],
            ),
            // A guard failing after several values were computed in machine
            // registers: the deopt must materialise them.
            13 => (
                format!(
                    "(define ({f} x y) (let* ((p (+ x 1)) (q (* p 2)) (r (- q x)) (s (+ r y)) (t {a})) \
                     (list p q r s t (+ p q r s) {b})))"
                ),
                [format!("{seed} 3"), format!("{seed} {odd}")],
            ),
            // Mutual tail recursion, 10,000 deep, and a closure over a counter.
            _ => (
                format!(
                    "(define ({f} x y n) (if (<= n 0) {a} ({f}-b x y (- n 1))))\n\
                     (define ({f}-b x y n) (let ((c 0)) (for-each (fn (k) (set! c (+ c k))) (list 1 2)) ({f} x (+ y c -3) n)))"
                ),
                [format!("{seed} 1 10000"), format!("{odd} 1.5 100")],
            ),
        }
    }
}

/// A generated file: several functions, each called twice with errors
/// caught and printed; when `uncaught` picks one, a last call of it is not
/// guarded (the program may end with exit status 1 and a backtrace).
#[derive(Clone, Debug)]
struct File {
    progs: Vec<Prog>,
    uncaught: Option<usize>,
    /// Each function is also called 20 times in a loop (8 with integer
    /// arguments, then alternating with the mixed ones).
    sweep: bool,
}

impl File {
    fn render(&self) -> String {
        let mut out = String::new();
        for (k, p) in self.progs.iter().enumerate() {
            let f = format!("f{k}");
            let (def, calls) = p.render(&f);
            out.push_str(&def);
            out.push('\n');
            for args in &calls {
                out.push_str(&format!(
                    "(println (guard (e (true (str \"error: \" (error-message e)))) ({f} {args})))\n"
                ));
            }
            if self.sweep {
                // Hot, then alternating argument kinds: tiered compiles land
                // mid-sweep (the pause lets the compile thread catch up), and
                // repeated deopts recompile without speculation.
                let [int, mixed] = &calls;
                out.push_str(&format!(
                    "(let sweep ((j 0)) (when (< j 20) \
                     (when (= j 4) (perform {{:op \"sleep\" :args (list 40)}})) \
                     (println j (guard (e (true (str \"error: \" (error-message e)))) (if (or (< j 8) (even? j)) ({f} {int}) ({f} {mixed})))) \
                     (sweep (+ j 1))))\n"
                ));
            }
        }
        if let Some(i) = self.uncaught.filter(|i| *i < self.progs.len()) {
            let (_, calls) = self.progs[i].render(&format!("f{i}"));
            out.push_str(&format!("(println (f{i} {}))\n", calls[1]));
        }
        out
    }
}

fn file() -> impl Strategy<Value = File> {
    (proptest::collection::vec(prog(), 1..16), proptest::option::weighted(0.3, 0usize..16), proptest::bool::weighted(0.5))
        .prop_map(|(progs, uncaught, sweep)| File { progs, uncaught, sweep })
}

/// stdout, stderr (the file's path replaced by `gen.sx`) and exit status of
/// one run.
type Outcome = (String, String, Option<i32>);

fn run(src: &Path, data: &Path, jit: &[&str], env: &[(&str, &str)]) -> Outcome {
    // SXC_FUZZ_BIN: another build of sxc (e.g. target/release/sxc).
    let bin = std::env::var_os("SXC_FUZZ_BIN").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_sxc")));
    let out = Command::new(bin)
        .arg("run")
        .arg(src)
        .arg("--data")
        .arg(data)
        .args(jit)
        .env_remove("SXC_JIT")
        .env_remove("SXC_JIT_THRESHOLD")
        .env_remove("SXC_JIT_STRESS_DEOPT")
        .env_remove("SXC_JIT_COMPILE_ALL")
        .envs(env.iter().copied())
        .output()
        .expect("run sxc");
    let err = String::from_utf8_lossy(&out.stderr).replace(&src.display().to_string(), "gen.sx");
    (String::from_utf8_lossy(&out.stdout).into_owned(), err, out.status.code())
}

/// The JIT configurations compared with `--jit off`.
const MODES: &[(&str, &[&str], &[(&str, &str)])] = &[
    ("--jit eager", &["--jit", "eager"], &[]),
    ("--jit tiered --jit-threshold 1", &["--jit", "tiered", "--jit-threshold", "1"], &[]),
    ("SXC_JIT_STRESS_DEOPT=3 --jit eager", &["--jit", "eager"], &[("SXC_JIT_STRESS_DEOPT", "3")]),
];

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn jit_agrees_with_interpreter_on_generated_programs() {
    let cases = env_num("SXC_FUZZ_CASES", 6) as u32;
    let seed = env_num("SXC_FUZZ_SEED", 7);
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes);
    let config = Config { cases, failure_persistence: None, max_shrink_iters: 400, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, rng);
    let tmp = tempfile::tempdir().unwrap();
    // SXC_FUZZ_KEEP=DIR keeps every generated file (and its data dirs) there.
    let dir = std::env::var_os("SXC_FUZZ_KEEP").map(PathBuf::from).unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir).unwrap();
    let saved = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("jit-diff");
    let (counter, programs) = (std::cell::Cell::new(0u64), std::cell::Cell::new(0usize));
    let result = runner.run(&file(), |f| {
        let n = counter.get() + 1;
        counter.set(n);
        programs.set(programs.get() + f.progs.len());
        let src = f.render();
        let path = dir.join(format!("gen{n}.sx"));
        std::fs::write(&path, &src).unwrap();
        let data = |m: &str| dir.join(format!("data-{n}-{m}"));
        let base = run(&path, &data("off"), &["--jit", "off"], &[]);
        for (i, (name, args, env)) in MODES.iter().enumerate() {
            let got = run(&path, &data(&i.to_string()), args, env);
            if got != base {
                std::fs::create_dir_all(&saved).unwrap();
                let keep = saved.join(format!("seed{seed}-case{n}.sx"));
                std::fs::write(&keep, &src).unwrap();
                return Err(TestCaseError::fail(format!(
                    "{name} differs from --jit off (program saved as {})\n--- program:\n{src}\n--- --jit off: {base:?}\n--- {name}: {got:?}",
                    keep.display()
                )));
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    eprintln!("jit_diff: seed {seed}: {cases} files, {} generated functions, no difference", programs.get());
}
