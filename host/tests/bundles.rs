//! `sxc build` bundles through the real binary: built, run natively,
//! inspected, refused when damaged, reproducible.

use host::build::Bundle;
use std::path::Path;
use std::process::{Command, Output};

fn sxc(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sxc")).args(args).current_dir(dir).env_remove("SXC_JIT").output().expect("run sxc")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A bundle in a temporary directory (removed on drop).
pub(crate) struct Built {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

impl Built {
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

/// `sxc build examples/blog` into a temporary directory.
pub(crate) fn blog_bundle() -> Built {
    let dir = tempfile::tempdir().unwrap();
    let blog = crate::e2e::repo_root().join("examples/blog");
    let path = dir.path().join("blog.sxb");
    let o = sxc(&["build", &blog.display().to_string(), "-o", &path.display().to_string()], dir.path());
    assert_eq!(o.status.code(), Some(0), "sxc build examples/blog: {}", text(&o.stderr));
    Built { _dir: dir, path }
}

const FIB: &str = "(define (fib n)\n  (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))\n(println (fib 20))\n";

/// Builds `name` (already written in `dir`) into `out`; panics with stderr on failure.
fn build(dir: &Path, name: &str, out: &str) {
    let o = sxc(&["build", name, "-o", out], dir);
    assert_eq!(o.status.code(), Some(0), "sxc build {name}: {}", text(&o.stderr));
}

/// The tier `--jit-stats` reports for the last row named `name` (the
/// program's own functions come after the prelude's).
fn tier_of(stats: &str, name: &str) -> String {
    stats.lines().filter(|l| l.split_whitespace().next() == Some(name)).last().and_then(|l| l.split_whitespace().nth(1)).unwrap_or("none").to_string()
}

#[test]
fn a_built_bundle_runs_from_machine_code() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fib.sx"), FIB).unwrap();
    build(dir.path(), "fib.sx", "fib.sxb");
    let o = sxc(&["run", "--jit-stats", "fib.sxb"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "6765\n");
    let err = text(&o.stderr);
    assert_eq!(tier_of(&err, "fib"), "compiled", "{err}");
    assert_eq!(tier_of(&err, "<toplevel>"), "compiled", "{err}");
    // The prelude comes from the bundle too, with its object code.
    assert_eq!(tier_of(&err, "map"), "compiled", "{err}");
    // Every function of the program has object code, and inspect says so.
    let o = sxc(&["inspect", "fib.sxb"], dir.path());
    let out = text(&o.stdout);
    assert!(out.contains("functions = 2 (2 with object code"), "{out}");
    let prelude = out.lines().find_map(|l| l.strip_prefix("prelude-functions = ")).expect("a prelude-functions line");
    let (n, rest) = prelude.split_once(" (").unwrap();
    assert!(n.parse::<usize>().unwrap() > 10 && rest.starts_with(&format!("{n} with object code")), "{out}");
    assert!(out.contains("source = ") && out.contains(" <prelude>\n"), "the prelude's text is in the bundle: {out}");
    assert!(out.contains("kind = script") && out.contains("native = yes"), "{out}");
    // `--jit off` runs the bundle's bytecode.
    let o = sxc(&["run", "--jit", "off", "--jit-stats", "fib.sxb"], dir.path());
    assert_eq!(text(&o.stdout), "6765\n");
    assert_eq!(tier_of(&text(&o.stderr), "fib"), "interpreted");
}

#[test]
fn backtraces_from_a_bundle_name_source_positions() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.sx"),
        "(define (g x) (if (> x 100) (g (- x 1)) (+ 1 (/ x 0))))\n(define (f x) (if (> x 100) (f (- x 1)) (+ 1 (g x))))\n(println \"before\")\n(f 1)\n",
    )
    .unwrap();
    build(dir.path(), "bad.sx", "bad.sxb");
    let o = sxc(&["run", "bad.sxb"], dir.path());
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(text(&o.stdout), "before\n");
    assert!(err.starts_with("error: division by zero\n"), "{err}");
    assert!(err.contains("at g (bad.sx:1:46)\n  at f (bad.sx:2:46)"), "{err}");
}

#[test]
fn the_same_sources_give_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fib.sx"), FIB).unwrap();
    build(dir.path(), "fib.sx", "a.sxb");
    build(dir.path(), "fib.sx", "b.sxb");
    let (a, b) = (std::fs::read(dir.path().join("a.sxb")).unwrap(), std::fs::read(dir.path().join("b.sxb")).unwrap());
    assert!(a == b, "two builds of the same source differ");
    // With one compile thread too.
    let o = sxc(&["build", "--jobs", "1", "fib.sx", "-o", "c.sxb"], dir.path());
    assert_eq!(o.status.code(), Some(0));
    assert!(std::fs::read(dir.path().join("c.sxb")).unwrap() == a, "--jobs 1 and --jobs N differ");
}

