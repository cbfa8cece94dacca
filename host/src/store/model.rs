//! [`MemoryModel`]: the reference semantics of the storage ops, in memory.
//!
//! It parses requests with the same code as [`super::Store`] and keeps its
//! state in `BTreeMap`s; the property test in `store::tests` runs random op
//! sequences against both and requires identical results. It is also usable
//! as a non-durable resolver in tests of other crates' code.

use std::collections::BTreeMap;

use vm::data::Data;

use super::ops::{
    blob_ref, blocking_sleep, cid_hash, conflict, event, now_ms, parse, sx_equal, OpError, Request,
    WriteOp,
};

/// One stream: the high-water mark and the rows still stored.
#[derive(Debug, Clone, Default)]
struct Stream {
    last_seq: u64,
    rows: BTreeMap<u64, Data>,
}

/// An in-memory implementation of every host IO op (not durable).
#[derive(Debug, Clone, Default)]
pub struct MemoryModel {
    kv: BTreeMap<String, Data>,
    streams: BTreeMap<String, Stream>,
    /// hash → (mime, content)
    blobs: BTreeMap<String, (String, String)>,
}

impl MemoryModel {
    /// An empty model.
    pub fn new() -> MemoryModel {
        MemoryModel::default()
    }

    /// Resolves one request with the same semantics as
    /// [`super::Store::resolve`].
    pub fn resolve(&mut self, op: &str, args: Vec<Data>) -> Result<Data, OpError> {
        Ok(match parse(op, args)? {
            Request::KvGet { key, default } => self.kv.get(&key).cloned().unwrap_or(default),
            Request::KvHas { key } => Data::Bool(self.kv.contains_key(&key)),
            Request::KvKeys { prefix } => {
                let prefix = prefix.unwrap_or_default();
                Data::List(
                    self.kv
                        .keys()
                        .filter(|k| k.starts_with(&prefix))
                        .map(|k| Data::Str(k.clone()))
                        .collect(),
                )
            }
            Request::Read {
                stream,
                from,
                limit,
            } => {
                let Some(s) = self.streams.get(&stream) else {
                    return Ok(Data::List(vec![]));
                };
                let limit = limit.unwrap_or(u64::MAX).min(usize::MAX as u64) as usize;
                Data::List(
                    s.rows
                        .range(from..)
                        .take(limit)
                        .map(|(_, e)| e.clone())
                        .collect(),
                )
            }
            Request::Count { stream } => {
                Data::Int(self.streams.get(&stream).map_or(0, |s| s.rows.len()) as i64)
            }
            Request::LastSeq { stream } => {
                Data::Int(self.streams.get(&stream).map_or(0, |s| s.last_seq) as i64)
            }
            Request::Streams => {
                Data::List(self.streams.keys().map(|k| Data::Str(k.clone())).collect())
            }
            Request::BlobGet { cid } => cid_hash(&cid)
                .and_then(|h| self.blobs.get(h))
                .map_or(Data::Nil, |(_, c)| Data::Str(c.clone())),
            Request::BlobHas { cid } => {
                Data::Bool(cid_hash(&cid).is_some_and(|h| self.blobs.contains_key(h)))
            }
            Request::TimeNow => Data::Int(now_ms()),
            Request::Sleep { ms } => blocking_sleep(ms),
            Request::Write(w) => self.write(w),
        })
    }

    fn write(&mut self, w: WriteOp) -> Data {
        match w {
            WriteOp::KvPut { key, value, .. } => {
                self.kv.insert(key, value.clone());
                value
            }
            WriteOp::KvDelete { key } => Data::Bool(self.kv.remove(&key).is_some()),
            WriteOp::KvCas {
                key, expected, new, ..
            } => {
                let actual = self.kv.get(&key).cloned().unwrap_or(Data::Nil);
                if sx_equal(&actual, &expected) {
                    self.kv.insert(key, new.clone());
                    new
                } else {
                    conflict(expected, actual)
                }
            }
            WriteOp::Append {
                stream,
                expected,
                typ,
                data,
            } => {
                let last = self.streams.get(&stream).map_or(0, |s| s.last_seq);
                if let Some(e) = expected {
                    if !sx_equal(&e, &Data::Int(last as i64)) {
                        return conflict(e, Data::Int(last as i64));
                    }
                }
                let seq = last + 1;
                let ev = event(&stream, seq, typ, now_ms(), data);
                let s = self.streams.entry(stream).or_default();
                s.last_seq = seq;
                s.rows.insert(seq, ev.clone());
                ev
            }
            WriteOp::Truncate { stream, through } => {
                let Some(s) = self.streams.get_mut(&stream) else {
                    return Data::Int(0);
                };
                // `through` comes from a non-negative i64, so `+ 1` cannot overflow.
                let keep = s.rows.split_off(&(through + 1));
                let removed = s.rows.len();
                s.rows = keep;
                Data::Int(removed as i64)
            }
            WriteOp::BlobPut {
                hash,
                content,
                mime,
            } => {
                let r = blob_ref(&hash, content.len(), &mime);
                self.blobs.entry(hash).or_insert((mime, content));
                r
            }
            #[cfg(test)]
            WriteOp::TestStall(_) | WriteOp::TestFail => Data::Nil,
        }
    }
}
