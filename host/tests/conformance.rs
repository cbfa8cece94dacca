//! The SX conformance suite runner.
//!
//! Parses every `*.sx` case file under `tests/conformance/` (see
//! `tests/conformance/README.md` for the format), runs each case through
//! `host::testing::run_case`, compares stdout / uncaught error / compile error
//! with the expectation and reports every failing case at the end.
//!
//! Each case runs in a child process (this same test binary, re-invoked with
//! `--exact <child test> --nocapture` and the case named in an environment
//! variable), so a case that crashes the process, overflows the native stack
//! or never terminates is reported as a failure instead of taking the whole
//! suite down. `SXC_CONFORMANCE_INPROCESS=1` runs the cases in this process
//! instead (faster to debug, no isolation).
//!
//! Environment:
//! - `SXC_CONFORMANCE_FILTER=substring` — run only cases whose
//!   `section/file.sx::case-name` contains the substring.
//! - `SXC_CONFORMANCE_TIMEOUT=secs` — per-case timeout (default 120).
//! - `SXC_CONFORMANCE_JOBS=n` — parallel child processes (default: CPUs, max 16).
//! - `SXC_CONFORMANCE_MEM_MB=n` — address-space cap per child (default 4096; 0 = none).
//! - `SXC_CONFORMANCE_INPROCESS=1` — no child processes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Minimum corpus size; the suite must not silently shrink.
const MIN_CASES: usize = 400;

const ENV_FILTER: &str = "SXC_CONFORMANCE_FILTER";
const ENV_TIMEOUT: &str = "SXC_CONFORMANCE_TIMEOUT";
const ENV_JOBS: &str = "SXC_CONFORMANCE_JOBS";
const ENV_INPROCESS: &str = "SXC_CONFORMANCE_INPROCESS";
const ENV_MEM_MB: &str = "SXC_CONFORMANCE_MEM_MB";
/// Set by the parent on a child: run the case from a bundle (`sxc build`).
const ENV_BUNDLE: &str = "SXC_CONFORMANCE_BUNDLE";
/// Set by the parent on a child: `relative/path.sx\tcase-name`.
const ENV_CHILD_CASE: &str = "SXC_CONFORMANCE_CHILD_CASE";
/// Set by the parent on a child: where the child writes the encoded outcome.
const ENV_CHILD_RESULT: &str = "SXC_CONFORMANCE_CHILD_RESULT";

// ---------------------------------------------------------------------------
// Case files
// ---------------------------------------------------------------------------

/// What a case expects.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// The program compiles and runs; stdout is exactly these lines; it ends
    /// with the given uncaught error message, or normally when `None`.
    Run {
        stdout: Vec<String>,
        error: Option<String>,
    },
    /// Reading / expanding / compiling fails; the diagnostic (id + message)
    /// contains this text (case-insensitive; empty matches any diagnostic).
    CompileError(String),
}

/// One independent program with its expectation.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Path relative to `tests/conformance`, with `/` separators.
    pub file: String,
    pub name: String,
    /// 1-based line of the `;;; case:` header.
    pub line: usize,
    pub source: String,
    pub expect: Expect,
    /// `;;; at:` lines: locations the failure must name, in order (see
    /// [`locations_match`]).
    pub at: Vec<String>,
}

impl Case {
    pub fn id(&self) -> String {
        format!("{}::{}", self.file, self.name)
    }
}

const CASE_PREFIX: &str = ";;; case:";
const OUT_MARK: &str = ";;; out:";
const ERROR_PREFIX: &str = ";;; error:";
const COMPILE_ERROR_PREFIX: &str = ";;; compile-error:";
const AT_PREFIX: &str = ";;; at:";

