//! `sxc serve`: the HTTP server for SX apps.
//!
//! Architecture (details in `docs/serve.md`):
//!
//! - **Workers, thread per core.** `workers` OS threads, each owning one
//!   [`vm::isolate::Isolate`] (its own SX heap; `Value` is `!Send`) and a
//!   current-thread tokio runtime with a `LocalSet`. Every worker loads the
//!   app itself: the app's top level calls `(http-listen handler)`, which
//!   stores the handler in a global that the worker reads back. Worker 0
//!   loads first (so one-time seeding in the app's top level runs once), then
//!   the others load in parallel.
//! - **Connections.** Every worker accepts on the one listening socket and
//!   serves its connections itself: hyper 1 (HTTP/1.1) parses requests and
//!   applies the limits, and the request runs the app on the same thread —
//!   no hand-off between threads on the way in or out.
//! - **Requests as fibers.** Each request is its own fiber:
//!   `call_value(handler, [req])`, then `resume` until done. A `perform`
//!   suspends the fiber; the request is decoded with
//!   [`crate::resolver::decode_request`] and served by
//!   [`crate::store::Store::resolve`] — reads inline, writes (which wait for
//!   the group commit) and `sleep` on tokio's blocking pool — so one
//!   request's IO never blocks another's. The isolate is borrowed only
//!   inside `resume`, never across an await.
//! - **Failures.** An SX error in a handler is a 500 (logged with its SX
//!   backtrace; shown to the client only with `dev`). The process never dies of
//!   an SX error. SIGTERM/SIGINT stop accepting, drain in-flight requests and
//!   return `Ok(())`.

mod app;
mod convert;
mod http;
mod opening;
mod pool;
pub(crate) mod watchdog;
mod reload;
mod tiers;
pub mod static_files;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use http::{request_from_http, RunningServer};

/// The SX value a handler receives for `req`: `{:method :path :query
/// :headers :body}` (see `docs/serve.md`, "Requests").
pub fn request_value(req: &Request) -> vm::Value {
    convert::request_value(req)
}

/// Configuration of [`serve`] / [`start`]. Build with [`ServeConfig::new`] and
/// adjust fields; every field has a sensible default.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// The app: an `.sx` file, or a directory containing `app.sx`.
    pub app: PathBuf,
    /// Address to listen on (default `127.0.0.1:8080`; port 0 picks a free port).
    pub addr: SocketAddr,
    /// Worker threads, one isolate each (default: the number of cores).
    pub workers: usize,
    /// Data directory of the store (default `./data`).
    pub data_dir: PathBuf,
    /// Development mode: a handler error's message and SX backtrace are sent to
    /// the client in the 500 response (always logged either way), and the app
    /// is reloaded when its files change (see `reload`).
    pub dev: bool,
    /// Largest accepted request body in bytes (default 1 MiB); larger → 413.
    pub body_limit: usize,
    /// Longest accepted request target (path + query) in bytes (default 8 KiB);
    /// longer → 414.
    pub max_uri_len: usize,
    /// Largest accepted header section in bytes (default 16 KiB); larger → 431.
    pub max_header_bytes: usize,
    /// Time allowed to receive a request's head and, separately, its body
    /// (default 10 s). A slow body → 408; a slow head closes the connection.
    pub read_timeout: Duration,
    /// Time allowed for the handler to produce a response (default 30 s);
    /// exceeded → its fiber is stopped with the SX error `handler timeout`
    /// (cleanup handlers get 250 ms, then it is killed) and the client gets 504.
    pub handler_timeout: Duration,
    /// Memory one request's fiber may allocate, net, in bytes (default 256
    /// MiB); past it the fiber is stopped with `memory limit exceeded` (500).
    /// Enforced by the `sxc` binary's allocator (`host::memory`).
    pub request_memory: usize,
    /// On SIGTERM/SIGINT, how long to wait for in-flight requests (default 30 s).
    pub drain_timeout: Duration,
    /// `--record-profile`: where the workers' merged profiles are written
    /// when the server stops, and where the workers put them.
    pub record_profile: Option<(PathBuf, std::sync::Arc<crate::build::profile::ProfileSink>)>,
}

impl ServeConfig {
    /// A configuration serving `app` with every other field at its default.
    pub fn new(app: impl Into<PathBuf>) -> ServeConfig {
        ServeConfig {
            app: app.into(),
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            workers: default_workers(),
            data_dir: PathBuf::from("./data"),
            dev: false,
            body_limit: 1 << 20,
            max_uri_len: 8 * 1024,
            max_header_bytes: 16 * 1024,
            read_timeout: Duration::from_secs(10),
            handler_timeout: Duration::from_secs(30),
            request_memory: 256 << 20,
            drain_timeout: Duration::from_secs(30),
            record_profile: None,
        }
    }
}

