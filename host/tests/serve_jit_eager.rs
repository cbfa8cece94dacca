//! The `sxc serve` end-to-end suites (e2e, e2e_files, procs, limits,
//! browser) once more with the LLVM tier compiling every function before
//! its first call: the test binary re-runs those modules in a child with
//! `SXC_JIT=eager`, which every `sxc` they start inherits (issue #8: "sxc
//! serve end-to-end and browser tests pass with --jit eager too").

use std::process::Command;

/// Module filters of the suites re-run under `--jit eager`.
const SUITES: &[&str] = &["e2e::", "e2e_files::", "procs::", "limits::", "browser::"];

#[test]
fn serve_end_to_end_suites_pass_under_jit_eager() {
    if std::env::var_os("SXC_JIT").is_some() {
        // Already the child (or a whole run under a JIT mode): the suites run as they are.
        return;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args(SUITES)
        .args(["--test-threads", "2"])
        .env("SXC_JIT", "eager")
        .output()
        .expect("re-run the test binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the serve suites fail under SXC_JIT=eager:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The filters matched the suites (not zero tests).
    let passed = stdout
        .lines()
        .find_map(|l| l.strip_prefix("test result: ok. ")?.split(' ').next()?.parse::<u32>().ok())
        .unwrap_or(0);
    assert!(passed >= 15, "only {passed} serve tests ran under SXC_JIT=eager:\n{stdout}");
}
