//! Source positions: byte spans into files held by a [`SourceMap`].

use std::path::{Path, PathBuf};

/// Index of a file in a [`SourceMap`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A half-open byte range `lo..hi` in one source file.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub lo: u32,
    pub hi: u32,
}

impl Span {
    pub fn new(file: FileId, lo: u32, hi: u32) -> Span {
        Span { file, lo, hi }
    }
    /// The smallest span covering both (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span { file: self.file, lo: self.lo.min(other.lo), hi: self.hi.max(other.hi) }
    }
}

/// One loaded source file with its line table.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The name diagnostics and backtraces show (`examples/blog/lib/posts.sx`,
    /// or a label such as `<prelude>` for text that is not a file).
    pub name: String,
    /// The file's canonical path when it was read from disk (`None` for text
    /// that is not a file). `(load ...)` resolves relative to its directory
    /// and uses it to load a file once per program (see `expand::load`).
    pub path: Option<PathBuf>,
    pub text: String,
    line_starts: Vec<u32>,
}

/// 1-based line and column (column counts characters, not bytes).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// All source files of a compilation; spans index into it.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a text that is not a file on disk (no path) and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.add_file(name, None, text)
    }

    /// Adds a file, with its canonical path when it was read from disk, and
    /// returns its id.
    pub fn add_file(&mut self, name: impl Into<String>, path: Option<PathBuf>, text: impl Into<String>) -> FileId {
        let text = text.into();
        let mut line_starts = vec![0u32];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i as u32 + 1);
            }
        }
        self.files.push(SourceFile { name: name.into(), path, text, line_starts });
        FileId(self.files.len() as u32 - 1)
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// Number of files in the map (ids are dense from 0).
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True when no file has been added.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The canonical paths of the files read from disk, in the order they were
    /// added. For the source map of a compiled program (an isolate's, or the
    /// one `frontend::compile_to_ast` filled) these are the program's source
    /// files: the main file first, then every file it loaded, in load order,
    /// each once. This is the list a watcher or a bundler needs.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().filter_map(|f| f.path.as_deref())
    }

    /// The file with this id, if any.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// Line and column (both 1-based) of a byte offset.
    pub fn line_col(&self, file: FileId, offset: u32) -> LineCol {
        let f = self.file(file);
        let line = match f.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = f.line_starts[line] as usize;
        let end = (offset as usize).min(f.text.len());
        let col = f.text.get(start..end).map(|s| s.chars().count()).unwrap_or(end - start) + 1;
        LineCol { line: line as u32 + 1, col: col as u32 }
    }

    /// `file:line:col` of a span's start.
    pub fn describe(&self, span: Span) -> String {
        if (span.file.0 as usize) >= self.files.len() {
            return "<unknown>".to_string();
        }
        let lc = self.line_col(span.file, span.lo);
        format!("{}:{}:{}", self.file(span.file).name, lc.line, lc.col)
    }
}
