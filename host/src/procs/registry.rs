//! The server-wide process table: every live process (and every request or
//! main program that used `self`, `receive` or `call`), its mailbox, its
//! registered names and the calls waiting on it.
//!
//! Shared by all worker isolates (`Arc<Registry>`), so `send`, `call` and
//! `whereis` reach a process on any worker. Only `Data` goes into a mailbox:
//! messages are copied at `send` and turned back into values by the receiver
//! on its own isolate. A waiting fiber's task leaves its waker in the
//! process entry, under the same lock as the mailbox, and `deliver` wakes it
//! (from any thread): the check for an entry and the registration of the
//! waker are one critical section, so no wake-up is lost. Locks are held
//! only to move entries, never across an await; `register` takes the names lock and then one process lock,
//! nothing else nests.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::task::{Context, Poll, Waker};
use vm::data::Data;

/// What a fiber with a pid is: a spawned process, a request handler, or
/// `sxc run`'s main program (the last two get a pid when they first use one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Process,
    Request,
    Main,
}

impl Kind {
    /// The name shown by `/__sxc/processes`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Process => "process",
            Kind::Request => "request",
            Kind::Main => "main",
        }
    }
}

/// What a live fiber with a pid is doing (shown to operators).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum State {
    /// Runnable or running.
    Running,
    /// Waiting in `receive`.
    Receiving,
    /// Waiting for a `call`'s reply.
    Calling,
    /// Waiting for a storage op or `sleep`.
    Io,
}

impl State {
    fn from_u8(b: u8) -> State {
        match b {
            1 => State::Receiving,
            2 => State::Calling,
            3 => State::Io,
            _ => State::Running,
        }
    }

    /// The name shown by `/__sxc/processes`.
    pub fn name(self) -> &'static str {
        match self {
            State::Running => "running",
            State::Receiving => "receiving",
            State::Calling => "calling",
            State::Io => "io",
        }
    }
}

/// A mailbox entry. Only `Msg` is visible to `receive`; the others answer
/// one `call` and are taken only by it.
#[derive(Debug)]
pub(crate) enum Entry {
    /// A message sent with `send` (or a call's request).
    Msg(Data),
    /// `(reply msg value)` for the call with reference `r`.
    Reply { r: u64, value: Data },
    /// The called process ended before replying to call `r`; `failure` is
    /// its error message when it crashed.
    Down { r: u64, pid: u64, failure: Option<String> },
}

/// One live fiber with a pid.
#[derive(Debug)]
pub struct Proc {
    /// The process id (unique in the server, never reused).
    pub pid: u64,
    /// The worker isolate it runs on (0 under `sxc run`).
    pub isolate: usize,
    pub kind: Kind,
    inner: Mutex<Inner>,
    /// A [`State`] (an atomic: set twice per wait, read only by operators).
    state: AtomicU8,
    /// Set by [`Proc::stop`]; never cleared.
    stopping: AtomicBool,
}

/// The answer of a wait that ended because the process is being stopped
/// ([`Proc::stop`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped;

#[derive(Debug)]
struct Inner {
    mailbox: VecDeque<Entry>,
    alive: bool,
    names: Vec<String>,
    /// Calls waiting on this process: (reference, caller).
    watchers: Vec<(u64, Arc<Proc>)>,
    /// The task of this fiber while it waits for an entry ([`Proc::poll_take`]).
    waiter: Option<Waker>,
}

/// The oldest message. Call answers met on the way are stale (a fiber in
/// `receive` waits for no call) and are dropped.
fn first_msg(mailbox: &mut VecDeque<Entry>) -> Option<Data> {
    while let Some(e) = mailbox.pop_front() {
        if let Entry::Msg(d) = e {
            return Some(d);
        }
    }
    None
}

/// The answer (reply or down) to call `r`; messages stay queued in order,
/// answers to other (finished) calls are dropped.
fn answer_to(mailbox: &mut VecDeque<Entry>, r: u64) -> Option<Entry> {
    let mut found = None;
    mailbox.retain_mut(|e| match e {
        Entry::Msg(_) => true,
        Entry::Reply { r: x, .. } | Entry::Down { r: x, .. } => {
            if *x == r && found.is_none() {
                found = Some(std::mem::replace(e, Entry::Msg(Data::Nil)));
            }
            false
        }
    });
    found
}

impl Proc {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the mailbox half-updated
        // (every update is one push/remove), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends an entry and wakes the owner. False when the process is gone
    /// (the entry is dropped, as a message to a dead process is).
    pub(crate) fn deliver(&self, e: Entry) -> bool {
        let waiter = {
            let mut inner = self.lock();
            if !inner.alive {
                return false;
            }
            inner.mailbox.push_back(e);
            inner.waiter.take()
        };
        if let Some(w) = waiter {
            w.wake();
        }
        true
    }

    /// The oldest message, for `receive` (see [`first_msg`]).
    pub(crate) fn take_msg(&self) -> Option<Data> {
        first_msg(&mut self.lock().mailbox)
    }