/// Parses one case file. `file` is the label stored in each case.
pub fn parse_case_file(file: &str, text: &str) -> Result<Vec<Case>, String> {
    enum State {
        /// Before the first case, or after a case's expectation ended.
        Between,
        /// Reading a case's source.
        Source,
        /// Reading `;;; ` expected-output lines.
        Out,
    }
    struct Partial {
        name: String,
        line: usize,
        source: Vec<String>,
        stdout: Vec<String>,
        error: Option<String>,
        compile_error: Option<String>,
        has_expectation: bool,
        at: Vec<String>,
    }
    fn finish(file: &str, p: Partial, out: &mut Vec<Case>) -> Result<(), String> {
        if !p.has_expectation {
            return Err(format!(
                "{file}:{}: case `{}` has no `;;; out:` or `;;; compile-error:` section",
                p.line, p.name
            ));
        }
        let mut source = p.source.join("\n");
        source.push('\n');
        let expect = match p.compile_error {
            Some(needle) => Expect::CompileError(needle),
            None => Expect::Run {
                stdout: p.stdout,
                error: p.error,
            },
        };
        out.push(Case {
            file: file.to_string(),
            name: p.name,
            line: p.line,
            source,
            expect,
            at: p.at,
        });
        Ok(())
    }

    let mut cases = Vec::new();
    let mut state = State::Between;
    let mut cur: Option<Partial> = None;
    // True right after a case's `;;; error:` / `;;; compile-error:` line and
    // its `;;; at:` lines: where further `;;; at:` lines may follow.
    let mut at_allowed = false;
    for (idx, raw) in text.lines().enumerate() {
        let lineno = idx + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(loc) = line.strip_prefix(AT_PREFIX) {
            match cur.as_mut() {
                Some(p) if at_allowed && !loc.trim().is_empty() => {
                    p.at.push(loc.trim().to_string());
                    continue;
                }
                _ => {
                    return Err(format!(
                        "{file}:{lineno}: `;;; at:` must name a location and follow `;;; error:` or `;;; compile-error:`"
                    ))
                }
            }
        }
        at_allowed = false;
        if let Some(rest) = line.strip_prefix(CASE_PREFIX) {
            if let Some(p) = cur.take() {
                finish(file, p, &mut cases)?;
            }
            let name = rest.trim().to_string();
            if name.is_empty() || name.contains(char::is_whitespace) {
                return Err(format!("{file}:{lineno}: bad case name `{name}`"));
            }
            if cases.iter().any(|c: &Case| c.name == name) {
                return Err(format!("{file}:{lineno}: duplicate case name `{name}`"));
            }
            cur = Some(Partial {
                name,
                line: lineno,
                source: Vec::new(),
                stdout: Vec::new(),
                error: None,
                compile_error: None,
                has_expectation: false,
                at: Vec::new(),
            });
            state = State::Source;
            continue;
        }
        match state {
            State::Between => {
                let t = line.trim();
                if !(t.is_empty() || t.starts_with(';')) {
                    return Err(format!(
                        "{file}:{lineno}: code outside a case (missing `;;; case:` header?): {line}"
                    ));
                }
            }
            State::Source => {
                let p = cur.as_mut().expect("source state without a case");
                if line.trim_end() == OUT_MARK {
                    p.has_expectation = true;
                    state = State::Out;
                } else if let Some(needle) = line.strip_prefix(COMPILE_ERROR_PREFIX) {
                    p.has_expectation = true;
                    p.compile_error = Some(needle.trim().to_string());
                    state = State::Between;
                    at_allowed = true;
                } else if line.starts_with(ERROR_PREFIX) {
                    return Err(format!("{file}:{lineno}: `;;; error:` before `;;; out:`"));
                } else {
                    p.source.push(line.to_string());
                }
            }
            State::Out => {
                let p = cur.as_mut().expect("out state without a case");
                if line.trim().is_empty() {
                    state = State::Between;
                } else if let Some(needle) = line.strip_prefix(COMPILE_ERROR_PREFIX) {
                    if !p.stdout.is_empty() || p.error.is_some() {
                        return Err(format!(
                            "{file}:{lineno}: `;;; compile-error:` cannot follow expected output"
                        ));
                    }
                    p.compile_error = Some(needle.trim().to_string());
                    state = State::Between;
                    at_allowed = true;
                } else if let Some(msg) = line.strip_prefix(ERROR_PREFIX) {
                    p.error = Some(msg.trim().to_string());
                    state = State::Between;
                    at_allowed = true;
                } else if line == ";;;" {
                    p.stdout.push(String::new());
                } else if let Some(text) = line.strip_prefix(";;; ") {
                    p.stdout.push(text.to_string());
                } else {
                    return Err(format!(
                        "{file}:{lineno}: expected output lines must start with `;;; ` (or be `;;;`): {line}"
                    ));
                }
            }
        }
    }
    if let Some(p) = cur.take() {
        finish(file, p, &mut cases)?;
    }
    Ok(cases)
}

