//! `GET /__sxc/tiers` on a real `sxc serve --jit eager` with two workers:
//! the `--jit-stats` data for the whole process as JSON — every function
//! compiled, none failed, and call counts summed over both workers' isolates.

#![cfg(unix)]

use crate::e2e::{get, write_app, Server};
use vm::Value;

const APP: &str = r#"
(define (hot n acc) (if (= n 0) acc (hot (- n 1) (+ acc n))))
(define (handler req) (str (hot 100 0) " " (map (fn (x) (* x 2)) (list 1 2))))
(http-listen handler)
"#;

fn field(v: &Value, key: &str) -> Value {
    v.as_dict().and_then(|d| d.get(key)).unwrap_or_else(|| panic!("no {key:?} in {}", vm::print::repr(v)))
}

fn int(v: &Value, key: &str) -> i64 {
    field(v, key).as_int().unwrap_or_else(|| panic!("{key:?} is not an integer in {}", vm::print::repr(v)))
}

#[test]
fn tiers_endpoint_reports_every_worker_under_jit_eager() {
    let dir = tempfile::tempdir().unwrap();
    let app = write_app(dir.path(), APP);
    let server = Server::start(&app, &dir.path().join("data"), &["--jit", "eager", "--workers", "2"]);
    for _ in 0..10 {
        let r = get(server.addr, "/");
        assert_eq!((r.status, r.body.as_str()), (200, "5050 (2 4)"));
    }
    let r = get(server.addr, "/__sxc/tiers");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body = vm::json::decode(&r.body).unwrap_or_else(|e| panic!("not JSON ({}): {}", vm::print::repr(&e), r.body));
    assert_eq!(field(&body, "mode").as_str(), Some("eager"), "{}", r.body);
    assert_eq!((int(&body, "workers"), int(&body, "answered"), int(&body, "unanswered")), (2, 2, 0), "{}", r.body);

    let functions = field(&body, "functions").list_items().unwrap();
    let named = |name: &str| {
        functions
            .iter()
            .find(|f| field(f, "name").as_str() == Some(name))
            .unwrap_or_else(|| panic!("no function {name} in {}", r.body))
            .clone()
    };
    // Ten requests, spread over the workers however the kernel chose:
    // `hot` ran 101 times per request (self tail calls included) in total.
    let hot = named("hot");
    assert_eq!(field(&hot, "tier").as_str(), Some("compiled"), "{}", r.body);
    assert_eq!(int(&hot, "calls"), 1010, "{}", r.body);
    assert!(int(&hot, "code_size") > 0 && int(&hot, "compile_us") > 0, "{}", r.body);
    // The handler is entered by the host (`call_value`), not by an SX call,
    // so under `--jit eager` it is not compiled on its first call (yet);
    // its calls are counted all the same.
    assert_eq!(int(&named("handler"), "calls"), 10, "{}", r.body);
    let lambda = functions.iter().find(|f| field(f, "name").as_str() == Some("lambda") && int(f, "calls") == 20);
    assert!(lambda.is_some_and(|f| field(f, "tier").as_str() == Some("compiled")), "the map callback: {}", r.body);

    // The summary counts the list, as --jit-stats' last line does.
    let summary = field(&body, "summary");
    let with_tier = |t: &str| functions.iter().filter(|f| field(f, "tier").as_str() == Some(t)).count() as i64;
    assert_eq!(int(&summary, "compiled"), with_tier("compiled"), "{}", r.body);
    assert!(int(&summary, "compiled") >= 3, "{}", r.body);
    assert_eq!((int(&summary, "failed"), with_tier("failed")), (0, 0), "{}", r.body);
    let deopts: i64 = functions.iter().map(|f| int(f, "deopts")).sum();
    assert_eq!(int(&summary, "deopts"), deopts, "{}", r.body);
    assert_eq!(server.terminate(), Some(0));
}
