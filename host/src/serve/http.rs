//! The HTTP front end, run by every worker on its own thread: hyper 1
//! HTTP/1.1 on the worker's current-thread runtime, request limits,
//! conversion to [`Request`], the app's handler on the same thread, access
//! logs, and graceful shutdown.

use super::app::App;
use super::pool::{AppSpec, Pool};
use super::static_files::{self, StaticFiles};
use super::{app_file, Request, Response, ServeConfig, ServeError};
use bytes::Bytes;
use http_body_util::{BodyExt, Either, Full, Limited};
use hyper::body::{Body, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::cell::RefCell;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The health-check path, answered without running SX.
pub const HEALTH_PATH: &str = "/__sxc/health";

/// The operators' list of live processes (JSON, see [`crate::procs::processes_json`]).
pub const PROCESSES_PATH: &str = "/__sxc/processes";

/// The LLVM tier's per-function report for the whole process (JSON, see [`super::tiers`]).
pub const TIERS_PATH: &str = "/__sxc/tiers";

/// A server started by [`super::start`]: listening, every worker loaded.
pub struct RunningServer {
    addr: SocketAddr,
    workers: usize,
    pool: Option<Pool>,
    drain: Duration,
    /// With `--dev`: the file watcher (stopped when dropped).
    _reloader: Option<super::reload::Reloader>,
}

impl RunningServer {
    /// The address actually bound (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The number of worker isolates.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Stops accepting, waits for in-flight requests (up to the drain
    /// timeout), stops the workers and returns.
    pub fn shutdown(mut self) -> Result<(), ServeError> {
        self.stop_and_join();
        Ok(())
    }

    /// Blocks until SIGTERM or SIGINT, then shuts down like [`Self::shutdown`].
    pub fn wait_for_signal(self) -> Result<(), ServeError> {
        let signals = Signals::register()?;
        signals.wait();
        self.shutdown()
    }

    fn stop_and_join(&mut self) {
        if let Some(pool) = self.pool.take() {
            // The workers drain for up to `drain` each (concurrently); allow
            // a little more for their threads to end.
            pool.close(self.drain + Duration::from_secs(1));
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// SIGTERM/SIGINT listeners, registered up front so that a signal arriving
/// while the server starts is not lost (nor fatal).
pub(crate) struct Signals {
    rt: tokio::runtime::Runtime,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Signals {
    /// Installs the handlers.
    pub fn register() -> Result<Signals, ServeError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ServeError::Runtime(e.to_string()))?;
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let _guard = rt.enter();
            let term = signal(SignalKind::terminate()).map_err(|e| ServeError::Runtime(e.to_string()))?;
            let int = signal(SignalKind::interrupt()).map_err(|e| ServeError::Runtime(e.to_string()))?;
            drop(_guard);
            Ok(Signals { rt, term, int })
        }
        #[cfg(not(unix))]
        Ok(Signals { rt })
    }

    /// Blocks until one of the signals arrives.
    pub fn wait(self) {
        #[cfg(unix)]
        {
            let Signals { rt, mut term, mut int } = self;
            rt.block_on(async {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM: draining in-flight requests"),
                    _ = int.recv() => tracing::info!("SIGINT: draining in-flight requests"),
                }
            });
        }
        #[cfg(not(unix))]
        self.rt.block_on(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("interrupt: draining in-flight requests");
        });
    }
}

