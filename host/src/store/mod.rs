//! Durable storage behind the host IO ops (`kv/*`, `persist/*`, `blob/*`).
//!
//! One redb database file, `sxc.redb`, in the data directory. Every value is
//! stored in the versioned binary [`encoding`]. Writes are group-committed: a
//! single writer thread drains all queued writes, applies them in one write
//! transaction, commits it durably once and then answers every caller; reads
//! run concurrently in read transactions on the caller's thread. See
//! `docs/storage.md`.
//!
//! The entry point is [`Store::resolve`] (in [`ops`]); [`model::MemoryModel`]
//! is an in-memory reference implementation of the same op semantics.

pub mod bench_support;
pub mod encoding;
pub mod model;
pub mod ops;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;

use redb::{Database, Durability, ReadableDatabase, TableDefinition};
use vm::data::Data;

pub use ops::OpError;

/// The database file name inside the data directory.
pub const DB_FILE: &str = "sxc.redb";

/// kv: key → encoded value.
pub(crate) const KV: TableDefinition<&str, &[u8]> = TableDefinition::new("kv");
/// Stream events: (stream, seq) → encoded event dict.
pub(crate) const EVENTS: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("events");
/// Stream metadata: stream → last-seq (the monotonic high-water mark).
pub(crate) const STREAMS: TableDefinition<&str, u64> = TableDefinition::new("streams");
/// Blobs: lower-case sha256 hex → (mime, content bytes).
pub(crate) const BLOBS: TableDefinition<&str, (&str, &[u8])> = TableDefinition::new("blobs");

/// Most writes applied in one group commit.
const MAX_BATCH: usize = 4096;

/// A failure opening the store.
#[derive(Debug)]
pub enum StoreError {
    /// Creating the data directory failed.
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// redb refused to open or initialise the database.
    Db { path: PathBuf, error: String },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            StoreError::Db { path, error } => write!(f, "{}: {error}", path.display()),
        }
    }
}

impl std::error::Error for StoreError {}

/// A write queued for the writer thread, with the channel its result goes to.
pub(crate) struct Job {
    pub(crate) op: ops::WriteOp,
    pub(crate) reply: mpsc::SyncSender<Result<Data, OpError>>,
}

/// The durable store. `Send + Sync`: share it with `Arc` between threads; all
/// methods take `&self`. Dropping it stops the writer thread (after it has
/// answered everything queued) and closes the database.
pub struct Store {
    db: Arc<Database>,
    path: PathBuf,
    queue: Option<mpsc::Sender<Job>>,
    writer: Option<JoinHandle<()>>,
}

impl Store {
    /// Opens (creating if needed) `dir/sxc.redb`, creating `dir` too, and
    /// starts the writer thread.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|error| StoreError::Io {
            path: dir.to_path_buf(),
            error,
        })?;
        let path = dir.join(DB_FILE);
        let db_err = |e: &dyn fmt::Display| StoreError::Db {
            path: path.clone(),
            error: e.to_string(),
        };
        let db = Database::create(&path).map_err(|e| db_err(&e))?;
        // Create every table up front so read transactions always find them.
        let txn = db.begin_write().map_err(|e| db_err(&e))?;
        {
            txn.open_table(KV).map_err(|e| db_err(&e))?;
            txn.open_table(EVENTS).map_err(|e| db_err(&e))?;
            txn.open_table(STREAMS).map_err(|e| db_err(&e))?;
            txn.open_table(BLOBS).map_err(|e| db_err(&e))?;
        }
        txn.commit().map_err(|e| db_err(&e))?;
        let db = Arc::new(db);
        let (tx, rx) = mpsc::channel::<Job>();
        let writer_db = Arc::clone(&db);
        let writer = std::thread::Builder::new()
            .name("sxc-store-writer".into())
            .spawn(move || writer_loop(&writer_db, rx))
            .map_err(|e| StoreError::Io {
                path: path.clone(),
                error: e,
            })?;
        Ok(Store {
            db,
            path,
            queue: Some(tx),
            writer: Some(writer),
        })
    }

    /// The path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The underlying database, for read transactions.
    pub(crate) fn db(&self) -> &Database {
        &self.db
    }

    /// Queues a write and blocks until its group commit is durable (or failed).
    pub(crate) fn submit(&self, op: ops::WriteOp) -> Result<Data, OpError> {
        self.enqueue(op)?.recv().map_err(|_| writer_stopped())?
    }

    /// Queues a write; its result arrives on the returned channel after commit.
    pub(crate) fn enqueue(
        &self,
        op: ops::WriteOp,
    ) -> Result<mpsc::Receiver<Result<Data, OpError>>, OpError> {
        let (reply, answer) = mpsc::sync_channel(1);
        let queue = self.queue.as_ref().ok_or_else(writer_stopped)?;
        queue
            .send(Job { op, reply })
            .map_err(|_| writer_stopped())?;
        Ok(answer)
    }
}

fn writer_stopped() -> OpError {
    OpError::Storage("the store's writer thread has stopped".into())
}

impl Drop for Store {
    fn drop(&mut self) {
        drop(self.queue.take());
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

/// The writer thread: take one job (blocking), drain everything else queued,
/// apply the batch in one transaction, commit once, answer each caller.
fn writer_loop(db: &Database, rx: mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // A panic while applying (a bug) fails this batch, not the store.
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| commit_batch(db, &batch)))
                .unwrap_or_else(|_| Err("internal error: the write batch panicked".into()));
        match outcome {
            Ok(results) => {
                for (job, result) in batch.into_iter().zip(results) {
                    let _ = job.reply.send(Ok(result));
                }
            }
            Err(error) => {
                for job in batch {
                    let _ = job.reply.send(Err(OpError::Storage(error.clone())));
                }
            }
        }
    }
}

/// Applies every job's op in order in one write transaction and commits it
/// (with redb's default, immediate durability). Either every result is
/// returned after the commit, or the error text for the whole batch.
fn commit_batch(db: &Database, batch: &[Job]) -> Result<Vec<Data>, String> {
    let mut txn = db.begin_write().map_err(|e| e.to_string())?;
    // redb's default; stated so the guarantee does not hang on a default.
    txn.set_durability(Durability::Immediate)
        .map_err(|e| e.to_string())?;
    let mut results = Vec::with_capacity(batch.len());
    {
        let mut tables = ops::WriteTables {
            kv: txn.open_table(KV).map_err(|e| e.to_string())?,
            events: txn.open_table(EVENTS).map_err(|e| e.to_string())?,
            streams: txn.open_table(STREAMS).map_err(|e| e.to_string())?,
            blobs: txn.open_table(BLOBS).map_err(|e| e.to_string())?,
        };
        for job in batch {
            let result = ops::apply_write(&mut tables, &job.op).map_err(|e| match e {
                OpError::Storage(text) => text,
                other => other.to_string(),
            })?;
            results.push(result);
        }
    }
    txn.commit().map_err(|e| e.to_string())?;
    Ok(results)
}

/// Begins a read transaction (used by the read ops).
pub(crate) fn read_txn(store: &Store) -> Result<redb::ReadTransaction, OpError> {
    store
        .db()
        .begin_read()
        .map_err(|e| OpError::Storage(e.to_string()))
}
