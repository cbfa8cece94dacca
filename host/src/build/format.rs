//! The bundle container: a fixed header (magic, format version, payload
//! length, SHA-256 of the payload) followed by the payload, a sequence of
//! tagged, length-prefixed sections. Reading checks, in this order, that the
//! file is a bundle at all, that its format version is this sxc's, that it
//! is complete, and that its checksum matches: each failure is its own
//! [`BundleError`], so a refused bundle says what is wrong with it.
//!
//! All integers are little-endian; strings are UTF-8 with a `u32` length;
//! byte blobs have a `u64` length. The header layout never changes between
//! format versions, so an old or new sxc can always say which version a
//! bundle is.

use sha2::{Digest, Sha256};
use std::path::Path;

/// The first eight bytes of every bundle.
pub const MAGIC: &[u8; 8] = b"SXBUNDLE";

/// The payload format this sxc writes and reads.
/// Version 2: the prelude's IR and object code are in the bundle.
pub const FORMAT_VERSION: u32 = 2;

/// Header size: magic, version (u32), payload length (u64), SHA-256.
pub const HEADER_LEN: usize = 8 + 4 + 8 + 32;

/// Why a bundle is refused.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("cannot read {path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{path} is not an sxc bundle (it does not start with `SXBUNDLE`)")]
    NotABundle { path: String },
    #[error("{path} is bundle format version {found}; this sxc reads version {FORMAT_VERSION} (rebuild it with this sxc's `sxc build`)")]
    Version { path: String, found: u32 },
    #[error("{path} is truncated: {found} bytes, the header says {expected}")]
    Truncated { path: String, found: u64, expected: u64 },
    #[error("{path} has {extra} bytes after its payload")]
    Trailing { path: String, extra: u64 },
    #[error("{path} is corrupt: its checksum does not match its contents (stored sha256 {stored}, computed {computed})")]
    Checksum { path: String, stored: String, computed: String },
    #[error("{path} is malformed: {what}")]
    Malformed { path: String, what: String },
    #[error("{path} was built for {built}; this machine is {here}")]
    Target { path: String, built: String, here: String },
}

/// A section tag.
pub type Tag = [u8; 4];

/// Writes a payload: sections in the order they are added.
#[derive(Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.buf.extend_from_slice(s.as_bytes());
    }
    pub fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.buf.extend_from_slice(b);
    }
    /// Appends section `tag` whose body `body` writes.
    pub fn section(&mut self, tag: &Tag, body: impl FnOnce(&mut Writer)) {
        let mut inner = Writer::default();
        body(&mut inner);
        self.buf.extend_from_slice(tag);
        self.bytes(&inner.buf);
    }
    /// The whole file: header and payload.
    pub fn finish(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.buf.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(self.buf.len() as u64).to_le_bytes());
        out.extend_from_slice(&Sha256::digest(&self.buf));
        out.extend_from_slice(&self.buf);
        out
    }
}

/// Checks the header and checksum of `file` (read from `path`) and returns
/// its payload.
pub fn verify<'a>(path: &Path, file: &'a [u8]) -> Result<&'a [u8], BundleError> {
    let path = path.display().to_string();
    if file.len() < MAGIC.len() || &file[..MAGIC.len()] != MAGIC {
        return Err(BundleError::NotABundle { path });
    }
    if file.len() < 12 {
        return Err(BundleError::Truncated { path, found: file.len() as u64, expected: HEADER_LEN as u64 });
    }
    let version = u32::from_le_bytes(file[8..12].try_into().expect("4 bytes"));
    if version != FORMAT_VERSION {
        return Err(BundleError::Version { path, found: version });
    }
    if file.len() < HEADER_LEN {
        return Err(BundleError::Truncated { path, found: file.len() as u64, expected: HEADER_LEN as u64 });
    }
    let len = u64::from_le_bytes(file[12..20].try_into().expect("8 bytes"));
    let expected = (HEADER_LEN as u64).saturating_add(len);
    let found = file.len() as u64;
    if found < expected {
        return Err(BundleError::Truncated { path, found, expected });
    }
    if found > expected {
        return Err(BundleError::Trailing { path, extra: found - expected });
    }
    let payload = &file[HEADER_LEN..];
    let stored = &file[20..HEADER_LEN];
    let computed = Sha256::digest(payload);
    if stored != computed.as_slice() {
        return Err(BundleError::Checksum { path, stored: hex::encode(stored), computed: hex::encode(computed) });
    }
    Ok(payload)
}

