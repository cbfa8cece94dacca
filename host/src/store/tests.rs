//! Store tests: op semantics, durability across reopen, errors, group commit,
//! and the store-vs-model property test.

use std::sync::Arc;

use proptest::prelude::*;
use vm::data::Data;

use super::encoding::bit_exact_eq;
use super::encoding::tests::arb_data;
use super::model::MemoryModel;
use super::{OpError, Store};

fn s(x: &str) -> Data {
    Data::Str(x.into())
}

fn i(n: i64) -> Data {
    Data::Int(n)
}

fn dict(es: &[(&str, Data)]) -> Data {
    Data::Dict(es.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
}

fn get<'a>(d: &'a Data, key: &str) -> &'a Data {
    match d {
        Data::Dict(es) => &es.iter().find(|(k, _)| k == key).expect(key).1,
        other => panic!("not a dict: {other:?}"),
    }
}

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("data")).unwrap();
    (dir, store)
}

fn r(store: &Store, op: &str, args: Vec<Data>) -> Data {
    store
        .resolve(op, args)
        .unwrap_or_else(|e| panic!("{op}: {e}"))
}

#[test]
fn store_is_send_sync() {
    fn check<T: Send + Sync>() {}
    check::<Store>();
    check::<Arc<Store>>();
}

#[test]
fn kv_ops() {
    let (_d, st) = open();
    assert_eq!(r(&st, "kv/get", vec![s("a")]), Data::Nil);
    assert_eq!(r(&st, "kv/get", vec![s("a"), i(7)]), i(7));
    assert_eq!(r(&st, "kv/has?", vec![s("a")]), Data::Bool(false));
    let v = dict(&[
        ("x", Data::Float(1.0)),
        ("y", Data::List(vec![Data::Keyword("k".into())])),
    ]);
    assert_eq!(r(&st, "kv/put", vec![s("a"), v.clone()]), v);
    assert_eq!(r(&st, "kv/get", vec![Data::Keyword("a".into()), i(7)]), v);
    // nil is a stored value: has? is true, default is not used.
    assert_eq!(r(&st, "kv/put", vec![s("n"), Data::Nil]), Data::Nil);
    assert_eq!(r(&st, "kv/has?", vec![s("n")]), Data::Bool(true));
    assert_eq!(r(&st, "kv/get", vec![s("n"), i(7)]), Data::Nil);
    r(&st, "kv/put", vec![Data::Symbol("ab".into()), i(1)]);
    r(&st, "kv/put", vec![s("b"), i(2)]);
    assert_eq!(
        r(&st, "kv/keys", vec![]),
        Data::List(vec![s("a"), s("ab"), s("b"), s("n")])
    );
    assert_eq!(
        r(&st, "kv/keys", vec![s("a")]),
        Data::List(vec![s("a"), s("ab")])
    );
    assert_eq!(r(&st, "kv/keys", vec![s("zz")]), Data::List(vec![]));
    assert_eq!(r(&st, "kv/delete", vec![s("a")]), Data::Bool(true));
    assert_eq!(r(&st, "kv/delete", vec![s("a")]), Data::Bool(false));
    assert_eq!(r(&st, "kv/has?", vec![s("a")]), Data::Bool(false));
}

#[test]
fn kv_cas() {
    let (_d, st) = open();
    // Missing key = nil.
    assert_eq!(r(&st, "kv/cas", vec![s("c"), Data::Nil, i(1)]), i(1));
    let conflict = r(&st, "kv/cas", vec![s("c"), i(5), i(2)]);
    assert_eq!(
        conflict,
        dict(&[
            ("conflict", Data::Bool(true)),
            ("expected", i(5)),
            ("actual", i(1))
        ])
    );
    // SX = : numbers equal across int/float.
    assert_eq!(r(&st, "kv/cas", vec![s("c"), Data::Float(1.0), i(3)]), i(3));
    // Deep, dict order ignored.
    let a = dict(&[("p", i(1)), ("q", Data::List(vec![Data::Float(2.0)]))]);
    let b = dict(&[("q", Data::List(vec![i(2)])), ("p", Data::Float(1.0))]);
    r(&st, "kv/put", vec![s("d"), a.clone()]);
    assert_eq!(r(&st, "kv/cas", vec![s("d"), b, s("new")]), s("new"));
    // Kinds differ: string vs keyword.
    r(&st, "kv/put", vec![s("e"), s("x")]);
    let c = r(&st, "kv/cas", vec![s("e"), Data::Keyword("x".into()), i(0)]);
    assert_eq!(get(&c, "conflict"), &Data::Bool(true));
    assert_eq!(get(&c, "actual"), &s("x"));
}

