//! The worker pool: N threads, each owning one isolate with the app loaded,
//! a current-thread tokio runtime and a `LocalSet`; requests reach them over
//! channels and run as local tasks.

use super::app::App;
use super::{Request, Response, ServeConfig, ServeError};
use crate::store::Store;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Stack size of worker threads (compilation recurses on nesting depth).
const WORKER_STACK: usize = 64 << 20;

/// One request handed to a worker, with the channel its response goes to.
pub(crate) struct Job {
    pub req: Request,
    pub reply: oneshot::Sender<Response>,
}

/// What every worker needs to load the app.
#[derive(Clone)]
pub(crate) struct AppSpec {
    /// The app file (after resolving a directory to `app.sx`).
    pub file: PathBuf,
    /// Its source text (read once, before the workers start).
    pub source: Arc<str>,
    /// Send SX error details to clients.
    pub dev: bool,
}

/// Whether a worker is inside `resume` and since when: a worker that has been
/// running SX for longer than the handler timeout (a runaway pure loop; there
/// is no preemption) is skipped by dispatch.
pub(crate) struct Busy {
    epoch: Instant,
    /// Milliseconds since `epoch` + 1 when the current `resume` started; 0 = idle.
    since: AtomicU64,
}

impl Busy {
    fn new(epoch: Instant) -> Busy {
        Busy { epoch, since: AtomicU64::new(0) }
    }

    /// Marks the start of a `resume`; the guard marks its end (also on panic).
    pub fn enter(&self) -> BusyGuard<'_> {
        self.since.store(self.epoch.elapsed().as_millis() as u64 + 1, Ordering::Relaxed);
        BusyGuard(self)
    }

    /// How long the current `resume` has been running (zero when idle).
    fn running_for(&self) -> Duration {
        match self.since.load(Ordering::Relaxed) {
            0 => Duration::ZERO,
            t => Duration::from_millis((self.epoch.elapsed().as_millis() as u64 + 1).saturating_sub(t)),
        }
    }
}

/// Marks a worker idle again when dropped.
pub(crate) struct BusyGuard<'a>(&'a Busy);

impl Drop for BusyGuard<'_> {
    fn drop(&mut self) {
        self.0.since.store(0, Ordering::Relaxed);
    }
}

struct Worker {
    tx: mpsc::UnboundedSender<Job>,
    /// Requests dispatched to this worker and not yet answered.
    load: Arc<AtomicUsize>,
    busy: Arc<Busy>,
    /// Signalled (by dropping) when the worker thread ends.
    done: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
}

/// The running workers. Dropping the pool (after [`Pool::close`]) lets the
/// worker threads finish.
pub(crate) struct Pool {
    workers: Vec<Worker>,
    next: AtomicUsize,
    /// A worker running one `resume` for longer than this is considered stuck.
    stuck_after: Duration,
}

impl Pool {
    /// Starts `cfg.workers` workers. Worker 0 loads the app first (so the app's
    /// one-time top-level effects such as seeding run once, alone); the others
    /// load in parallel after it. Fails with the first load error.
    pub fn start(cfg: &ServeConfig, spec: AppSpec, store: Arc<Store>) -> Result<Pool, ServeError> {
        let n = cfg.workers.max(1);
        let epoch = Instant::now();
        let mut workers = Vec::with_capacity(n);
        workers.push(spawn_worker(0, spec.clone(), store.clone(), epoch)?);
        wait_ready(&mut workers[..1])?;
        for id in 1..n {
            workers.push(spawn_worker(id, spec.clone(), store.clone(), epoch)?);
        }
        wait_ready(&mut workers[1..])?;
        Ok(Pool {
            workers: workers.into_iter().map(|(w, _)| w).collect(),
            next: AtomicUsize::new(0),
            stuck_after: cfg.handler_timeout,
        })
    }

    /// Number of workers.
    pub fn len(&self) -> usize {
        self.workers.len()
    }

