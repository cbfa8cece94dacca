//! Derived forms: `and`/`or`, `cond`, `case`, `let` family, `->`/`->>`, `guard`.

use super::*;

/// A binding list in either shape: `((a 1) (b 2))` or `(a 1 b 2)` (brackets
/// allowed for both levels). Returns (name, init) pairs, unexpanded.
fn parse_bindings<'d>(form: &Datum, b: &'d Datum, what: &str) -> Result<Vec<(&'d Datum, &'d Datum)>, Diagnostic> {
    let id = if what == "letrec" { "expand-bad-letrec" } else { "expand-bad-let" };
    let usage = format!("expected `({what} ((name value) ...) body...)` or `({what} (name value ...) body...)`");
    let items = b.as_list().ok_or_else(|| bad(id, form, usage.clone()))?;
    let mut out = Vec::new();
    if items.first().is_some_and(|x| x.as_symbol().is_some()) {
        if items.len() % 2 == 1 {
            return Err(bad(id, b, format!("expected name value pairs, found {} items", items.len())));
        }
        for pair in items.chunks(2) {
            out.push((&pair[0], &pair[1]));
        }
    } else {
        for x in items {
            match x.as_list() {
                Some([n, v]) => out.push((n, v)),
                _ => return Err(bad(id, x, "expected a binding `(name value)`")),
            }
        }
    }
    for (n, _) in &out {
        if n.as_symbol().is_none_or(|s| s.starts_with('&')) {
            return Err(bad(id, n, "expected a variable name"));
        }
    }
    Ok(out)
}