    /// The answer (reply or down) to call `r`, for `call`'s wait (see [`answer_to`]).
    pub(crate) fn take_answer(&self, r: u64) -> Option<Entry> {
        answer_to(&mut self.lock().mailbox, r)
    }

    /// Waits for the oldest message (only the process's own task waits on
    /// it), or until the process is being stopped.
    pub(crate) async fn next_msg(&self) -> Result<Data, Stopped> {
        std::future::poll_fn(|cx| self.poll_take(cx, first_msg)).await
    }

    /// `receive`'s wait, polled by the driver: the oldest message (see
    /// [`first_msg`]), or [`Stopped`]; otherwise the fiber's task waits for
    /// the next [`Proc::deliver`] or [`Proc::stop`]. Keeps the operators'
    /// [`State`] (receiving while it waits).
    pub(crate) fn poll_receive(&self, cx: &mut Context<'_>) -> Poll<Result<Data, Stopped>> {
        let r = self.poll_take(cx, first_msg);
        self.set_state(if r.is_pending() { State::Receiving } else { State::Running });
        r
    }

    /// Waits for the answer to call `r`, or until the process is being stopped.
    pub(crate) async fn answer(&self, r: u64) -> Result<Entry, Stopped> {
        std::future::poll_fn(|cx| self.poll_take(cx, |m| answer_to(m, r))).await
    }

    /// Waits until the process is being stopped.
    pub(crate) async fn stopped(&self) -> Stopped {
        std::future::poll_fn(|cx| match self.poll_take(cx, |_| None::<()>) {
            Poll::Ready(Err(s)) => Poll::Ready(s),
            Poll::Ready(Ok(())) | Poll::Pending => Poll::Pending,
        })
        .await
    }

    /// Stops the process: its task's current or next wait (`receive`,
    /// `call`, storage IO, a time slice) ends with [`Stopped`]; the driver
    /// then raises `process stopped` in the fiber (`vm::interrupt::STOP`).
    pub(crate) fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
        let waiter = self.lock().waiter.take();
        if let Some(w) = waiter {
            w.wake();
        }
    }

    /// True once [`Proc::stop`] was called.
    pub(crate) fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Ready with what `take` finds in the mailbox (or [`Stopped`]);
    /// otherwise keeps the task's waker for the next [`Proc::deliver`] or
    /// [`Proc::stop`] (in the same critical section as the look, so one in
    /// between cannot be missed).
    fn poll_take<T>(
        &self,
        cx: &mut Context<'_>,
        take: impl FnOnce(&mut VecDeque<Entry>) -> Option<T>,
    ) -> Poll<Result<T, Stopped>> {
        let mut inner = self.lock();
        if self.is_stopping() {
            inner.waiter = None;
            return Poll::Ready(Err(Stopped));
        }
        if let Some(x) = take(&mut inner.mailbox) {
            inner.waiter = None;
            return Poll::Ready(Ok(x));
        }
        match &inner.waiter {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => inner.waiter = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    pub(crate) fn set_state(&self, s: State) {
        self.state.store(s as u8, Ordering::Relaxed);
    }

    /// Registers a call `r` from `caller` waiting on this process; false when
    /// this process is already gone.
    pub(crate) fn watch(&self, r: u64, caller: Arc<Proc>) -> bool {
        let mut inner = self.lock();
        if !inner.alive {
            return false;
        }
        inner.watchers.push((r, caller));
        true
    }

    /// Forgets call `r` (answered, timed out or abandoned).
    pub(crate) fn unwatch(&self, r: u64) {
        self.lock().watchers.retain(|(w, _)| *w != r);
    }

    /// A snapshot for operators.
    pub fn info(&self) -> ProcInfo {
        let inner = self.lock();
        let mailbox = inner.mailbox.iter().filter(|e| matches!(e, Entry::Msg(_))).count();
        ProcInfo {
            pid: self.pid,
            names: inner.names.clone(),
            isolate: self.isolate,
            kind: self.kind,
            mailbox,
            state: State::from_u8(self.state.load(Ordering::Relaxed)),
        }
    }
}

/// What `/__sxc/processes` shows about one process.
#[derive(Clone, Debug, PartialEq)]
pub struct ProcInfo {
    pub pid: u64,
    /// Registered names (usually none or one).
    pub names: Vec<String>,
    pub isolate: usize,
    pub kind: Kind,
    /// Messages waiting to be received.
    pub mailbox: usize,
    pub state: State,
}

/// Why `register!` refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    #[error("name already registered: {0}")]
    Taken(String),
    #[error("register!: process #<pid {0}> is not alive")]
    Dead(u64),
}

/// The table of live processes and names. One per server (or `sxc run`).
#[derive(Debug, Default)]
pub struct Registry {
    next_pid: AtomicU64,
    next_ref: AtomicU64,
    /// By pid (FxHash: pids are sequential integers, hashed per lookup).
    procs: RwLock<rustc_hash::FxHashMap<u64, Arc<Proc>>>,
    names: Mutex<HashMap<String, u64>>,
}

impl Registry {
    /// An empty table.
    pub fn new() -> Arc<Registry> {
        Arc::new(Registry::default())
    }

