//! Group-commit throughput of the store, for bench/http.sh: `persist/append`
//! commits per second with 1 and with 64 concurrent writers, against the rate
//! of raw redb single-row commits (one durable transaction per row), all in a
//! temporary directory.
//!
//! ```text
//! cargo run --release -p host --example store_bench [-- --single N --per-writer M --raw R]
//! ```
//!
//! Prints a human-readable summary, then one machine-readable line:
//! `store_bench: raw=<commits/s> one=<appends/s> many=<appends/s> writers=64`.

use host::store::bench_support::{append_throughput, raw_redb_commit_rate};
use host::store::Store;
use vm::data::Data;

const WRITERS: usize = 64;

fn main() {
    let mut single = 300usize; // appends by the lone writer
    let mut per_writer = 50usize; // appends by each of the 64 writers
    let mut raw_n = 300usize; // raw redb commits
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut num = |name: &str| -> usize {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} needs a positive number"))
        };
        match arg.as_str() {
            "--single" => single = num("--single"),
            "--per-writer" => per_writer = num("--per-writer"),
            "--raw" => raw_n = num("--raw"),
            other => {
                eprintln!("store_bench: unknown argument {other:?}");
                eprintln!("usage: store_bench [--single N] [--per-writer M] [--raw R]");
                std::process::exit(2);
            }
        }
    }

    let dir = tempfile::tempdir().expect("temp dir");
    let raw = raw_redb_commit_rate(dir.path(), raw_n);
    let store = Store::open(&dir.path().join("store")).expect("open store");
    // Warm up (file creation, first table) outside the measured runs.
    let _ = append_throughput(&store, 1, 5);
    let one = append_throughput(&store, 1, single);
    let many = append_throughput(&store, WRITERS, per_writer);

    // Every acknowledged append must be there.
    let expected = (5 + single + WRITERS * per_writer) as i64;
    let count = store.resolve("persist/count", vec![Data::Str("bench".into())]).expect("persist/count");
    if count != Data::Int(expected) {
        eprintln!("store_bench: expected {expected} events in the stream, found {count:?}");
        std::process::exit(1);
    }

    println!("raw redb, 1 txn per row:   {raw:10.0} commits/s  ({raw_n} commits)");
    println!("store, 1 writer:           {one:10.0} appends/s  ({single} appends)");
    println!("store, {WRITERS} writers:         {many:10.0} appends/s  ({} appends)", WRITERS * per_writer);
    println!("64 writers / 1 writer:     {:10.2}x", many / one);
    println!("store_bench: raw={raw:.0} one={one:.0} many={many:.0} writers={WRITERS}");
}
