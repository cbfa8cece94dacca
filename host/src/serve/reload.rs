//! `sxc serve --dev`: reload the app when its files change.
//!
//! A watcher thread (the `notify` crate) watches the app's directory
//! recursively and the directory of every loaded file outside it. A change to
//! an `.sx` file (or to the `static/` folder itself appearing or going away)
//! starts a reload, after 100 ms of quiet so that an editor's burst of writes
//! is one reload:
//!
//! 1. the main file is read again and worker 0 loads the new code into a new
//!    isolate (compile, run the top level), then every other worker does;
//! 2. each worker swaps its app between two requests: requests already
//!    running finish on the old app (they hold it), requests arriving while
//!    the reload is under way wait for it and run the new code; the
//!    listening socket and every connection stay open;
//! 3. when worker 0's load fails (a diagnostic, or an error in the top level),
//!    no worker changes: the old code keeps serving, the error is logged, and
//!    the next request (of any worker) gets it as a `500` response, once.
//!
//! Before loading, the new code is compiled once on the watcher thread: if it
//! does not compile nothing changes. Otherwise every worker stops the
//! processes its app spawned (their state is lost, their names freed), so
//! the new top level starts them again with the new code. If the new top
//! level then fails, the old handler keeps serving without its processes.

use super::pool::AppSpec;
use super::static_files::{self, StaticFiles};
use super::ServeError;
use crate::store::Store;
use notify::{RecursiveMode, Watcher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// How long the files must stay quiet before a reload starts.
const QUIET: Duration = Duration::from_millis(100);

/// A request to a worker.
pub(crate) enum Reload {
    /// Stop the processes of the current app; answer when they are gone.
    StopProcesses { done: mpsc::Sender<()> },
    /// Load `spec` and, if that works, serve new requests with it; answer
    /// with the program's files.
    Load { spec: Box<AppSpec>, store: Arc<Store>, done: mpsc::Sender<Result<Vec<PathBuf>, ServeError>> },
}

/// The reload error a `--dev` server shows to the next request.
pub(crate) type PendingError = Arc<Mutex<Option<String>>>;

/// The running watcher; dropping it stops the thread (within 100 ms).
pub(crate) struct Reloader {
    stop: Arc<AtomicBool>,
}

impl Drop for Reloader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Starts watching. `files` are the program's files as first loaded;
/// `workers` reach each worker's reload queue (worker 0 first).
pub(crate) fn start(
    spec: AppSpec,
    store: Arc<Store>,
    workers: Vec<UnboundedSender<Reload>>,
    files: Vec<PathBuf>,
    pending: PendingError,
    gate: tokio::sync::watch::Sender<bool>,
) -> Result<Reloader, ServeError> {
    let (tx, events) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(tx).map_err(|e| ServeError::Runtime(format!("cannot watch files: {e}")))?;
    let dir = spec.file.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let app_dir = std::fs::canonicalize(dir)
        .map_err(|error| ServeError::App { path: spec.file.clone(), error })?;
    watcher
        .watch(&app_dir, RecursiveMode::Recursive)
        .map_err(|e| ServeError::Runtime(format!("cannot watch {}: {e}", app_dir.display())))?;
    let mut watched = vec![app_dir.clone()];
    watch_outside(&mut watcher, &mut watched, &files);
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    std::thread::Builder::new()
        .name("sxc-reload".into())
        .spawn(move || {
            let static_dir = app_dir.join(static_files::DIR);
            while !flag.load(Ordering::Relaxed) {
                match events.recv_timeout(QUIET) {
                    Ok(Ok(event)) if relevant(&event, &static_dir) => {}
                    Ok(_) | Err(mpsc::RecvTimeoutError::Timeout) => continue,
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
                // Wait for quiet, then reload once.
                while events.recv_timeout(QUIET).is_ok() {}
                if flag.load(Ordering::Relaxed) {
                    return;
                }
                let result = reload(&spec, &store, &workers, &gate);
                gate.send_replace(false);
                match result {
                    Ok(files) => {
                        *pending.lock().unwrap() = None;
                        tracing::info!(files = files.len(), "reloaded the app");
                        watch_outside(&mut watcher, &mut watched, &files);
                    }
                    Err(e) => {
                        tracing::error!("reload failed, the previous code keeps serving:\n{e}");
                        *pending.lock().unwrap() = Some(e.to_string());
                    }
                }
            }
        })
        .map_err(|e| ServeError::Runtime(format!("cannot start the reload thread: {e}")))?;
    Ok(Reloader { stop })
}

/// Watches the directories of `files` that no watched directory covers.
fn watch_outside(watcher: &mut notify::RecommendedWatcher, watched: &mut Vec<PathBuf>, files: &[PathBuf]) {
    for dir in files.iter().filter_map(|f| f.parent()) {
        if watched.iter().any(|w| dir.starts_with(w)) {
            continue;
        }
        match watcher.watch(dir, RecursiveMode::NonRecursive) {
            Ok(()) => watched.push(dir.to_path_buf()),
            Err(e) => tracing::warn!(dir = %dir.display(), error = %e, "cannot watch a loaded file's directory"),
        }
    }
}

/// True for a change that needs new code: an `.sx` file, or the `static/`
/// folder itself (appearing or going away). Files inside `static/` are read
/// on every request and need no reload.
fn relevant(event: &notify::Event, static_dir: &Path) -> bool {
    if matches!(event.kind, notify::EventKind::Access(_)) {
        return false;
    }
    event.paths.iter().any(|p| p.extension().is_some_and(|e| e == "sx") || p == static_dir)
}

/// Loads the current files on worker 0, then on the others.
fn reload(
    spec: &AppSpec,
    store: &Arc<Store>,
    workers: &[UnboundedSender<Reload>],
    gate: &tokio::sync::watch::Sender<bool>,
) -> Result<Vec<PathBuf>, ServeError> {
    let source = std::fs::read_to_string(&spec.file).map_err(|error| ServeError::App { path: spec.file.clone(), error })?;
    let mut spec = spec.clone();
    spec.source = Arc::from(source.as_str());
    spec.static_files = StaticFiles::for_app(&spec.file);
    // Nothing changes unless the new code compiles.
    super::app::check(&spec)?;
    // From here until the new code is in, new requests wait (the caller
    // opens the gate again); requests already running finish on the old code.
    gate.send_replace(true);
    // The old processes go first, on every worker, so that the new top level
    // starts its services afresh (names free, `whereis` finds nothing).
    for w in workers {
        let (done, answer) = mpsc::channel();
        if w.send(Reload::StopProcesses { done }).is_ok() {
            let _ = answer.recv();
        }
    }
    let ask = |w: &UnboundedSender<Reload>| {
        let (done, answer) = mpsc::channel();
        let sent = w.send(Reload::Load { spec: Box::new(spec.clone()), store: store.clone(), done }).is_ok();
        (sent, answer)
    };
    let mut files = Vec::new();
    for (i, w) in workers.iter().enumerate() {
        let (sent, answer) = ask(w);
        if !sent {
            continue; // a worker that has stopped
        }
        match answer.recv() {
            Ok(Ok(f)) if i == 0 => files = f,
            Ok(Ok(_)) | Err(_) => {}
            Ok(Err(e)) if i == 0 => return Err(e),
            Ok(Err(e)) => tracing::error!(worker = i, "reload failed on a worker, it keeps the previous code:\n{e}"),
        }
    }
    Ok(files)
}
