//! `%send`: the prelude's `send` without a suspension when the host can
//! deliver in place ([`crate::ctx::ProcHost`]). Its answer is a boolean: true
//! when the message was delivered, false when the caller must perform the
//! request `(:process/send target msg)` (no host, or the host declined).

use super::{def, PrimDef, PrimResult};
use crate::ctx::Ctx;
use crate::value::Value;

/// The process primitives (appended after every other table: existing
/// primitive ids stay as they were).
pub const DEFS: &[PrimDef] = &[def("%send", 2, 2, false, send)];

fn send(ctx: &mut Ctx, a: &[Value]) -> PrimResult {
    Ok(Value::Bool(match ctx.procs.as_mut() {
        Some(h) => h.send(&a[0], &a[1]),
        None => false,
    }))
}

#[cfg(test)]
mod tests {
    use crate::ctx::ProcHost;
    use crate::prims::call_named;
    use crate::value::Value;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// Takes messages to pid 1, declines everything else.
    struct One(Rc<RefCell<Vec<String>>>);

    impl ProcHost for One {
        fn send(&mut self, target: &Value, msg: &Value) -> bool {
            if !matches!(target, Value::Pid(1)) {
                return false;
            }
            self.0.borrow_mut().push(crate::print::repr(msg));
            true
        }
    }

    #[test]
    fn send_answers_whether_the_host_delivered() {
        let mut ctx = crate::prims::testutil::ctx();
        // No host: the prelude must perform the request.
        let sent = |ctx: &mut crate::ctx::Ctx, to: u64, m: i64| match call_named(ctx, "%send", &[Value::Pid(to), Value::Int(m)]) {
            Ok(Value::Bool(b)) => b,
            other => panic!("{:?}", other.map(|v| crate::print::repr(&v))),
        };
        assert!(!sent(&mut ctx, 1, 1));
        let got = Rc::new(RefCell::new(Vec::new()));
        ctx.procs = Some(Box::new(One(got.clone())));
        assert!(sent(&mut ctx, 1, 7));
        assert!(!sent(&mut ctx, 2, 8));
        assert_eq!(*got.borrow(), ["7"]);
    }
}