fn corpus_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("tests")
        .join("conformance");
    std::fs::canonicalize(&dir).unwrap_or(dir)
}

/// Support files of multi-file cases live in directories named `*.files`
/// (`load/basics.files/` beside `load/basics.sx`); they are not case files.
const SUPPORT_DIR_SUFFIX: &str = ".files";

/// Runs `case` as `sxc run` would run its case file: compiled as the file
/// at its real path (so `load` resolves from the case file's directory and
/// diagnostics name it), with the source on the lines it has in that file.
fn run_case(case: &Case) -> host::testing::CaseOutcome {
    let mut source = "\n".repeat(case.line);
    source.push_str(&case.source);
    let path = corpus_dir().join(&case.file);
    if std::env::var_os(ENV_BUNDLE).is_some() {
        return host::testing::run_case_bundle(&path, &source).unwrap_or_else(|e| panic!("from a bundle: {e}"));
    }
    host::testing::run_case_file(&path, &source)
}

fn collect_sx_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => panic!("cannot read {}: {e}", dir.display()),
    };
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if !p.to_string_lossy().ends_with(SUPPORT_DIR_SUFFIX) {
                collect_sx_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "sx") {
            out.push(p);
        }
    }
}

/// Loads every case of the corpus (sorted by file, then file order).
/// Parse problems are returned as a list of messages.
pub fn load_corpus() -> (Vec<Case>, Vec<String>) {
    let root = corpus_dir();
    let mut files = Vec::new();
    collect_sx_files(&root, &mut files);
    let mut cases = Vec::new();
    let mut problems = Vec::new();
    for path in files {
        let rel = path
            .strip_prefix(&root)
            .unwrap_or(&path)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        match std::fs::read_to_string(&path) {
            Ok(text) => match parse_case_file(&rel, &text) {
                Ok(cs) if cs.is_empty() => problems.push(format!("{rel}: no cases")),
                Ok(cs) => cases.extend(cs),
                Err(e) => problems.push(e),
            },
            Err(e) => problems.push(format!("{rel}: {e}")),
        }
    }
    (cases, problems)
}

// ---------------------------------------------------------------------------
// Outcomes and comparison
// ---------------------------------------------------------------------------

/// What actually happened when a case ran (mirrors `host::testing::CaseOutcome`,
/// plus harness-level failures).
#[derive(Debug, Clone, PartialEq)]
enum Actual {
    Ran {
        stdout: String,
        error: Option<String>,
        compile_error: Option<String>,
        /// See `host::testing::CaseOutcome::locations`.
        locations: Vec<String>,
    },
    /// The case could not be run to completion (panic, crash, timeout).
    Broken(String),
}

fn run_in_process(case: &Case) -> Actual {
    let case = case.clone();
    let handle = std::thread::Builder::new()
        .name(format!("conformance {}", case.id()))
        .stack_size(256 << 20)
        .spawn(move || {
            let o = run_case(&case);
            Actual::Ran {
                stdout: o.stdout,
                error: o.error,
                compile_error: o.compile_error,
                locations: o.locations,
            }
        });
    match handle {
        Ok(h) => match h.join() {
            Ok(a) => a,
            Err(payload) => {
                let msg = payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "<non-string panic>".to_string());
                Actual::Broken(format!("run_case panicked: {msg}"))
            }
        },
        Err(e) => Actual::Broken(format!("cannot spawn thread: {e}")),
    }
}

/// Splits stdout into lines; a final newline does not make an extra line.
fn stdout_lines(s: &str) -> Vec<String> {
    if s.is_empty() {
        return Vec::new();
    }
    let s = s.strip_suffix('\n').unwrap_or(s);
    s.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
        .collect()
}

fn quote_lines(lines: &[String], out: &mut String) {
    if lines.is_empty() {
        out.push_str("      (none)\n");
    }
    for l in lines {
        let _ = writeln!(out, "      |{l}");
    }
}

