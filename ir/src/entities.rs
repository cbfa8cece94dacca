//! Typed entity ids into the arenas of a [`crate::Function`] / [`crate::Module`]
//! (the Cranelift style: small copyable indices instead of pointers).

use std::fmt;

macro_rules! entity {
    ($(#[$m:meta])* $name:ident, $prefix:literal) => {
        $(#[$m])*
        #[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
        pub struct $name(pub u32);
        impl $name {
            pub fn new(index: usize) -> Self { $name(index as u32) }
            pub fn index(self) -> usize { self.0 as usize }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

entity!(/// An SSA value (an instruction result or a block parameter). Prints as `v3`.
    Value, "v");
entity!(/// A basic block. Prints as `block2`.
    Block, "block");
entity!(/// An instruction. Prints as `inst7` (rarely printed).
    Inst, "inst");
entity!(/// A function of a module. Prints as `f4`.
    FuncId, "f");
