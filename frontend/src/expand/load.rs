//! `(load "path.sx")`: a program made of several files.
//!
//! Loading happens while the program is expanded, so every later stage (IR,
//! bytecode, `sxc inspect`, a future `sxc build`) sees one program whose
//! spans name the file each form came from. The rules:
//!
//! - `load` is a top-level form (also inside a top-level `begin`, or as the
//!   expansion of a macro call at top level); its one argument is a string
//!   literal. The path is relative to the directory of the file containing
//!   the `load` (an absolute path is taken as is).
//! - The loaded file's forms are read and expanded in place of the `load`, as
//!   if written there: its definitions are globals of the program, and macros
//!   it defines are visible after the `load` (and macros defined before the
//!   `load` are visible inside the file).
//! - A file is loaded once per program: a second `load` of the same file
//!   (compared by canonical path, so `lib/a.sx` and `lib/../lib/a.sx` are the
//!   same file) expands to nothing.
//! - A `load` of a file that is still being loaded (a cycle) is an error that
//!   names the chain.
//!
//! Error ids (the span is the `load` form): `expand-bad-load` (not one string
//! literal), `load-not-found` (no such file), `load-unreadable` (a directory,
//! not UTF-8, no permission), `load-cycle`, `expand-load-unsupported` (forms
//! expanded without a file, see [`super::expand_program`]). An error inside
//! a loaded file keeps its own span and gets a note naming where the file
//! was loaded from.

use super::{bad, Expander};
use crate::datum::{Datum, DatumKind};
use crate::diag::Diagnostic;
use crate::span::{FileId, SourceMap};
use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

/// What the expander of one program knows about its files.
pub(crate) struct Loads<'m> {
    map: &'m mut SourceMap,
    /// Canonical paths of the files loaded so far (the main file included).
    loaded: HashSet<PathBuf>,
    /// The files being loaded, outermost (the main file) first.
    stack: Vec<FileId>,
}

impl<'m> Loads<'m> {
    /// The state for a program whose main file is `main`.
    pub(crate) fn new(map: &'m mut SourceMap, main: FileId) -> Loads<'m> {
        let loaded = map.file(main).path.iter().cloned().collect();
        Loads { map, loaded, stack: vec![main] }
    }
}

impl Expander<'_> {
    /// Expands the top-level form `(load "path")` into `out`.
    pub(super) fn load(&mut self, d: &Datum, out: &mut Vec<Datum>) -> Result<(), Diagnostic> {
        let items = d.as_list().unwrap();
        let rel = match items {
            [_, arg] => match &arg.kind {
                DatumKind::Str(s) => s.clone(),
                _ => return Err(bad("expand-bad-load", arg, "expected `(load \"path.sx\")`: the path is a string literal")),
            },
            _ => return Err(bad("expand-bad-load", d, "expected `(load \"path.sx\")`")),
        };
        let Some(loads) = self.loads.as_mut() else {
            return Err(bad("expand-load-unsupported", d, "`load` is not available here: these forms come from no file"));
        };
        let from = loads.map.file(d.span.file);
        let name = display_name(&from.name, &rel);
        let dir = match &from.path {
            Some(p) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
            None => Path::new(&from.name).parent().map(Path::to_path_buf).unwrap_or_default(),
        };
        let target = dir.join(&rel);
        let canonical = std::fs::canonicalize(&target).map_err(|e| {
            let why = if e.kind() == std::io::ErrorKind::NotFound { "no such file".to_string() } else { e.to_string() };
            bad("load-not-found", d, format!("cannot load \"{rel}\": {name}: {why}"))
        })?;
        if let Some(at) = loads.stack.iter().position(|&f| loads.map.file(f).path.as_ref() == Some(&canonical)) {
            let mut chain: Vec<&str> = loads.stack[at..].iter().map(|&f| loads.map.file(f).name.as_str()).collect();
            chain.push(&name);
            return Err(bad("load-cycle", d, format!("load cycle: {}", chain.join(" -> "))));
        }
        if !loads.loaded.insert(canonical.clone()) {
            return Ok(());
        }
        let text = std::fs::read_to_string(&canonical)
            .map_err(|e| bad("load-unreadable", d, format!("cannot load \"{rel}\": {name}: {e}")))?;
        let file = loads.map.add_file(name.clone(), Some(canonical), text);
        let at = loads.map.describe(d.span);
        let note = |mut e: Diagnostic| {
            e.notes.push(format!("in {name}, loaded at {at}"));
            e
        };
        let forms = crate::reader::read(loads.map, file).map_err(note)?;
        loads.stack.push(file);
        let mut result = Ok(());
        for f in &forms {
            result = self.toplevel(f, out);
            if result.is_err() {
                break;
            }
        }
        if let Some(loads) = self.loads.as_mut() {
            loads.stack.pop();
        }
        result.map_err(note)
    }
}

/// The name under which a file loaded as `rel` from the file named `from` is
/// shown: `from`'s directory joined with `rel`, with `.` and `dir/..` removed
/// (`examples/blog/app.sx` + `lib/../lib/posts.sx` → `examples/blog/lib/posts.sx`).
fn display_name(from: &str, rel: &str) -> String {
    let joined = Path::new(from).parent().unwrap_or(Path::new("")).join(rel);
    let mut parts: Vec<Component> = Vec::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(parts.last(), Some(Component::Normal(_))) => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts.iter().collect::<PathBuf>().display().to_string()
}

#[cfg(test)]
mod tests {
    use super::display_name;

    #[test]
    fn display_names_are_joined_and_normalised() {
        assert_eq!(display_name("examples/blog/app.sx", "lib/posts.sx"), "examples/blog/lib/posts.sx");
        assert_eq!(display_name("examples/blog/lib/a.sx", "../static.sx"), "examples/blog/static.sx");
        assert_eq!(display_name("app.sx", "./lib/../lib/x.sx"), "lib/x.sx");
        assert_eq!(display_name("a.sx", "../up.sx"), "../up.sx");
        assert_eq!(display_name("/srv/app/app.sx", "/etc/x.sx"), "/etc/x.sx");
        assert_eq!(display_name("<prelude>", "x.sx"), "x.sx");
    }
}
