//! A request cannot take the server down: looping handlers are stopped at
//! the handler timeout (504) and the core is free again, a handler that
//! allocates without end is stopped by its memory budget (500) while the
//! process stays small, slow clients do not stop others, and writes made
//! after all that are acknowledged and read back. The real binary, over HTTP.

use crate::e2e::{get, http, write_app, Server};
use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

const APP: &str = r#"
(define (spin n) (spin (+ n 1)))
(define (doubled s k) (if (= k 0) s (doubled (str s s) (- k 1))))
(define chunk (doubled "x" 16))
(define (grow xs n) (append! xs (str chunk n)) (grow xs (+ n 1)))
(define (deep n) (+ 1 (deep (+ n 1))))
(define (handler req)
  (let ((path (get req :path)) (q (get req :query)))
    (cond
      (= path "/spin") (spin 0)
      (= path "/grow") (grow (list) 0)
      (= path "/deep") (deep 0)
      (= path "/swallow") (guard (e (true (spin 0))) (spin 0))
      (= path "/put") (do (kv-put! (get q "k") (get q "v")) "stored")
      (= path "/get") (str (kv-get (get q "k") "missing"))
      :else "fine")))
(http-listen handler)
"#;

/// CPU time (user + system) of process `pid`, in clock ticks (`/proc/PID/stat`).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the parenthesised command name: state is field 3; utime 14, stime 15.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

