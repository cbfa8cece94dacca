//! The SX typed SSA IR.
//!
//! Functions are CFGs of basic blocks with block parameters (no phis), in the
//! style of Cranelift; see [`function`] for the conventions every tier relies on.
//!
//! Pipeline: [`lower_program`] (core AST → IR, [`lower`]) → [`optimise`]
//! ([`effects`]: effect inference and suspension points; [`passes`]: constant
//! folding, CFG simplification, DCE, inlining, type inference).
//! [`verify_module`] checks the invariants ([`verify`]); `Display` on
//! [`Module`] prints the textual IR (grammar in [`mod@print`]) and
//! [`parse_module`] reads it back ([`parse`]). [`visit`] has operand/successor
//! visitors and CFG helpers; [`ast_build`] builds core-AST programs for tests.

pub mod ast_build;
pub mod effects;
pub mod entities;
pub mod function;
pub mod lower;
pub mod parse;
pub mod passes;
pub mod print;
pub mod types;
pub mod verify;
pub mod visit;

pub use entities::{Block, FuncId, Inst, Value};
pub use function::{BlockCall, BlockData, CmpOp, Function, InstData, InstNode, Module, Terminator, ValueData, ValueDef};
pub use effects::{infer_effects, infer_effects_with, mark_suspension_points, mark_suspension_points_with};
pub use lower::lower_program;
pub use parse::{parse_functions, parse_module, split_functions};
pub use passes::{infer_types, optimise, optimise_with, OptOptions};
pub use types::{Effect, Type};
pub use verify::verify_module;