/// Starts opening the store, reads the app, binds the socket, loads the app
/// in every worker (each compiles, then waits for the store to run the top
/// level) and lets them accept.
pub(crate) fn start(cfg: ServeConfig) -> Result<RunningServer, ServeError> {
    crate::startup::mark("serve start");
    // Opened while the bundle is read and the workers compile (`opening`).
    let pending = super::opening::PendingStore::open(cfg.data_dir.clone());
    let bundle = crate::build::Served::open_if_bundle(&cfg.app, cfg.dev)?;
    crate::startup::mark("bundle opened");
    if let Some(b) = bundle.as_ref().filter(|_| crate::build::native::serve_links_before_start()) {
        // The workers wait for the objects: link them meanwhile.
        crate::build::native::preload(&b.bundle);
    }
    let file = if bundle.is_some() { cfg.app.clone() } else { app_file(&cfg.app) };
    let source = match bundle {
        Some(_) => String::new(),
        None => std::fs::read_to_string(&file).map_err(|error| ServeError::App { path: file.clone(), error })?,
    };
    let listener = bind(cfg.addr).map_err(|error| ServeError::Bind { addr: cfg.addr, error })?;
    let addr = listener.local_addr().map_err(|error| ServeError::Bind { addr: cfg.addr, error })?;
    let static_files = match &bundle {
        Some(b) => b.static_files(),
        None => StaticFiles::for_app(&file),
    };
    let watchdog = super::watchdog::Watchdog::start().map_err(|e| ServeError::Runtime(format!("cannot start the watchdog: {e}")))?;
    let gate = cfg.dev.then(|| watch::channel(false).0);
    let spec = AppSpec {
        file,
        source: Arc::from(source.as_str()),
        bundle,
        dev: cfg.dev,
        watchdog: Arc::new(watchdog),
        memory_limit: cfg.request_memory,
        registry: crate::procs::Registry::new(),
        tiers: Default::default(),
        drained: Arc::new(watch::channel(0).0),
        static_files,
        pending_error: cfg.dev.then(Default::default),
        reload_gate: gate.as_ref().map(|g| g.subscribe()),
    };
    let pool = Pool::start(&cfg, spec.clone(), pending.clone(), listener)?;
    let store = pending.get()?;
    let workers = pool.len();
    let reloader = match &spec.pending_error {
        Some(pending) => Some(super::reload::start(
            spec.clone(),
            store,
            pool.reloads(),
            pool.files(),
            pending.clone(),
            gate.unwrap_or_else(|| watch::channel(false).0),
        )?),
        None => None,
    };
    Ok(RunningServer { addr, workers, pool: Some(pool), drain: cfg.drain_timeout, _reloader: reloader })
}

/// The listening socket (non-blocking, shared by the workers' runtimes).
fn bind(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// One worker's server loop (inside its `LocalSet`): accepts connections on
/// its registration of the shared socket and serves each as a local task
/// whose requests run the app on this thread. When `stop` turns true: stops
/// accepting, lets in-flight requests finish and closes idle connections
/// (up to the drain timeout).
pub(crate) async fn run_worker(
    app: Rc<App>,
    cfg: Arc<ServeConfig>,
    listener: std::net::TcpListener,
    mut stop: watch::Receiver<bool>,
    mut reload: Option<tokio::sync::mpsc::UnboundedReceiver<super::reload::Reload>>,
    id: usize,
) {
    let listener = match TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, "cannot register the listening socket");
            return;
        }
    };
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(cfg.read_timeout)
        .max_buf_size((cfg.max_header_bytes + cfg.max_uri_len + 1024).max(8192))
        .keep_alive(true);
    let pending = app.pending_error.clone();
    let gate = app.reload_gate.clone();
    let mut tier_asks = app.tiers.join();
    let worker = Rc::new(Worker { app: RefCell::new(app), cfg, pending, gate });
    loop {
        tokio::select! {
            Some(r) = next_reload(&mut reload) => match r {
                // `--dev` (see `reload`): stop the old processes, then load the
                // new code; requests already running keep the old app.
                super::reload::Reload::StopProcesses { done } => {
                    let app = worker.app.borrow().clone();
                    app.stop_processes().await;
                    let _ = done.send(());
                }
                super::reload::Reload::Load { spec, store, done } => {
                    let result = App::load(&spec, || Ok(store), id).await.map(|app| {
                        let files = app.files.clone();
                        *worker.app.borrow_mut() = Rc::new(app);
                        files
                    });
                    let _ = done.send(result);
                }
            },
            // `/__sxc/tiers` (on any worker) asks every worker for its stats.
            Some(ask) = tier_asks.recv() => {
                let _ = ask.send(worker.app.borrow().jit_stats());
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let _ = stream.set_nodelay(true);
                    let w = worker.clone();
                    let svc = service_fn(move |req| {
                        let w = w.clone();
                        async move { Ok::<_, Infallible>(w.service(req).await) }
                    });
                    let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), svc));
                    tokio::task::spawn_local(async move {
                        if let Err(e) = conn.await {
                            tracing::debug!(error = %e, "connection closed with an error");
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = stop.wait_for(|stop| *stop) => break,
        }
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => tracing::debug!("worker drained"),
        _ = tokio::time::sleep(worker.cfg.drain_timeout) => tracing::warn!("drain timeout: closing remaining connections"),
    }
    // Then the processes of this worker: stopped, their cleanup run.
    let app = worker.app.borrow().clone();
    app.stop_processes().await;
    if let Some((_, sink)) = &worker.cfg.record_profile {
        if let Some(p) = worker.app.borrow().program_profile() {
            sink.add(&p);
        }
    }
}