fn first_difference(expected: &[String], actual: &[String]) -> Option<String> {
    let n = expected.len().max(actual.len());
    for i in 0..n {
        match (expected.get(i), actual.get(i)) {
            (Some(e), Some(a)) if e == a => continue,
            (Some(e), Some(a)) => {
                return Some(format!("stdout line {}: expected {e:?}, got {a:?}", i + 1));
            }
            (Some(e), None) => {
                return Some(format!(
                    "stdout line {}: expected {e:?}, got end of output",
                    i + 1
                ));
            }
            (None, Some(a)) => {
                return Some(format!(
                    "stdout line {}: expected end of output, got {a:?}",
                    i + 1
                ));
            }
            (None, None) => unreachable!(),
        }
    }
    None
}

/// True when every `want` location names one of `actual` (`file:line:col`),
/// in order: a location names `want` when it is `want` or ends with `/` +
/// `want` (so `load/x.files/lib.sx:2:3` names the file by its path in the
/// corpus).
fn locations_match(want: &[String], actual: &[String]) -> bool {
    let mut rest = actual.iter();
    want.iter().all(|w| {
        rest.by_ref()
            .any(|a| a == w || a.strip_suffix(w.as_str()).is_some_and(|p| p.ends_with('/')))
    })
}

/// Compares an outcome with a case's expectation; `Err` is a readable report.
fn check(case: &Case, actual: &Actual) -> Result<(), String> {
    let mut report = String::new();
    let _ = writeln!(report, "--- FAIL {} (line {})", case.id(), case.line);
    let (stdout, error, compile_error) = match actual {
        Actual::Broken(msg) => {
            let _ = writeln!(report, "    the case did not complete: {msg}");
            return Err(report);
        }
        Actual::Ran {
            stdout,
            error,
            compile_error,
            locations,
        } => {
            if !locations_match(&case.at, locations) {
                let _ = writeln!(report, "    expected the failure to name, in order: {:?}", case.at);
                let _ = writeln!(report, "    actual locations: {locations:?}");
                return Err(report);
            }
            (stdout, error, compile_error)
        }
    };
    let actual_lines = stdout_lines(stdout);
    match &case.expect {
        Expect::CompileError(needle) => {
            let ok = match compile_error {
                Some(d) => d.to_lowercase().contains(&needle.to_lowercase()),
                None => false,
            };
            if ok && stdout.is_empty() && error.is_none() {
                return Ok(());
            }
            let _ = writeln!(report, "    expected compile error containing {needle:?}");
            match compile_error {
                Some(d) => {
                    let _ = writeln!(report, "    actual compile error: {d}");
                }
                None => {
                    let _ = writeln!(report, "    actual: compiled and ran (no compile error)");
                }
            }
            if !stdout.is_empty() {
                let _ = writeln!(report, "    actual stdout:");
                quote_lines(&actual_lines, &mut report);
            }
            if let Some(e) = error {
                let _ = writeln!(report, "    actual uncaught error: {e}");
            }
            Err(report)
        }
        Expect::Run {
            stdout: want_lines,
            error: want_error,
        } => {
            let lines_ok = *want_lines == actual_lines;
            let error_ok = compile_error.is_none() && want_error == error;
            if lines_ok && error_ok {
                return Ok(());
            }
            if let Some(d) = compile_error {
                let _ = writeln!(report, "    unexpected compile error: {d}");
            }
            if !lines_ok {
                let _ = writeln!(report, "    expected stdout:");
                quote_lines(want_lines, &mut report);
                let _ = writeln!(report, "    actual stdout:");
                quote_lines(&actual_lines, &mut report);
                if let Some(d) = first_difference(want_lines, &actual_lines) {
                    let _ = writeln!(report, "    first difference: {d}");
                }
            }
            if want_error != error {
                let show = |e: &Option<String>| match e {
                    Some(m) => format!("error: {m}"),
                    None => "normal end (no uncaught error)".to_string(),
                };
                let _ = writeln!(report, "    expected ending: {}", show(want_error));
                let _ = writeln!(report, "    actual ending:   {}", show(error));
            }
            Err(report)
        }
    }
}

// ---------------------------------------------------------------------------
// Child-process isolation
// ---------------------------------------------------------------------------

