//! The macro host: `defmacro` transformers are compiled as lambdas by the
//! normal pipeline and run in a separate macro isolate (library + prelude,
//! not the program's own definitions: phase separation). Arguments are passed
//! as values ([`crate::convert::datum_to_value`]) and the result converted back
//! ([`crate::convert::value_to_datum`]); errors become diagnostics at the call.

use crate::ctx::Ctx;
use crate::isolate::{Isolate, NoIo};
use crate::value::Value;
use frontend::{Datum, DatumKind, Diagnostic, MacroHost, Span};
use rustc_hash::FxHashMap;

/// A [`MacroHost`] backed by its own macro isolate (created on first use).
pub struct MacroExpander {
    iso: Option<Box<Isolate>>,
    macros: FxHashMap<String, Value>,
}

impl Default for MacroExpander {
    fn default() -> Self {
        Self::new()
    }
}

impl MacroExpander {
    /// An expander with no macros; the macro isolate is created lazily.
    pub fn new() -> MacroExpander {
        MacroExpander { iso: None, macros: FxHashMap::default() }
    }

    fn iso(&mut self) -> &mut Isolate {
        self.iso.get_or_insert_with(|| Box::new(Isolate::with_prelude(Ctx::stdio())))
    }

    /// Names of the macros defined so far.
    pub fn macro_names(&self) -> impl Iterator<Item = &str> {
        self.macros.keys().map(|s| s.as_str())
    }
}

impl MacroHost for MacroExpander {
    fn define_macro(&mut self, name: &str, params: &Datum, body: &[Datum], span: Span) -> Result<(), Diagnostic> {
        // The transformer is `(fn params body...)`, expanded with this host (so it
        // may use earlier macros) and compiled in the macro isolate.
        let mut items = vec![Datum::sym("fn", span), params.clone()];
        items.extend(body.iter().cloned());
        let lambda = Datum::new(DatumKind::List(items), span);
        let expanded = frontend::expand::expand_program(&[lambda], self)?;
        let program = frontend::resolve::resolve_program(&expanded)?;
        let iso = self.iso();
        let mut fiber = iso.compile_program(&program);
        let f = iso
            .run(&mut fiber, &mut NoIo)
            .map_err(|e| Diagnostic::new("macro-define-error", span, format!("defmacro {name}: {}", e.message)))?;
        self.macros.insert(name.to_string(), f);
        Ok(())
    }

    fn expand_macro(&mut self, name: &str, args: &[Datum], span: Span) -> Result<Datum, Diagnostic> {
        let Some(f) = self.macros.get(name).cloned() else {
            return Err(Diagnostic::new("expand-unknown-macro", span, format!("unknown macro {name}")));
        };
        let vals: Vec<Value> = args.iter().map(crate::convert::datum_to_value).collect();
        let iso = self.iso();
        let mut fiber = iso.call_value(&f, vals);
        let out = iso
            .run(&mut fiber, &mut NoIo)
            .map_err(|e| Diagnostic::new("macro-error", span, format!("macro {name}: {}", e.message)))?;
        crate::convert::value_to_datum(&out, span)
            .map_err(|m| Diagnostic::new("macro-bad-expansion", span, format!("macro {name}: {m}")))
    }

    fn gensym(&mut self, prefix: &str) -> String {
        crate::prims::misc::next_gensym(self.iso().ctx_mut(), prefix)
    }

    fn is_macro(&self, name: &str) -> bool {
        self.macros.contains_key(name)
    }
}
