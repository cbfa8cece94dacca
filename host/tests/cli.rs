//! The real `sxc` binary: exit codes, stderr shapes, inspect stages.

use std::path::Path;
use std::process::{Command, Output};

fn sxc(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sxc")).args(args).current_dir(dir).output().expect("run sxc")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    std::fs::write(dir.join(name), text).unwrap();
    name.to_string()
}

#[test]
fn run_prints_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "ok.sx", "(println \"hello\" (+ 1 2))\n");
    let out = sxc(&["run", &f], dir.path());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello 3\n");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn uncaught_error_exits_one_with_backtrace() {
    let dir = tempfile::tempdir().unwrap();
    // Recursive functions are never inlined, so both frames stay visible
    // (frames of inlined calls and of tail calls are elided, as in Scheme).
    let f = write(
        dir.path(),
        "bad.sx",
        "(define (g x) (if (> x 100) (g (- x 1)) (+ 1 (/ x 0))))\n(define (f x) (if (> x 100) (f (- x 1)) (+ 1 (g x))))\n(println \"before\")\n(f 1)\n",
    );
    let out = sxc(&["run", &f], dir.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "before\n");
    assert!(err.starts_with("error: division by zero\n"), "{err}");
    assert!(err.contains("at g (bad.sx:1:46)\n  at f (bad.sx:2:46)"), "{err}");
}

#[test]
fn read_error_names_file_line_col() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "r.sx", "(println 1)\n(foo \"bad \\q\")\n");
    let out = sxc(&["run", &f], dir.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("error[read-bad-escape]"), "{err}");
    assert!(err.contains("r.sx:2:11"), "{err}");
    assert!(out.stdout.is_empty(), "nothing runs when the program does not compile");
}

#[test]
fn unknown_io_op_is_an_error_not_nil() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "io.sx", "(println (perform {:op \"x/y\" :args ()}))\n");
    let out = sxc(&["run", "--data", "d", &f], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: unknown io op \"x/y\""));
}

#[test]
fn programs_without_io_do_not_touch_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "pure.sx", "(println (* 6 7))\n");
    let out = sxc(&["run", "--data", "d", &f], dir.path());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "42\n");
    assert!(!dir.path().join("d").exists());
}

#[test]
fn storage_persists_across_runs_in_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "count.sx", "(let ((n (inc (kv-get \"n\" 0)))) (kv-put! \"n\" n) (println n))\n");
    for expected in ["1\n", "2\n", "3\n"] {
        let out = sxc(&["run", "--data", "store", &f], dir.path());
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected, "{}", String::from_utf8_lossy(&out.stderr));
    }
    assert!(dir.path().join("store/sxc.redb").exists());
}

#[test]
fn inspect_every_stage() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "m.sx", "(define (load ks) (map (fn (k) (perform {:op \"kv/get\" :args (list k)})) ks))\n");
    for (stage, needle) in [("ast", "define"), ("expanded", "fn"), ("ir", "suspend"), ("ir-opt", "suspend"), ("bytecode", "proto")] {
        let out = sxc(&["inspect", &f, "--stage", stage], dir.path());
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "stage {stage}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(text.contains(needle), "stage {stage} lacks {needle:?}:\n{text}");
    }
}