/// Name of [`conformance_child_case`] as libtest knows it.
fn child_test_name() -> String {
    // module_path!() is e.g. `all::conformance`; libtest drops the crate name.
    let mp = module_path!();
    match mp.split_once("::") {
        Some((_, rest)) => format!("{rest}::conformance_child_case"),
        None => "conformance_child_case".to_string(),
    }
}

fn encode_outcome(
    stdout: &str,
    error: Option<&str>,
    compile_error: Option<&str>,
    locations: &[String],
) -> Vec<u8> {
    let mut out = Vec::new();
    let locations = locations.join("\n");
    for (tag, v) in [
        ("stdout", Some(stdout)),
        ("error", error),
        ("compile", compile_error),
        ("at", Some(locations.as_str())),
    ] {
        match v {
            Some(s) => {
                out.extend_from_slice(format!("{tag} {}\n", s.len()).as_bytes());
                out.extend_from_slice(s.as_bytes());
                out.push(b'\n');
            }
            None => out.extend_from_slice(format!("{tag} none\n").as_bytes()),
        }
    }
    out
}

fn decode_outcome(bytes: &[u8]) -> Option<Actual> {
    let mut pos = 0usize;
    let mut fields: Vec<Option<String>> = Vec::new();
    for tag in ["stdout", "error", "compile", "at"] {
        let nl = bytes[pos..].iter().position(|&b| b == b'\n')? + pos;
        let header = std::str::from_utf8(&bytes[pos..nl]).ok()?;
        let (t, n) = header.split_once(' ')?;
        if t != tag {
            return None;
        }
        pos = nl + 1;
        if n == "none" {
            fields.push(None);
        } else {
            let n: usize = n.parse().ok()?;
            let s = String::from_utf8_lossy(bytes.get(pos..pos + n)?).into_owned();
            pos += n + 1;
            fields.push(Some(s));
        }
    }
    let locations = fields.pop()?.unwrap_or_default();
    let compile_error = fields.pop()?;
    let error = fields.pop()?;
    let stdout = fields.pop()?.unwrap_or_default();
    Some(Actual::Ran {
        stdout,
        error,
        compile_error,
        locations: locations.lines().map(str::to_string).collect(),
    })
}

fn tail(path: &Path, max: usize) -> String {
    let s = std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let s = s.trim_end();
    if s.len() <= max {
        return s.to_string();
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    format!("...{}", &s[start..])
}

fn run_in_child(case: &Case, exe: &Path, dir: &Path, n: usize, timeout: Duration, jit_env: &[(&str, &str)]) -> Actual {
    let result = dir.join(format!("case-{n}.result"));
    let out_path = dir.join(format!("case-{n}.stdout"));
    let err_path = dir.join(format!("case-{n}.stderr"));
    let (out_f, err_f) = match (
        std::fs::File::create(&out_path),
        std::fs::File::create(&err_path),
    ) {
        (Ok(o), Ok(e)) => (o, e),
        _ => return Actual::Broken("cannot create child output files".into()),
    };
    // Cap the child's address space (a runaway case must not exhaust the
    // machine's memory): run it through `sh -c 'ulimit -v KB; exec "$0" "$@"'`.
    let mem_mb: u64 = std::env::var(ENV_MEM_MB)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4096);
    let sh = Path::new("/bin/sh");
    let mut cmd = if cfg!(unix) && mem_mb > 0 && sh.exists() {
        let mut c = Command::new(sh);
        c.arg("-c")
            .arg(format!("ulimit -v {} && exec \"$0\" \"$@\"", mem_mb * 1024))
            .arg(exe);
        c
    } else {
        Command::new(exe)
    };
    cmd.arg(child_test_name())
        .arg("--exact")
        .arg("--nocapture")
        .arg("--test-threads=1")
        .env(ENV_CHILD_CASE, format!("{}\t{}", case.file, case.name))
        .env(ENV_CHILD_RESULT, &result)
        .envs(jit_env.iter().copied())
        .env_remove(ENV_FILTER)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::from(out_f))
        .stderr(Stdio::from(err_f));
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Actual::Broken(format!("cannot spawn child process: {e}")),
    };
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break Some(st),
            Ok(None) => {
                if start.elapsed() > timeout {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
                std::thread::sleep(Duration::from_millis(3));
            }
            Err(e) => return Actual::Broken(format!("waiting for child: {e}")),
        }
    };
    let outcome = std::fs::read(&result).ok().and_then(|b| decode_outcome(&b));
    let actual = match (status, outcome) {
        (_, Some(a)) => a,
        (None, None) => Actual::Broken(format!(
            "timed out after {}s (set {ENV_TIMEOUT} to change)\n    stderr: {}",
            timeout.as_secs(),
            tail(&err_path, 1500)
        )),
        (Some(st), None) => Actual::Broken(format!(
            "child process ended without a result ({st}): panic or crash\n    stderr: {}\n    stdout: {}",
            tail(&err_path, 2000),
            tail(&out_path, 500)
        )),
    };
    let _ = std::fs::remove_file(&result);
    let _ = std::fs::remove_file(&out_path);
    let _ = std::fs::remove_file(&err_path);
    actual
}

