//! The type lattice of SSA values and the effect lattice of functions.

use std::fmt;

/// Static type of an SSA value. `Any` is the top (boxed, unknown); every other
/// type is a leaf under it. `Int`, `Float` and `Bool` are unboxed in compiled code.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum Type {
    Any,
    Nil,
    Bool,
    Int,
    Float,
    Str,
    Symbol,
    Keyword,
    List,
    Dict,
    Closure,
}

impl Type {
    /// Least upper bound.
    pub fn join(self, other: Type) -> Type {
        if self == other { self } else { Type::Any }
    }
    pub fn name(self) -> &'static str {
        match self {
            Type::Any => "any",
            Type::Nil => "nil",
            Type::Bool => "bool",
            Type::Int => "int",
            Type::Float => "float",
            Type::Str => "str",
            Type::Symbol => "sym",
            Type::Keyword => "kw",
            Type::List => "list",
            Type::Dict => "dict",
            Type::Closure => "closure",
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a function may do besides returning: ordered `Pure < MayRaise < MaySuspend`.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Effect {
    Pure,
    MayRaise,
    MaySuspend,
}

impl Effect {
    pub fn name(self) -> &'static str {
        match self {
            Effect::Pure => "pure",
            Effect::MayRaise => "may-raise",
            Effect::MaySuspend => "may-suspend",
        }
    }
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
