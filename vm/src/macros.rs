//! The macro host: `defmacro` transformers compiled and run in a separate
//! macro isolate (library + prelude, not the program's definitions).

/// Compiles and applies macro transformers (see [`frontend::MacroHost`]).
pub struct MacroExpander {}
