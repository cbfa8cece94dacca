//! Entering and leaving the dispatch loop: starting and resuming a fiber,
//! finishing it, raising (unwinding to the nearest `try` frame) and SX
//! backtraces.

use super::fast::clear_window;
use super::{calls, rt, run, Env};
use crate::bytecode::Op;
use crate::fiber::{Fiber, FiberState};
use crate::isolate::{Step, SxError};
use crate::value::Value;
use calls::Outcome;
use frontend::SourceMap;

/// Runs `fiber` until it finishes, fails or suspends. `input` is the value
/// (or raised error) for a fiber waiting on a `perform`; ignored on the first resume.
pub fn resume(fiber: &mut Fiber, env: &mut Env, input: Result<Value, Value>) -> Step {
    match std::mem::replace(&mut fiber.state, FiberState::Running) {
        FiberState::Start(callee, args) => {
            fiber.frames.clear();
            fiber.regs.clear();
            match calls::call_vec(fiber, env, callee, args, 0, false, false) {
                Ok(Outcome::Pushed) => start_compiled(fiber, env),
                Ok(Outcome::Value(v)) => finish(fiber, Step::Done(v)),
                Err(e) => {
                    let bt = capture_backtrace(fiber, env.sources);
                    finish(fiber, Step::Failed(sx_error(e, bt)))
                }
            }
        }
        FiberState::Waiting(dst) => match input {
            Ok(v) => {
                let base = fiber.frames.last().expect("waiting fiber has a frame").base as usize;
                fiber.regs[base + dst as usize] = v;
                // A frame compiled code left at this `perform` continues in
                // its compiled code (its resume state).
                match crate::jit::runtime::resume_frames(fiber, env) {
                    Ok(Some(v)) => finish(fiber, Step::Done(v)),
                    Ok(None) => run(fiber, env),
                    Err(e) => match unwind(fiber, env, e) {
                        Ok(()) => run(fiber, env),
                        Err(step) => step,
                    },
                }
            }
            Err(e) => match unwind(fiber, env, e) {
                Ok(()) => run(fiber, env),
                Err(step) => step,
            },
        },
        FiberState::Yielded => run(fiber, env),
        FiberState::Running => Step::Failed(sx_error(rt::error("fiber is already running"), Vec::new())),
        FiberState::Finished => {
            fiber.state = FiberState::Finished;
            Step::Failed(sx_error(rt::error("fiber has finished"), Vec::new()))
        }
    }
}

/// Runs a fiber's first frame (just pushed, at pc 0) in its function's
/// compiled code when there is some — queuing the function for compilation
/// once it is hot, as the interpreter's calls do — else interprets it. A
/// request handler or a process body is such a frame: without this it would
/// never leave the interpreter, however hot.
fn start_compiled(fiber: &mut Fiber, env: &mut Env) -> Step {
    let top = fiber.frames.last().expect("a frame was pushed");
    let (proto, base) = (top.closure.proto.clone(), top.base as usize);
    let Some(e) = crate::jit::call_entry(&proto) else { return run(fiber, env) };
    match crate::jit::runtime::enter(fiber, env, e, base, 0) {
        Ok(Some(v)) => finish(fiber, Step::Done(v)),
        Ok(None) => run(fiber, env),
        Err(err) => match unwind(fiber, env, err) {
            Ok(()) => run(fiber, env),
            Err(step) => step,
        },
    }
}

pub(super) fn finish(fiber: &mut Fiber, step: Step) -> Step {
    fiber.state = FiberState::Finished;
    fiber.frames.clear();
    fiber.regs.clear();
    step
}

/// Builds the host-facing error of an uncaught raise.
pub(crate) fn sx_error(value: Value, fallback: Vec<(String, String)>) -> SxError {
    let bt = match &value {
        Value::Error(e) if !e.backtrace.borrow().is_empty() => e.backtrace.borrow().clone(),
        _ => fallback,
    };
    SxError {
        message: rt::error_message(&value),
        backtrace: bt.iter().map(|(n, l)| format!("  at {n} ({l})")).collect(),
        value,
    }
}

/// Kills the fiber with `v` (a second terminating interrupt): records the
/// backtrace and pops every frame without running any `try` handler.
pub(super) fn kill(f: &mut Fiber, env: &mut Env, v: Value) -> Step {
    let bt = capture_backtrace(f, env.sources);
    finish(f, Step::Failed(sx_error(v, bt)))
}

/// Most frames recorded in a backtrace (innermost first).
const MAX_BACKTRACE: usize = 64;

/// The SX backtrace of the fiber's current frames (top frame's `pc` must be saved).
pub(crate) fn capture_backtrace(f: &Fiber, sources: &SourceMap) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for fr in f.frames.iter().rev().take(MAX_BACKTRACE) {
        let p = &fr.closure.proto;
        let pc = (fr.pc as usize).saturating_sub(1);
        let loc = match p.spans.get(pc) {
            Some(s) => sources.describe(*s),
            None => sources.describe(p.span),
        };
        out.push((p.display_name().to_string(), loc));
    }
    out
}

/// Raises `v` at the fiber's current point (top frame's pc saved): records the
/// backtrace, pops frames up to the nearest try marker and continues at its
/// handler; `Err(step)` when nothing catches it (the fiber is finished).
pub(crate) fn unwind(f: &mut Fiber, env: &mut Env, v: Value) -> Result<(), Step> {
    match &v {
        Value::Error(e) => {
            if e.backtrace.borrow().is_empty() {
                *e.backtrace.borrow_mut() = capture_backtrace(f, env.sources);
            }
        }
        _ => f.raise_backtrace = capture_backtrace(f, env.sources),
    }
    while let Some(fr) = f.frames.pop() {
        let lo = fr.base as usize;
        let hi = (lo + fr.closure.proto.nregs as usize).min(f.regs.len());
        clear_window(&mut f.regs[lo..hi]);
        if fr.is_try {
            if let Some(caller) = f.frames.last_mut() {
                let op = caller.closure.proto.code[caller.pc as usize - 1];
                let Op::TryCall { err_dst, err_pc, .. } = op else { unreachable!("try frame without TryCall") };
                caller.pc = err_pc;
                let idx = caller.base as usize + err_dst as usize;
                f.regs[idx] = v;
                f.state = FiberState::Running;
                return Ok(());
            }
        }
    }
    let bt = std::mem::take(&mut f.raise_backtrace);
    Err(finish(f, Step::Failed(sx_error(v, bt))))
}
