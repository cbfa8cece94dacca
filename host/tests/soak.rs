//! Soak test for reference cycles: a long computation that keeps creating
//! garbage cycles — dicts that contain themselves, and mutually recursive
//! local functions that reach each other through cells — must run in bounded
//! memory under the host resolver, whose safe points run the cycle collector.
//! The control run, the same program under a resolver that never collects,
//! shows the cycles really are garbage that reference counting alone keeps.

use host::resolver::HostResolver;
use vm::ctx::Ctx;
use vm::isolate::Isolate;
use vm::resolver::Resolver;

const MIB: u64 = 1 << 20;

/// The control: the one resolution path (`host::resolver::resolve` over the
/// store) without the cycle collection `HostResolver` runs at each request.
struct NeverCollects(host::store::Store);

impl Resolver for NeverCollects {
    fn resolve(&mut self, request: &vm::Value) -> Result<vm::Value, vm::Value> {
        host::resolver::resolve(&self.0, request)
    }
}

/// Each iteration leaves ~64 KiB held only by cycles, then performs (a safe point).
const PROGRAM: &str = r#"
(define (dict-cycle i)
  (let ((d {:payload (range 2000) :i i}))
    (dict-set! d :self d)
    (get d :i)))
(define (closure-cycle i)
  (let ((payload (range 2000)))
    (letrec ((ping (fn (n) (if (= n 0) (len payload) (pong (- n 1)))))
             (pong (fn (n) (if (= n 0) i (ping (- n 1))))))
      (ping 3))))
(define (soak n)
  (let loop ((i 0) (acc 0))
    (if (= i n)
        acc
        (do (perform {:op "time/now" :args ()})
            (loop (+ i 1) (+ acc (dict-cycle i) (closure-cycle i)))))))
(println (soak SOAK_N))
"#;

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let resident: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    resident * 4096
}

/// Resident-set growth (bytes) while running the program for `n` iterations.
fn growth_running(resolver: &mut dyn Resolver, n: usize) -> u64 {
    let mut isolate = Isolate::new(Ctx::with_output(Box::new(std::io::sink()), Box::new(std::io::sink())));
    let program = PROGRAM.replace("SOAK_N", &n.to_string());
    let mut fiber = isolate.compile_file("soak.sx", &program).unwrap_or_else(|d| panic!("{}", d.message));
    let before = rss_bytes();
    isolate.run(&mut fiber, resolver).unwrap_or_else(|e| panic!("{}", e.message));
    rss_bytes().saturating_sub(before)
}

#[test]
fn cycles_do_not_leak_without_bound() {
    let dir = tempfile::tempdir().unwrap();
    let mut host = HostResolver::open(dir.path()).unwrap();
    // The first run raises the allocator's high-water mark to what one
    // collection interval holds; after it, a 4x longer run must not grow.
    let warm = growth_running(&mut host, 3000);
    let collected = growth_running(&mut host, 12000);
    let control_dir = tempfile::tempdir().unwrap();
    let mut control = NeverCollects(host::store::Store::open(control_dir.path()).unwrap());
    let leaked = growth_running(&mut control, 3000);
    eprintln!(
        "soak: warm-up {} MiB, 12000 iterations with collection +{} MiB, 3000 without collection +{} MiB",
        warm / MIB,
        collected / MIB,
        leaked / MIB
    );
    assert!(leaked > 150 * MIB, "control run should leak the cycles (grew {} MiB)", leaked / MIB);
    assert!(collected < 32 * MIB, "cycle garbage must stay bounded (grew {} MiB)", collected / MIB);
}
