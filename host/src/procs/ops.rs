//! The `process/*` requests: the prelude's `spawn`, `send`, `receive`,
//! `self`, `register!`, `whereis`, `call` and `reply` each perform one (see
//! `vm/src/prelude.sx`). This module turns such a request's arguments into a
//! [`ProcOp`], with argument errors named after the SX function; the
//! per-isolate driver (`super::local`) serves it.

use vm::data::Data;
use vm::error::err;
use vm::print::repr;
use std::sync::OnceLock;
use vm::value::Sym;
use vm::Value;

/// `call`'s timeout when none is given, in milliseconds (Erlang's
/// `gen_server:call` default).
pub const DEFAULT_CALL_TIMEOUT_MS: u64 = 5_000;

/// Who a `send` or `call` goes to.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Pid(u64),
    /// A registered name.
    Name(String),
}

/// A decoded process request.
#[derive(Debug)]
pub enum ProcOp {
    /// `(spawn thunk)`: the thunk stays a heap value (it runs on this isolate).
    Spawn(Value),
    /// `(send target msg)`, the message already copied.
    Send(Target, Data),
    /// `(receive timeout-ms?)`.
    Receive(Option<u64>),
    /// `(self)`.
    SelfPid,
    /// `(register! name pid)`.
    Register(String, u64),
    /// `(whereis name)`.
    Whereis(String),
    /// `(call target request timeout-ms?)`.
    Call { target: Target, request: Data, timeout_ms: u64 },
    /// `(reply msg value)`: to the caller `to`, answering its call `r`.
    Reply { to: u64, r: u64, value: Data },
}

impl ProcOp {
    /// The SX function that performs this op (for error messages).
    pub fn function(&self) -> &'static str {
        match self {
            ProcOp::Spawn(_) => "spawn",
            ProcOp::Send(..) => "send",
            ProcOp::Receive(_) => "receive",
            ProcOp::SelfPid => "self",
            ProcOp::Register(..) => "register!",
            ProcOp::Whereis(_) => "whereis",
            ProcOp::Call { .. } => "call",
            ProcOp::Reply { .. } => "reply",
        }
    }
}

/// The process ops, in the order of [`OP_NAMES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Spawn,
    Send,
    Receive,
    SelfPid,
    Register,
    Whereis,
    Call,
    Reply,
}

/// Every process op with its request name (`(:process/send …)`).
const OP_NAMES: [(Op, &str); 8] = [
    (Op::Spawn, "process/spawn"),
    (Op::Send, "process/send"),
    (Op::Receive, "process/receive"),
    (Op::SelfPid, "process/self"),
    (Op::Register, "process/register"),
    (Op::Whereis, "process/whereis"),
    (Op::Call, "process/call"),
    (Op::Reply, "process/reply"),
];

/// The interned keywords of [`OP_NAMES`] (symbol ids are process-wide, so
/// one table serves every isolate's thread).
fn op_syms() -> &'static [(Op, Sym); 8] {
    static SYMS: OnceLock<[(Op, Sym); 8]> = OnceLock::new();
    SYMS.get_or_init(|| OP_NAMES.map(|(op, name)| (op, Sym::new(name))))
}

/// Decodes `process/NAME` requests; `None` when `op` is not a process op.
pub fn decode(op: &str, args: &[Value]) -> Option<Result<ProcOp, Value>> {
    let op = OP_NAMES.iter().find(|(_, name)| *name == op)?.0;
    Some(decode_op(op, args))
}

/// Decodes a compact request `(:KEYWORD arg …)` by its keyword's id (the
/// path of every message: no name lookup or string comparison); `None` when
/// the keyword names no process op.
pub fn decode_keyword(k: Sym, args: &[Value]) -> Option<Result<ProcOp, Value>> {
    let op = op_syms().iter().find(|(_, s)| *s == k)?.0;
    Some(decode_op(op, args))
}

fn decode_op(op: Op, args: &[Value]) -> Result<ProcOp, Value> {
    match op {
        Op::Spawn => arity("spawn", args, 1, 1).and_then(|()| match &args[0] {
            f @ (Value::Closure(_) | Value::Prim(_)) => Ok(ProcOp::Spawn(f.clone())),
            other => Err(err(format!("spawn: expected a function, got {}", repr(other)))),
        }),
        Op::Send => arity("send", args, 2, 2).and_then(|()| {
            Ok(ProcOp::Send(target("send", &args[0])?, Data::from_message(&args[1], "send")?))
        }),
        Op::Receive => {
            arity("receive", args, 0, 1).and_then(|()| Ok(ProcOp::Receive(timeout("receive", args.first())?)))
        }
        Op::SelfPid => arity("self", args, 0, 0).map(|()| ProcOp::SelfPid),
        Op::Register => arity("register!", args, 2, 2).and_then(|()| {
            let name = name("register!", &args[0])?;
            match &args[1] {
                Value::Pid(p) => Ok(ProcOp::Register(name, *p)),
                other => Err(err(format!("register!: expected a pid, got {}", repr(other)))),
            }
        }),
        Op::Whereis => arity("whereis", args, 1, 1).and_then(|()| Ok(ProcOp::Whereis(name("whereis", &args[0])?))),
        Op::Call => arity("call", args, 2, 3).and_then(|()| {
            let target = target("call", &args[0])?;
            let request = Data::from_message(&args[1], "call")?;
            let timeout_ms = timeout("call", args.get(2))?.unwrap_or(DEFAULT_CALL_TIMEOUT_MS);
            Ok(ProcOp::Call { target, request, timeout_ms })
        }),
        Op::Reply => arity("reply", args, 2, 2).and_then(|()| {
            let (to, r) = call_message(&args[0])?;
            Ok(ProcOp::Reply { to, r, value: Data::from_message(&args[1], "reply")? })
        }),
    }
}