/// Writes `fib.sxb` into a fresh directory and returns the directory and the bytes.
fn fib_bundle() -> (tempfile::TempDir, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fib.sx"), FIB).unwrap();
    build(dir.path(), "fib.sx", "fib.sxb");
    let bytes = std::fs::read(dir.path().join("fib.sxb")).unwrap();
    (dir, bytes)
}

/// Runs the bundle `bytes` (written as `x.sxb`): (exit code, stdout, stderr).
fn run_bytes(dir: &Path, bytes: &[u8], args: &[&str]) -> (Option<i32>, String, String) {
    std::fs::write(dir.join("x.sxb"), bytes).unwrap();
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.push("x.sxb");
    let o = sxc(&all, dir);
    (o.status.code(), text(&o.stdout), text(&o.stderr))
}

#[test]
fn damaged_bundles_are_refused_each_with_its_own_message() {
    let (dir, good) = fib_bundle();
    let d = dir.path();
    // A flipped byte in the object code.
    let mut v = good.clone();
    let i = v.len() - 100;
    v[i] ^= 0x40;
    let (code, out, err) = run_bytes(d, &v, &[]);
    assert_eq!((code, out.as_str()), (Some(1), ""), "{err}");
    assert!(err.contains("x.sxb is corrupt: its checksum does not match"), "{err}");
    // Truncated.
    let (code, _, err) = run_bytes(d, &good[..good.len() / 2], &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains(&format!("x.sxb is truncated: {} bytes, the header says {}", good.len() / 2, good.len())), "{err}");
    // Another format version.
    let mut v = good.clone();
    v[8..12].copy_from_slice(&7u32.to_le_bytes());
    let (code, _, err) = run_bytes(d, &v, &[]);
    assert_eq!(code, Some(1));
    let this = host::build::format::FORMAT_VERSION;
    assert!(err.contains(&format!("x.sxb is bundle format version 7; this sxc reads version {this}")), "{err}");
    // A bundle of the previous format (no prelude inside) is refused the same way.
    v[8..12].copy_from_slice(&(this - 1).to_le_bytes());
    let (code, _, err) = run_bytes(d, &v, &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains(&format!("x.sxb is bundle format version {}; this sxc reads version {this}", this - 1)), "{err}");
    // Another target triple (a well-formed bundle otherwise).
    let mut b = Bundle::decode(Path::new("x.sxb"), &good).unwrap();
    b.manifest.target = "riscv64gc-unknown-linux-gnu".into();
    let (code, _, err) = run_bytes(d, &b.encode(), &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("x.sxb was built for riscv64gc-unknown-linux-gnu; this machine is"), "{err}");
    // A prelude whose IR does not read, a span naming a source file the
    // bundle lacks, module function counts that disagree (checksums
    // recomputed: well-formed containers with bad contents).
    let good_b = Bundle::decode(Path::new("x.sxb"), &good).unwrap();
    let mut b = good_b.clone();
    b.modules[0].ir = "fn broken(".into();
    let (code, _, err) = run_bytes(d, &b.encode(), &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("x.sxb: its IR does not read"), "{err}");
    let mut b = good_b.clone();
    b.modules[0].spans[0].0 = 99;
    let (code, _, err) = run_bytes(d, &b.encode(), &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("its spans refer to source file 99, which it does not hold"), "{err}");
    let mut b = good_b.clone();
    b.modules[0].functions += 1;
    b.modules[1].functions -= 1;
    let (code, _, err) = run_bytes(d, &b.encode(), &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("functions here"), "{err}");
    // Not a bundle at all (run treats it as source; inspect too) and an
    // empty file: never a crash.
    for bytes in [&b"SXBUND"[..], &b""[..]] {
        let (code, _, err) = run_bytes(d, bytes, &[]);
        assert!(code == Some(0) || code == Some(1), "{err}");
    }
}

