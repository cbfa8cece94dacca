//! Resume states through the real binary: a frame compiled code left at a
//! `perform` (or at a call whose callee suspended) continues in its
//! compiled code when the fiber resumes or the callee returns, and the
//! output is the interpreter's.

use std::path::Path;
use std::process::{Command, Output};

fn sxc(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sxc")).args(args).current_dir(dir).env_remove("SXC_JIT").output().expect("run sxc")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The `resumes` column of the last `--jit-stats` row named `name`.
fn resumes_of(stats: &str, name: &str) -> u64 {
    stats.lines().filter(|l| l.split_whitespace().next() == Some(name)).last().and_then(|l| l.split_whitespace().nth(6)).and_then(|d| d.parse().ok()).unwrap_or(0)
}

/// Every callback performs (a `sleep`, then a storage write and read); the
/// values live across each suspension (`x`, `acc`, the loop's state) must
/// come back from their homes.
const PROGRAM: &str = r#"
(define (step x)
  (let ((y (* x 3)))
    (sleep 0)
    (kv-put! (str "k" (mod x 7)) y)
    (+ y (kv-get (str "k" (mod x 7))) 1)))
(define (go n)
  (let loop ((i 0) (acc 0))
    (if (= i n)
        acc
        (loop (inc i) (+ acc (reduce + 0 (map step (range i (+ i 3)))))))))
(println (go 150))
(println (filter (fn (x) (sleep 0) (odd? x)) (range 0 12)))
"#;

#[test]
fn compiled_frames_resume_at_their_states() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("p.sx"), PROGRAM).unwrap();
    let off = sxc(&["run", "--jit", "off", "--data", "off", "p.sx"], d);
    assert_eq!(off.status.code(), Some(0), "{}", text(&off.stderr));
    let on = sxc(&["run", "--jit", "eager", "--jit-stats", "--data", "on", "p.sx"], d);
    let err = text(&on.stderr);
    assert_eq!(text(&on.stdout), text(&off.stdout), "{err}");
    assert!(err.contains("jit: ") && err.contains(" 0 failed"), "{err}");
    // 450 callbacks, each suspending twice (sleep, then the write and the
    // read): `step` re-enters its compiled code after each.
    assert!(resumes_of(&err, "step") >= 900, "{err}");
    // `go`'s loop is left at the `map` call whose callback suspended, and
    // comes back to its compiled code when `map` returns.
    assert!(resumes_of(&err, "go") >= 1 || resumes_of(&err, "loop") >= 1, "{err}");
}

/// The `calls` and tier columns of the `--jit-stats` rows named `name`.
fn rows<'a>(stats: &'a str, name: &'a str) -> impl Iterator<Item = (String, u64)> + 'a {
    stats
        .lines()
        .filter(move |l| l.split_whitespace().next() == Some(name))
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w[1].to_string(), w[2].parse().unwrap_or(0))
        })
}

/// On-stack replacement at self-loop back-edges: a named `let` entered
/// once (one call) runs its later iterations in compiled code, and a
/// builtin passed as a callback (`odd?` to `filter`) is called from
/// compiled code without leaving it.
#[test]
fn loops_entered_once_tier_up_at_their_back_edges() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let program = r#"
(define (sum-to n)
  (let loop ((i 0) (acc 0))
    (if (= i n) acc (loop (+ i 1) (+ acc i)))))
(println (sum-to 2000000))
(println (len (filter odd? (range 0 50000))))
(println (reduce + 0 (map (fn (x) (* x x)) (range 0 50000))))
"#;
    std::fs::write(d.join("p.sx"), program).unwrap();
    let off = sxc(&["run", "--jit", "off", "p.sx"], d);
    assert_eq!(off.status.code(), Some(0), "{}", text(&off.stderr));
    assert_eq!(text(&off.stdout), "1999999000000\n25000\n41665416675000\n");
    // Eager compiles before the first call: tiered with a threshold is the
    // path where only the back-edge counter can make a loop hot.
    let on = sxc(&["run", "--jit", "tiered", "--jit-threshold", "500", "--jit-stats", "p.sx"], d);
    let err = text(&on.stderr);
    assert_eq!(text(&on.stdout), text(&off.stdout), "{err}");
    let compiled_once: Vec<(String, u64)> = rows(&err, "loop").filter(|(tier, calls)| tier == "compiled" && *calls == 1).collect();
    // `sum-to`'s loop, and the prelude's `filter`, `map` and `reduce` loops,
    // each called once (compiles finish on the background thread, so a
    // loop may end before its code is ready: at least one must make it).
    assert!(!compiled_once.is_empty(), "{err}");
    assert!(err.contains(" 0 failed"), "{err}");
}
