//! Diagnostics as plain data (rendered only at the edge, in `host`).

use crate::span::Span;

/// A labelled span inside a diagnostic.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// A compile-time error: a stable kebab-case `id` (e.g. `read-unterminated-string`,
/// `expand-bad-let`), a one-line message, a primary span, extra labels and notes.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub id: &'static str,
    pub message: String,
    pub span: Span,
    pub labels: Vec<Label>,
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn new(id: &'static str, span: Span, message: impl Into<String>) -> Self {
        Diagnostic { id, message: message.into(), span, labels: Vec::new(), notes: Vec::new() }
    }
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label { span, message: message.into() });
        self
    }
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
}