#[test]
fn streams_and_truncation() {
    let (_d, st) = open();
    assert_eq!(r(&st, "persist/last-seq", vec![s("s")]), i(0));
    let before = super::ops::now_ms();
    let e1 = r(
        &st,
        "persist/append",
        vec![s("s"), Data::Keyword("made".into()), i(10)],
    );
    let keys: Vec<&str> = match &e1 {
        Data::Dict(es) => es.iter().map(|(k, _)| k.as_str()).collect(),
        _ => panic!(),
    };
    assert_eq!(keys, ["stream", "seq", "type", "at", "data"]);
    assert_eq!(get(&e1, "stream"), &s("s"));
    assert_eq!(get(&e1, "seq"), &i(1));
    assert_eq!(get(&e1, "type"), &Data::Keyword("made".into()));
    assert_eq!(get(&e1, "data"), &i(10));
    let Data::Int(at) = get(&e1, "at") else {
        panic!()
    };
    assert!(*at >= before && *at <= super::ops::now_ms());
    for n in 2..=5 {
        let e = r(&st, "persist/append", vec![s("s"), s("t"), i(n * 10)]);
        assert_eq!(get(&e, "seq"), &i(n));
    }
    r(&st, "persist/append", vec![s("other"), s("t"), Data::Nil]);
    assert_eq!(
        r(&st, "persist/streams", vec![]),
        Data::List(vec![s("other"), s("s")])
    );
    let all = r(&st, "persist/read", vec![s("s")]);
    let Data::List(all) = all else { panic!() };
    assert_eq!(all.len(), 5);
    assert_eq!(all[0], e1);
    let part = r(&st, "persist/read", vec![s("s"), i(2), i(2)]);
    let Data::List(part) = part else { panic!() };
    assert_eq!(
        part.iter()
            .map(|e| get(e, "seq").clone())
            .collect::<Vec<_>>(),
        vec![i(2), i(3)]
    );
    assert_eq!(
        r(&st, "persist/read", vec![s("s"), i(9)]),
        Data::List(vec![])
    );
    assert_eq!(r(&st, "persist/read", vec![s("nope")]), Data::List(vec![]));
    assert_eq!(r(&st, "persist/count", vec![s("s")]), i(5));
    assert_eq!(r(&st, "persist/truncate-through", vec![s("s"), i(3)]), i(3));
    assert_eq!(r(&st, "persist/truncate-through", vec![s("s"), i(3)]), i(0));
    assert_eq!(r(&st, "persist/count", vec![s("s")]), i(2));
    assert_eq!(r(&st, "persist/last-seq", vec![s("s")]), i(5));
    assert_eq!(
        r(&st, "persist/truncate-through", vec![s("s"), i(100)]),
        i(2)
    );
    assert_eq!(r(&st, "persist/count", vec![s("s")]), i(0));
    assert_eq!(r(&st, "persist/last-seq", vec![s("s")]), i(5));
    assert_eq!(
        r(&st, "persist/streams", vec![]),
        Data::List(vec![s("other"), s("s")])
    );
    let e6 = r(&st, "persist/append", vec![s("s"), s("t"), Data::Nil]);
    assert_eq!(get(&e6, "seq"), &i(6));
    assert_eq!(r(&st, "persist/count", vec![s("s")]), i(1));
}

#[test]
fn append_expect() {
    let (_d, st) = open();
    let e = r(
        &st,
        "persist/append-expect",
        vec![s("s"), i(0), s("t"), i(1)],
    );
    assert_eq!(get(&e, "seq"), &i(1));
    let c = r(
        &st,
        "persist/append-expect",
        vec![s("s"), i(0), s("t"), i(2)],
    );
    assert_eq!(
        c,
        dict(&[
            ("conflict", Data::Bool(true)),
            ("expected", i(0)),
            ("actual", i(1))
        ])
    );
    assert_eq!(r(&st, "persist/count", vec![s("s")]), i(1));
    let e = r(
        &st,
        "persist/append-expect",
        vec![s("s"), i(1), s("t"), i(2)],
    );
    assert_eq!(get(&e, "seq"), &i(2));
    // An integral float is accepted and reported back as given.
    let e = r(
        &st,
        "persist/append-expect",
        vec![s("s"), Data::Float(2.0), s("t"), i(3)],
    );
    assert_eq!(get(&e, "seq"), &i(3));
    let c = r(
        &st,
        "persist/append-expect",
        vec![s("s"), Data::Float(2.0), s("t"), i(3)],
    );
    assert_eq!(get(&c, "expected"), &Data::Float(2.0));
    assert_eq!(get(&c, "actual"), &i(3));
}

