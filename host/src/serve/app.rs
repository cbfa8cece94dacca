//! One worker's copy of the app: its isolate, the handler closure, and the
//! per-request driver that runs a request as a fiber and serves its
//! `perform` requests through the one resolution path.

use super::convert;
use super::pool::AppSpec;
use super::watchdog::{Watchdog, GRACE};
use crate::memory::MemoryBudget;
use super::static_files::StaticFiles;
use super::{Request, Response, ServeError};
use crate::procs::{Kind, Local, Registry, StoreSlot};
use crate::store::Store;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;
use vm::ctx::Ctx;
use vm::isolate::{Isolate, Step};
use vm::Value;

/// Defines `http-listen` for the app: it stores the handler in a global that
/// the worker reads back after the app's top level has run. Kept on one line
/// and placed on the app's first line, so the app's line numbers are unchanged.
const PRELUDE: &str = "(define %http-handler nil) (define (http-listen handler) (set! %http-handler handler) handler) ";

/// Appended after the app: the program's value is the registered handler.
const EPILOGUE: &str = "\n%http-handler\n";

/// The program text `sxc serve` compiles for an app whose main file is
/// `source`: the `http-listen` prelude, the app, the epilogue. Bundles of
/// apps are built from this text too.
pub(crate) fn app_source(source: &str) -> String {
    format!("{PRELUDE}{source}{EPILOGUE}")
}

/// A loaded app on one worker thread.
pub(crate) struct App {
    /// This worker's isolate and its fibers' driver (requests and processes).
    local: Rc<Local>,
    handler: Value,
    dev: bool,
    /// Interrupts request fibers (timeouts, time slices).
    watchdog: Arc<Watchdog>,
    /// Memory budget of one request's fiber, in bytes.
    memory_limit: usize,
    /// The app's `static/` folder, answered before the handler.
    pub(crate) static_files: Option<StaticFiles>,
    /// The program's files (canonical paths), main file first.
    pub(crate) files: Vec<std::path::PathBuf>,
    /// With `--dev`: a failed reload's error (see `reload`).
    pub(crate) pending_error: Option<super::reload::PendingError>,
    /// With `--dev`: true while a reload is under way (see `reload`).
    pub(crate) reload_gate: Option<tokio::sync::watch::Receiver<bool>>,
    /// The workers' JIT stats queues (`/__sxc/tiers`).
    pub(crate) tiers: Arc<super::tiers::TierBoard>,
}

impl App {
    /// Compiles the app in a fresh isolate, then runs its top level (its
    /// `perform`s resolved synchronously against the store `store` gives:
    /// it is asked for after compiling, so a store still being opened is
    /// waited for only then) and reads back the handler.
    pub async fn load(spec: &AppSpec, store: impl FnOnce() -> Result<Arc<Store>, ServeError>, worker: usize) -> Result<App, ServeError> {
        let name = spec.file.display().to_string();
        let (isolate, mut fiber, native) = compile(spec)?;
        let store = store()?;
        let files = isolate.program_files();
        let local = Local::new(isolate, spec.registry.clone(), StoreSlot::Open(store), worker);
        local.set_watchdog(spec.watchdog.clone());
        local.set_memory_limit(spec.memory_limit);
        // The top level may spawn processes: they live on as tasks of this worker.
        let mut me = local.fiber_proc(Kind::Main);
        crate::startup::mark("top level");
        let handler = local.drive(&mut fiber, &mut me).await.map_err(|e| {
            let mut text = format!("error: {}", e.message);
            for line in &e.backtrace {
                text.push('\n');
                text.push_str(line);
            }
            ServeError::Load(text)
        })?;
        if handler.is_nil() {
            return Err(ServeError::Load(format!(
                "{name}: the app never called (http-listen handler) at top level"
            )));
        }
        if !matches!(handler, Value::Closure(_) | Value::Prim(_)) {
            return Err(ServeError::Load(format!(
                "{name}: http-listen: expected a function, got {}",
                vm::print::repr(&handler)
            )));
        }
        // Loaded: only now link the bundle's objects (`native::install_later`).
        if let Some(native) = native {
            native.start();
        }
        Ok(App {
            local,
            handler,
            dev: spec.dev,
            watchdog: spec.watchdog.clone(),
            memory_limit: spec.memory_limit,
            static_files: spec.static_files.clone(),
            files,
            pending_error: spec.pending_error.clone(),
            reload_gate: spec.reload_gate.clone(),
            tiers: spec.tiers.clone(),
        })
    }

    /// Runs one request to completion as its own fiber, stopped at
    /// `deadline` (504) or when it passes its memory budget (500): the
    /// watchdog and the allocator set its interrupt bits, and a fiber
    /// waiting on IO at the deadline is resumed with the timeout error.
    /// Dropping the future (client gone) abandons the fiber at its current
    /// suspension; the isolate is never borrowed across an await.
    /// Stops the processes spawned by this app and waits until they are
    /// gone, their names free (see `Local::stop_processes`: cleanup runs,
    /// stragglers are dropped after the grace).
    pub async fn stop_processes(&self) {
        self.local.stop_processes().await;
    }

