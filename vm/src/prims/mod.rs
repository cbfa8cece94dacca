//! Builtin primitives: the ABI every primitive follows and the registry.
//!
//! A primitive is a plain Rust function over a slice of argument values; it
//! never calls back into SX (higher-order library functions are written in SX
//! in the prelude, so a callback that performs suspends through them).

use crate::ctx::Ctx;
use crate::value::Value;

/// `Ok(result)` or `Err(raised value)` (normally an error value made by [`crate::error::err`]).
pub type PrimResult = Result<Value, Value>;

/// A primitive's implementation.
pub type PrimFn = fn(&mut Ctx, &[Value]) -> PrimResult;

/// One builtin: its SX name, arity bounds (`max: None` = variadic), and whether it is
/// pure (no side effects, cannot raise for well-typed args — eligible for constant folding).
pub struct PrimDef {
    pub name: &'static str,
    pub min: usize,
    pub max: Option<usize>,
    pub pure: bool,
    pub func: PrimFn,
}
