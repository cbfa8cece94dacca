//! End-to-end tests of `sxc serve`: the real binary on a free loopback port
//! with a temporary data directory, driven over HTTP/1.1.
//!
//! Included from the integration-test crate root (`mod e2e;`).

#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------- client

/// A response: status, lower-case headers, body text.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 exchange on a fresh connection (`Connection: close`).
pub(crate) fn http(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> std::io::Result<Reply> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(10))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    stream.set_write_timeout(Some(Duration::from_secs(60)))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    // The server may answer (413) and close before reading a large body.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_reply(&raw).ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "malformed response"))
}

fn parse_reply(raw: &[u8]) -> Option<Reply> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let body = String::from_utf8_lossy(&raw[split + 4..]).into_owned();
    Some(Reply { status, headers, body })
}

/// A POST declaring a 2 MiB body, sending none: the server answers 413 from
/// the head alone.
fn declared_too_big(addr: SocketAddr) -> Reply {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!("POST /posts HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n", 2 << 20);
    stream.write_all(head.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse_reply(&raw).expect("a response to an oversized body")
}

pub(crate) fn get(addr: SocketAddr, path: &str) -> Reply {
    http(addr, "GET", path, &[], b"").unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

fn post_form(addr: SocketAddr, path: &str, form: &str) -> Reply {
    http(addr, "POST", path, &[("Content-Type", "application/x-www-form-urlencoded")], form.as_bytes())
        .unwrap_or_else(|e| panic!("POST {path}: {e}"))
}

// ---------------------------------------------------------------- server process

extern "C" {
    fn kill(pid: i32, sig: i32) -> i32;
}
const SIGTERM: i32 = 15;

pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// A running `sxc serve` child process (also used by the browser test).
pub(crate) struct Server {
    child: Child,
    pub(crate) addr: SocketAddr,
    log: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `sxc serve APP --addr 127.0.0.1:0 --data DATA --workers 2 EXTRA…`
    /// (without `--workers 2` when EXTRA gives `--workers`) and waits until it
    /// is listening and healthy.
    pub(crate) fn start(app: &Path, data: &Path, extra: &[&str]) -> Server {
        Server::start_env(app, data, extra, &[])
    }

    /// [`Server::start`] with `env` set for the server.
    pub(crate) fn start_env(app: &Path, data: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let workers: &[&str] = if extra.contains(&"--workers") { &[] } else { &["--workers", "2"] };
        let mut child = Command::new(env!("CARGO_BIN_EXE_sxc"))
            .arg("serve")
            .arg(app)
            .args(["--addr", "127.0.0.1:0"])
            .args(workers)
            .arg("--data")
            .arg(data)
            .args(extra)
            .env("SXC_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start sxc serve");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let addr = rest.split_whitespace().next().unwrap_or("").to_string();
                    let _ = tx.send(addr);
                }
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(a) => a.parse().expect("listening address"),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                panic!("sxc serve did not start; stderr:\n{}", log.lock().unwrap());
            }
        };
        let server = Server { child, addr, log };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = http(server.addr, "GET", "/__sxc/health", &[], b"") {
                if r.status == 200 && r.body == "ok" {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "health check never passed; stderr:\n{}", server.log());
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// SIGTERM, then the exit code (waits up to 30 s).
    pub(crate) fn terminate(mut self) -> Option<i32> {
        unsafe {
            kill(self.child.id() as i32, SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(Instant::now() < deadline, "server did not exit after SIGTERM; stderr:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL, no questions asked.
    fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn write_app(dir: &Path, source: &str) -> PathBuf {
    let path = dir.join("app.sx");
    std::fs::write(&path, source).unwrap();
    path
}

// ---------------------------------------------------------------- the blog

#[test]
fn blog_pages_publish_and_edit() {
    blog_pages(&repo_root().join("examples/blog"));
}

/// The same against the blog built into a bundle (`sxc build`).
#[test]
fn blog_pages_publish_and_edit_from_a_bundle() {
    let bundle = crate::bundles::blog_bundle();
    blog_pages(bundle.path());
}

fn blog_pages(app: &Path) {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(app, data.path(), &[]);
    let addr = server.addr;

    // Every page answers 200 with its content on the first request.
    let home = get(addr, "/");
    assert_eq!(home.status, 200, "{}\n{}", home.body, server.log());
    assert!(home.header("content-type").unwrap().starts_with("text/html"));
    for needle in ["Hello, SX", "Effects without colours", "Related posts by saturation", "#sx", "Related: "] {
        assert!(home.body.contains(needle), "home lacks {needle:?}:\n{}", home.body);
    }
    let post = get(addr, "/posts/effects");
    assert_eq!(post.status, 200);
    assert!(post.body.contains("<h1>Effects without colours</h1>"), "{}", post.body);
    // links(effects, hello-sx) and links(durable-streams, effects) → reach both ways.
    assert!(post.body.contains("/posts/hello-sx") && post.body.contains("/posts/durable-streams"), "{}", post.body);
    // datalog → durable-streams → effects → hello-sx: transitive through links.
    let datalog = get(addr, "/posts/datalog");
    assert!(datalog.body.contains("/posts/hello-sx"), "transitive related missing: {}", datalog.body);
    let tag = get(addr, "/tags/sx");
    assert_eq!(tag.status, 200);
    assert!(tag.body.contains("Hello, SX") && tag.body.contains("Components for markup"));
    assert!(!tag.body.contains("Durable event streams"));
    let new = get(addr, "/new");
    assert_eq!(new.status, 200);
    assert!(new.body.contains("<form") && new.body.contains("name=\"title\""));
    let edit = get(addr, "/posts/hello-sx/edit");
    assert_eq!(edit.status, 200);
    assert!(edit.body.contains("value=\"Hello, SX\""), "{}", edit.body);
    let api = get(addr, "/api/posts");
    assert_eq!(api.status, 200);
    assert_eq!(api.header("content-type"), Some("application/json"));
    assert!(api.body.starts_with('[') && api.body.contains("\"slug\":\"hello-sx\""), "{}", api.body);
    assert_eq!(get(addr, "/api/posts/datalog").status, 200);
    assert_eq!(get(addr, "/api/posts/nope").status, 404);
    assert_eq!(get(addr, "/posts/nope").status, 404);
    assert_eq!(get(addr, "/tags/nope").status, 404);
    let missing = get(addr, "/no/such/page");
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("Not found"));

    // Publish.
    let created = post_form(
        addr,
        "/posts",
        "title=Caf%C3%A9+%26+Tests&tags=sx%2C+Testing&links=hello-sx%2C+nope&body=First+paragraph+%C3%A9.%0D%0A%0D%0ASecond.",
    );
    assert_eq!(created.status, 303, "{}", created.body);
    assert_eq!(created.header("location"), Some("/posts/caf-tests"));
    let page = get(addr, "/posts/caf-tests");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Café &amp; Tests"), "{}", page.body);
    assert!(page.body.contains("First paragraph é."), "{}", page.body);
    assert!(page.body.contains("version 1"));
    assert!(get(addr, "/").body.contains("Café &amp; Tests"));
    assert!(get(addr, "/tags/testing").body.contains("Café &amp; Tests"));
    assert!(get(addr, "/tags/sx").body.contains("Café &amp; Tests"));

    // Edit.
    let edited = post_form(addr, "/posts/caf-tests", "title=Caf%C3%A9+edited&tags=testing&links=&body=New+text.");
    assert_eq!(edited.status, 303, "{}", edited.body);
    let page = get(addr, "/posts/caf-tests");
    assert!(page.body.contains("Café edited") && page.body.contains("New text.") && page.body.contains("version 2"), "{}", page.body);
    assert!(!get(addr, "/tags/sx").body.contains("Café edited"));

    // Bad requests.
    assert_eq!(post_form(addr, "/posts", "title=%ZZ&body=x").status, 400, "malformed escape");
    let invalid = post_form(addr, "/posts", "title=&body=x");
    assert_eq!(invalid.status, 400);
    assert!(invalid.body.contains("The title is required."));
    assert_eq!(post_form(addr, "/posts", "title=Hello%2C+SX&body=dup").status, 400, "duplicate slug");
    assert_eq!(post_form(addr, "/posts/nope", "title=x&body=y").status, 404);
    assert_eq!(declared_too_big(addr).status, 413);
    let long_uri = format!("/{}", "a".repeat(20_000));
    assert_eq!(get(addr, &long_uri).status / 100, 4);
    assert_eq!(get(addr, "/__sxc/health").body, "ok");

    assert_eq!(server.terminate(), Some(0));

    // Restart on the same data: everything is still there, seeding not repeated.
    let server = Server::start(&repo_root().join("examples/blog"), data.path(), &[]);
    let page = get(server.addr, "/posts/caf-tests");
    assert!(page.body.contains("Café edited") && page.body.contains("version 2"));
    let api = get(server.addr, "/api/posts");
    assert_eq!(api.body.matches("\"slug\":\"hello-sx\"").count(), 1);
    assert_eq!(server.terminate(), Some(0));
}

/// The blog memoizes its derived pages per isolate, keyed by the posts'
/// versions it reads on every request: a warm memo must never hide a
/// publish or an edit, on the very next request, on any worker.
#[test]
fn blog_memo_never_serves_a_stale_page() {
    for workers in ["1", "2"] {
        let data = tempfile::tempdir().unwrap();
        let server = Server::start(&repo_root().join("examples/blog"), data.path(), &["--workers", workers]);
        let addr = server.addr;
        for round in 0..3 {
            // Warm every worker's memo.
            for _ in 0..6 {
                assert_eq!(get(addr, "/").status, 200);
                assert_eq!(get(addr, "/posts/effects").status, 200);
            }
            let title = format!("Memo+round+{round}");
            let slug = format!("memo-round-{round}");
            let created = post_form(addr, "/posts", &format!("title={title}&tags=memo&links=effects&body=Body+{round}."));
            assert_eq!(created.status, 303, "{}", created.body);
            for _ in 0..4 {
                let home = get(addr, "/");
                assert!(home.body.contains(&format!("Memo round {round}")), "home misses the new post (workers {workers})");
                // The new post links to effects: effects' related posts include it.
                let effects = get(addr, "/posts/effects");
                assert!(effects.body.contains(&format!("/posts/{slug}")), "related posts stale (workers {workers})");
            }
            let edited = post_form(addr, &format!("/posts/{slug}"), &format!("title=Edited+{round}&tags=memo&links=&body=New."));
            assert_eq!(edited.status, 303, "{}", edited.body);
            for _ in 0..4 {
                let home = get(addr, "/");
                assert!(home.body.contains(&format!("Edited {round}")), "home shows the old title (workers {workers})");
                let page = get(addr, &format!("/posts/{slug}"));
                assert!(page.body.contains("version 2") && page.body.contains("New."), "post page stale");
                let effects = get(addr, "/posts/effects");
                assert!(!effects.body.contains(&format!("/posts/{slug}")), "related posts kept a removed link");
            }
        }
        assert_eq!(server.terminate(), Some(0));
    }
}

// ---------------------------------------------------------------- failures

const FAILING_APP: &str = r#"
(define (handler req)
  (let ((path (get req :path)))
    (cond
      (= path "/boom") (error "kaboom" 42)
      (= path "/slow") (do (perform {:op "sleep" :args (list 300)}) "slow done")
      (= path "/bad-op") (perform {:op "no/such" :args (list)})
      (= path "/weird") 42
      :else (str "fine " (get (get req :query) "q" "")))))
(http-listen handler)
"#;

#[test]
fn handler_errors_give_500_and_the_server_survives() {
    let dir = tempfile::tempdir().unwrap();
    let app = write_app(dir.path(), FAILING_APP);
    let server = Server::start(&app, &dir.path().join("data"), &[]);
    let addr = server.addr;
    for i in 0..10 {
        let r = get(addr, "/boom");
        assert_eq!(r.status, 500);
        assert!(!r.body.contains("kaboom"), "error details leaked without --dev");
        let ok = get(addr, &format!("/ok?q={i}"));
        assert_eq!((ok.status, ok.body.as_str()), (200, format!("fine {i}").as_str()));
    }
    assert_eq!(get(addr, "/bad-op").status, 500);
    assert_eq!(get(addr, "/weird").status, 500);
    assert!(server.log().contains("kaboom 42"), "error not logged:\n{}", server.log());
    assert_eq!(get(addr, "/").status, 200);
    assert_eq!(server.terminate(), Some(0));

    let server = Server::start(&app, &dir.path().join("data"), &["--dev"]);
    let r = get(server.addr, "/boom");
    assert_eq!(r.status, 500);
    assert!(r.body.contains("kaboom 42"), "--dev shows the error: {}", r.body);
    let r = get(server.addr, "/bad-op");
    assert!(r.body.contains("unknown io op \"no/such\""), "{}", r.body);
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn sigterm_drains_in_flight_requests_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let app = write_app(dir.path(), FAILING_APP);
    let server = Server::start(&app, &dir.path().join("data"), &[]);
    let addr = server.addr;
    let slow = std::thread::spawn(move || http(addr, "GET", "/slow", &[], b""));
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(server.terminate(), Some(0));
    let r = slow.join().unwrap().expect("in-flight request answered");
    assert_eq!((r.status, r.body.as_str()), (200, "slow done"));
}

#[test]
fn a_missing_app_or_bad_app_fails_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let app = write_app(dir.path(), "(define x 1)\n");
    let out = Command::new(env!("CARGO_BIN_EXE_sxc"))
        .args(["serve"])
        .arg(&app)
        .args(["--addr", "127.0.0.1:0", "--data"])
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("http-listen"));
}

// ---------------------------------------------------------------- durability

const DURABLE_APP: &str = r#"
(define (handler req)
  (let ((path (get req :path)))
    (cond
      (= path "/append")
        (str (get (perform {:op "persist/append"
                            :args (list "log" "n" (get (get req :query) "n"))})
                  :seq))
      (= path "/last-seq") (str (perform {:op "persist/last-seq" :args (list "log")}))
      (= path "/all")
        {:body (map (fn (ev) (list (get ev :seq) (get ev :data)))
                    (perform {:op "persist/read" :args (list "log")}))}
      :else "ok")))
(http-listen handler)
"#;

/// `[[1,"a"],[2,"b"]]` → [(1, "a"), (2, "b")].
fn parse_pairs(json: &str) -> Vec<(u64, String)> {
    let inner = json.trim().trim_start_matches('[').trim_end_matches(']');
    if inner.is_empty() {
        return Vec::new();
    }
    inner
        .split("],[")
        .map(|item| {
            let (seq, n) = item.split_once(',').expect("pair");
            (seq.parse().expect("seq"), n.trim_matches('"').to_string())
        })
        .collect()
}

fn pseudo_random_ms(lo: u64, hi: u64) -> u64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() as u64;
    lo + nanos % (hi - lo)
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let app = write_app(dir.path(), DURABLE_APP);
    let data = dir.path().join("data");
    let mut acked: Vec<(u64, String)> = Vec::new();
    let mut last_seq = 0u64;
    for round in 0..3 {
        let server = Server::start(&app, &data, &[]);
        let addr = server.addr;
        // Everything acknowledged in earlier rounds is present, with its seq.
        let all = get(addr, "/all");
        assert_eq!(all.status, 200, "{}", all.body);
        let stored: std::collections::HashMap<String, u64> =
            parse_pairs(&all.body).into_iter().map(|(s, n)| (n, s)).collect();
        for (seq, n) in &acked {
            assert_eq!(stored.get(n), Some(seq), "round {round}: acknowledged write {n} (seq {seq}) lost");
        }
        let now: u64 = get(addr, "/last-seq").body.parse().unwrap();
        assert!(now >= last_seq, "last-seq went backwards: {last_seq} -> {now}");
        last_seq = now;

        // Writers append until the server dies under them.
        let writers: Vec<_> = (0..3)
            .map(|w| {
                std::thread::spawn(move || {
                    let mut done = Vec::new();
                    for i in 0..10_000 {
                        let n = format!("r{round}w{w}i{i}");
                        match http(addr, "GET", &format!("/append?n={n}"), &[], b"") {
                            Ok(r) if r.status == 200 => done.push((r.body.parse::<u64>().unwrap(), n)),
                            Ok(r) => panic!("append failed: {} {}", r.status, r.body),
                            Err(_) => break,
                        }
                    }
                    done
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(pseudo_random_ms(150, 600)));
        server.kill9();
        let before = acked.len();
        for w in writers {
            acked.extend(w.join().unwrap());
        }
        eprintln!("round {round}: {} writes acknowledged before SIGKILL", acked.len() - before);
    }
    assert!(acked.len() > 3, "too few writes acknowledged to mean anything");
    let server = Server::start(&app, &data, &[]);
    let stored: std::collections::HashMap<String, u64> =
        parse_pairs(&get(server.addr, "/all").body).into_iter().map(|(s, n)| (n, s)).collect();
    for (seq, n) in &acked {
        assert_eq!(stored.get(n), Some(seq), "acknowledged write {n} (seq {seq}) lost");
    }
    let max_acked = acked.iter().map(|(s, _)| *s).max().unwrap();
    let now: u64 = get(server.addr, "/last-seq").body.parse().unwrap();
    assert!(now >= max_acked && now >= last_seq, "last-seq {now} behind {max_acked}/{last_seq}");
    assert_eq!(server.terminate(), Some(0));
}

/// While the LLVM plugin loads, `dlopen` holds glibc's loader lock, which a
/// thread also takes to start or to meet a thread-local with a destructor
/// for the first time (vm::jit::plugin; the worker warms its own up). A
/// stand-in plugin whose initialiser sleeps 4 s, loaded by the compile
/// thread once `/hot`'s helper is hot (threshold 20, tiered even under
/// `SXC_JIT=eager`): the first `str` and the first static file (each new
/// to the worker) are served meanwhile, in well under the sleep.
#[test]
fn requests_do_not_wait_for_the_llvm_plugin_to_load() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("slow.c");
    std::fs::write(&c, "#include <unistd.h>\n__attribute__((constructor)) static void slow(void) { sleep(4); }\n").unwrap();
    let lib = dir.path().join("libslow.so");
    let cc = Command::new("cc").args(["-shared", "-fPIC", "-o"]).arg(&lib).arg(&c).status().expect("run cc");
    assert!(cc.success(), "cc failed");
    let app = write_app(
        dir.path(),
        "(define (twice n) (* 2 n))\n(define (handler req) (if (= (get req :path) \"/hot\") (if (= (twice 21) 42) \"hot\" \"cold\") (str \"<p>\" (get req :path) \"</p>\")))\n(http-listen handler)\n",
    );
    std::fs::create_dir_all(dir.path().join("static")).unwrap();
    std::fs::write(dir.path().join("static/site.css"), "p { margin: 0 }\n").unwrap();
    let plugin = lib.to_str().unwrap();
    let extra = ["--jit", "tiered", "--jit-threshold", "20"];
    let server = Server::start_env(&app, &dir.path().join("data"), &extra, &[("SXC_LLVM_PLUGIN", plugin)]);
    for _ in 0..25 {
        assert_eq!(get(server.addr, "/hot").status, 200);
    }
    // Requests until the load ends (the stand-in has no entry: its failure
    // is logged then); each is answered while the load holds the lock.
    let t0 = Instant::now();
    let mut n = 0;
    while !server.log().contains("sxc: the LLVM tier is unavailable (") {
        let path = ["/static/site.css", "/", "/a/b"][n % 3];
        let t = Instant::now();
        let r = get(server.addr, path);
        assert_eq!(r.status, 200, "{path}: {}", server.log());
        assert!(t.elapsed() < Duration::from_millis(1500), "{path} took {:?} (request {n})", t.elapsed());
        assert!(t0.elapsed() < Duration::from_secs(60), "the plugin never finished loading: {}", server.log());
        n += 1;
    }
    assert!(server.log().contains("undefined symbol: sxc_llvm_api_v1"), "{}", server.log());
    // Not vacuous: the load (4 s) began after the first requests.
    assert!(t0.elapsed() > Duration::from_secs(3), "the load ended {:?} after the first request", t0.elapsed());
    assert_eq!(get(server.addr, "/").status, 200);
}
