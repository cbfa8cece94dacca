//! The IO op resolver: argument parsing shared by [`Store`] and
//! [`super::model::MemoryModel`], SX `=` on [`Data`], result builders, and the
//! redb implementation of every op in LANGUAGE.md's host op table.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redb::{ReadableTable, Table};
use sha2::{Digest, Sha256};
use vm::data::Data;

use super::encoding::{self, MAX_DEPTH};
use super::{read_txn, Store, BLOBS, EVENTS, KV, STREAMS};

/// Why an IO op failed; the VM raises its `Display` text in the fiber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpError {
    /// No such op: renders `unknown io op "NAME"`.
    UnknownOp(String),
    /// Wrong arguments: renders `OP: MESSAGE`, the message naming the argument.
    BadArgs { op: String, msg: String },
    /// The database failed (redb's error text); renders `storage error: TEXT`.
    Storage(String),
}

impl fmt::Display for OpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpError::UnknownOp(name) => write!(f, "unknown io op \"{name}\""),
            OpError::BadArgs { op, msg } => write!(f, "{op}: {msg}"),
            OpError::Storage(text) => write!(f, "storage error: {text}"),
        }
    }
}

impl std::error::Error for OpError {}

/// Every op name the resolver knows, in LANGUAGE.md's table order.
pub const OPS: &[&str] = &[
    "kv/get",
    "kv/put",
    "kv/delete",
    "kv/has?",
    "kv/keys",
    "kv/cas",
    "persist/append",
    "persist/append-expect",
    "persist/read",
    "persist/count",
    "persist/last-seq",
    "persist/truncate-through",
    "persist/streams",
    "blob/put",
    "blob/get",
    "blob/has?",
    "time/now",
    "sleep",
];

/// A parsed request. Reads and the clock are served on the caller's thread,
/// [`WriteOp`]s by the writer thread.
#[derive(Debug, Clone)]
pub(crate) enum Request {
    KvGet {
        key: String,
        default: Data,
    },
    KvHas {
        key: String,
    },
    KvKeys {
        prefix: Option<String>,
    },
    Read {
        stream: String,
        from: u64,
        limit: Option<u64>,
    },
    Count {
        stream: String,
    },
    LastSeq {
        stream: String,
    },
    Streams,
    BlobGet {
        cid: String,
    },
    BlobHas {
        cid: String,
    },
    TimeNow,
    Sleep {
        ms: u64,
    },
    Write(WriteOp),
}

/// A write, applied by the writer thread inside a group commit.
#[derive(Debug, Clone)]
pub(crate) enum WriteOp {
    /// `bytes` is the encoding of `value`, made on the caller's thread.
    KvPut {
        key: String,
        value: Data,
        bytes: Vec<u8>,
    },
    KvDelete {
        key: String,
    },
    KvCas {
        key: String,
        expected: Data,
        new: Data,
        bytes: Vec<u8>,
    },
    /// `expected` is `Some` for `persist/append-expect`: the argument as
    /// given (an integer, or an integral float), compared with SX `=`.
    Append {
        stream: String,
        expected: Option<Data>,
        typ: Data,
        data: Data,
    },
    Truncate {
        stream: String,
        through: u64,
    },
    /// `hash` is the lower-case sha256 hex of `content`.
    BlobPut {
        hash: String,
        content: String,
        mime: String,
    },
    /// Test only: sleeps in the writer thread (to force later jobs into one batch).
    #[cfg(test)]
    TestStall(u64),
    /// Test only: fails, which must fail the whole batch.
    #[cfg(test)]
    TestFail,
}

fn type_name(d: &Data) -> &'static str {
    match d {
        Data::Nil => "nil",
        Data::Bool(_) => "boolean",
        Data::Int(_) => "integer",
        Data::Float(_) => "float",
        Data::Str(_) => "string",
        Data::Symbol(_) => "symbol",
        Data::Keyword(_) => "keyword",
        Data::List(_) => "list",
        Data::Dict(_) => "dict",
        Data::Pid(_) => "pid",
    }
}

/// Positional argument access with op-named errors.
struct Args<'a> {
    op: &'a str,
    args: std::vec::IntoIter<Data>,
}

