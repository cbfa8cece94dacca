//! The worker pool: N threads, each owning one isolate with the app loaded,
//! a current-thread tokio runtime and a `LocalSet`. Every worker accepts
//! connections on the shared listening socket and serves them itself —
//! HTTP parsing, the handler's fiber, its reads and the response all happen
//! on the thread that owns the isolate (thread per core, no hand-off).

use super::app::App;
use super::{ServeConfig, ServeError};
use super::opening::PendingStore;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Stack size of worker threads (compilation recurses on nesting depth).
const WORKER_STACK: usize = 64 << 20;

/// What every worker needs to load the app.
#[derive(Clone)]
pub(crate) struct AppSpec {
    /// The app file (after resolving a directory to `app.sx`).
    pub file: PathBuf,
    /// Its source text (read once, before the workers start; empty for a bundle).
    pub source: Arc<str>,
    /// The bundle `sxc build` made of the app, when serving one.
    pub bundle: Option<Arc<crate::build::Served>>,
    /// Send SX error details to clients.
    pub dev: bool,
    /// The server's watchdog (handler timeouts, time slices).
    pub watchdog: Arc<super::watchdog::Watchdog>,
    /// Memory budget of one request, in bytes.
    pub memory_limit: usize,
    /// The server-wide process table (every worker sees every process and name).
    pub registry: Arc<crate::procs::Registry>,
    /// The workers' JIT stats queues (`/__sxc/tiers`).
    pub tiers: Arc<super::tiers::TierBoard>,
    /// Workers that finished draining their requests (or failed to load):
    /// processes keep running until every worker is done, since a draining
    /// request may still call a process on another worker.
    pub drained: Arc<watch::Sender<usize>>,
    /// The app's `static/` folder, served under `/static/`, if it has one.
    pub static_files: Option<super::static_files::StaticFiles>,
    /// With `--dev`: a failed reload's error, shown to the next request.
    pub pending_error: Option<super::reload::PendingError>,
    /// With `--dev`: true while a reload is under way; new requests wait.
    pub reload_gate: Option<watch::Receiver<bool>>,
}

/// A started worker thread: its readiness report and its end.
struct Worker {
    /// Signalled (by dropping) when the worker thread ends.
    done: std::sync::mpsc::Receiver<()>,
}

/// The running workers. [`Pool::close`] stops them.
pub(crate) struct Pool {
    workers: Vec<Worker>,
    /// With `--dev`: each worker's reload queue, worker 0 first.
    reloads: Vec<tokio::sync::mpsc::UnboundedSender<super::reload::Reload>>,
    /// The program's files as worker 0 loaded them.
    files: Vec<PathBuf>,
    /// Set to `true` to stop accepting and drain.
    stop: watch::Sender<bool>,
}

impl Pool {
    /// Starts `cfg.workers` workers serving `listener`. Worker 0 loads the
    /// app first (so the app's one-time top-level effects such as seeding run
    /// once, alone); the others load in parallel after it. Fails with the
    /// first load error. Each worker starts accepting once its app is loaded.
    pub fn start(
        cfg: &ServeConfig,
        spec: AppSpec,
        store: Arc<PendingStore>,
        listener: std::net::TcpListener,
    ) -> Result<Pool, ServeError> {
        let n = cfg.workers.max(1);
        let cfg = Arc::new(cfg.clone());
        let (stop, stop_rx) = watch::channel(false);
        let mut workers = Vec::with_capacity(n);
        let mut reloads = Vec::new();
        let mut spawn = |id: usize| -> Result<(Worker, Ready), ServeError> {
            let listener = listener
                .try_clone()
                .map_err(|e| ServeError::Runtime(format!("cannot share the listening socket: {e}")))?;
            let reload = cfg.dev.then(|| {
                let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
                reloads.push(tx);
                rx
            });
            spawn_worker(id, cfg.clone(), spec.clone(), store.clone(), listener, stop_rx.clone(), reload)
        };
        workers.push(spawn(0)?);
        let files = wait_ready(&mut workers[..1])?;
        for id in 1..n {
            workers.push(spawn(id)?);
        }
        wait_ready(&mut workers[1..])?;
        Ok(Pool { workers: workers.into_iter().map(|(w, _)| w).collect(), reloads, files, stop })
    }

    /// With `--dev`: each worker's reload queue, worker 0 first (empty without).
    pub fn reloads(&self) -> Vec<tokio::sync::mpsc::UnboundedSender<super::reload::Reload>> {
        self.reloads.clone()
    }

    /// The program's files (canonical paths) as worker 0 loaded them.
    pub fn files(&self) -> Vec<PathBuf> {
        self.files.clone()
    }

    /// Number of workers.
    pub fn len(&self) -> usize {
        self.workers.len()
    }

