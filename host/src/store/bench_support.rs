//! Throughput measurements for the store's group commit (see the ignored test
//! `store::bench_support::tests::group_commit_throughput`).

use std::path::Path;
use std::time::Instant;

use redb::{Database, TableDefinition};
use vm::data::Data;

use super::Store;

/// Runs `writers` threads, each doing `per_writer` `persist/append`s (to one
/// shared stream, `"bench"`) on `store`; returns acknowledged (durably
/// committed) appends per second.
pub fn append_throughput(store: &Store, writers: usize, per_writer: usize) -> f64 {
    let start = Instant::now();
    std::thread::scope(|s| {
        for w in 0..writers {
            s.spawn(move || {
                for i in 0..per_writer {
                    let args = vec![
                        Data::Str("bench".into()),
                        Data::Keyword("tick".into()),
                        Data::Dict(vec![
                            ("writer".into(), Data::Int(w as i64)),
                            ("i".into(), Data::Int(i as i64)),
                        ]),
                    ];
                    store
                        .resolve("persist/append", args)
                        .expect("append failed");
                }
            });
        }
    });
    (writers * per_writer) as f64 / start.elapsed().as_secs_f64()
}

/// Commits `n` single-row write transactions (default, immediate durability)
/// to a fresh redb database `dir/raw.redb` from one thread; returns commits
/// per second. The baseline the group commit is compared against.
pub fn raw_redb_commit_rate(dir: &Path, n: usize) -> f64 {
    const T: TableDefinition<u64, &[u8]> = TableDefinition::new("raw");
    let db = Database::create(dir.join("raw.redb")).expect("create raw.redb");
    let payload = [7u8; 64];
    let start = Instant::now();
    for i in 0..n as u64 {
        let txn = db.begin_write().expect("begin_write");
        {
            let mut t = txn.open_table(T).expect("open_table");
            t.insert(i, payload.as_slice()).expect("insert");
        }
        txn.commit().expect("commit");
    }
    n as f64 / start.elapsed().as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cargo test -p host --release --lib store::bench_support -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn group_commit_throughput() {
        let dir = tempfile::tempdir().unwrap();
        let raw = raw_redb_commit_rate(dir.path(), 300);
        let store = Store::open(&dir.path().join("store")).unwrap();
        let one = append_throughput(&store, 1, 300);
        let many = append_throughput(&store, 64, 50);
        println!("raw redb, 1 txn per row:  {raw:10.0} commits/s");
        println!("store, 1 writer:          {one:10.0} appends/s");
        println!("store, 64 writers:        {many:10.0} appends/s");
        let last = store
            .resolve("persist/last-seq", vec![Data::Str("bench".into())])
            .unwrap();
        assert_eq!(last, Data::Int(300 + 64 * 50));
    }

    #[test]
    fn small_run_works() {
        let dir = tempfile::tempdir().unwrap();
        assert!(raw_redb_commit_rate(dir.path(), 3) > 0.0);
        let store = Store::open(dir.path()).unwrap();
        assert!(append_throughput(&store, 4, 3) > 0.0);
        let n = store
            .resolve("persist/count", vec![Data::Str("bench".into())])
            .unwrap();
        assert_eq!(n, Data::Int(12));
    }
}