#[test]
fn blobs() {
    let (_d, st) = open();
    let hello = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    let r1 = r(&st, "blob/put", vec![s("hello"), s("text/plain")]);
    assert_eq!(
        r1,
        dict(&[("cid", s(hello)), ("size", i(5)), ("mime", s("text/plain"))])
    );
    assert_eq!(r(&st, "blob/put", vec![s("hello"), s("text/plain")]), r1);
    assert_eq!(r(&st, "blob/get", vec![s(hello)]), s("hello"));
    assert_eq!(r(&st, "blob/has?", vec![s(hello)]), Data::Bool(true));
    assert_eq!(r(&st, "blob/has?", vec![s("sha256:00")]), Data::Bool(false));
    assert_eq!(r(&st, "blob/get", vec![s("nonsense")]), Data::Nil);
    // Size is in UTF-8 bytes.
    let r2 = r(&st, "blob/put", vec![s("é"), s("text/plain")]);
    assert_eq!(get(&r2, "size"), &i(2));
}

#[test]
fn reopen_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/data");
    let hello;
    {
        let st = Store::open(&path).unwrap();
        r(&st, "kv/put", vec![s("k"), Data::Float(-0.0)]);
        r(&st, "kv/put", vec![s("nil"), Data::Nil]);
        for _ in 0..3 {
            r(&st, "persist/append", vec![s("s"), s("t"), i(1)]);
        }
        r(&st, "persist/truncate-through", vec![s("s"), i(2)]);
        hello = r(&st, "blob/put", vec![s("hello"), s("text/plain")]);
    }
    assert!(path.join(super::DB_FILE).exists());
    let st = Store::open(&path).unwrap();
    let k = r(&st, "kv/get", vec![s("k")]);
    assert!(bit_exact_eq(&k, &Data::Float(-0.0)));
    assert_eq!(r(&st, "kv/has?", vec![s("nil")]), Data::Bool(true));
    assert_eq!(r(&st, "persist/last-seq", vec![s("s")]), i(3));
    assert_eq!(r(&st, "persist/count", vec![s("s")]), i(1));
    assert_eq!(r(&st, "persist/streams", vec![]), Data::List(vec![s("s")]));
    assert_eq!(
        r(&st, "blob/get", vec![get(&hello, "cid").clone()]),
        s("hello")
    );
    let e = r(&st, "persist/append", vec![s("s"), s("t"), i(1)]);
    assert_eq!(get(&e, "seq"), &i(4));
}

