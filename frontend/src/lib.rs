//! The SX frontend: source text -> [`Datum`] (reader) -> expanded core forms
//! (macro expander) -> [`ast::Program`] (scope resolution).
//!
//! The frontend knows nothing about run-time values or IO: macro bodies are
//! evaluated through the [`MacroHost`] trait, implemented by `vm`.

pub mod ast;
pub mod datum;
pub mod diag;
pub mod print;
pub mod reader;
pub mod span;

pub use datum::{Datum, DatumKind};
pub use diag::Diagnostic;
pub use span::{FileId, SourceMap, Span};

/// Evaluates macro transformers at expansion time. Implemented by `vm`, which
/// compiles the transformer with the normal pipeline and converts datums to
/// values and back.
pub trait MacroHost {
    /// Registers `(defmacro name params body...)`; `params` is the parameter list
    /// datum (may contain `&rest`), `body` the body forms.
    fn define_macro(&mut self, name: &str, params: &Datum, body: &[Datum], span: Span) -> Result<(), Diagnostic>;
    /// Applies macro `name` to the unevaluated argument datums of a call at `span`;
    /// returns the expansion. Errors carry `span` (the call's location).
    fn expand_macro(&mut self, name: &str, args: &[Datum], span: Span) -> Result<Datum, Diagnostic>;
    /// A fresh symbol name for `(gensym)` in expander-generated code.
    fn gensym(&mut self, prefix: &str) -> String;
}