impl Expander<'_> {
    /// `(and ...)` / `(or ...)`, built from the last operand outwards.
    #[inline(never)]
    pub(super) fn and_or(&mut self, args: &[Datum], is_and: bool, sp: Span) -> Result<Datum, Diagnostic> {
        let Some((last, init)) = args.split_last() else {
            return Ok(if is_and { boolean(true, sp) } else { nil(sp) });
        };
        let mut acc = self.expr(last)?;
        let parts = init.iter().map(|x| self.expr(x)).collect::<Result<Vec<_>, _>>()?;
        for x in parts.into_iter().rev() {
            let xs = x.span;
            acc = if is_simple(&x) {
                if is_and {
                    iff(x.clone(), acc, x, xs)
                } else {
                    iff(x.clone(), x, acc, xs)
                }
            } else {
                let t = self.gensym(if is_and { "and" } else { "or" });
                let tv = sym(&t, xs);
                let body = if is_and { iff(tv.clone(), acc, tv, xs) } else { iff(tv.clone(), tv.clone(), acc, xs) };
                let1(&t, x, body, xs)
            };
        }
        Ok(acc)
    }

    /// `cond` in either style (LANGUAGE.md's selection rule).
    #[inline(never)]
    pub(super) fn cond(&mut self, d: &Datum, args: &[Datum]) -> Result<Datum, Diagnostic> {
        let is_list = |x: &Datum| x.as_list().is_some();
        let clause_style = args.iter().any(|a| a.as_list().and_then(|v| v.first()).is_some_and(is_else))
            || args.iter().all(|a| a.as_list().and_then(|v| v.first()).is_some_and(is_list));
        if clause_style {
            return self.clauses(args, nil(d.span), "cond");
        }
        if args.len() % 2 == 1 {
            return Err(bad("expand-bad-cond", d, "expected test expr pairs (`(cond test expr ... :else expr)`), found an odd number of forms"));
        }
        let mut acc = nil(d.span);
        for pair in args.chunks(2).rev() {
            let e = self.expr(&pair[1])?;
            acc = if is_else(&pair[0]) { e } else { iff(self.expr(&pair[0])?, e, acc, pair[0].span) };
        }
        Ok(acc)
    }

    /// Scheme cond clauses `(test expr...)`, `(test)`, `(test => f)`, `(else expr...)`
    /// falling back to `fallback`.
    #[inline(never)]
    pub(super) fn clauses(&mut self, clauses: &[Datum], fallback: Datum, what: &str) -> Result<Datum, Diagnostic> {
        let id = if what == "guard" { "expand-bad-guard" } else { "expand-bad-cond" };
        let mut acc = fallback;
        for c in clauses.iter().rev() {
            let items = match c.as_list() {
                Some(v) if !v.is_empty() => v,
                _ => return Err(bad(id, c, "expected a clause `(test expr...)` or `(else expr...)`")),
            };
            let sp = c.span;
            let (test, body) = items.split_first().unwrap();
            if is_else(test) {
                acc = self.exprs(body, sp)?;
            } else if body.is_empty() {
                let t = self.gensym("cond");
                let tv = sym(&t, sp);
                acc = let1(&t, self.expr(test)?, iff(tv.clone(), tv, acc, sp), sp);
            } else if body[0].as_symbol() == Some("=>") {
                if body.len() != 2 {
                    return Err(bad(id, c, "expected `(test => receiver)`"));
                }
                let t = self.gensym("cond");
                let tv = sym(&t, sp);
                let call = list(vec![self.expr(&body[1])?, tv.clone()], sp);
                acc = let1(&t, self.expr(test)?, iff(tv, call, acc, sp), sp);
            } else {
                acc = iff(self.expr(test)?, self.exprs(body, sp)?, acc, sp);
            }
        }
        Ok(acc)
    }

    /// `(case key v1 e1 (v2 v3) e2 :else e)`; values are compared with `=`.
    #[inline(never)]
    pub(super) fn case(&mut self, d: &Datum, args: &[Datum]) -> Result<Datum, Diagnostic> {
        let Some((key, clauses)) = args.split_first() else {
            return Err(bad("expand-bad-case", d, "expected `(case key value expr ... :else expr)`"));
        };
        let sp = d.span;
        let key = self.expr(key)?;
        let (kv, temp) = if is_simple(&key) {
            (key.clone(), None)
        } else {
            let t = self.gensym("case");
            (sym(&t, sp), Some(t))
        };
        let mut acc = nil(sp);
        let mut pairs: Vec<&[Datum]> = clauses.chunks(2).collect();
        if clauses.len() % 2 == 1 {
            // A trailing single expression is the default (as in Clojure).
            acc = self.expr(&pairs.pop().unwrap()[0])?;
        }
        let lit = |v: &Datum| match &v.kind {
            DatumKind::Symbol(_) | DatumKind::List(_) | DatumKind::Bracket(_) | DatumKind::Dict(_) => {
                quote(v.clone(), v.span)
            }
            _ => v.clone(),
        };
        for pair in pairs.into_iter().rev() {
            let (vals, e) = (&pair[0], self.expr(&pair[1])?);
            if is_else(vals) {
                acc = e;
                continue;
            }
            let eq = |v: &Datum| builtin("=", vec![kv.clone(), lit(v)], v.span);
            let test = match vals.as_list() {
                Some([]) => boolean(false, vals.span),
                Some(vs) => {
                    let mut t = eq(vs.last().unwrap());
                    for v in vs[..vs.len() - 1].iter().rev() {
                        t = iff(eq(v), boolean(true, v.span), t, v.span);
                    }
                    t
                }
                None => eq(vals),
            };
            acc = iff(test, e, acc, vals.span);
        }
        Ok(match temp {
            Some(t) => let1(&t, key, acc, sp),
            None => acc,
        })
    }

    /// `let`/`let*` (sequential) and named let.
    #[inline(never)]
    pub(super) fn let_form(&mut self, d: &Datum, args: &[Datum]) -> Result<Datum, Diagnostic> {
        let sp = d.span;
        let usage = "expected `(let ((name value) ...) body...)`, `(let (name value ...) body...)` or `(let name ((var init) ...) body...)`";
        let Some(first) = args.first() else {
            return Err(bad("expand-bad-let", d, usage));
        };
        if let Some(name) = first.as_symbol() {
            let Some(b) = args.get(1) else {
                return Err(bad("expand-bad-let", d, usage));
            };
            let binds = parse_bindings(d, b, "let")?;
            let params = list(binds.iter().map(|(n, _)| (*n).clone()).collect(), b.span);
            let f = self.lambda(&params, &args[2..], d)?;
            let inits = binds.iter().map(|(_, i)| self.expr(i)).collect::<Result<Vec<_>, _>>()?;
            let fname = sym(name, first.span);
            if !inits.iter().any(|i| mentions(i, name)) {
                let mut call = vec![fname.clone()];
                call.extend(inits);
                return Ok(bindings("letrec", vec![(fname, f)], list(call, sp), sp));
            }
            // Evaluate the inits in the enclosing scope, before `name` is bound.
            let temps: Vec<Datum> = inits.iter().map(|i| sym(&self.gensym("init"), i.span)).collect();
            let mut call = vec![fname.clone()];
            call.extend(temps.iter().cloned());
            let inner = bindings("letrec", vec![(fname, f)], list(call, sp), sp);
            return Ok(bindings("let", temps.into_iter().zip(inits).collect(), inner, sp));
        }
        let binds = parse_bindings(d, first, "let")?;
        let body = self.body(&args[1..], sp)?;
        if binds.is_empty() {
            return Ok(body);
        }
        let mut out = Vec::new();
        for (n, i) in binds {
            out.push((n.clone(), self.expr(i)?));
        }
        Ok(bindings("let", out, body, sp))
    }

    /// `letrec`/`letrec*` in either binding shape.
    #[inline(never)]
    pub(super) fn letrec(&mut self, d: &Datum, args: &[Datum]) -> Result<Datum, Diagnostic> {
        let Some(first) = args.first() else {
            return Err(bad("expand-bad-letrec", d, "expected `(letrec ((name value) ...) body...)`"));
        };
        let binds = parse_bindings(d, first, "letrec")?;
        let mut out = Vec::new();
        for (n, i) in binds {
            out.push((n.clone(), self.expr(i)?));
        }
        let body = self.body(&args[1..], d.span)?;
        if out.is_empty() {
            return Ok(body);
        }
        Ok(bindings("letrec", out, body, d.span))
    }

    /// `(-> x (f a) g)` => `(g (f x a))`; `->>` inserts at the end.
    #[inline(never)]
    pub(super) fn thread(&mut self, d: &Datum, args: &[Datum], first: bool) -> Result<Datum, Diagnostic> {
        let Some((x, steps)) = args.split_first() else {
            return Err(bad("expand-bad-thread", d, "expected `(-> value step...)`"));
        };
        let mut acc = x.clone();
        for s in steps {
            acc = match &s.kind {
                DatumKind::List(items) if !items.is_empty() => {
                    let mut v = items.clone();
                    if first {
                        v.insert(1, acc);
                    } else {
                        v.push(acc);
                    }
                    list(v, s.span)
                }
                _ => list(vec![s.clone(), acc], s.span),
            };
        }
        self.expr(&acc)
    }

    /// `(guard (e clause...) body...)` => `(guard e body handler)`.
    /// The core shape `(guard var body handler)` is accepted as is (so expanding
    /// expanded code is the identity).
    #[inline(never)]
    pub(super) fn guard(&mut self, d: &Datum, args: &[Datum]) -> Result<Datum, Diagnostic> {
        if let [var, body, handler] = args {
            if var.as_symbol().is_some_and(|s| !s.starts_with('&')) {
                let (body, handler) = (self.expr(body)?, self.expr(handler)?);
                return Ok(list(vec![sym("guard", d.span), var.clone(), body, handler], d.span));
            }
        }
        let usage = "expected `(guard (var clause...) body...)`";
        let spec = args.first().and_then(|s| s.as_list()).ok_or_else(|| bad("expand-bad-guard", d, usage))?;
        let Some((var, clauses)) = spec.split_first() else {
            return Err(bad("expand-bad-guard", &args[0], usage));
        };
        if var.as_symbol().is_none_or(|s| s.starts_with('&')) {
            return Err(bad("expand-bad-guard", var, "expected a variable name for the raised value"));
        }
        let sp = d.span;
        let body = self.body(&args[1..], sp)?;
        let reraise = builtin("raise", vec![var.clone()], args[0].span);
        let handler = self.clauses(clauses, reraise, "guard")?;
        Ok(list(vec![sym("guard", sp), var.clone(), body, handler], sp))
    }
}
