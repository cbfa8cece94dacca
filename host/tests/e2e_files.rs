//! End-to-end tests of apps larger than one file, with the real binary:
//! `load`ed files, the `static/` folder, and `--dev` reload on change.
//!
//! Included from the integration-test crate root (`mod e2e_files;`).

#![cfg(unix)]

use crate::e2e::{get, http, Server};
use std::path::Path;

fn write(dir: &Path, rel: &str, text: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A small app in several files with a `static/` folder, and a secret file
/// beside it that must never be served.
fn multi_file_app(dir: &Path) {
    write(
        dir,
        "app.sx",
        b"(load \"lib/pages.sx\")\n(http-listen (fn (req) (page (get req :path))))\n",
    );
    write(dir, "lib/pages.sx", b"(load \"util.sx\")\n(define (page path) (str \"page \" (shout path)))\n");
    write(dir, "lib/util.sx", b"(define (shout s) (upper s))\n");
    write(dir, "static/css/site.css", b"body { color: #333; }\n");
    write(dir, "static/js/app.js", b"console.log('hi');\n");
    write(dir, "static/img/dot.png", b"\x89PNG\r\n\x1a\n0123456789");
    write(dir, "secret.txt", b"top secret\n");
    std::os::unix::fs::symlink(dir.join("secret.txt"), dir.join("static/leak.txt")).unwrap();
    std::os::unix::fs::symlink("/etc", dir.join("static/etc")).unwrap();
    // A symlink that stays inside the folder is served.
    std::os::unix::fs::symlink("css/site.css", dir.join("static/site-link.css")).unwrap();
}

#[test]
fn multi_file_app_serves_static_files_safely() {
    let app = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    multi_file_app(app.path());
    let server = Server::start(app.path(), data.path(), &[]);
    let addr = server.addr;

    // The handler runs code from the loaded files; non-static paths reach it.
    let r = get(addr, "/hello");
    assert_eq!((r.status, r.body.as_str()), (200, "page /HELLO"), "{}", server.log());
    assert_eq!(get(addr, "/staticky").body, "page /STATICKY");

    // Content types from the extension; validators on every file.
    for (path, ctype) in [
        ("/static/css/site.css", "text/css"),
        ("/static/js/app.js", "text/javascript"),
        ("/static/img/dot.png", "image/png"),
        ("/static/site-link.css", "text/css"),
    ] {
        let r = get(addr, path);
        assert_eq!(r.status, 200, "{path}");
        assert!(r.header("content-type").is_some_and(|c| c.starts_with(ctype)), "{path}: {:?}", r.headers);
        assert!(r.header("etag").is_some() && r.header("last-modified").is_some(), "{path}: {:?}", r.headers);
    }
    let css = get(addr, "/static/css/site.css");
    assert_eq!(css.body, "body { color: #333; }\n");

    // Revalidation: 304 with If-None-Match, and with If-Modified-Since.
    let etag = css.header("etag").unwrap().to_string();
    let r = http(addr, "GET", "/static/css/site.css", &[("If-None-Match", &etag)], b"").unwrap();
    assert_eq!((r.status, r.body.as_str()), (304, ""));
    let modified = css.header("last-modified").unwrap().to_string();
    let r = http(addr, "GET", "/static/css/site.css", &[("If-Modified-Since", &modified)], b"").unwrap();
    assert_eq!(r.status, 304);
    let r = http(addr, "GET", "/static/css/site.css", &[("If-None-Match", "\"other\"")], b"").unwrap();
    assert_eq!(r.status, 200);

    // HEAD: the headers without the body.
    let r = http(addr, "HEAD", "/static/css/site.css", &[], b"").unwrap();
    assert_eq!((r.status, r.body.as_str()), (200, ""));
    assert_eq!(r.header("content-length"), Some("22"));

    // A byte range.
    let r = http(addr, "GET", "/static/css/site.css", &[("Range", "bytes=0-3")], b"").unwrap();
    assert_eq!((r.status, r.body.as_str()), (206, "body"));
    assert_eq!(r.header("content-range"), Some("bytes 0-3/22"));

    // Nothing outside the folder, however it is asked for; no listings.
    for path in [
        "/static/../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/%2E%2E/secret.txt",
        "/static/css/%2e%2e/%2e%2e/secret.txt",
        "/static/..%2fsecret.txt",
        "/static/%2e%2e%2fsecret.txt",
        "/static/leak.txt",
        "/static/etc/passwd",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/css",
        "/static/css/",
        "/static/",
        "/static/nope.css",
    ] {
        let r = http(addr, "GET", path, &[], b"").unwrap();
        assert_eq!(r.status, 404, "{path}: {} {}", r.status, r.body);
        assert!(!r.body.contains("secret") && !r.body.contains("root:"), "{path}");
    }
    // Static files are not the handler's: other methods are refused.
    let r = http(addr, "POST", "/static/css/site.css", &[], b"x=1").unwrap();
    assert_eq!(r.status, 405);
}

#[test]
fn dev_reloads_changed_files_without_dropping_requests() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    let app = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write(app.path(), "app.sx", b"(load \"lib/msg.sx\")\n(http-listen (fn (req) (msg)))\n");
    write(app.path(), "lib/msg.sx", b"(define (msg) \"v1\")\n");
    let server = Server::start(app.path(), data.path(), &["--dev"]);
    let addr = server.addr;
    assert_eq!(get(addr, "/").body, "v1");

    // Waits until GET / answers `want` (status 200); the time it took.
    let wait_for = |want: &str| -> Duration {
        let start = Instant::now();
        loop {
            let r = get(addr, "/");
            if r.status == 200 && r.body == want {
                return start.elapsed();
            }
            assert!(start.elapsed() < Duration::from_secs(10), "never saw {want:?}; last {} {:?}\n{}", r.status, r.body, server.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    };

    // A steady stream of requests across the reload: every one answered 200,
    // with the old or the new code.
    let stop = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicUsize::new(0));
    let bad = Arc::new(Mutex::new(Vec::new()));
    let streams: Vec<_> = (0..3)
        .map(|_| {
            let (stop, served, bad) = (stop.clone(), served.clone(), bad.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match http(addr, "GET", "/", &[], b"") {
                        Ok(r) if r.status == 200 && (r.body == "v1" || r.body == "v2") => {
                            served.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(r) => bad.lock().unwrap().push(format!("{} {}", r.status, r.body)),
                        Err(e) => bad.lock().unwrap().push(e.to_string()),
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    write(app.path(), "lib/msg.sx", b"(define (msg) \"v2\")\n");
    let took = wait_for("v2");
    assert!(took < Duration::from_secs(2), "the new code took {took:?}");
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    for t in streams {
        t.join().unwrap();
    }
    let bad = bad.lock().unwrap();
    assert!(bad.is_empty(), "requests failed during the reload: {bad:?}");
    assert!(served.load(Ordering::Relaxed) > 10, "the stream barely ran");
    eprintln!("dev reload: new code served {took:?} after the save; {} requests during, none failed", served.load(Ordering::Relaxed));

    // A file that does not compile: the diagnostic goes to the log and to the
    // next request, and the old code keeps serving.
    write(app.path(), "lib/msg.sx", b"(define (msg) \"v3\"\n");
    let start = Instant::now();
    let shown = loop {
        let r = get(addr, "/");
        if r.status == 500 {
            break r;
        }
        assert_eq!(r.body, "v2");
        assert!(start.elapsed() < Duration::from_secs(10), "the failed reload was never shown\n{}", server.log());
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(shown.body.contains("read-unbalanced-paren") && shown.body.contains("lib/msg.sx:1:1"), "{}", shown.body);
    for _ in 0..5 {
        let r = get(addr, "/");
        assert_eq!((r.status, r.body.as_str()), (200, "v2"));
    }
    assert!(server.log().contains("reload failed"), "{}", server.log());

    // Fixed: the new code serves.
    write(app.path(), "lib/msg.sx", b"(define (msg) \"v3\")\n");
    wait_for("v3");
}

#[test]
fn dev_reload_restarts_processes_with_the_new_code() {
    use std::time::{Duration, Instant};
    let app = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let counter = |version: &str| {
        format!(
            "(define (counter-loop n)\n  (let ((m (receive)))\n    (reply m (str \"{version} \" (+ n 1)))\n    (counter-loop (+ n 1))))\n\
             (or (whereis \"counter\") (register! \"counter\" (spawn (fn () (counter-loop 0)))))\n"
        )
    };
    write(app.path(), "app.sx", b"(load \"lib/counter.sx\")\n(http-listen (fn (req) (call \"counter\" :next)))\n");
    write(app.path(), "lib/counter.sx", counter("v1").as_bytes());
    let server = Server::start(app.path(), data.path(), &["--dev"]);
    let addr = server.addr;
    assert_eq!(get(addr, "/").body, "v1 1");
    assert_eq!(get(addr, "/").body, "v1 2");
    assert_eq!(get(addr, "/").body, "v1 3");

    // The service is restarted with the new code; its state starts over.
    write(app.path(), "lib/counter.sx", counter("v2").as_bytes());
    let start = Instant::now();
    let first = loop {
        let r = get(addr, "/");
        assert_eq!(r.status, 200, "{}\n{}", r.body, server.log());
        if r.body.starts_with("v2") {
            break r.body;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "the process never ran the new code\n{}", server.log());
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(first, "v2 1", "the restarted process keeps no state");
    assert_eq!(get(addr, "/").body, "v2 2");
}