/// Reads a verified payload (bounds-checked: a malformed payload is an
/// error naming what could not be read, never a panic).
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// For errors.
    path: String,
}

impl<'a> Reader<'a> {
    pub fn new(path: &Path, buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0, path: path.display().to_string() }
    }
    /// A malformed-payload error about `what`.
    pub fn error(&self, what: impl Into<String>) -> BundleError {
        BundleError::Malformed { path: self.path.clone(), what: what.into() }
    }
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], BundleError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len()).ok_or_else(|| self.error(format!("{what} runs past the end")))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    pub fn u32(&mut self, what: &str) -> Result<u32, BundleError> {
        Ok(u32::from_le_bytes(self.take(4, what)?.try_into().expect("4 bytes")))
    }
    pub fn u64(&mut self, what: &str) -> Result<u64, BundleError> {
        Ok(u64::from_le_bytes(self.take(8, what)?.try_into().expect("8 bytes")))
    }
    pub fn str(&mut self, what: &str) -> Result<String, BundleError> {
        let n = self.u32(what)? as usize;
        let b = self.take(n, what)?;
        String::from_utf8(b.to_vec()).map_err(|_| self.error(format!("{what} is not UTF-8")))
    }
    pub fn bytes(&mut self, what: &str) -> Result<&'a [u8], BundleError> {
        let n = usize::try_from(self.u64(what)?).map_err(|_| self.error(format!("{what} is too long")))?;
        self.take(n, what)
    }
    /// The next section, which must be `tag`: a reader over its body.
    pub fn section(&mut self, tag: &Tag) -> Result<Reader<'a>, BundleError> {
        let name = String::from_utf8_lossy(tag).into_owned();
        let t = self.take(4, &format!("section {name}"))?;
        if t != tag {
            return Err(self.error(format!("expected section {name}, found {}", String::from_utf8_lossy(t))));
        }
        let body = self.bytes(&format!("section {name}"))?;
        Ok(Reader { buf: body, pos: 0, path: self.path.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut w = Writer::default();
        w.section(b"TEST", |w| {
            w.str("hello");
            w.u64(7);
        });
        w.finish()
    }

    #[test]
    fn round_trips() {
        let file = sample();
        let payload = verify(Path::new("t.sxb"), &file).unwrap();
        let mut r = Reader::new(Path::new("t.sxb"), payload);
        let mut s = r.section(b"TEST").unwrap();
        assert_eq!(s.str("s").unwrap(), "hello");
        assert_eq!(s.u64("n").unwrap(), 7);
        assert!(matches!(s.u32("past"), Err(BundleError::Malformed { .. })));
    }

    #[test]
    fn each_damage_has_its_own_error() {
        let p = Path::new("t.sxb");
        let file = sample();
        assert!(matches!(verify(p, b"#!/bin/sh"), Err(BundleError::NotABundle { .. })));
        let mut v = file.clone();
        v[8] = 9;
        assert!(matches!(verify(p, &v), Err(BundleError::Version { found: 9, .. })));
        assert!(matches!(verify(p, &file[..file.len() - 1]), Err(BundleError::Truncated { .. })));
        assert!(matches!(verify(p, &file[..30]), Err(BundleError::Truncated { .. })));
        let mut v = file.clone();
        v.push(0);
        assert!(matches!(verify(p, &v), Err(BundleError::Trailing { extra: 1, .. })));
        let mut v = file.clone();
        let last = v.len() - 1;
        v[last] ^= 1;
        assert!(matches!(verify(p, &v), Err(BundleError::Checksum { .. })));
    }
}