fn arity(name: &str, args: &[Value], min: usize, max: usize) -> Result<(), Value> {
    if args.len() < min || args.len() > max {
        return Err(err(vm::error::arity_message(name, min, Some(max), args.len())));
    }
    Ok(())
}

/// A registered name: a string, or a keyword taken by its name.
fn name(func: &str, v: &Value) -> Result<String, Value> {
    match v {
        Value::Str(s) => Ok(s.s.to_string()),
        Value::Keyword(k) => Ok(k.name().to_string()),
        other => Err(err(format!("{func}: expected a name (string or keyword), got {}", repr(other)))),
    }
}

pub(super) fn target(func: &str, v: &Value) -> Result<Target, Value> {
    match v {
        Value::Pid(p) => Ok(Target::Pid(*p)),
        Value::Str(_) | Value::Keyword(_) => Ok(Target::Name(name(func, v)?)),
        other => Err(err(format!("{func}: expected a pid or a registered name, got {}", repr(other)))),
    }
}

/// A timeout in milliseconds: a non-negative number (a float is truncated);
/// nil or absent means none.
fn timeout(func: &str, v: Option<&Value>) -> Result<Option<u64>, Value> {
    match v {
        None | Some(Value::Nil) => Ok(None),
        Some(Value::Int(ms)) if *ms >= 0 => Ok(Some(*ms as u64)),
        Some(Value::Float(ms)) if *ms >= 0.0 => Ok(Some(*ms as u64)),
        Some(other) => Err(err(format!("{func}: expected a timeout in milliseconds (>= 0), got {}", repr(other)))),
    }
}

/// The caller and reference of a message `call` sent: `{:from pid :ref n …}`.
fn call_message(v: &Value) -> Result<(u64, u64), Value> {
    let bad = || err(format!("reply: expected a message sent by call {{:from :ref :request}}, got {}", repr(v)));
    let d = v.as_dict().ok_or_else(bad)?;
    match (d.get("from"), d.get("ref")) {
        (Some(Value::Pid(from)), Some(Value::Int(r))) if r >= 0 => Ok((from, r as u64)),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vm::error::error_message;

    fn msg(r: Result<ProcOp, Value>) -> String {
        error_message(&r.unwrap_err())
    }

    #[test]
    fn argument_errors_name_the_function() {
        assert!(decode("kv/get", &[]).is_none());
        assert_eq!(msg(decode("process/spawn", &[Value::Int(1)]).unwrap()), "spawn: expected a function, got 1");
        assert_eq!(
            msg(decode("process/send", &[Value::Int(1), Value::Nil]).unwrap()),
            "send: expected a pid or a registered name, got 1"
        );
        assert_eq!(
            msg(decode("process/receive", &[Value::Int(-1)]).unwrap()),
            "receive: expected a timeout in milliseconds (>= 0), got -1"
        );
        assert_eq!(msg(decode("process/register", &[Value::Int(1), Value::Pid(1)]).unwrap()), "register!: expected a name (string or keyword), got 1");
        assert!(msg(decode("process/reply", &[Value::Nil, Value::Nil]).unwrap()).starts_with("reply: expected a message sent by call"));
    }

    #[test]
    fn messages_may_hold_pids_but_not_functions() {
        let m = Value::list(vec![Value::Pid(3), Value::Int(1)]);
        match decode("process/send", &[Value::kw("svc"), m]).unwrap().unwrap() {
            ProcOp::Send(Target::Name(n), Data::List(xs)) => {
                assert_eq!(n, "svc");
                assert_eq!(xs, vec![Data::Pid(3), Data::Int(1)]);
            }
            other => panic!("{other:?}"),
        }
        let f = Value::Prim(vm::prims::lookup("+").unwrap());
        assert_eq!(msg(decode("process/send", &[Value::Pid(1), f]).unwrap()), "send: cannot send #<lambda +>");
    }

    #[test]
    fn keywords_decode_like_names() {
        for (op, name) in OP_NAMES {
            assert_eq!(op_syms().iter().find(|(o, _)| *o == op).map(|(_, s)| s.name()), Some(name));
        }
        let args = [Value::Pid(4), Value::Int(1)];
        match decode_keyword(Sym::new("process/send"), &args).unwrap().unwrap() {
            ProcOp::Send(Target::Pid(4), Data::Int(1)) => {}
            other => panic!("{other:?}"),
        }
        assert!(decode_keyword(Sym::new("kv/get"), &args).is_none());
    }

    #[test]
    fn call_timeout_defaults() {
        match decode("process/call", &[Value::Pid(1), Value::Nil]).unwrap().unwrap() {
            ProcOp::Call { timeout_ms, .. } => assert_eq!(timeout_ms, DEFAULT_CALL_TIMEOUT_MS),
            other => panic!("{other:?}"),
        }
    }
}