/// Runs one case when invoked as a child by [`conformance_all_cases`]; a no-op
/// in a normal test run.
#[test]
fn conformance_child_case() {
    let Ok(spec) = std::env::var(ENV_CHILD_CASE) else {
        return;
    };
    let result_path = std::env::var(ENV_CHILD_RESULT).expect("child without result path");
    let (file, name) = spec.split_once('\t').expect("bad child case spec");
    let (cases, _) = load_corpus();
    let case = cases
        .into_iter()
        .find(|c| c.file == file && c.name == name)
        .unwrap_or_else(|| panic!("child: no case {file}::{name}"));
    let o = run_case(&case);
    let bytes = encode_outcome(
        &o.stdout,
        o.error.as_deref(),
        o.compile_error.as_deref(),
        &o.locations,
    );
    std::fs::write(&result_path, bytes).expect("child: cannot write result");
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[test]
fn conformance_all_cases() {
    run_suite(&[]);
}

/// The whole suite with every function compiled by LLVM before its first call.
#[test]
fn conformance_all_cases_jit_eager() {
    run_suite(&[("SXC_JIT", "eager")]);
}

/// The whole suite tiering up after one call (compiles race with the program).
#[test]
fn conformance_all_cases_jit_tiered_threshold_1() {
    run_suite(&[("SXC_JIT", "tiered"), ("SXC_JIT_THRESHOLD", "1")]);
}

/// The whole suite with every third guard failing on purpose (deoptimisation
/// everywhere, then recompilation without speculation).
#[test]
fn conformance_all_cases_jit_stress_deopt() {
    run_suite(&[("SXC_JIT", "eager"), ("SXC_JIT_STRESS_DEOPT", "3")]);
}

/// The whole suite built into bundles (every function compiled to object
/// code, the bundle encoded, decoded, its bytecode rebuilt from its IR and
/// its objects loaded), each case's output compared as from source. A
/// function without object code, or object code not installed, fails the case.
#[test]
fn conformance_all_cases_from_bundles() {
    run_suite(&[("SXC_JIT", "tiered"), (ENV_BUNDLE, "1")]);
}

/// Runs every case (in child processes with `jit_env` set, unless
/// `SXC_CONFORMANCE_INPROCESS`) and fails with a report of every mismatch.
fn run_suite(jit_env: &[(&str, &str)]) {
    if std::env::var_os(ENV_CHILD_CASE).is_some() {
        return; // we are a child process running a single case
    }
    // One suite at a time (each already uses every core): the timing-sensitive
    // end-to-end tests of this binary run beside at most one of them.
    static ONE_SUITE: Mutex<()> = Mutex::new(());
    let _one = ONE_SUITE.lock().unwrap_or_else(|e| e.into_inner());
    if !jit_env.is_empty() && std::env::var_os("SXC_JIT").is_some() {
        return; // the caller chose one mode for the whole run
    }
    let (all, problems) = load_corpus();
    let filter = std::env::var(ENV_FILTER).ok().filter(|f| !f.is_empty());
    let cases: Vec<Case> = match &filter {
        Some(f) => all
            .iter()
            .filter(|c| c.id().contains(f.as_str()))
            .cloned()
            .collect(),
        None => all.clone(),
    };
    let timeout = Duration::from_secs(
        std::env::var(ENV_TIMEOUT)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(120),
    );
    let jobs = std::env::var(ENV_JOBS)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(4)
                .min(16)
        })
        .max(1);
    let in_process = std::env::var(ENV_INPROCESS).is_ok_and(|v| !v.is_empty() && v != "0");
    if in_process && !jit_env.is_empty() {
        return; // the JIT policy is per process: set SXC_JIT for an in-process run instead
    }
    let exe = std::env::current_exe().ok();
    let tmp = tempfile::Builder::new()
        .prefix("sxc-conformance-")
        .tempdir()
        .ok();
    let isolated = !in_process && exe.is_some() && tmp.is_some();

    let results: Mutex<Vec<(usize, Result<(), String>)>> = Mutex::new(Vec::new());
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..(if isolated { jobs } else { 1 }) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(case) = cases.get(i) else { break };
                let actual = if isolated {
                    run_in_child(
                        case,
                        exe.as_deref().unwrap(),
                        tmp.as_ref().unwrap().path(),
                        i,
                        timeout,
                        jit_env,
                    )
                } else {
                    run_in_process(case)
                };
                let r = check(case, &actual);
                results.lock().unwrap().push((i, r));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);

    let mut failures = Vec::new();
    let mut passed = 0usize;
    for (_, r) in &results {
        match r {
            Ok(()) => passed += 1,
            Err(rep) => failures.push(rep.clone()),
        }
    }
    let mut report = String::new();
    for f in &failures {
        report.push_str(f);
        report.push('\n');
    }
    if !problems.is_empty() {
        report.push_str("--- corpus problems (case files that do not parse):\n");
        for p in &problems {
            let _ = writeln!(report, "    {p}");
        }
    }
    if !failures.is_empty() {
        report.push_str("--- failing cases:\n");
        for c in results
            .iter()
            .filter(|(_, r)| r.is_err())
            .map(|(i, _)| &cases[*i])
        {
            let _ = writeln!(report, "    {}", c.id());
        }
    }
    let mut summary = format!("conformance: {passed} passed, {} failed", failures.len());
    if let Some(f) = &filter {
        let _ = write!(
            summary,
            " (filter {f:?}: {} of {} cases)",
            cases.len(),
            all.len()
        );
    }
    if !isolated {
        summary.push_str(" [in-process]");
    }
    println!("{summary}");
    if !failures.is_empty() || !problems.is_empty() {
        panic!("\n{report}\n{summary}\n");
    }
}