impl Args<'_> {
    fn bad(&self, msg: String) -> OpError {
        OpError::BadArgs {
            op: self.op.to_string(),
            msg,
        }
    }

    /// The next argument, or nil if absent (for optional arguments).
    fn opt(&mut self) -> Data {
        self.args.next().unwrap_or(Data::Nil)
    }

    fn required(&mut self, pos: usize, name: &str) -> Result<Data, OpError> {
        self.args
            .next()
            .ok_or_else(|| self.bad(format!("missing argument {pos} ({name})")))
    }

    fn name(&mut self, pos: usize, name: &str) -> Result<String, OpError> {
        let d = self.required(pos, name)?;
        self.as_name(d, pos, name)
    }

    fn as_name(&self, d: Data, pos: usize, name: &str) -> Result<String, OpError> {
        match d {
            Data::Str(s) | Data::Keyword(s) | Data::Symbol(s) => Ok(s),
            other => Err(self.bad(format!(
                "argument {pos} ({name}) must be a string, got {}",
                type_name(&other)
            ))),
        }
    }

    fn string(&mut self, pos: usize, name: &str) -> Result<String, OpError> {
        match self.required(pos, name)? {
            Data::Str(s) => Ok(s),
            other => Err(self.bad(format!(
                "argument {pos} ({name}) must be a string, got {}",
                type_name(&other)
            ))),
        }
    }

    /// An integer (an integral float is accepted too).
    fn int(&self, d: Data, pos: usize, name: &str) -> Result<i64, OpError> {
        match d {
            Data::Int(i) => Ok(i),
            Data::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.2e18 => Ok(f as i64),
            other => Err(self.bad(format!(
                "argument {pos} ({name}) must be an integer, got {}",
                type_name(&other)
            ))),
        }
    }

    /// A value to store: nesting is bounded so it can always be read back.
    fn storable(&mut self, pos: usize, name: &str, max_depth: usize) -> Result<Data, OpError> {
        let d = self.required(pos, name)?;
        if encoding::depth_exceeds(&d, max_depth) {
            return Err(self.bad(format!(
                "argument {pos} ({name}) is nested more than {max_depth} levels deep"
            )));
        }
        Ok(d)
    }

    fn done(mut self, max: usize) -> Result<(), OpError> {
        if self.args.next().is_some() {
            let got = max + 1 + self.args.len();
            return Err(self.bad(format!("expected at most {max} arguments, got {got}")));
        }
        Ok(())
    }
}

/// Parses `op` and its arguments. Shared by the store and the model so both
/// accept and reject exactly the same requests.
pub(crate) fn parse(op: &str, args: Vec<Data>) -> Result<Request, OpError> {
    let mut a = Args {
        op,
        args: args.into_iter(),
    };
    let req = match op {
        "kv/get" => {
            let key = a.name(1, "key")?;
            let default = a.opt();
            a.done(2)?;
            return Ok(Request::KvGet { key, default });
        }
        "kv/put" => {
            let key = a.name(1, "key")?;
            let value = a.storable(2, "value", MAX_DEPTH)?;
            let bytes = encoding::encode(&value);
            Request::Write(WriteOp::KvPut { key, value, bytes })
        }
        "kv/delete" => Request::Write(WriteOp::KvDelete {
            key: a.name(1, "key")?,
        }),
        "kv/has?" => Request::KvHas {
            key: a.name(1, "key")?,
        },
        "kv/keys" => {
            let prefix = match a.opt() {
                Data::Nil => None,
                d => Some(a.as_name(d, 1, "prefix")?),
            };
            Request::KvKeys { prefix }
        }
        "kv/cas" => {
            let key = a.name(1, "key")?;
            let expected = a.required(2, "expected")?;
            let new = a.storable(3, "new", MAX_DEPTH)?;
            let bytes = encoding::encode(&new);
            Request::Write(WriteOp::KvCas {
                key,
                expected,
                new,
                bytes,
            })
        }
        "persist/append" | "persist/append-expect" => {
            let stream = a.name(1, "stream")?;
            let expected = if op == "persist/append-expect" {
                let d = a.required(2, "expected-seq")?;
                a.int(d.clone(), 2, "expected-seq")?;
                Some(d)
            } else {
                None
            };
            let base = if expected.is_some() { 3 } else { 2 };
            // The event dict adds one level of nesting around type and data.
            let typ = a.storable(base, "type", MAX_DEPTH - 1)?;
            let data = a.storable(base + 1, "data", MAX_DEPTH - 1)?;
            a.done(base + 1)?;
            return Ok(Request::Write(WriteOp::Append {
                stream,
                expected,
                typ,
                data,
            }));
        }
        "persist/read" => {
            let stream = a.name(1, "stream")?;
            let from = match a.opt() {
                Data::Nil => 0,
                d => a.int(d, 2, "from-seq")?.max(0) as u64,
            };
            let limit = match a.opt() {
                Data::Nil => None,
                d => {
                    let n = a.int(d, 3, "limit")?;
                    if n < 0 {
                        return Err(a.bad(format!("argument 3 (limit) must be >= 0, got {n}")));
                    }
                    Some(n as u64)
                }
            };
            Request::Read {
                stream,
                from,
                limit,
            }
        }
        "persist/count" => Request::Count {
            stream: a.name(1, "stream")?,
        },
        "persist/last-seq" => Request::LastSeq {
            stream: a.name(1, "stream")?,
        },
        "persist/truncate-through" => {
            let stream = a.name(1, "stream")?;
            let d = a.required(2, "seq")?;
            let through = a.int(d, 2, "seq")?.max(0) as u64;
            Request::Write(WriteOp::Truncate { stream, through })
        }
        "persist/streams" => Request::Streams,
        "blob/put" => {
            let content = a.string(1, "content")?;
            let mime = a.name(2, "mime")?;
            let hash = hex::encode(Sha256::digest(content.as_bytes()));
            Request::Write(WriteOp::BlobPut {
                hash,
                content,
                mime,
            })
        }
        "blob/get" => Request::BlobGet {
            cid: a.name(1, "cid")?,
        },
        "blob/has?" => Request::BlobHas {
            cid: a.name(1, "cid")?,
        },
        "time/now" => Request::TimeNow,
        "sleep" => {
            let d = a.required(1, "ms")?;
            let ms = a.int(d, 1, "ms")?;
            if ms < 0 {
                return Err(a.bad(format!("argument 1 (ms) must be >= 0, got {ms}")));
            }
            Request::Sleep { ms: ms as u64 }
        }
        _ => return Err(OpError::UnknownOp(op.to_string())),
    };
    let max = match &req {
        Request::Streams | Request::TimeNow => 0,
        Request::KvKeys { .. } | Request::Sleep { .. } | Request::KvHas { .. } => 1,
        Request::Count { .. } | Request::LastSeq { .. } => 1,
        Request::BlobGet { .. } | Request::BlobHas { .. } => 1,
        Request::Write(WriteOp::KvDelete { .. }) => 1,
        Request::Write(WriteOp::KvCas { .. }) | Request::Read { .. } => 3,
        _ => 2,
    };
    a.done(max)?;
    Ok(req)
}