    /// Sends `req` to the least-loaded worker (round-robin among equals),
    /// avoiding workers stuck in a long `resume`, and returns the receiver of
    /// its response. `None` when the pool is closed.
    pub fn dispatch(&self, req: Request) -> Option<oneshot::Receiver<Response>> {
        let n = self.workers.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        let mut best = start;
        let mut best_load = usize::MAX;
        for k in 0..n {
            let i = (start + k) % n;
            let stuck = self.workers[i].busy.running_for() > self.stuck_after;
            // A stuck worker is chosen only when every worker is stuck.
            let load = if stuck { usize::MAX - 1 } else { self.workers[i].load.load(Ordering::Relaxed) };
            if load < best_load {
                best = i;
                best_load = load;
                if load == 0 {
                    break;
                }
            }
        }
        let (tx, rx) = oneshot::channel();
        let w = &self.workers[best];
        w.load.fetch_add(1, Ordering::Relaxed);
        if w.tx.send(Job { req, reply: tx }).is_err() {
            w.load.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        Some(rx)
    }

    /// Closes the request channels and waits up to `grace` for the worker
    /// threads to finish their local tasks. A worker stuck in a runaway
    /// handler is left behind (it dies with the process).
    pub fn close(self, grace: Duration) {
        let deadline = std::time::Instant::now() + grace;
        let dones: Vec<_> = self.workers.into_iter().map(|w| w.done.into_inner().unwrap_or_else(|p| p.into_inner())).collect();
        for done in dones {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if done.recv_timeout(left).is_err() && std::time::Instant::now() >= deadline {
                tracing::warn!("a worker did not stop in time (a handler still running?)");
            }
        }
    }
}

type Ready = std::sync::mpsc::Receiver<Result<(), ServeError>>;

fn wait_ready(workers: &mut [(Worker, Ready)]) -> Result<(), ServeError> {
    for (_, ready) in workers.iter_mut() {
        match ready.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err(ServeError::Runtime("a worker thread died while loading the app".into())),
        }
    }
    Ok(())
}

fn spawn_worker(id: usize, spec: AppSpec, store: Arc<Store>, epoch: Instant) -> Result<(Worker, Ready), ServeError> {
    let (tx, rx) = mpsc::unbounded_channel::<Job>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let load = Arc::new(AtomicUsize::new(0));
    let worker_load = load.clone();
    let busy = Arc::new(Busy::new(epoch));
    let worker_busy = busy.clone();
    std::thread::Builder::new()
        .name(format!("sxc-worker-{id}"))
        .stack_size(WORKER_STACK)
        .spawn(move || {
            let _done = done_tx;
            worker_main(id, spec, store, rx, ready_tx, worker_load, worker_busy)
        })
        .map_err(|e| ServeError::Runtime(format!("cannot start worker thread: {e}")))?;
    Ok((Worker { tx, load, busy, done: std::sync::Mutex::new(done_rx) }, ready_rx))
}

fn worker_main(
    id: usize,
    spec: AppSpec,
    store: Arc<Store>,
    mut rx: mpsc::UnboundedReceiver<Job>,
    ready: std::sync::mpsc::Sender<Result<(), ServeError>>,
    load: Arc<AtomicUsize>,
    busy: Arc<Busy>,
) {
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(ServeError::Runtime(format!("worker runtime: {e}"))));
            return;
        }
    };
    let app = match App::load(&spec, store, busy) {
        Ok(app) => Rc::new(app),
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    tracing::debug!(worker = id, "app loaded");
    let _ = ready.send(Ok(()));
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        while let Some(job) = rx.recv().await {
            let app = app.clone();
            let task_load = load.clone();
            tokio::task::spawn_local(async move {
                // Decrement even if the handler task panics (a VM bug).
                struct Guard(Arc<AtomicUsize>);
                impl Drop for Guard {
                    fn drop(&mut self) {
                        self.0.fetch_sub(1, Ordering::Relaxed);
                    }
                }
                let _guard = Guard(task_load);
                let Job { req, reply } = job;
                if let Some(resp) = app.handle(req, &reply).await {
                    let _ = reply.send(resp);
                }
                // Between requests no SX value is borrowed: a safe point.
                crate::resolver::collect_cycles_if_due();
            });
        }
        // Channel closed: let tasks still running finish (bounded).
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while load.load(Ordering::Relaxed) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    // `local` is dropped here with any task still parked (their clients are gone).
}
