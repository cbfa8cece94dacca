//! The SX frontend: source text -> [`Datum`] (reader) -> expanded core forms
//! (macro expander) -> [`ast::Program`] (scope resolution).
//!
//! The frontend knows nothing about run-time values or IO: macro bodies are
//! evaluated through the [`MacroHost`] trait, implemented by `vm`.

pub mod ast;
pub mod datum;
pub mod diag;
pub mod dump;
pub mod expand;
pub mod print;
pub mod reader;
pub mod resolve;
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
    /// True when `name` is a macro the host already knows (e.g. defined by the
    /// prelude or an earlier compilation unit). Macros defined by `defmacro` in
    /// the program being expanded are tracked by the expander itself, so the
    /// default (`false`) is enough for hosts without predefined macros.
    fn is_macro(&self, name: &str) -> bool {
        let _ = name;
        false
    }
}

/// Reads, expands and resolves `file` as a program's main file: returns the
/// expanded core forms (what `sxc inspect --stage expanded` prints, see
/// [`print::print_program`]) and the resolved program. Files the program
/// loads with `(load "path.sx")` are read and added to `map`, so afterwards
/// [`SourceMap::paths`] lists the program's source files (see
/// [`expand::expand_file`]).
///
/// Errors: the first read, load, expansion or resolution [`Diagnostic`].
pub fn compile_to_ast(
    map: &mut SourceMap,
    file: FileId,
    host: &mut dyn MacroHost,
) -> Result<(Vec<Datum>, ast::Program), Diagnostic> {
    let expanded = expand::expand_file(map, file, host)?;
    let program = resolve::resolve_program(&expanded)?;
    Ok((expanded, program))
}