/// The number of cores (at least 1): the default worker count.
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// Why the server could not start (or stopped abnormally).
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The app path does not name a readable `.sx` file or a directory with `app.sx`.
    #[error("cannot read app {path}: {error}")]
    App { path: PathBuf, error: std::io::Error },
    /// The data directory's store could not be opened.
    #[error("cannot open data directory {path}: {error}")]
    Store { path: PathBuf, error: String },
    /// The app failed to compile (the rendered diagnostic) or its top level
    /// raised an error, or it never called `(http-listen handler)`.
    #[error("{0}")]
    Load(String),
    /// Binding the listening socket failed.
    #[error("cannot listen on {addr}: {error}")]
    Bind { addr: SocketAddr, error: std::io::Error },
    /// Setting up threads or the async runtime failed.
    #[error("server runtime: {0}")]
    Runtime(String),
}

/// A request as the HTTP front end hands it to the app.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The percent-decoded path, e.g. `/posts/hello world`.
    pub path: String,
    /// Query parameters, form-urlencoded-decoded, in order (the last of a
    /// repeated name wins in the SX dict).
    pub query: Vec<(String, String)>,
    /// Headers with lower-case names, in order; repeated names are joined
    /// with `", "`.
    pub headers: Vec<(String, String)>,
    /// The body as UTF-8 text (a non-UTF-8 body is rejected with 400).
    pub body: String,
}

/// A response as the app hands it back to the HTTP front end.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    /// HTTP status code (100–599).
    pub status: u16,
    /// Header name/value pairs, in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// A plain-text response.
    pub fn text(status: u16, body: impl Into<String>) -> Response {
        Response {
            status,
            headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
            body: body.into().into_bytes(),
        }
    }
}

/// Resolves the app path: a directory means `DIR/app.sx`.
pub fn app_file(app: &Path) -> PathBuf {
    if app.is_dir() {
        app.join("app.sx")
    } else {
        app.to_path_buf()
    }
}

/// True when `source` calls `http-listen` (normally at top level): an HTTP
/// app. `sxc run` serves such a file as `sxc serve` would. A source that does
/// not read is not an app (`sxc run` reports its error).
pub fn is_http_app(source: &str) -> bool {
    is_http_app_inner(source)
}

pub(crate) use app::app_source;

fn is_http_app_inner(source: &str) -> bool {
    fn calls(d: &frontend::Datum) -> bool {
        d.as_list().is_some_and(|items| {
            items.first().and_then(|h| h.as_symbol()) == Some("http-listen") || items.iter().any(calls)
        })
    }
    frontend::reader::read_str(source, frontend::FileId(0)).map(|forms| forms.iter().any(calls)).unwrap_or(false)
}

/// Serves the app until SIGTERM or SIGINT, then drains in-flight requests and
/// returns `Ok(())`. Blocking: sets up its own threads and tokio runtimes.
/// Installs a `tracing` subscriber on stderr (filter from `SXC_LOG`, default
/// [`DEFAULT_LOG_FILTER`]) unless one is already installed.
pub fn serve(cfg: ServeConfig) -> Result<(), ServeError> {
    init_tracing();
    let signals = http::Signals::register()?;
    let record = cfg.record_profile.clone();
    let server = start(cfg)?;
    eprintln!("sxc serve: listening on http://{} ({} workers)", server.addr(), server.workers());
    signals.wait();
    let r = server.shutdown();
    if let Some((path, sink)) = record {
        sink.write(&path).map_err(ServeError::Runtime)?;
        eprintln!("sxc serve: wrote the profile to {}", path.display());
    }
    r
}

/// Starts the server in the background and returns once it is listening
/// (the app loaded in every worker). Stop it with [`RunningServer::shutdown`].
pub fn start(cfg: ServeConfig) -> Result<RunningServer, ServeError> {
    http::start(cfg)
}

/// The log filter when `SXC_LOG` is not set: `info`, without the per-request
/// access log (target `sxc::access`; `SXC_LOG=info` turns it on).
pub const DEFAULT_LOG_FILTER: &str = "info,sxc::access=off";

/// Installs the default stderr subscriber if none is installed yet.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SXC_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG_FILTER));
    use std::io::IsTerminal;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

#[cfg(test)]
mod tests;
