//! End-to-end tests of processes under `sxc serve`: services started once at
//! load (examples/services), called from concurrent HTTP clients on two
//! workers; durable writes inside a service; `call` inside a `map`
//! callback; `/__sxc/processes`; a crashed service; SIGTERM with live
//! processes.

#![cfg(unix)]

use crate::e2e::{get, http, repo_root, write_app, Server};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Client threads hammering the services.
const CLIENTS: usize = 64;
/// How long they do it.
const LOAD: Duration = Duration::from_secs(10);

#[test]
fn services_under_load_count_exactly_what_was_acknowledged() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(&repo_root().join("examples/services"), data.path(), &[]);
    let addr = server.addr;

    // Started once: one counter and one journal process, on worker 0. They
    // reach their first `receive` soon after start (later under
    // `SXC_JIT=eager`, which compiles their functions first): wait for it.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut procs = get(addr, "/__sxc/processes");
    while !procs.body.contains("\"state\":\"receiving\"") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        procs = get(addr, "/__sxc/processes");
    }
    assert_eq!(procs.status, 200);
    for name in ["\"name\":\"counter\"", "\"name\":\"journal\""] {
        assert_eq!(procs.body.matches(name).count(), 1, "{}", procs.body);
    }
    assert!(procs.body.contains("\"isolate\":0") && procs.body.contains("\"state\":\"receiving\""), "{}", procs.body);

    // Half the clients increment the counter, half append to the journal
    // (a durable write inside the service process), for LOAD.
    let incs = Arc::new(AtomicU64::new(0));
    let logs = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicBool::new(false));
    let slowest = Arc::new(AtomicU64::new(0));
    let end = Instant::now() + LOAD;
    let threads: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (incs, logs, failed, slowest) = (incs.clone(), logs.clone(), failed.clone(), slowest.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while Instant::now() < end && !failed.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let (path, body) = if i % 2 == 0 { ("/inc", String::new()) } else { ("/log", format!("client {i} entry {n}")) };
                    match http(addr, "POST", path, &[], body.as_bytes()) {
                        Ok(r) if r.status == 200 && r.body.parse::<u64>().is_ok() => {
                            if i % 2 == 0 { &incs } else { &logs }.fetch_add(1, Ordering::Relaxed);
                        }
                        other => {
                            eprintln!("{path}: {other:?}");
                            failed.store(true, Ordering::Relaxed);
                        }
                    }
                    slowest.fetch_max(started.elapsed().as_millis() as u64, Ordering::Relaxed);
                    n += 1;
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert!(!failed.load(Ordering::Relaxed), "a request failed; log:\n{}", server.log());
    let (incs, logs) = (incs.load(Ordering::Relaxed), logs.load(Ordering::Relaxed));
    assert!(incs > 100 && logs > 20, "too little got through: {incs} increments, {logs} appends");
    // No request hung: each finished far inside the 60 s client timeout.
    assert!(slowest.load(Ordering::Relaxed) < 10_000, "slowest request: {} ms", slowest.load(Ordering::Relaxed));
    assert_eq!(get(addr, "/count").body, incs.to_string(), "count vs acknowledged increments");
    assert_eq!(get(addr, "/journal").body, logs.to_string(), "journal entries vs acknowledged appends");

    // A handler calling the service inside a map callback.
    let batch = get(addr, "/batch?n=3");
    assert_eq!(batch.status, 200);
    assert_eq!(batch.body, format!("({} {} {})", incs + 1, incs + 2, incs + 3));

    // SIGTERM with the services still running: drains and exits 0.
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn a_crashed_service_fails_its_callers_and_can_be_restarted() {
    let dir = tempfile::tempdir().unwrap();
    let app = write_app(
        dir.path(),
        r#"
(define (svc) (let ((m (receive))) (if (= (get m :request) :crash) (car 1) (reply m :ok)) (svc)))
(define (ensure) (or (whereis "svc") (register! "svc" (spawn svc))))
(ensure)
(http-listen (fn (req)
  (ensure)
  (cond
    (= (get req :path) "/crash") (guard (e (true (error-message e))) (call "svc" :crash))
    (= (get req :path) "/slow") (guard (e (true (error-message e))) (call (spawn (fn () (receive) (receive))) :x 50))
    :else (str (call "svc" :ping)))))
"#,
    );
    let server = Server::start(&app, &dir.path().join("data"), &[]);
    assert_eq!(get(server.addr, "/").body, ":ok");
    let crash = get(server.addr, "/crash");
    assert!(crash.body.starts_with("call: process #<pid ") && crash.body.contains("failed before replying"), "{}", crash.body);
    // The handler restarted it under the freed name.
    assert_eq!(get(server.addr, "/").body, ":ok");
    assert_eq!(get(server.addr, "/slow").body, "call timeout");
    // The crash was logged with its backtrace; the server lives on.
    let log = server.log();
    assert!(log.contains("failed") && log.contains("at svc"), "{log}");
    assert_eq!(server.terminate(), Some(0));
}