/// SX `=` on data: numbers compare by value across integer/float (exactly,
/// NaN unequal to everything), strings/symbols/keywords by kind and text,
/// lists elementwise, dicts as maps ignoring entry order.
pub fn sx_equal(a: &Data, b: &Data) -> bool {
    // Iterative, so deeply nested values cannot overflow the stack.
    let mut todo = vec![(a, b)];
    while let Some((a, b)) = todo.pop() {
        match (a, b) {
            (Data::Int(x), Data::Int(y)) if x != y => return false,
            (Data::Float(x), Data::Float(y)) if x != y => return false,
            (Data::Int(i), Data::Float(f)) | (Data::Float(f), Data::Int(i))
                if !int_eq_float(*i, *f) =>
            {
                return false
            }
            (Data::Int(_) | Data::Float(_), Data::Int(_) | Data::Float(_)) => {}
            (Data::List(xs), Data::List(ys)) => {
                if xs.len() != ys.len() {
                    return false;
                }
                todo.extend(xs.iter().zip(ys));
            }
            (Data::Dict(xs), Data::Dict(ys)) => {
                if xs.len() != ys.len() {
                    return false;
                }
                for (k, x) in xs {
                    match ys.iter().find(|(k2, _)| k2 == k) {
                        Some((_, y)) => todo.push((x, y)),
                        None => return false,
                    }
                }
            }
            (Data::List(_) | Data::Dict(_), _) | (_, Data::List(_) | Data::Dict(_)) => {
                return false
            }
            _ if a != b => return false,
            _ => {}
        }
    }
    true
}

fn int_eq_float(i: i64, f: f64) -> bool {
    // -2^63 is exact as f64; 2^63 is not an i64.
    f.is_finite()
        && f.fract() == 0.0
        && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f)
        && f as i64 == i
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The event dict `{stream seq type at data}`.
pub(crate) fn event(stream: &str, seq: u64, typ: Data, at: i64, data: Data) -> Data {
    Data::Dict(vec![
        ("stream".into(), Data::Str(stream.to_string())),
        ("seq".into(), Data::Int(seq as i64)),
        ("type".into(), typ),
        ("at".into(), Data::Int(at)),
        ("data".into(), data),
    ])
}

/// The conflict dict `{conflict true expected e actual a}`.
pub(crate) fn conflict(expected: Data, actual: Data) -> Data {
    Data::Dict(vec![
        ("conflict".into(), Data::Bool(true)),
        ("expected".into(), expected),
        ("actual".into(), actual),
    ])
}