#[test]
fn missing_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = sxc(&["run", "nope.sx"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read nope.sx"));
}

#[test]
fn run_and_inspect_follow_load() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("app/lib")).unwrap();
    write(dir.path(), "app/main.sx", "(load \"lib/util.sx\")\n(println (double 21))\n(explode 1)\n");
    write(
        dir.path(),
        "app/lib/util.sx",
        "(define (double x) (* 2 x))\n(define (explode n)\n  (if (> n 100) n (+ 1 (explode (quotient n 0)))))\n",
    );
    let out = sxc(&["run", "app/main.sx"], dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "42\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.starts_with("error: division by zero\n  at explode (app/lib/util.sx:3:33)"), "{stderr}");

    let out = sxc(&["inspect", "app/main.sx", "--stage", "expanded"], dir.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(define double (fn (x) (* 2 x)))"), "{text}");

    write(dir.path(), "app/lib/util.sx", "(define (double x) (* 2 x)\n");
    let out = sxc(&["run", "app/main.sx"], dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("app/lib/util.sx:1:1") && stderr.contains("loaded at app/main.sx:1:1"), "{stderr}");
}

/// `sxc inspect … | head`: the reader leaves after a few bytes; sxc ends
/// by SIGPIPE like other Unix tools, without a panic on stderr.
#[test]
fn inspect_into_a_closed_pipe_ends_quietly() {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    let body: String = (0..200).map(|i| format!("(define (f{i} x) (+ x {i}))\n")).collect();
    let f = write(dir.path(), "many.sx", &body);
    let mut child = Command::new(env!("CARGO_BIN_EXE_sxc"))
        .args(["inspect", &f, "--stage", "llvm"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 64];
    child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{:?} {err}", out.status);
}

/// Every function of the example blog lowers to LLVM IR that passes LLVM's
/// verifier (`inspect --stage llvm` verifies each module). The blog's
/// `handler` once did not: a comparison result live across a later call in
/// the resume region was written to its home from a block its definition
/// did not dominate there, so the handler stayed interpreted.
#[test]
fn every_blog_function_passes_the_llvm_verifier() {
    let app = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/blog/app.sx");
    let dir = tempfile::tempdir().unwrap();
    let out = sxc(&["inspect", app, "--stage", "llvm"], dir.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("does not compile"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("; function handler"), "the handler was not lowered");
}

/// `sxc` with `env` set, in `dir`.
fn sxc_env(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sxc"));
    c.args(args).current_dir(dir).env_remove("SXC_JIT");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run sxc")
}

const COUNTDOWN: &str = "(define (down i) (if (= i 0) 0 (down (- i 1))))\n(println (down 10))\n";

#[test]
fn the_binary_does_not_link_libllvm() {
    // glibc's loader lists every library it loads when LD_DEBUG=libs.
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "down.sx", COUNTDOWN);
    let off = sxc_env(&["run", "--jit", "off", &f], dir.path(), &[("LD_DEBUG", "libs")]);
    let err = String::from_utf8_lossy(&off.stderr);
    assert_eq!(String::from_utf8_lossy(&off.stdout), "0\n");
    assert!(err.contains("libc.so"), "the loader reports its libraries: {err}");
    assert!(!err.contains("libLLVM"), "libLLVM loaded without compiling anything: {err}");
    // Compiling loads the plugin, and LLVM with it.
    let eager = sxc_env(&["run", "--jit", "eager", &f], dir.path(), &[("LD_DEBUG", "libs")]);
    let err = String::from_utf8_lossy(&eager.stderr);
    assert_eq!(String::from_utf8_lossy(&eager.stdout), "0\n");
    assert!(err.contains("libsxc_llvm.so") && err.contains("libLLVM"), "{err}");
}

#[test]
fn without_its_llvm_plugin_sxc_runs_interpreted_and_says_so_once() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "down.sx", COUNTDOWN);
    let not_elf = dir.path().join(write(dir.path(), "libsxc_llvm.so", "not a shared library\n"));
    let not_elf = not_elf.to_str().unwrap();
    for (plugin, why) in [("/nonexistent/libsxc_llvm.so", "libsxc_llvm.so not found"), (not_elf, "libsxc_llvm.so: ")] {
        let o = sxc_env(&["run", "--jit", "eager", &f], dir.path(), &[("SXC_LLVM_PLUGIN", plugin)]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!((o.status.code(), String::from_utf8_lossy(&o.stdout).as_ref()), (Some(0), "0\n"), "{err}");
        assert_eq!(err.matches("sxc: the LLVM tier is unavailable (").count(), 1, "{err}");
        assert!(err.contains(why) && err.contains("running interpreted"), "{err}");
        assert!(!err.contains("not compiled"), "{err}");
    }
    // What needs LLVM outright fails with the reason.
    let o = sxc_env(&["inspect", "--stage", "llvm", &f], dir.path(), &[("SXC_LLVM_PLUGIN", "/nonexistent/libsxc_llvm.so")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("libsxc_llvm.so not found"), "{}", String::from_utf8_lossy(&o.stderr));
    // `sxc build` says so once, before compiling anything.
    let o = sxc_env(&["build", &f, "-o", "down.sxb"], dir.path(), &[("SXC_LLVM_PLUGIN", "/nonexistent/libsxc_llvm.so")]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!((err.matches("libsxc_llvm.so not found").count(), err.contains("has no object code")), (1, false), "{err}");
    assert!(!dir.path().join("down.sxb").exists());
}
