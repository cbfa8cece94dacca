//! The SX typed SSA IR.
//!
//! Functions are CFGs of basic blocks with block parameters (no phis), in the
//! style of Cranelift; see [`function`] for the conventions every tier relies on.

pub mod entities;
pub mod function;
pub mod types;

pub use entities::{Block, FuncId, Inst, Value};
pub use function::{BlockCall, BlockData, CmpOp, Function, InstData, InstNode, Module, Terminator, ValueData, ValueDef};
pub use types::{Effect, Type};
