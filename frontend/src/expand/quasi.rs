//! Quasiquote: `(quasiquote x)` with `unquote` / `splice-unquote` at any
//! nesting level, inside lists, brackets and dicts.

use super::*;

/// The `(unquote x)`-style operand of a two-element form headed by `name`.
fn form_arg<'d>(d: &'d Datum, name: &str) -> Option<&'d Datum> {
    match &d.kind {
        DatumKind::List(v) if v.len() == 2 && v[0].as_symbol() == Some(name) => Some(&v[1]),
        _ => None,
    }
}

/// True when building `d` at quasiquote level `depth` evaluates anything.
fn needs_eval(d: &Datum, depth: usize) -> bool {
    if let Some(x) = form_arg(d, "unquote").or_else(|| form_arg(d, "splice-unquote")) {
        return depth == 1 || needs_eval(x, depth - 1);
    }
    if let Some(x) = form_arg(d, "quasiquote") {
        return needs_eval(x, depth + 1);
    }
    match &d.kind {
        DatumKind::List(v) | DatumKind::Bracket(v) | DatumKind::Dict(v) => v.iter().any(|x| needs_eval(x, depth)),
        _ => false,
    }
}

impl Expander<'_> {
    /// Expands the template `d` of a quasiquote at level `depth` (1 = outermost).
    #[inline(never)]
    pub(super) fn quasi(&mut self, d: &Datum, depth: usize) -> Result<Datum, Diagnostic> {
        self.enter(d)?;
        let r = self.quasi_inner(d, depth);
        self.depth -= 1;
        r
    }

    fn quasi_inner(&mut self, d: &Datum, depth: usize) -> Result<Datum, Diagnostic> {
        let sp = d.span;
        // `(unquote)` / `(unquote a b)` are mistakes, not data.
        if let Some(h @ ("unquote" | "splice-unquote")) = head(d) {
            if d.as_list().unwrap().len() != 2 {
                return Err(bad("expand-bad-unquote", d, format!("expected `({h} expr)`")));
            }
        }
        if !needs_eval(d, depth) {
            return Ok(match &d.kind {
                DatumKind::Symbol(_) | DatumKind::List(_) | DatumKind::Bracket(_) | DatumKind::Dict(_) => {
                    quote(d.clone(), sp)
                }
                _ => d.clone(),
            });
        }
        if let Some(x) = form_arg(d, "unquote") {
            if depth == 1 {
                return self.expr(x);
            }
            let inner = self.quasi(x, depth - 1)?;
            return Ok(builtin("%list", vec![quote(sym("unquote", sp), sp), inner], sp));
        }
        if let Some(x) = form_arg(d, "splice-unquote") {
            if depth == 1 {
                return Err(bad("expand-bad-splice", d, "`,@` (splice-unquote) must be directly inside a list"));
            }
            let inner = self.quasi(x, depth - 1)?;
            return Ok(builtin("%list", vec![quote(sym("splice-unquote", sp), sp), inner], sp));
        }
        if let Some(x) = form_arg(d, "quasiquote") {
            let inner = self.quasi(x, depth + 1)?;
            return Ok(builtin("%list", vec![quote(sym("quasiquote", sp), sp), inner], sp));
        }
        match &d.kind {
            DatumKind::List(items) | DatumKind::Bracket(items) => {
                let mut segments = Vec::new();
                let mut group = Vec::new();
                for item in items {
                    match form_arg(item, "splice-unquote") {
                        Some(x) if depth == 1 => {
                            if !group.is_empty() {
                                segments.push(builtin("%list", std::mem::take(&mut group), sp));
                            }
                            segments.push(self.expr(x)?);
                        }
                        _ => group.push(self.quasi(item, depth)?),
                    }
                }
                if segments.is_empty() {
                    return Ok(builtin("%list", group, sp));
                }
                if !group.is_empty() {
                    segments.push(builtin("%list", group, sp));
                }
                Ok(builtin("%concat", segments, sp))
            }
            DatumKind::Dict(items) => {
                let mut args = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    if depth == 1 && form_arg(item, "splice-unquote").is_some() {
                        return Err(bad("expand-bad-splice", item, "`,@` (splice-unquote) cannot be used inside a dict"));
                    }
                    args.push(match &item.kind {
                        DatumKind::Keyword(k) if i % 2 == 0 => Datum::new(DatumKind::Str(k.clone()), item.span),
                        _ => self.quasi(item, depth)?,
                    });
                }
                Ok(builtin("%dict", args, sp))
            }
            _ => unreachable!("atoms never need evaluation"),
        }
    }
}
