//! In-process tests of the server: start it with [`super::start`] on port 0
//! and talk HTTP/1.1 to it over loopback.

use super::{start, RunningServer, ServeConfig, ServeError};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

/// (status, lower-case headers, body)
type Reply = (u16, Vec<(String, String)>, String);

fn raw_request(addr: SocketAddr, request: &[u8]) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(request).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, String::from_utf8_lossy(&raw[split + 4..]).into_owned())
}

fn request(addr: SocketAddr, method: &str, path: &str, body: &str) -> Reply {
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nX-Test: Yes\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    raw_request(addr, req.as_bytes())
}

fn get(addr: SocketAddr, path: &str) -> Reply {
    request(addr, "GET", path, "")
}

fn header<'a>(r: &'a Reply, name: &str) -> Option<&'a str> {
    r.1.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn serve_app(dir: &Path, source: &str, tweak: impl FnOnce(&mut ServeConfig)) -> Result<RunningServer, ServeError> {
    let app = dir.join("app.sx");
    std::fs::write(&app, source).unwrap();
    let mut cfg = ServeConfig::new(dir);
    cfg.addr = "127.0.0.1:0".parse().unwrap();
    cfg.workers = 1;
    cfg.data_dir = dir.join("data");
    tweak(&mut cfg);
    start(cfg)
}

const APP: &str = r#"
(define (handler req)
  (let ((path (get req :path)))
    (cond
      (= path "/slow") (do (perform {:op "sleep" :args (list 600)}) "slow")
      (= path "/fast") "fast"
      (= path "/echo") (json-encode req)
      (= path "/json") {:status 201 :headers {"x-a" "b"} :body {:a 1 :b (list 1 2)}}
      (= path "/markup") (p :class "x" "hi & bye")
      (= path "/kv")
        (do (for-each (fn (k) (kv-put! k (len k))) (list "a" "bb" "ccc"))
            (str (map (fn (k) (kv-get k 0)) (list "a" "bb" "ccc" "dddd"))))
      (= path "/boom") (error "boom" {:x 1})
      :else {:status 404 :body "none"})))
(http-listen handler)
"#;

#[test]
fn a_perform_does_not_block_other_requests_on_the_same_worker() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_app(dir.path(), APP, |_| {}).unwrap();
    let addr = server.addr();
    let slow = std::thread::spawn(move || get(addr, "/slow"));
    std::thread::sleep(Duration::from_millis(150));
    let t = Instant::now();
    let fast = get(addr, "/fast");
    let took = t.elapsed();
    assert_eq!((fast.0, fast.2.as_str()), (200, "fast"));
    assert!(took < Duration::from_millis(400), "fast request waited for the slow one: {took:?}");
    let slow = slow.join().unwrap();
    assert_eq!((slow.0, slow.2.as_str()), (200, "slow"));
    server.shutdown().unwrap();
}

