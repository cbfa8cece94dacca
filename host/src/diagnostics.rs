//! Rendering of frontend [`Diagnostic`]s (plain data) into text at the edge,
//! with codespan-reporting. The first line always names `file:line:col`.

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor};
use frontend::{Diagnostic, SourceMap};

/// Renders `diag` as `error[ID]: message`, then `┌─ file:line:col` and an
/// annotated source snippet (codespan-reporting's layout). When the span's file
/// is unknown, a single `error[ID]: file:line:col: message` line is rendered.
/// `color` selects ANSI colours (off for tests and pipes).
pub fn render(map: &SourceMap, diag: &Diagnostic, color: bool) -> String {
    let mut files = SimpleFiles::new();
    // SourceMap ids are dense from 0; mirror them into codespan's file table.
    let mut ids = Vec::new();
    let mut i = 0u32;
    while let Some(f) = file_at(map, i) {
        ids.push(files.add(f.name.clone(), f.text.clone()));
        i += 1;
    }
    let location = map.describe(diag.span);
    let fallback = format!("error[{}]: {}: {}\n", diag.id, location, diag.message);
    if let Some(&fid) = ids.get(diag.span.file.0 as usize) {
        let mut labels = vec![Label::primary(fid, diag.span.lo as usize..diag.span.hi.max(diag.span.lo) as usize)];
        for l in &diag.labels {
            if let Some(&lf) = ids.get(l.span.file.0 as usize) {
                labels.push(Label::secondary(lf, l.span.lo as usize..l.span.hi as usize).with_message(l.message.clone()));
            }
        }
        let cs = CsDiagnostic::error()
            .with_code(diag.id)
            .with_message(diag.message.clone())
            .with_labels(labels)
            .with_notes(diag.notes.clone());
        let mut buf = if color { termcolor::Buffer::ansi() } else { termcolor::Buffer::no_color() };
        let config = term::Config::default();
        if term::emit(&mut buf, &config, &files, &cs).is_ok() {
            return String::from_utf8_lossy(buf.as_slice()).into_owned();
        }
    }
    fallback
}

fn file_at(map: &SourceMap, i: u32) -> Option<&frontend::span::SourceFile> {
    map.get(frontend::FileId(i))
}