    pub async fn handle(&self, req: &Request, deadline: Instant) -> Response {
        let request = convert::request_value(req);
        let mut fiber = self.local.isolate.borrow_mut().call_value(&self.handler, vec![request]);
        // The request's pid side (a pid only once it uses `self`, `receive` or `call`).
        let mut me = self.local.fiber_proc(Kind::Request);
        let watch = self.watchdog.watch(fiber.interrupt_handle(), deadline);
        let mut budget = MemoryBudget::new(self.memory_limit, fiber.interrupt_handle());
        let mut input: Result<Value, Value> = Ok(Value::Nil);
        loop {
            // The isolate is borrowed only for the duration of one resume.
            let step = watch.running(|| budget.run(|| self.local.isolate.borrow_mut().resume(&mut fiber, input)));
            if let (Some(bit), Step::Done(_) | Step::Failed(_)) = (fiber.terminated_by(), &step) {
                // Stopped, even if a handler caught the error and returned.
                return self.stopped(req, bit);
            }
            match step {
                Step::Done(v) => {
                    return match convert::response(&v) {
                        Ok(resp) => resp,
                        Err(msg) => self.failure(req, &msg, &[]),
                    };
                }
                Step::Suspended(request) => {
                    // IO is waited for until the deadline (a terminating
                    // fiber's cleanup IO: until the grace ends).
                    let until = if fiber.terminated_by().is_some() { deadline + GRACE } else { deadline };
                    match tokio::time::timeout_at(until.into(), self.local.serve(&request, &mut me)).await {
                        Ok(r) => input = r,
                        Err(_) if fiber.terminated_by().is_none() => {
                            input = Err(vm::interrupt::terminate(&mut fiber, vm::interrupt::TIMEOUT));
                        }
                        Err(_) => return self.stopped(req, vm::interrupt::TIMEOUT),
                    }
                }
                Step::Yielded => {
                    // Let this worker's other connections run, then continue.
                    tokio::task::yield_now().await;
                    input = Ok(Value::Nil);
                }
                Step::Failed(e) => return self.failure(req, &e.message, &e.backtrace),
            }
        }
    }

    /// This worker's per-function JIT stats (for `/__sxc/tiers`); empty if
    /// asked while the isolate is running (it never is between requests).
    pub fn jit_stats(&self) -> Vec<vm::jit::FunctionStats> {
        match self.local.isolate.try_borrow() {
            Ok(isolate) => crate::jit::collect(isolate.modules()),
            Err(_) => Vec::new(),
        }
    }

    /// A snapshot of the app program's profile (`--record-profile`); `None`
    /// while the isolate is running (it never is between requests).
    pub fn program_profile(&self) -> Option<crate::build::profile::Profile> {
        let isolate = self.local.isolate.try_borrow().ok()?;
        isolate.modules().last().map(crate::build::profile::Profile::of)
    }

    /// The server-wide process table (for `/__sxc/processes`).
    pub fn registry(&self) -> &Arc<Registry> {
        self.local.registry()
    }

    /// Logs a request stopped by a terminating interrupt and builds its
    /// response: 504 for the timeout, 500 for the memory limit.
    fn stopped(&self, req: &Request, bit: u32) -> Response {
        let message = vm::interrupt::message(bit).unwrap_or("interrupted");
        tracing::error!(method = %req.method, path = %req.path, error = %message, "handler stopped");
        if bit == vm::interrupt::TIMEOUT {
            Response::text(504, "504 Gateway Timeout: the handler took too long\n")
        } else if self.dev {
            Response::text(500, format!("500 Internal Server Error\n\nerror: {message}\n"))
        } else {
            Response::text(500, "500 Internal Server Error\n")
        }
    }

    /// Logs a handler failure and builds the 500 response.
    fn failure(&self, req: &Request, message: &str, backtrace: &[String]) -> Response {
        let trace = backtrace.join("\n");
        tracing::error!(method = %req.method, path = %req.path, error = %message, backtrace = %trace, "handler failed");
        if self.dev {
            let mut body = format!("500 Internal Server Error\n\nerror: {message}\n");
            for line in backtrace {
                body.push_str(line);
                body.push('\n');
            }
            Response::text(500, body)
        } else {
            Response::text(500, "500 Internal Server Error\n")
        }
    }
}

/// Compiles the app as [`App::load`] does (the `http-listen` prelude, every
/// `load`ed file) without running it: the isolate, its top-level fiber and,
/// for a bundle served under `--jit tiered`, its object code to install once
/// the top level has run. Errors: the rendered diagnostic.
fn compile(spec: &AppSpec) -> Result<(Isolate, vm::fiber::Fiber, Option<crate::build::native::Pending>), ServeError> {
    if let Some(served) = &spec.bundle {
        // A bundle: bytecode from its IR, its machine code installed.
        crate::startup::mark("instantiate");
        let (isolate, fiber, _) = crate::build::program::instantiate(&served.bundle, Ctx::stdio())
            .map_err(|e| ServeError::Load(format!("{}: {e}", spec.file.display())))?;
        crate::startup::mark("instantiated");
        if crate::build::native::serve_links_before_start() {
            // Every function runs machine code from the start.
            let native = crate::build::native::install(&served.bundle, isolate.modules());
            crate::startup::mark("native code installed");
            crate::build::native::report(&spec.file, &native);
            return Ok((isolate, fiber, None));
        }
        let later = crate::build::native::install_later(served, &spec.file, isolate.modules());
        return Ok((isolate, fiber, later));
    }
    crate::startup::mark("compile");
    let mut isolate = Isolate::new(Ctx::stdio());
    crate::startup::mark("prelude compiled");
    let source = app_source(&spec.source);
    match isolate.compile_path(&spec.file, &source) {
        Ok(f) => {
            crate::startup::mark("app compiled");
            Ok((isolate, f, None))
        }
        Err(d) => {
            let text = crate::diagnostics::render(isolate.source_map(), &d, false);
            Err(ServeError::Load(text.trim_end().to_string()))
        }
    }
}

/// Checks that the app compiles (`--dev` reload, before stopping anything).
pub(crate) fn check(spec: &AppSpec) -> Result<(), ServeError> {
    compile(spec).map(|_| ())
}