/// The blob ref `{cid "sha256:<hex>" size n mime m}`.
pub(crate) fn blob_ref(hash: &str, size: usize, mime: &str) -> Data {
    Data::Dict(vec![
        ("cid".into(), Data::Str(format!("sha256:{hash}"))),
        ("size".into(), Data::Int(size as i64)),
        ("mime".into(), Data::Str(mime.to_string())),
    ])
}

/// The hex part of a `sha256:<hex>` cid, if it has that form.
pub(crate) fn cid_hash(cid: &str) -> Option<&str> {
    cid.strip_prefix("sha256:")
}

pub(crate) fn blocking_sleep(ms: u64) -> Data {
    std::thread::sleep(Duration::from_millis(ms));
    Data::Nil
}

fn storage(e: impl fmt::Display) -> OpError {
    OpError::Storage(e.to_string())
}

fn decode_stored(bytes: &[u8]) -> Result<Data, OpError> {
    encoding::decode(bytes).map_err(|e| OpError::Storage(format!("corrupt stored value: {e}")))
}

impl Store {
    /// Resolves one IO request: `op` is the op name (`"kv/get"`, …), `args` the
    /// argument list. Writes return only after their (group) commit is durable.
    /// Blocking: `sleep` sleeps the calling thread.
    pub fn resolve(&self, op: &str, args: Vec<Data>) -> Result<Data, OpError> {
        match parse(op, args)? {
            Request::Write(w) => self.submit(w),
            Request::TimeNow => Ok(Data::Int(now_ms())),
            Request::Sleep { ms } => Ok(blocking_sleep(ms)),
            r => self.read(r),
        }
    }

    fn read(&self, req: Request) -> Result<Data, OpError> {
        let txn = read_txn(self)?;
        match req {
            Request::KvGet { key, default } => {
                let kv = txn.open_table(KV).map_err(storage)?;
                match kv.get(key.as_str()).map_err(storage)? {
                    Some(v) => decode_stored(v.value()),
                    None => Ok(default),
                }
            }
            Request::KvHas { key } => {
                let kv = txn.open_table(KV).map_err(storage)?;
                Ok(Data::Bool(kv.get(key.as_str()).map_err(storage)?.is_some()))
            }
            Request::KvKeys { prefix } => {
                let kv = txn.open_table(KV).map_err(storage)?;
                let prefix = prefix.unwrap_or_default();
                let mut keys = Vec::new();
                for entry in kv.range(prefix.as_str()..).map_err(storage)? {
                    let (k, _) = entry.map_err(storage)?;
                    if !k.value().starts_with(prefix.as_str()) {
                        break;
                    }
                    keys.push(Data::Str(k.value().to_string()));
                }
                Ok(Data::List(keys))
            }
            Request::Read {
                stream,
                from,
                limit,
            } => {
                let events = txn.open_table(EVENTS).map_err(storage)?;
                let mut out = Vec::new();
                let limit = limit.unwrap_or(u64::MAX);
                let range = (stream.as_str(), from)..=(stream.as_str(), u64::MAX);
                for entry in events.range(range).map_err(storage)? {
                    if out.len() as u64 >= limit {
                        break;
                    }
                    let (_, v) = entry.map_err(storage)?;
                    out.push(decode_stored(v.value())?);
                }
                Ok(Data::List(out))
            }
            Request::Count { stream } => {
                let streams = txn.open_table(STREAMS).map_err(storage)?;
                let events = txn.open_table(EVENTS).map_err(storage)?;
                let last = streams
                    .get(stream.as_str())
                    .map_err(storage)?
                    .map_or(0, |g| g.value());
                let first = first_seq(&events, &stream)?;
                Ok(Data::Int(
                    first.map_or(0, |f| last.saturating_sub(f) + 1) as i64
                ))
            }
            Request::LastSeq { stream } => {
                let streams = txn.open_table(STREAMS).map_err(storage)?;
                let last = streams
                    .get(stream.as_str())
                    .map_err(storage)?
                    .map_or(0, |g| g.value());
                Ok(Data::Int(last as i64))
            }
            Request::Streams => {
                let streams = txn.open_table(STREAMS).map_err(storage)?;
                let mut names = Vec::new();
                for entry in streams.iter().map_err(storage)? {
                    let (k, _) = entry.map_err(storage)?;
                    names.push(Data::Str(k.value().to_string()));
                }
                Ok(Data::List(names))
            }
            Request::BlobGet { cid } => {
                let blobs = txn.open_table(BLOBS).map_err(storage)?;
                let Some(hash) = cid_hash(&cid) else {
                    return Ok(Data::Nil);
                };
                match blobs.get(hash).map_err(storage)? {
                    Some(g) => {
                        let (_, bytes) = g.value();
                        let s = String::from_utf8(bytes.to_vec())
                            .map_err(|_| OpError::Storage("corrupt blob: not UTF-8".into()))?;
                        Ok(Data::Str(s))
                    }
                    None => Ok(Data::Nil),
                }
            }
            Request::BlobHas { cid } => {
                let blobs = txn.open_table(BLOBS).map_err(storage)?;
                let Some(hash) = cid_hash(&cid) else {
                    return Ok(Data::Bool(false));
                };
                Ok(Data::Bool(blobs.get(hash).map_err(storage)?.is_some()))
            }
            Request::TimeNow | Request::Sleep { .. } | Request::Write(_) => {
                unreachable!("not a read")
            }
        }
    }
}