/// The next reload request, or never (without `--dev`).
async fn next_reload(
    reload: &mut Option<tokio::sync::mpsc::UnboundedReceiver<super::reload::Reload>>,
) -> Option<super::reload::Reload> {
    match reload {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// What a worker's connections share: the app (this thread's isolate; a
/// `--dev` reload replaces it between requests) and the configuration.
struct Worker {
    app: RefCell<Rc<App>>,
    cfg: Arc<ServeConfig>,
    /// With `--dev`: a failed reload's error, for the next request.
    pending: Option<super::reload::PendingError>,
    /// With `--dev`: true while a reload is under way.
    gate: Option<watch::Receiver<bool>>,
}

impl Worker {
    async fn service(&self, req: hyper::Request<Incoming>) -> hyper::Response<static_files::Body> {
        // The access log is off by default (see `init_tracing`): then no
        // clock read and no copy of the method and path.
        let access = tracing::enabled!(target: "sxc::access", tracing::Level::INFO)
            .then(|| (Instant::now(), req.method().clone(), req.uri().path().to_string()));
        if let Some(gate) = &self.gate {
            // `--dev`: a request arriving during a reload waits for the new code.
            let _ = gate.clone().wait_for(|reloading| !*reloading).await;
        }
        // The app of this request, kept to its end even if a reload replaces it.
        let app = self.app.borrow().clone();
        let pending = self.pending.as_ref().filter(|_| req.uri().path() != HEALTH_PATH);
        if let Some(text) = pending.and_then(|p| p.lock().ok()?.take()) {
            // `--dev`: the new code did not load; this request shows why (once).
            let body = format!("500 Internal Server Error\n\nthe changed code does not load; the previous code keeps serving:\n\n{text}\n");
            return to_hyper(Response::text(500, body), false).map(Either::Left);
        }
        crate::startup::mark("request");
        let resp = match &app.static_files {
            // `/static/...` is answered from the app's `static/` folder, before the handler.
            Some(files) if StaticFiles::claims(req.uri().path()) => files.serve(&req).await,
            _ => {
                let (resp, close) = self.respond(req).await;
                to_hyper(resp, close).map(Either::Left)
            }
        };
        crate::startup::mark("response");
        if let Some((started, method, path)) = access {
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            tracing::info!(target: "sxc::access", %method, %path, status = resp.status().as_u16(), ms = format!("{ms:.1}"), "request");
        }
        resp
    }

    /// The response and whether to close the connection after it.
    async fn respond(&self, req: hyper::Request<Incoming>) -> (Response, bool) {
        let app = self.app.borrow().clone();
        let cfg = &self.cfg;
        let target_len = req.uri().path_and_query().map(|p| p.as_str().len()).unwrap_or(0);
        if target_len > cfg.max_uri_len {
            return (Response::text(414, "414 URI Too Long\n"), true);
        }
        let header_bytes: usize = req.headers().iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum();
        if header_bytes > cfg.max_header_bytes {
            return (Response::text(431, "431 Request Header Fields Too Large\n"), true);
        }
        if req.uri().path() == HEALTH_PATH {
            return (Response::text(200, "ok"), false);
        }
        if req.uri().path() == TIERS_PATH {
            let body = app.tiers.json().await;
            let headers = vec![("content-type".to_string(), "application/json".to_string())];
            return (Response { status: 200, headers, body: body.into_bytes() }, false);
        }
        if req.uri().path() == PROCESSES_PATH {
            let body = crate::procs::processes_json(app.registry());
            let headers = vec![("content-type".to_string(), "application/json".to_string())];
            return (Response { status: 200, headers, body: body.into_bytes() }, false);
        }
        let declared = req
            .headers()
            .get(hyper::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > cfg.body_limit as u64) {
            return (Response::text(413, "413 Content Too Large\n"), true);
        }
        let (parts, body) = req.into_parts();
        let body = if body.is_end_stream() {
            // No body (a GET): no timer, no collection.
            Bytes::new()
        } else {
            match tokio::time::timeout(cfg.read_timeout, Limited::new(body, cfg.body_limit).collect()).await {
                Err(_) => return (Response::text(408, "408 Request Timeout\n"), true),
                Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
                    return (Response::text(413, "413 Content Too Large\n"), true)
                }
                Ok(Err(_)) => return (Response::text(400, "400 Bad Request: unreadable body\n"), true),
                Ok(Ok(collected)) => collected.to_bytes(),
            }
        };
        let headers: Vec<(&[u8], &[u8])> =
            parts.headers.iter().map(|(k, v)| (k.as_str().as_bytes(), v.as_bytes())).collect();
        let target = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let request = match request_from_http(parts.method.as_str(), target.as_bytes(), &headers, Vec::from(body)) {
            Ok(r) => r,
            Err(resp) => return (resp, false),
        };
        // The handler is stopped at the deadline by its interrupt word (see
        // `App::handle`); this outer timer only fires when that could not
        // happen in time (the fiber stuck in one long primitive call): the
        // fiber is then abandoned.
        let deadline = Instant::now() + cfg.handler_timeout;
        let backstop = cfg.handler_timeout + super::watchdog::GRACE + Duration::from_secs(1);
        let resp = match tokio::time::timeout(backstop, app.handle(&request, deadline)).await {
            Ok(resp) => resp,
            Err(_) => {
                tracing::error!(timeout_ms = cfg.handler_timeout.as_millis() as u64, "handler timed out (abandoned)");
                Response::text(504, "504 Gateway Timeout: the handler took too long\n")
            }
        };
        // Between requests no SX value is borrowed: a safe point.
        crate::resolver::collect_cycles_if_due();
        (resp, false)
    }
}

/// Converts a request as the HTTP parser hands it over — method, target
/// (path and query), headers (names as received), body — into the
/// [`Request`] the app gets, or the 400 response for a body that is not
/// UTF-8, or a path or query whose percent-encoding is malformed or not
/// UTF-8. Header names are lower-cased; values
/// that are not UTF-8 are decoded lossily; repeated names are joined with
/// `", "`. Fuzzed by `fuzz/fuzz_targets/request.rs`.
pub fn request_from_http(method: &str, target: &[u8], headers: &[(&[u8], &[u8])], body: Vec<u8>) -> Result<Request, Response> {
    let bad = |what: &str| Response::text(400, format!("400 Bad Request: {what}\n"));
    let Ok(body) = String::from_utf8(body) else {
        return Err(bad("the body is not UTF-8"));
    };
    let target = std::str::from_utf8(target).map_err(|_| bad("bad path encoding"))?;
    let (raw_path, raw_query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    let path = percent_decode(raw_path, false).ok_or_else(|| bad("bad path encoding"))?;
    let query = match raw_query {
        None => Vec::new(),
        Some(q) => parse_form(q).ok_or_else(|| bad("bad query encoding"))?,
    };
    let mut joined: Vec<(String, String)> = Vec::new();
    for (name, value) in headers {
        let name = String::from_utf8_lossy(name).to_ascii_lowercase();
        let value = String::from_utf8_lossy(value).into_owned();
        match joined.iter_mut().find(|(k, _)| *k == name) {
            Some((_, existing)) => {
                existing.push_str(", ");
                existing.push_str(&value);
            }
            None => joined.push((name, value)),
        }
    }
    Ok(Request { method: method.to_string(), path, query, headers: joined, body })
}

fn to_hyper(resp: Response, close: bool) -> hyper::Response<Full<Bytes>> {
    let mut builder = hyper::Response::builder().status(resp.status);
    for (k, v) in &resp.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    if close {
        builder = builder.header(hyper::header::CONNECTION, "close");
    }
    builder.body(Full::new(Bytes::from(resp.body))).unwrap_or_else(|e| {
        tracing::error!(error = %e, "invalid response");
        let mut r = hyper::Response::new(Full::new(Bytes::from_static(b"500 Internal Server Error\n")));
        *r.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

/// Decodes `%XX` escapes (and `+` as space when `plus` is set); `None` when an
/// escape is malformed or the result is not UTF-8.
pub(crate) fn percent_decode(s: &str, plus: bool) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Parses `a=1&b=two+words` (form-urlencoded) into ordered pairs.
pub(crate) fn parse_form(s: &str) -> Option<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    for piece in s.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
        pairs.push((percent_decode(k, true)?, percent_decode(v, true)?));
    }
    Some(pairs)
}