#[test]
fn errors() {
    let (_d, st) = open();
    let e = st.resolve("kv/frobnicate", vec![]).unwrap_err();
    assert_eq!(e, OpError::UnknownOp("kv/frobnicate".into()));
    assert_eq!(e.to_string(), "unknown io op \"kv/frobnicate\"");
    let msg = |op: &str, args: Vec<Data>| st.resolve(op, args).unwrap_err().to_string();
    assert_eq!(msg("kv/get", vec![]), "kv/get: missing argument 1 (key)");
    assert_eq!(
        msg("kv/get", vec![i(1)]),
        "kv/get: argument 1 (key) must be a string, got integer"
    );
    assert_eq!(
        msg("kv/put", vec![s("k")]),
        "kv/put: missing argument 2 (value)"
    );
    assert_eq!(
        msg("kv/has?", vec![s("a"), s("b")]),
        "kv/has?: expected at most 1 arguments, got 2"
    );
    assert_eq!(
        msg("persist/append-expect", vec![s("s"), s("x"), s("t"), i(1)]),
        "persist/append-expect: argument 2 (expected-seq) must be an integer, got string"
    );
    assert_eq!(
        msg("persist/read", vec![s("s"), i(0), i(-1)]),
        "persist/read: argument 3 (limit) must be >= 0, got -1"
    );
    assert_eq!(
        msg("blob/put", vec![i(1), s("text/plain")]),
        "blob/put: argument 1 (content) must be a string, got integer"
    );
    assert_eq!(
        msg("sleep", vec![s("x")]),
        "sleep: argument 1 (ms) must be an integer, got string"
    );
    assert_eq!(
        msg("time/now", vec![i(1)]),
        "time/now: expected at most 0 arguments, got 1"
    );
    // Deep values: built and dropped on a big stack (Data's drop recurses).
    let st = Arc::new(st);
    let st2 = Arc::clone(&st);
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            let max = super::encoding::MAX_DEPTH;
            let nest = |n: usize| (0..n).fold(Data::Nil, |d, _| Data::List(vec![d]));
            let msg = st2
                .resolve("kv/put", vec![s("k"), nest(max + 1)])
                .unwrap_err()
                .to_string();
            assert_eq!(
                msg,
                format!("kv/put: argument 2 (value) is nested more than {max} levels deep")
            );
            let ok = nest(max);
            assert_eq!(r(&st2, "kv/put", vec![s("deep"), ok.clone()]), ok);
            assert_eq!(r(&st2, "kv/get", vec![s("deep")]), ok);
            assert_eq!(r(&st2, "kv/cas", vec![s("deep"), ok.clone(), i(1)]), i(1));
            // An event adds one level.
            let e = st2.resolve("persist/append", vec![s("s"), s("t"), nest(max)]);
            assert!(e
                .unwrap_err()
                .to_string()
                .starts_with("persist/append: argument 3 (data)"));
            let e = r(&st2, "persist/append", vec![s("s"), s("t"), nest(max - 1)]);
            assert_eq!(get(&e, "seq"), &i(1));
        })
        .unwrap()
        .join()
        .unwrap();
    assert!(matches!(
        st.resolve("kv/get", vec![]),
        Err(OpError::BadArgs { .. })
    ));
}

#[test]
fn time_and_sleep() {
    let (_d, st) = open();
    let Data::Int(t0) = r(&st, "time/now", vec![]) else {
        panic!()
    };
    assert!(t0 > 1_600_000_000_000);
    let start = std::time::Instant::now();
    assert_eq!(r(&st, "sleep", vec![i(20)]), Data::Nil);
    assert!(start.elapsed() >= std::time::Duration::from_millis(20));
}

#[test]
fn concurrent_writers_each_get_their_own_result() {
    let (_d, st) = open();
    let st = Arc::new(st);
    let threads: Vec<_> = (0..16)
        .map(|w| {
            let st = Arc::clone(&st);
            std::thread::spawn(move || {
                let mut seqs = Vec::new();
                for n in 0..10 {
                    let key = format!("w{w}/{n}");
                    assert_eq!(
                        r(&st, "kv/put", vec![s(&key), i(w * 100 + n)]),
                        i(w * 100 + n)
                    );
                    let e = r(&st, "persist/append", vec![s("shared"), s("t"), i(w)]);
                    assert_eq!(get(&e, "data"), &i(w));
                    let Data::Int(seq) = get(&e, "seq") else {
                        panic!()
                    };
                    seqs.push(*seq);
                    // Read-your-writes after the acknowledgement.
                    assert_eq!(r(&st, "kv/get", vec![s(&key)]), i(w * 100 + n));
                }
                seqs
            })
        })
        .collect();
    let mut all: Vec<i64> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    all.sort();
    assert_eq!(all, (1..=160).collect::<Vec<_>>());
    assert_eq!(r(&st, "persist/count", vec![s("shared")]), i(160));
    let Data::List(keys) = r(&st, "kv/keys", vec![s("w")]) else {
        panic!()
    };
    assert_eq!(keys.len(), 160);
}

#[test]
fn failed_batch_fails_every_write_in_it() {
    use super::ops::WriteOp;
    let (_d, st) = open();
    let put = |k: &str| {
        let value = i(1);
        let bytes = super::encoding::encode(&value);
        WriteOp::KvPut {
            key: k.into(),
            value,
            bytes,
        }
    };
    // The stall keeps the writer busy so the next three jobs share one batch.
    // (Generous times: on a loaded machine the writer can take tens of ms
    // to pick the stall up, and it must be alone in its batch.)
    let stall = st.enqueue(WriteOp::TestStall(1000)).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let a = st.enqueue(put("a")).unwrap();
    let f = st.enqueue(WriteOp::TestFail).unwrap();
    let b = st.enqueue(put("b")).unwrap();
    assert_eq!(stall.recv().unwrap(), Ok(Data::Nil));
    for rx in [a, f, b] {
        assert_eq!(
            rx.recv().unwrap(),
            Err(OpError::Storage("injected failure".into()))
        );
    }
    assert_eq!(r(&st, "kv/has?", vec![s("a")]), Data::Bool(false));
    assert_eq!(r(&st, "kv/has?", vec![s("b")]), Data::Bool(false));
    // The store keeps working afterwards.
    assert_eq!(r(&st, "kv/put", vec![s("a"), i(2)]), i(2));
    assert_eq!(r(&st, "kv/get", vec![s("a")]), i(2));
}