/// Peak resident set size of process `pid`, in KiB (`VmHWM`).
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Waits (up to 5 s: stderr is read by another thread) until the server's
/// log contains `needle`.
fn wait_log(server: &Server, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !server.log().contains(needle) {
        assert!(Instant::now() < deadline, "{needle:?} never logged:\n{}", server.log());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_request_cannot_take_the_server_down() {
    let dir = tempfile::tempdir().unwrap();
    let app = write_app(dir.path(), APP);
    let timeout = Duration::from_millis(3000);
    let server = Server::start(
        &app,
        &dir.path().join("data"),
        &["--handler-timeout", "3000", "--request-memory-mb", "200", "--read-timeout", "3000"],
    );
    let addr = server.addr;
    let pid = server.pid();

    // Four looping handlers at once on two workers: each gets 504 within the
    // timeout plus one second, while a plain request is answered at once.
    let spinners: Vec<_> = (0..4)
        .map(|i| {
            let path = if i == 3 { "/swallow" } else { "/spin" };
            std::thread::spawn(move || {
                let t = Instant::now();
                let r = http(addr, "GET", path, &[], b"").expect("spin request answered");
                (r.status, t.elapsed())
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    for _ in 0..3 {
        let t = Instant::now();
        let r = get(addr, "/plain");
        assert_eq!((r.status, r.body.as_str()), (200, "fine"));
        assert!(t.elapsed() < Duration::from_secs(1), "plain request took {:?} beside the loops", t.elapsed());
    }
    for s in spinners {
        let (status, took) = s.join().unwrap();
        assert_eq!(status, 504, "log:\n{}", server.log());
        assert!(took < timeout + Duration::from_secs(1), "504 after {took:?}");
    }
    // The cores are free again: the server uses (almost) no CPU right after.
    std::thread::sleep(Duration::from_millis(200));
    let before = cpu_ticks(pid);
    std::thread::sleep(Duration::from_secs(1));
    let used = cpu_ticks(pid) - before;
    assert!(used < 20, "server used {used} ticks of CPU in an idle second after the timeouts");
    wait_log(&server, "handler timeout");

    // Allocating without end: a 5xx (the 200 MB budget stops it, or the
    // timeout on a slow machine: a debug build allocates slowly; the test
    // below checks the memory limit alone), and the process stays small.
    let r = get(addr, "/grow");
    assert!(r.status == 500 || r.status == 504, "{} {}", r.status, r.body);
    let peak = peak_rss_kib(pid);
    assert!(peak < 700 * 1024, "peak RSS {peak} KiB");
    // Deep recursion: `stack overflow`, 500.
    assert_eq!(get(addr, "/deep").status, 500);
    wait_log(&server, "stack overflow");

    // 100 slow clients hold connections (an unfinished head each) while
    // other clients are served.
    let slow: Vec<TcpStream> = (0..100)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(b"GET /plain HTTP/1.1\r\nHost: x\r\n").unwrap();
            s
        })
        .collect();
    for _ in 0..10 {
        let t = Instant::now();
        assert_eq!(get(addr, "/plain").status, 200);
        assert!(t.elapsed() < Duration::from_secs(1), "took {:?} beside slow clients", t.elapsed());
    }

    // 50 writes after all of that, acknowledged and read back.
    for i in 0..50 {
        let r = get(addr, &format!("/put?k=key{i}&v=value{i}"));
        assert_eq!((r.status, r.body.as_str()), (200, "stored"));
    }
    for i in 0..50 {
        let r = get(addr, &format!("/get?k=key{i}"));
        assert_eq!((r.status, r.body), (200, format!("value{i}")));
    }
    drop(slow);
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn sxc_run_memory_mb_stops_a_script_that_allocates_without_end() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("grow.sx");
    std::fs::write(
        &file,
        "(define (grow xs n) (append! xs (str \"element number \" n \" of a list without end\")) (grow xs (+ n 1)))\n\
         (dynamic-wind (fn () nil) (fn () (grow (list) 0)) (fn () (println \"cleaned up\")))\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sxc"))
        .args(["run", "grow.sx", "--memory-mb", "50"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error: memory limit exceeded"), "{stderr}");
    assert!(stderr.contains("at grow (grow.sx:1:"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "cleaned up\n");
}

/// Sends `raw` on a fresh connection and returns what the server answers
/// before closing (empty when it closes without a response).
fn raw_exchange(addr: std::net::SocketAddr, raw: &[u8]) -> String {
    use std::io::Read;
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let _ = s.write_all(raw);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn status_of(reply: &str) -> Option<u16> {
    reply.split(' ').nth(1).and_then(|s| s.parse().ok())
}

const JSON_APP: &str = r#"
(http-listen
  (fn (req)
    (if (= (get req :path) "/json")
        (guard (e (true {:status 400 :body (str "bad json: " (error-message e))}))
          (str (len (json-decode (get req :body)))))
        "fine")))
"#;

#[test]
fn hostile_http_input_gets_a_4xx_and_other_clients_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let app = write_app(dir.path(), JSON_APP);
    let server = Server::start(&app, &dir.path().join("data"), &["--read-timeout", "1000"]);
    let addr = server.addr;
    // Slow clients start first and hold their connections during the rest.
    let slow_head = std::thread::spawn(move || {
        let t = Instant::now();
        (raw_exchange(addr, b"GET / HTTP/1.1\r\nHost: x\r\n"), t.elapsed())
    });
    let slow_body = std::thread::spawn(move || {
        raw_exchange(addr, b"POST /json HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n[1,")
    });
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("malformed request line", b"GARBAGE\r\n\r\n".to_vec(), 400),
        ("bad version", b"GET / HTTP/9.9\r\nHost: x\r\n\r\n".to_vec(), 400),
        (
            "oversized header",
            format!("GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "a".repeat(20_000)).into_bytes(),
            431,
        ),
        (
            "invalid UTF-8 body",
            b"POST /json HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 4\r\n\r\n[\xff\xfe]".to_vec(),
            400,
        ),
        ("invalid UTF-8 path", b"GET /%ff%fe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(), 400),
        (
            "oversized body",
            format!("POST /json HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n", 5 << 20).into_bytes(),
            413,
        ),
    ];
    for (what, raw, want) in cases {
        let reply = raw_exchange(addr, &raw);
        assert_eq!(status_of(&reply), Some(want), "{what}: {reply:?}");
        assert_eq!(get(addr, "/").status, 200, "after {what}");
    }
    // Deeply nested JSON: an error (caught by the app: 400), never a stack overflow.
    let deep = "[".repeat(200_000);
    let r = http(addr, "POST", "/json", &[], deep.as_bytes()).unwrap();
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("bad json"), "{}", r.body);
    let r = http(addr, "POST", "/json", &[], b"[1,[2,[3]]]").unwrap();
    assert_eq!((r.status, r.body.as_str()), (200, "2"));

    let (head, took) = slow_head.join().unwrap();
    assert!(took < Duration::from_secs(5), "a slow head held its connection for {took:?}");
    assert!(head.is_empty() || status_of(&head) == Some(408), "{head:?}");
    let body = slow_body.join().unwrap();
    assert_eq!(status_of(&body), Some(408), "{body:?}");
    assert_eq!(get(addr, "/").status, 200);
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn handlers_and_processes_that_grow_without_bound_are_stopped_by_the_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    let app = write_app(
        dir.path(),
        r#"
(define (doubled s k) (if (= k 0) s (doubled (str s s) (- k 1))))
(define chunk (doubled "x" 16))
(define (grow xs n) (append! xs (str chunk n)) (grow xs (+ n 1)))
(http-listen
  (fn (req)
    (cond
      (= (get req :path) "/spawn") (str "spawned " (spawn (fn () (grow (list) 0))))
      (= (get req :path) "/grow") (grow (list) 0)
      :else "fine")))
"#,
    );
    let server = Server::start(&app, &dir.path().join("data"), &["--request-memory-mb", "100"]);
    let r = get(server.addr, "/grow");
    assert_eq!(r.status, 500, "{}", r.body);
    wait_log(&server, "error=memory limit exceeded");
    assert_eq!(get(server.addr, "/").status, 200);
    let r = get(server.addr, "/spawn");
    assert_eq!(r.status, 200, "{}", r.body);
    wait_log(&server, "failed pid=1 error=memory limit exceeded");
    assert_eq!(get(server.addr, "/").status, 200);
    let peak = peak_rss_kib(server.pid());
    assert!(peak < 600 * 1024, "peak RSS {peak} KiB");
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn messages_a_process_sends_are_not_charged_to_its_memory_budget() {
    // A producer sends 50,000 strings of 1 KiB (50 MB in all) to a sink
    // that takes them as they come: its budget (16 MB) counts what it keeps,
    // not the copies it hands to the sink's mailbox (delivered in place or
    // performed, either way).
    let dir = tempfile::tempdir().unwrap();
    let app = write_app(
        dir.path(),
        r#"
(define (doubled s k) (if (= k 0) s (doubled (str s s) (- k 1))))
(define chunk (doubled "x" 10))
(define (sink me n) (let ((m (receive))) (if (= m :done) (send me n) (sink me (+ n 1)))))
(define (produce to i) (if (< i 50000) (do (send to chunk) (produce to (+ i 1))) (send to :done)))
(http-listen
  (fn (req)
    (let ((me (self)))
      (let ((s (spawn (fn () (sink me 0)))))
        (spawn (fn () (produce s 0)))
        (str "received " (receive 20000))))))
"#,
    );
    let server = Server::start(&app, &dir.path().join("data"), &["--request-memory-mb", "16", "--handler-timeout", "30000"]);
    let r = get(server.addr, "/");
    assert_eq!((r.status, r.body.as_str()), (200, "received 50000"), "log:\n{}", server.log());
    assert!(!server.log().contains("memory limit exceeded"), "log:\n{}", server.log());
    assert_eq!(server.terminate(), Some(0));
}