    /// Stops accepting; each worker drains its connections (in-flight
    /// requests finish, up to the drain timeout) and ends. Waits up to
    /// `grace` for the worker threads. A worker stuck in a runaway handler
    /// is left behind (it dies with the process).
    pub fn close(self, grace: Duration) {
        let _ = self.stop.send(true);
        let deadline = Instant::now() + grace;
        for w in self.workers {
            let left = deadline.saturating_duration_since(Instant::now());
            if w.done.recv_timeout(left).is_err() && Instant::now() >= deadline {
                tracing::warn!("a worker did not stop in time (a handler still running?)");
            }
        }
    }
}

type Ready = std::sync::mpsc::Receiver<Result<Vec<PathBuf>, ServeError>>;

/// Waits until the workers have loaded the app; the first one's program files.
fn wait_ready(workers: &mut [(Worker, Ready)]) -> Result<Vec<PathBuf>, ServeError> {
    let mut first = None;
    for (_, ready) in workers.iter_mut() {
        match ready.recv() {
            Ok(Ok(files)) => {
                first.get_or_insert(files);
            }
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err(ServeError::Runtime("a worker thread died while loading the app".into())),
        }
    }
    Ok(first.unwrap_or_default())
}

fn spawn_worker(
    id: usize,
    cfg: Arc<ServeConfig>,
    spec: AppSpec,
    store: Arc<PendingStore>,
    listener: std::net::TcpListener,
    stop: watch::Receiver<bool>,
    reload: Option<tokio::sync::mpsc::UnboundedReceiver<super::reload::Reload>>,
) -> Result<(Worker, Ready), ServeError> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name(format!("sxc-worker-{id}"))
        .stack_size(WORKER_STACK)
        .spawn(move || {
            let _done = done_tx;
            worker_main(id, cfg, spec, store, listener, ready_tx, stop, reload)
        })
        .map_err(|e| ServeError::Runtime(format!("cannot start worker thread: {e}")))?;
    Ok((Worker { done: done_rx }, ready_rx))
}

/// Blocking-pool threads a worker starts before it loads its app.
const WARM_BLOCKING_THREADS: usize = 4;

/// Starts [`WARM_BLOCKING_THREADS`] threads of this worker's blocking pool
/// (static files are read and the store is called on it) and has each
/// meet its thread-locals, by waking a local task: a thread started, or a
/// thread-local first used, while the LLVM plugin loads waits for the load,
/// which holds glibc's loader lock (`vm::jit::plugin`). Several, because
/// tokio starts a new thread when none is idle, and a thread that has just
/// finished a task is not idle yet when the task's waiter spawns the next
/// (one warm thread let one static file in 20 wait for a load in CI). They
/// stay for tokio's keep-alive (10 s), by when a bundle's plugin has long
/// loaded. Must run inside the worker's `LocalSet`.
async fn warm_blocking_pool() {
    let barrier = Arc::new(std::sync::Barrier::new(WARM_BLOCKING_THREADS));
    let tasks: Vec<_> = (0..WARM_BLOCKING_THREADS)
        .map(|_| {
            let b = barrier.clone();
            // The barrier makes the tasks run on distinct threads.
            tokio::task::spawn_local(async move { tokio::task::spawn_blocking(move || drop(b.wait())).await })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
}

#[allow(clippy::too_many_arguments)] // one thread's whole context, passed once
fn worker_main(
    id: usize,
    cfg: Arc<ServeConfig>,
    spec: AppSpec,
    store: Arc<PendingStore>,
    listener: std::net::TcpListener,
    ready: std::sync::mpsc::Sender<Result<Vec<PathBuf>, ServeError>>,
    stop: watch::Receiver<bool>,
    reload: Option<tokio::sync::mpsc::UnboundedReceiver<super::reload::Reload>>,
) {
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(ServeError::Runtime(format!("worker runtime: {e}"))));
            return;
        }
    };
    crate::startup::mark("worker runtime");
    let workers = cfg.workers.max(1);
    let local = tokio::task::LocalSet::new();
    // The app loads inside the worker's task set: processes its top level
    // spawns are tasks of this worker from the start.
    local.block_on(&rt, async move {
        warm_blocking_pool().await;
        let loaded = App::load(&spec, || store.get(), id).await;
        // The loaded app holds the store itself; a failed load lets go of it
        // before it says so, so the failed start closes it before `serve`
        // returns the error.
        drop(store);
        match loaded {
            Ok(app) => {
                crate::startup::mark("app loaded");
                tracing::debug!(worker = id, "app loaded");
                let _ = ready.send(Ok(app.files.clone()));
                super::http::run_worker(Rc::new(app), cfg, listener, stop, reload, id).await;
            }
            Err(e) => {
                let _ = ready.send(Err(e));
            }
        }
        // Drained: this worker's processes keep serving the other workers'
        // draining requests until every worker is done.
        spec.drained.send_modify(|n| *n += 1);
        let _ = spec.drained.subscribe().wait_for(|n| *n >= workers).await;
    });
    // `local` is dropped here with any connection still open after the drain
    // timeout (their requests' fibers are abandoned) and every process of
    // this worker (stopped at its current suspension point).
}