#[test]
fn batched_writes_see_each_other_in_order() {
    use super::ops::WriteOp;
    let (_d, st) = open();
    let stall = st.enqueue(WriteOp::TestStall(100)).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(30));
    let app = |d: i64| WriteOp::Append {
        stream: "s".into(),
        expected: None,
        typ: s("t"),
        data: i(d),
    };
    let rxs: Vec<_> = (0..5).map(|d| st.enqueue(app(d)).unwrap()).collect();
    let cas = st
        .enqueue(WriteOp::Append {
            stream: "s".into(),
            expected: Some(i(5)),
            typ: s("t"),
            data: i(9),
        })
        .unwrap();
    stall.recv().unwrap().unwrap();
    for (n, rx) in rxs.into_iter().enumerate() {
        let e = rx.recv().unwrap().unwrap();
        assert_eq!(get(&e, "seq"), &i(n as i64 + 1));
    }
    assert_eq!(get(&cas.recv().unwrap().unwrap(), "seq"), &i(6));
}

/// Normalises the clock: every `at` entry becomes 0.
fn strip_at(d: &Data) -> Data {
    match d {
        Data::List(xs) => Data::List(xs.iter().map(strip_at).collect()),
        Data::Dict(es) => Data::Dict(
            es.iter()
                .map(|(k, v)| (k.clone(), if k == "at" { i(0) } else { strip_at(v) }))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn arb_name() -> impl Strategy<Value = Data> {
    prop_oneof![
        Just(s("a")),
        Just(s("ab")),
        Just(s("b")),
        Just(s("")),
        Just(Data::Keyword("a".into())),
        Just(Data::Symbol("b".into())),
    ]
}

fn arb_value() -> impl Strategy<Value = Data> {
    prop_oneof![
        3 => prop_oneof![
            Just(Data::Nil),
            Just(i(1)),
            Just(Data::Float(1.0)),
            Just(i(2)),
            Just(s("x")),
            Just(Data::Keyword("x".into())),
            Just(Data::List(vec![i(1), Data::Float(2.0)])),
            Just(Data::List(vec![Data::Float(1.0), i(2)])),
        ],
        1 => arb_data(),
    ]
}

fn arb_seq() -> impl Strategy<Value = Data> {
    prop_oneof![5 => (-1i64..8).prop_map(i), 1 => Just(Data::Float(2.0)), 1 => Just(s("x"))]
}

fn arb_op() -> impl Strategy<Value = (&'static str, Vec<Data>)> {
    let stream = || prop_oneof![Just(s("s")), Just(s("t")), Just(Data::Keyword("s".into()))];
    let content = || prop_oneof![Just("hello"), Just(""), Just("é")];
    prop_oneof![
        arb_name().prop_map(|k| ("kv/get", vec![k])),
        (arb_name(), arb_value()).prop_map(|(k, d)| ("kv/get", vec![k, d])),
        (arb_name(), arb_value()).prop_map(|(k, v)| ("kv/put", vec![k, v])),
        arb_name().prop_map(|k| ("kv/delete", vec![k])),
        arb_name().prop_map(|k| ("kv/has?", vec![k])),
        Just(("kv/keys", vec![])),
        arb_name().prop_map(|k| ("kv/keys", vec![k])),
        (arb_name(), arb_value(), arb_value()).prop_map(|(k, e, n)| ("kv/cas", vec![k, e, n])),
        (stream(), arb_value(), arb_value())
            .prop_map(|(st, t, d)| ("persist/append", vec![st, t, d])),
        (stream(), arb_seq(), arb_value())
            .prop_map(|(st, e, d)| ("persist/append-expect", vec![st, e, s("t"), d])),
        stream().prop_map(|st| ("persist/read", vec![st])),
        (stream(), arb_seq()).prop_map(|(st, f)| ("persist/read", vec![st, f])),
        (stream(), arb_seq(), arb_seq()).prop_map(|(st, f, l)| ("persist/read", vec![st, f, l])),
        stream().prop_map(|st| ("persist/count", vec![st])),
        stream().prop_map(|st| ("persist/last-seq", vec![st])),
        (stream(), arb_seq()).prop_map(|(st, n)| ("persist/truncate-through", vec![st, n])),
        Just(("persist/streams", vec![])),
        (
            content(),
            prop_oneof![Just("text/plain"), Just("text/html")]
        )
            .prop_map(|(c, m)| ("blob/put", vec![s(c), s(m)])),
        content().prop_map(|c| {
            use sha2::Digest;
            let cid = format!("sha256:{}", hex::encode(sha2::Sha256::digest(c.as_bytes())));
            ("blob/get", vec![s(&cid)])
        }),
        content().prop_map(|c| {
            use sha2::Digest;
            let cid = format!("sha256:{}", hex::encode(sha2::Sha256::digest(c.as_bytes())));
            ("blob/has?", vec![s(&cid)])
        }),
        Just(("blob/get", vec![s("sha256:nope")])),
        Just(("kv/put", vec![])),
        Just(("kv/get", vec![i(1)])),
        Just(("no/such-op", vec![])),
        Just(("persist/read", vec![s("s"), i(0), i(1), i(2)])),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn store_matches_model(ops in prop::collection::vec(arb_op(), 1..40)) {
        let (_d, st) = open();
        let mut model = MemoryModel::new();
        for (op, args) in ops {
            let got = st.resolve(op, args.clone());
            let want = model.resolve(op, args.clone());
            match (&got, &want) {
                (Ok(g), Ok(w)) => prop_assert!(
                    bit_exact_eq(&strip_at(g), &strip_at(w)),
                    "{} {:?}: store {:?} model {:?}", op, args, g, w
                ),
                _ => prop_assert_eq!(&got, &want, "{} {:?}", op, args),
            }
        }
    }
}

/// Child half of `acknowledged_writes_survive_abort`: appends from several
/// threads, prints every acknowledged seq, and aborts the process (no drop, no
/// clean shutdown) once enough writes are acknowledged.
#[test]
#[ignore]
fn crash_child() {
    use std::io::Write;
    let Ok(dir) = std::env::var("SXC_STORE_CRASH_DIR") else {
        return;
    };
    let st = Arc::new(Store::open(std::path::Path::new(&dir)).unwrap());
    let acked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for w in 0..8 {
        let (st, acked) = (Arc::clone(&st), Arc::clone(&acked));
        std::thread::spawn(move || loop {
            let e = r(&st, "persist/append", vec![s("crash"), s("t"), i(w)]);
            r(
                &st,
                "kv/put",
                vec![s(&format!("k{w}")), get(&e, "seq").clone()],
            );
            let Data::Int(seq) = get(&e, "seq") else {
                panic!()
            };
            let mut out = std::io::stdout().lock();
            writeln!(out, "ack {w} {seq}").unwrap();
            out.flush().unwrap();
            acked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        });
    }
    while acked.load(std::sync::atomic::Ordering::SeqCst) < 150 {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    std::process::abort();
}

#[test]
fn acknowledged_writes_survive_abort() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "store::tests::crash_child",
            "--ignored",
            "--nocapture",
        ])
        .env("SXC_STORE_CRASH_DIR", dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success(), "the child should have aborted");
    let text = String::from_utf8_lossy(&out.stdout);
    let acks: Vec<(i64, i64)> = text
        .lines()
        .filter_map(|l| l.strip_prefix("ack "))
        .map(|l| {
            let (w, seq) = l.split_once(' ').unwrap();
            (w.parse().unwrap(), seq.parse().unwrap())
        })
        .collect();
    assert!(acks.len() >= 150, "child output: {text}");
    let st = Store::open(dir.path()).unwrap();
    let Data::List(events) = r(&st, "persist/read", vec![s("crash")]) else {
        panic!()
    };
    let Data::Int(last) = r(&st, "persist/last-seq", vec![s("crash")]) else {
        panic!()
    };
    assert_eq!(events.len() as i64, last, "rows are contiguous from 1");
    for (w, seq) in acks {
        let e = &events[(seq - 1) as usize];
        assert_eq!(get(e, "seq"), &i(seq));
        assert_eq!(get(e, "data"), &i(w));
        // The kv write acknowledged after it holds this seq or a later one.
        let Data::Int(k) = r(&st, "kv/get", vec![s(&format!("k{w}"))]) else {
            panic!()
        };
        assert!(k >= seq);
    }
}