#[test]
fn request_dict_and_response_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_app(dir.path(), APP, |_| {}).unwrap();
    let addr = server.addr();
    let echo = request(addr, "POST", "/echo?q=a+b&x=%C3%A9", "payload");
    assert_eq!(echo.0, 200);
    for needle in [r#""method":"POST""#, r#""path":"/echo""#, r#""query":{"q":"a b","x":"é"}"#, r#""x-test":"Yes""#, r#""body":"payload""#] {
        assert!(echo.2.contains(needle), "{needle} not in {}", echo.2);
    }
    let json = get(addr, "/json");
    assert_eq!(json.0, 201);
    assert_eq!(header(&json, "x-a"), Some("b"));
    assert_eq!(header(&json, "content-type"), Some("application/json"));
    assert_eq!(json.2, r#"{"a":1,"b":[1,2]}"#);
    let markup = get(addr, "/markup");
    assert_eq!(markup.2, r#"<p class="x">hi &amp; bye</p>"#);
    assert_eq!(header(&markup, "content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(get(addr, "/kv").2, "(1 2 3 0)");
    assert_eq!(get(addr, "/other"), (404, get(addr, "/other").1, "none".to_string()));
    assert_eq!(get(addr, "/__sxc/health").2, "ok");
    server.shutdown().unwrap();
}

#[test]
fn errors_are_500_and_dev_mode_shows_them() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_app(dir.path(), APP, |_| {}).unwrap();
    let boom = get(server.addr(), "/boom");
    assert_eq!(boom.0, 500);
    assert!(!boom.2.contains("boom {:x 1}"));
    assert_eq!(get(server.addr(), "/fast").2, "fast");
    server.shutdown().unwrap();
    let server = serve_app(dir.path(), APP, |c| c.dev = true).unwrap();
    let boom = get(server.addr(), "/boom");
    assert_eq!(boom.0, 500);
    assert!(boom.2.contains("error: boom {:x 1}"), "{}", boom.2);
    server.shutdown().unwrap();
}

#[test]
fn limits_and_timeouts() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_app(dir.path(), APP, |c| {
        c.body_limit = 100;
        c.max_uri_len = 200;
        c.max_header_bytes = 1000;
        c.handler_timeout = Duration::from_millis(200);
        c.read_timeout = Duration::from_millis(300);
    })
    .unwrap();
    let addr = server.addr();
    assert_eq!(request(addr, "POST", "/echo", &"x".repeat(101)).0, 413);
    assert_eq!(request(addr, "POST", "/echo", &"x".repeat(100)).0, 200);
    let chunked = format!(
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{}\r\n0\r\n\r\n",
        150,
        "y".repeat(150)
    );
    assert_eq!(raw_request(addr, chunked.as_bytes()).0, 413);
    assert_eq!(get(addr, &format!("/{}", "u".repeat(300))).0, 414);
    let big_header = format!("GET / HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\nConnection: close\r\n\r\n", "h".repeat(2000));
    assert_eq!(raw_request(addr, big_header.as_bytes()).0, 431);
    let slow_body = b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\nConnection: close\r\n\r\nabc";
    assert_eq!(raw_request(addr, slow_body).0, 408);
    assert_eq!(get(addr, "/slow").0, 504);
    assert_eq!(get(addr, "/fast").2, "fast");
    assert_eq!(get(addr, "/%ZZ").0, 400);
    server.shutdown().unwrap();
}

#[test]
fn load_failures_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let err = serve_app(dir.path(), "(define x 1)", |_| {}).err().expect("no handler");
    assert!(matches!(err, ServeError::Load(ref m) if m.contains("http-listen")), "{err}");
    let err = serve_app(dir.path(), "(http-listen (fn (r) \"x\")) (error \"top\")", |_| {}).err().expect("raises");
    assert!(err.to_string().contains("top"), "{err}");
    let err = serve_app(dir.path(), "(http-listen (fn (r) \"x\"", |_| {}).err().expect("read error");
    assert!(matches!(err, ServeError::Load(_)), "{err}");
    let mut cfg = ServeConfig::new(dir.path().join("missing.sx"));
    cfg.addr = "127.0.0.1:0".parse().unwrap();
    assert!(matches!(start(cfg), Err(ServeError::App { .. })));
}

#[test]
fn recognises_http_apps() {
    assert!(super::is_http_app("(define (h r) \"x\")\n(http-listen h)"));
    assert!(super::is_http_app("(when true (http-listen (fn (r) \"x\")))"));
    assert!(!super::is_http_app("(println \"http-listen\")"));
    assert!(!super::is_http_app("(http-listen"));
}

#[test]
fn several_workers_share_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_app(dir.path(), APP, |c| c.workers = 3).unwrap();
    assert_eq!(server.workers(), 3);
    let addr = server.addr();
    let threads: Vec<_> = (0..6).map(|_| std::thread::spawn(move || get(addr, "/kv").2)).collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), "(1 2 3 0)");
    }
    server.shutdown().unwrap();
}

#[test]
fn a_worker_stuck_in_a_pure_loop_does_not_stop_new_connections() {
    // Thread per core: a connection stays on the worker that accepted it, and
    // a worker running SX does not accept, so new connections reach the other
    // worker while one is stuck in a handler that never performs.
    const SPIN_APP: &str = r#"
(define (spin n) (let loop ((i 0) (acc 0)) (if (< i n) (loop (+ i 1) (+ acc i)) acc)))
(http-listen (fn (req) (if (= (get req :path) "/spin") (str (spin 40000000)) "fast")))
"#;
    let dir = tempfile::tempdir().unwrap();
    let server = serve_app(dir.path(), SPIN_APP, |c| c.workers = 2).unwrap();
    let addr = server.addr();
    let started = Instant::now();
    let spin = std::thread::spawn(move || {
        let r = get(addr, "/spin");
        (r, started.elapsed())
    });
    std::thread::sleep(Duration::from_millis(150));
    let mut fast_done = Duration::ZERO;
    for _ in 0..5 {
        let r = get(addr, "/fast");
        assert_eq!((r.0, r.2.as_str()), (200, "fast"));
        fast_done = started.elapsed();
    }
    let (r, spin_done) = spin.join().unwrap();
    assert_eq!((r.0, r.2.as_str()), (200, "799999980000000"));
    assert!(
        fast_done < spin_done,
        "new connections waited for the stuck worker: fast done at {fast_done:?}, spin at {spin_done:?}"
    );
    server.shutdown().unwrap();
}