#[test]
fn object_code_for_another_abi_or_cpu_falls_back_to_bytecode() {
    let (dir, good) = fib_bundle();
    let d = dir.path();
    let b = Bundle::decode(Path::new("x.sxb"), &good).unwrap();
    let mut abi = b.clone();
    abi.manifest.abi = "0000000000000000".into();
    let (code, out, err) = run_bytes(d, &abi.encode(), &["--jit-stats"]);
    assert_eq!((code, out.as_str()), (Some(0), "6765\n"), "{err}");
    assert!(err.contains("x.sxb: its object code was built against another runtime ABI"), "{err}");
    assert_eq!(err.matches("running its bytecode").count(), 1, "said once: {err}");
    let mut cpu = b.clone();
    cpu.manifest.cpu_features.push_str(",+sxc-imaginary-feature");
    let (code, out, err) = run_bytes(d, &cpu.encode(), &["--jit-stats"]);
    assert_eq!((code, out.as_str()), (Some(0), "6765\n"), "{err}");
    assert!(err.contains("needs CPU features this CPU lacks (sxc-imaginary-feature;"), "{err}");
    // Nothing compiled from the bundle; fib still tiers up as from source.
    assert_ne!(tier_of(&err, "<toplevel>"), "compiled", "{err}");
}

/// A loop adding floats: code compiled before its first call speculates
/// integers there (and deoptimises); code compiled from a recorded profile
/// speculates floats. (A self-recursive function: never inlined.)
const FLOATS: &str = "(define (go i acc) (if (= i 0) acc (go (- i 1) (+ acc 0.5))))\n(println (go 3000 0.0))\n";

/// The `deopts` column of the last `--jit-stats` row named `name`.
fn deopts_of(stats: &str, name: &str) -> u64 {
    stats.lines().filter(|l| l.split_whitespace().next() == Some(name)).last().and_then(|l| l.split_whitespace().nth(5)).and_then(|d| d.parse().ok()).unwrap_or(u64::MAX)
}

#[test]
fn a_profile_guided_bundle_speculates_what_the_profile_saw() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("f.sx"), FLOATS).unwrap();
    build(d, "f.sx", "plain.sxb");
    // Record from the plain bundle; its `go` deoptimises on floats.
    let o = sxc(&["run", "--jit-stats", "--record-profile", "f.prof", "plain.sxb"], d);
    assert_eq!(text(&o.stdout), "1500.0\n", "{}", text(&o.stderr));
    assert!(deopts_of(&text(&o.stderr), "go") > 0, "{}", text(&o.stderr));
    let prof = std::fs::read_to_string(d.join("f.prof")).unwrap();
    assert!(prof.starts_with("sxc-profile 1\n") && prof.contains(" go\n"), "{prof}");
    // Built with the profile: every function matched, and `go` no longer deoptimises.
    let o = sxc(&["build", "f.sx", "-o", "pgo.sxb", "--profile", "f.prof"], d);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("feedback for 2 of 2 functions"), "{}", text(&o.stderr));
    let o = sxc(&["inspect", "pgo.sxb"], d);
    assert!(!text(&o.stdout).contains("profile = none"), "{}", text(&o.stdout));
    let o = sxc(&["run", "--jit-stats", "pgo.sxb"], d);
    assert_eq!(text(&o.stdout), "1500.0\n");
    let err = text(&o.stderr);
    assert_eq!(tier_of(&err, "go"), "compiled", "{err}");
    assert_eq!(deopts_of(&err, "go"), 0, "{err}");
    // A file that is not a profile is refused with its location.
    std::fs::write(d.join("bad.prof"), "hello\n").unwrap();
    let o = sxc(&["build", "f.sx", "-o", "x.sxb", "--profile", "bad.prof"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("bad.prof:1: not an sxc profile"), "{}", text(&o.stderr));
}

#[test]
fn serve_records_a_profile_when_it_stops() {
    let bundle = blog_bundle();
    let data = tempfile::tempdir().unwrap();
    let prof = data.path().join("blog.prof");
    let server = crate::e2e::Server::start(bundle.path(), data.path(), &["--record-profile", &prof.display().to_string()]);
    for _ in 0..5 {
        assert_eq!(crate::e2e::get(server.addr, "/").status, 200);
        assert_eq!(crate::e2e::get(server.addr, "/posts/effects").status, 200);
    }
    assert_eq!(server.terminate(), Some(0));
    let text = std::fs::read_to_string(&prof).unwrap();
    assert!(text.starts_with("sxc-profile 1\n"), "{text}");
    // The handler ran 10 times across the workers (merged), plus its definition.
    let handler = text.lines().find(|l| l.ends_with(" handler")).expect("a handler line");
    let calls: u64 = handler.split(' ').nth(2).unwrap().parse().unwrap();
    assert!(calls >= 10, "{handler}");
}
