//! The general calling path (values in a `Vec`): closures with arity checks and
//! `&rest` packing, primitives, components, non-callables.

use super::{rt, Env, RetReg};
use crate::fiber::{Fiber, Frame};
use crate::value::{Closure, Component, Value};
use std::rc::Rc;

/// What a call did.
pub(crate) enum Outcome {
    /// A frame was pushed (or the top frame replaced, for a tail call).
    Pushed,
    /// The callee finished at once (a primitive): its result.
    Value(Value),
}

/// Calls `callee` with `args`. For a closure, pushes a frame whose result goes to
/// register `ret` of the current top frame (or, with `tail`, replaces the top
/// frame); `is_try` marks the new frame as a `TryCall` thunk. The caller must
/// have saved the top frame's pc.
pub(crate) fn call_vec(
    f: &mut Fiber,
    env: &mut Env,
    callee: Value,
    args: Vec<Value>,
    ret: RetReg,
    tail: bool,
    is_try: bool,
) -> Result<Outcome, Value> {
    match callee {
        Value::Closure(c) => {
            enter(f, c, args, ret, tail, is_try)?;
            Ok(Outcome::Pushed)
        }
        Value::Prim(id) => crate::prims::call(env.ctx, id, &args).map(Outcome::Value),
        Value::Component(comp) => {
            let args = component_args(&comp, args)?;
            call_vec(f, env, comp.func.clone(), args, ret, tail, is_try)
        }
        other => Err(rt::error(format!("not callable: {}", rt::repr(&other)))),
    }
}

/// The arity error for a closure called with `got` arguments.
pub(crate) fn closure_arity_error(c: &Closure, got: usize) -> Value {
    let p = &c.proto;
    let max = if p.has_rest { None } else { Some(p.arity as usize) };
    rt::error(rt::arity_message(p.display_name(), p.arity as usize, max, got))
}

/// Pushes (or, with `tail`, replaces the top frame with) a frame for `c` with `args`.
fn enter(f: &mut Fiber, c: Rc<Closure>, mut args: Vec<Value>, ret: RetReg, tail: bool, is_try: bool) -> Result<(), Value> {
    let p = c.proto.clone();
    let arity = p.arity as usize;
    if args.len() < arity || (!p.has_rest && args.len() > arity) {
        return Err(closure_arity_error(&c, args.len()));
    }
    if p.has_rest {
        let rest = args.split_off(arity);
        args.push(rt::list(rest));
    }
    let base = if tail {
        f.frames.last().map(|t| t.base as usize).unwrap_or(0)
    } else {
        if f.frames.len() >= f.max_frames {
            return Err(rt::error("stack overflow"));
        }
        match f.frames.last() {
            Some(t) => t.base as usize + t.closure.proto.nregs as usize,
            None => 0,
        }
    };
    let need = base + p.nregs as usize;
    if need > f.regs.len() {
        if need > f.max_regs {
            return Err(rt::error("stack overflow"));
        }
        f.regs.resize(need, Value::Nil);
    }
    for (i, v) in args.into_iter().enumerate() {
        f.regs[base + i] = v;
    }
    p.profile.calls.set(p.profile.calls.get() + 1);
    if tail {
        let t = f.frames.last_mut().expect("tail call without a frame");
        t.closure = c;
        t.pc = 0;
    } else {
        f.frames.push(Frame { closure: c, pc: 0, base: base as u32, ret, is_try, resume: false });
    }
    Ok(())
}

/// Splits a component call's arguments into the declared keys (positionally,
/// nil when absent) followed by the children list (always passed; ignored by a
/// component without `&rest`).
pub(crate) fn component_args(c: &Component, args: Vec<Value>) -> Result<Vec<Value>, Value> {
    let mut slots = vec![Value::Nil; c.keys.len()];
    let mut children = Vec::new();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        if let Some(k) = rt::keyword_name(&a) {
            match c.keys.iter().position(|x| *x == k) {
                Some(i) => {
                    slots[i] = it.next().unwrap_or(Value::Nil);
                    continue;
                }
                None => {
                    let name = if c.name.starts_with('~') { c.name.clone() } else { format!("~{}", c.name) };
                    return Err(rt::error(format!("{name}: unknown keyword :{k}")));
                }
            }
        }
        children.push(a);
    }
    // The component's function always takes the children list last.
    slots.push(rt::list(children));
    Ok(slots)
}