/// The lowest stored seq of `stream`, if any row is stored.
fn first_seq(
    events: &impl ReadableTable<(&'static str, u64), &'static [u8]>,
    stream: &str,
) -> Result<Option<u64>, OpError> {
    let mut range = events
        .range((stream, 0u64)..=(stream, u64::MAX))
        .map_err(storage)?;
    match range.next() {
        Some(entry) => Ok(Some(entry.map_err(storage)?.0.value().1)),
        None => Ok(None),
    }
}

/// The open tables of one group-commit write transaction.
pub(crate) struct WriteTables<'txn> {
    pub(crate) kv: Table<'txn, &'static str, &'static [u8]>,
    pub(crate) events: Table<'txn, (&'static str, u64), &'static [u8]>,
    pub(crate) streams: Table<'txn, &'static str, u64>,
    pub(crate) blobs: Table<'txn, &'static str, (&'static str, &'static [u8])>,
}

/// Applies one write inside the batch's transaction; the result is returned to
/// its caller only once the transaction has committed.
pub(crate) fn apply_write(t: &mut WriteTables<'_>, op: &WriteOp) -> Result<Data, OpError> {
    match op {
        WriteOp::KvPut { key, value, bytes } => {
            t.kv.insert(key.as_str(), bytes.as_slice())
                .map_err(storage)?;
            Ok(value.clone())
        }
        WriteOp::KvDelete { key } => Ok(Data::Bool(
            t.kv.remove(key.as_str()).map_err(storage)?.is_some(),
        )),
        WriteOp::KvCas {
            key,
            expected,
            new,
            bytes,
        } => {
            let actual = match t.kv.get(key.as_str()).map_err(storage)? {
                Some(g) => decode_stored(g.value())?,
                None => Data::Nil,
            };
            if sx_equal(&actual, expected) {
                t.kv.insert(key.as_str(), bytes.as_slice())
                    .map_err(storage)?;
                Ok(new.clone())
            } else {
                Ok(conflict(expected.clone(), actual))
            }
        }
        WriteOp::Append {
            stream,
            expected,
            typ,
            data,
        } => {
            let last = t
                .streams
                .get(stream.as_str())
                .map_err(storage)?
                .map_or(0, |g| g.value());
            if let Some(e) = expected {
                if !sx_equal(e, &Data::Int(last as i64)) {
                    return Ok(conflict(e.clone(), Data::Int(last as i64)));
                }
            }
            let seq = last + 1;
            let ev = event(stream, seq, typ.clone(), now_ms(), data.clone());
            let bytes = encoding::encode(&ev);
            t.events
                .insert((stream.as_str(), seq), bytes.as_slice())
                .map_err(storage)?;
            t.streams.insert(stream.as_str(), seq).map_err(storage)?;
            Ok(ev)
        }
        WriteOp::Truncate { stream, through } => {
            let mut removed = 0i64;
            t.events
                .retain_in(
                    (stream.as_str(), 0u64)..=(stream.as_str(), *through),
                    |_, _| {
                        removed += 1;
                        false
                    },
                )
                .map_err(storage)?;
            Ok(Data::Int(removed))
        }
        WriteOp::BlobPut {
            hash,
            content,
            mime,
        } => {
            if t.blobs.get(hash.as_str()).map_err(storage)?.is_none() {
                t.blobs
                    .insert(hash.as_str(), (mime.as_str(), content.as_bytes()))
                    .map_err(storage)?;
            }
            Ok(blob_ref(hash, content.len(), mime))
        }
        #[cfg(test)]
        WriteOp::TestStall(ms) => Ok(blocking_sleep(*ms)),
        #[cfg(test)]
        WriteOp::TestFail => Err(OpError::Storage("injected failure".into())),
    }
}