#[test]
fn conformance_corpus_size() {
    let (cases, problems) = load_corpus();
    assert!(
        problems.is_empty(),
        "corpus problems:\n{}",
        problems.join("\n")
    );
    assert!(
        cases.len() >= MIN_CASES,
        "the conformance corpus has {} cases; it must have at least {MIN_CASES}",
        cases.len()
    );
}

#[test]
fn conformance_case_parser() {
    let text = "\
;; header comment, ignored
;;; case: int-add
(println (+ 1 2))
;;; out:
;;; 3

;;; case: blank-line-and-error
; a comment in the source
(println \"a\")
(println \"\")
(/ 1 0)
;;; out:
;;; a
;;;
;;; error: division by zero
;;; case: read-error
(println \"x
;;; compile-error: read
";
    let cases = parse_case_file("t/x.sx", text).expect("parses");
    assert_eq!(cases.len(), 3);
    assert_eq!(cases[0].name, "int-add");
    assert_eq!(cases[0].line, 2);
    assert_eq!(cases[0].source, "(println (+ 1 2))\n");
    assert_eq!(
        cases[0].expect,
        Expect::Run {
            stdout: vec!["3".into()],
            error: None
        }
    );
    assert_eq!(
        cases[1].source,
        "; a comment in the source\n(println \"a\")\n(println \"\")\n(/ 1 0)\n"
    );
    assert_eq!(
        cases[1].expect,
        Expect::Run {
            stdout: vec!["a".into(), String::new()],
            error: Some("division by zero".into())
        }
    );
    assert_eq!(cases[2].expect, Expect::CompileError("read".into()));
    assert_eq!(cases[2].id(), "t/x.sx::read-error");

    // Malformed files are rejected.
    assert!(
        parse_case_file("t", ";;; case: a\n(println 1)\n").is_err(),
        "missing expectation"
    );
    assert!(
        parse_case_file(
            "t",
            ";;; case: a\n1\n;;; out:\n;;; 1\n;;; case: a\n2\n;;; out:\n;;; 2\n"
        )
        .is_err(),
        "duplicate name"
    );
    assert!(
        parse_case_file("t", ";;; case: a\n1\n;;; out:\n;;; 1\n\n(stray code)\n").is_err(),
        "stray code"
    );
    assert!(
        parse_case_file("t", ";;; case: a\n1\n;;; out:\nno prefix\n").is_err(),
        "unprefixed out line"
    );
    assert!(
        parse_case_file("t", "(code before any case)\n").is_err(),
        "code before case"
    );

    // Comparison semantics.
    let c = &cases[1];
    let ok = Actual::Ran {
        stdout: "a\n\n".into(),
        error: Some("division by zero".into()),
        compile_error: None,
        locations: vec![],
    };
    assert!(check(c, &ok).is_ok());
    let wrong = Actual::Ran {
        stdout: "a\n".into(),
        error: Some("division by zero".into()),
        compile_error: None,
        locations: vec![],
    };
    assert!(check(c, &wrong).unwrap_err().contains("first difference"));
    let no_err = Actual::Ran {
        stdout: "a\n\n".into(),
        error: None,
        compile_error: None,
        locations: vec![],
    };
    assert!(check(c, &no_err).is_err());
    let ce = Actual::Ran {
        stdout: String::new(),
        error: None,
        compile_error: Some("read-unterminated-string: unterminated".into()),
        locations: vec!["/c/t/x.sx:17:1".into()],
    };
    assert!(check(&cases[2], &ce).is_ok());
    assert!(check(&cases[0], &ce).is_err());

    // Outcome encoding round-trips.
    let locs = vec!["a.sx:1:2".to_string(), "/b/c.sx:3:4".to_string()];
    let enc = encode_outcome("x\ny\n", Some("boom"), None, &locs);
    assert_eq!(
        decode_outcome(&enc),
        Some(Actual::Ran {
            stdout: "x\ny\n".into(),
            error: Some("boom".into()),
            compile_error: None,
            locations: locs,
        })
    );

    // `;;; at:` lines follow the ending and are matched in order, by path suffix.
    let text = "\
;;; case: e
(f)
;;; out:
;;; error: boom
;;; at: lib/a.sx:2:3
;;; at: t/x.sx:2:1
;;; case: c
(load \"nope.sx\")
;;; compile-error: load-not-found
;;; at: t/x.sx:8:1
";
    let cases = parse_case_file("t/x.sx", text).expect("parses");
    assert_eq!(cases[0].at, vec!["lib/a.sx:2:3".to_string(), "t/x.sx:2:1".to_string()]);
    assert_eq!(cases[1].at, vec!["t/x.sx:8:1".to_string()]);
    let ran = |locations: &[&str]| Actual::Ran {
        stdout: String::new(),
        error: Some("boom".into()),
        compile_error: None,
        locations: locations.iter().map(|s| s.to_string()).collect(),
    };
    assert!(check(&cases[0], &ran(&["/c/lib/a.sx:2:3", "/c/lib/b.sx:1:1", "/c/t/x.sx:2:1"])).is_ok());
    assert!(check(&cases[0], &ran(&["/c/t/x.sx:2:1", "/c/lib/a.sx:2:3"])).is_err(), "order");
    assert!(check(&cases[0], &ran(&["/c/xlib/a.sx:2:3", "/c/t/x.sx:2:1"])).is_err(), "whole path components");
    assert!(check(&cases[0], &ran(&["/c/lib/a.sx:2:33", "/c/t/x.sx:2:1"])).is_err(), "whole column");
    assert!(
        parse_case_file("t", ";;; case: a\n1\n;;; out:\n;;; 1\n;;; at: x.sx:1:1\n").is_err(),
        "`at:` after output without an error"
    );
    assert!(
        parse_case_file("t", ";;; case: a\n(/ 1 0)\n;;; out:\n;;; error: e\n\n;;; at: x.sx:1:1\n").is_err(),
        "`at:` after a blank line"
    );
    assert_eq!(stdout_lines("a\nb"), vec!["a".to_string(), "b".to_string()]);
    assert_eq!(stdout_lines(""), Vec::<String>::new());
}
