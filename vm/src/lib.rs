//! The SX virtual machine: values, primitives, prelude, bytecode and interpreter.

pub mod bytecode;
pub mod ctx;
pub mod data;
pub mod prims;
pub mod resolver;
pub mod value;

pub use value::Value;
