//! The SX virtual machine: values, primitives, prelude, bytecode and interpreter.

pub mod bytecode;
pub mod pipeline;
pub mod profile;
pub mod macros;
pub mod isolate;
pub mod interp;
pub mod fiber;
pub mod interrupt;
pub mod ctx;
pub mod data;
pub mod prims;
pub mod resolver;
pub mod value;
pub mod abi;
pub mod jit;
pub mod text;
pub mod dictmap;
pub mod convert;
pub mod equal;
pub mod error;
pub mod html;
pub mod intern;
pub mod json;
pub mod print;
pub mod gc;

pub use value::Value;
