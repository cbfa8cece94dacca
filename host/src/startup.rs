//! Start-up phase timing: with `SXC_STARTUP_TRACE=1`, each [`mark`] prints
//! `sxc startup: +T ms (thread) PHASE` to stderr, T counted from the start
//! of `main` (the dynamic loader's work before `main` is not included).
//! Used to see where a start from source or from a bundle spends its time
//! (docs/build.md, "Measured"); costs one relaxed load when off.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

static START: OnceLock<Instant> = OnceLock::new();
/// 0: not yet read from the environment, 1: off, 2: on.
static ON: AtomicU8 = AtomicU8::new(0);

/// Records the start of `main` (the zero of every later mark).
pub fn begin() {
    let _ = START.set(Instant::now());
    mark("main");
}

/// Prints the time since [`begin`] and `phase` when `SXC_STARTUP_TRACE=1`.
pub fn mark(phase: &str) {
    let on = match ON.load(Ordering::Relaxed) {
        0 => {
            let on = std::env::var("SXC_STARTUP_TRACE").is_ok_and(|v| v == "1");
            ON.store(if on { 2 } else { 1 }, Ordering::Relaxed);
            on
        }
        v => v == 2,
    };
    if on {
        let t = START.get_or_init(Instant::now).elapsed();
        let th = std::thread::current();
        eprintln!("sxc startup: +{:.2} ms ({}) {phase}", t.as_secs_f64() * 1e3, th.name().unwrap_or("?"));
    }
}