    /// A new live process with an empty mailbox.
    pub(crate) fn create(&self, isolate: usize, kind: Kind) -> Arc<Proc> {
        let pid = self.next_pid.fetch_add(1, Ordering::Relaxed) + 1;
        let p = Arc::new(Proc {
            pid,
            isolate,
            kind,
            inner: Mutex::new(Inner {
                mailbox: VecDeque::new(),
                alive: true,
                names: Vec::new(),
                watchers: Vec::new(),
                waiter: None,
            }),
            state: AtomicU8::new(State::Running as u8),
            stopping: AtomicBool::new(false),
        });
        self.procs.write().unwrap_or_else(|p| p.into_inner()).insert(pid, p.clone());
        p
    }

    /// A fresh call reference (unique in the server).
    pub(crate) fn new_ref(&self) -> u64 {
        self.next_ref.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// The live process `pid`.
    pub(crate) fn get(&self, pid: u64) -> Option<Arc<Proc>> {
        self.procs.read().unwrap_or_else(|p| p.into_inner()).get(&pid).cloned()
    }

    /// The pid registered under `name`.
    pub fn whereis(&self, name: &str) -> Option<u64> {
        self.names.lock().unwrap_or_else(|p| p.into_inner()).get(name).copied()
    }

    /// Registers `name` for the live process `pid`.
    pub(crate) fn register(&self, name: &str, pid: u64) -> Result<(), RegisterError> {
        let mut names = self.names.lock().unwrap_or_else(|p| p.into_inner());
        if names.contains_key(name) {
            return Err(RegisterError::Taken(name.to_string()));
        }
        let proc = self.get(pid).ok_or(RegisterError::Dead(pid))?;
        let mut inner = proc.lock();
        if !inner.alive {
            return Err(RegisterError::Dead(pid));
        }
        inner.names.push(name.to_string());
        names.insert(name.to_string(), pid);
        Ok(())
    }

    /// Ends `proc`: frees its names, drops its mailbox and tells every call
    /// waiting on it (`failure`: its error message when it crashed).
    pub(crate) fn exit(&self, proc: &Proc, failure: Option<&str>) {
        let (names, watchers) = {
            let mut inner = proc.lock();
            inner.alive = false;
            inner.mailbox.clear();
            inner.waiter = None;
            (std::mem::take(&mut inner.names), std::mem::take(&mut inner.watchers))
        };
        self.procs.write().unwrap_or_else(|p| p.into_inner()).remove(&proc.pid);
        if !names.is_empty() {
            let mut table = self.names.lock().unwrap_or_else(|p| p.into_inner());
            for n in names {
                if table.get(&n) == Some(&proc.pid) {
                    table.remove(&n);
                }
            }
        }
        for (r, caller) in watchers {
            caller.deliver(Entry::Down { r, pid: proc.pid, failure: failure.map(str::to_string) });
        }
    }

    /// Snapshots of every live process, by pid.
    pub fn list(&self) -> Vec<ProcInfo> {
        let procs: Vec<Arc<Proc>> = self.procs.read().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
        let mut out: Vec<ProcInfo> = procs.iter().map(|p| p.info()).collect();
        out.sort_by_key(|i| i.pid);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_freed_at_exit() {
        let reg = Registry::new();
        let a = reg.create(0, Kind::Process);
        let b = reg.create(1, Kind::Process);
        reg.register("svc", a.pid).unwrap();
        assert_eq!(reg.register("svc", b.pid), Err(RegisterError::Taken("svc".into())));
        assert_eq!(reg.whereis("svc"), Some(a.pid));
        reg.exit(&a, None);
        assert_eq!(reg.whereis("svc"), None);
        assert_eq!(reg.register("x", a.pid), Err(RegisterError::Dead(a.pid)));
        reg.register("svc", b.pid).unwrap();
        assert_eq!(reg.list().len(), 1);
    }

    #[test]
    fn selective_take_keeps_order_and_exit_tells_watchers() {
        let reg = Registry::new();
        let caller = reg.create(0, Kind::Request);
        let svc = reg.create(0, Kind::Process);
        caller.deliver(Entry::Msg(Data::Int(1)));
        caller.deliver(Entry::Reply { r: 8, value: Data::Int(0) });
        caller.deliver(Entry::Reply { r: 9, value: Data::Int(2) });
        caller.deliver(Entry::Msg(Data::Int(3)));
        assert!(matches!(caller.take_answer(9), Some(Entry::Reply { r: 9, value: Data::Int(2) })));
        assert_eq!(caller.info().mailbox, 2);
        assert!(svc.watch(4, caller.clone()));
        reg.exit(&svc, Some("boom"));
        assert!(!svc.deliver(Entry::Msg(Data::Nil)));
        assert!(!svc.watch(5, caller.clone()));
        match caller.take_answer(4) {
            Some(Entry::Down { r: 4, failure: Some(f), .. }) => assert_eq!(f, "boom"),
            other => panic!("{other:?}"),
        }
        assert_eq!(caller.take_msg(), Some(Data::Int(1)));
        assert_eq!(caller.take_msg(), Some(Data::Int(3)));
        assert_eq!(caller.take_msg(), None);
    }
}
