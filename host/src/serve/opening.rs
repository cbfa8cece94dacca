//! The store, opened on a thread of its own while the workers compile the
//! app.
//!
//! Opening (or creating) the redb data directory takes a few milliseconds
//! of a start (2.5–4 ms on the project's machine for a restart, more when
//! the file is created), and compiling the app — from source, or from a
//! bundle's IR — does not need it: only the app's top level does, which
//! runs after. So `serve` starts the open first and hands the workers a
//! [`PendingStore`]; each worker compiles, then waits for the store (and
//! the start fails with the open's error, as before, when it cannot be
//! opened). Measured in `docs/build.md` ("Measured").

use crate::serve::ServeError;
use crate::store::Store;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;

/// A store being opened on the `sxc-store-open` thread; [`PendingStore::get`]
/// waits for it.
pub(crate) struct PendingStore {
    dir: PathBuf,
    opening: Mutex<Option<JoinHandle<Result<Store, String>>>>,
    done: OnceLock<Result<Arc<Store>, String>>,
}

impl PendingStore {
    /// Starts opening the store in `dir`. If no thread can be started, the
    /// store is opened by the first [`PendingStore::get`] instead.
    pub(crate) fn open(dir: PathBuf) -> Arc<PendingStore> {
        let d = dir.clone();
        let handle = std::thread::Builder::new()
            .name("sxc-store-open".into())
            .spawn(move || {
                let opened = Store::open(&d).map_err(|e| e.to_string());
                crate::startup::mark("store opened");
                opened
            })
            .ok();
        Arc::new(PendingStore { dir, opening: Mutex::new(handle), done: OnceLock::new() })
    }

    /// The open store, waiting for the open to finish. Errors: the
    /// directory could not be opened as a store (`ServeError::Store`, the
    /// same error every caller gets).
    pub(crate) fn get(&self) -> Result<Arc<Store>, ServeError> {
        let done = self.done.get_or_init(|| {
            let handle = self.opening.lock().unwrap_or_else(|p| p.into_inner()).take();
            let opened = match handle {
                Some(h) => h.join().unwrap_or_else(|_| Err("the thread opening the store panicked".into())),
                None => Store::open(&self.dir).map_err(|e| e.to_string()),
            };
            opened.map(Arc::new)
        });
        done.clone().map_err(|error| ServeError::Store { path: self.dir.clone(), error })
    }
}

impl Drop for PendingStore {
    /// Waits for an open still running (a start that failed before any
    /// worker asked for the store), so the database is closed when the
    /// last handle goes, not later on a detached thread: a server started
    /// again on the same directory must not find it locked.
    fn drop(&mut self) {
        if let Some(h) = self.opening.get_mut().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = h.join();
        }
    }
}
