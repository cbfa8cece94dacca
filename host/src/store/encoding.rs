//! The stable, versioned binary encoding of stored values ([`Data`]).
//!
//! Layout (see `docs/storage.md`): one version byte ([`VERSION`]), then one
//! tagged value, then nothing. A value is a tag byte followed by its payload:
//!
//! | tag | value | payload |
//! |---|---|---|
//! | `0x00` | nil | — |
//! | `0x01` | false | — |
//! | `0x02` | true | — |
//! | `0x03` | integer | 8 bytes, i64 little-endian |
//! | `0x04` | float | 8 bytes, the raw IEEE-754 bits (u64 little-endian) |
//! | `0x05` | string | length (varint) + UTF-8 bytes |
//! | `0x06` | symbol | length (varint) + UTF-8 bytes |
//! | `0x07` | keyword | length (varint) + UTF-8 bytes |
//! | `0x08` | list | count (varint) + that many values |
//! | `0x09` | dict | count (varint) + that many (key: length + UTF-8, value) pairs, in order |
//!
//! Varints are unsigned LEB128 (7 bits per byte, low group first, at most 10
//! bytes). Decoding is total: truncated input, trailing bytes, unknown tags or
//! versions, invalid UTF-8 and nesting deeper than [`MAX_DEPTH`] are errors,
//! never panics.

use std::fmt;
use vm::data::Data;

/// The current encoding version: the first byte of every encoded value.
pub const VERSION: u8 = 1;

/// The deepest nesting of lists/dicts that is stored and decoded: above the
/// VM's limit for converting values to [`Data`] (10,000), so every value the VM
/// hands over is storable (an event adds one level). A value nested deeper is
/// refused by [`try_encode`] (and so by the store); [`decode`] refuses it too.
pub const MAX_DEPTH: usize = 10_240;

const T_NIL: u8 = 0x00;
const T_FALSE: u8 = 0x01;
const T_TRUE: u8 = 0x02;
const T_INT: u8 = 0x03;
const T_FLOAT: u8 = 0x04;
const T_STR: u8 = 0x05;
const T_SYMBOL: u8 = 0x06;
const T_KEYWORD: u8 = 0x07;
const T_LIST: u8 = 0x08;
const T_DICT: u8 = 0x09;
/// A pid. Stored values never hold one (`Data::from_value` refuses pids); the
/// tag exists so that every `Data` has an encoding.
const T_PID: u8 = 0x0A;

/// Why bytes could not be decoded into a [`Data`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The input is empty.
    Empty,
    /// The version byte is not one this build understands.
    UnknownVersion(u8),
    /// The input ended in the middle of a value.
    Truncated,
    /// An unknown tag byte at the given offset.
    BadTag { tag: u8, offset: usize },
    /// A string, symbol, keyword or dict key is not valid UTF-8.
    BadUtf8 { offset: usize },
    /// A varint is longer than 10 bytes or overflows u64.
    BadVarint { offset: usize },
    /// Lists/dicts nest deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Bytes remain after the top-level value.
    TrailingBytes { offset: usize },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Empty => write!(f, "empty encoded value"),
            DecodeError::UnknownVersion(v) => write!(f, "unknown encoding version {v}"),
            DecodeError::Truncated => write!(f, "truncated encoded value"),
            DecodeError::BadTag { tag, offset } => {
                write!(f, "unknown tag 0x{tag:02x} at byte {offset}")
            }
            DecodeError::BadUtf8 { offset } => write!(f, "invalid UTF-8 at byte {offset}"),
            DecodeError::BadVarint { offset } => write!(f, "invalid length at byte {offset}"),
            DecodeError::TooDeep => write!(f, "value nested deeper than {MAX_DEPTH}"),
            DecodeError::TrailingBytes { offset } => {
                write!(f, "trailing bytes after value at byte {offset}")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// Why a value could not be encoded for storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    /// Lists/dicts nest deeper than [`MAX_DEPTH`].
    TooDeep,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::TooDeep => write!(f, "value nested deeper than {MAX_DEPTH} levels"),
        }
    }
}

impl std::error::Error for EncodeError {}

/// Encodes `d` (version byte + tagged value). Does not check nesting depth;
/// use [`try_encode`] for values that will be decoded later. Iterative: any
/// nesting depth is fine.
pub fn encode(d: &Data) -> Vec<u8> {
    let mut out = Vec::with_capacity(16);
    out.push(VERSION);
    // Pending items, last first: values and (for dicts) the keys before them.
    enum Item<'a> {
        Val(&'a Data),
        Key(&'a str),
    }
    let mut todo = vec![Item::Val(d)];
    while let Some(item) = todo.pop() {
        let d = match item {
            Item::Key(k) => {
                put_text(&mut out, k);
                continue;
            }
            Item::Val(d) => d,
        };
        match d {
            Data::Nil => out.push(T_NIL),
            Data::Bool(false) => out.push(T_FALSE),
            Data::Bool(true) => out.push(T_TRUE),
            Data::Int(i) => {
                out.push(T_INT);
                out.extend_from_slice(&i.to_le_bytes());
            }
            Data::Float(f) => {
                out.push(T_FLOAT);
                out.extend_from_slice(&f.to_bits().to_le_bytes());
            }
            Data::Str(s) => {
                out.push(T_STR);
                put_text(&mut out, s);
            }
            Data::Symbol(s) => {
                out.push(T_SYMBOL);
                put_text(&mut out, s);
            }
            Data::Keyword(s) => {
                out.push(T_KEYWORD);
                put_text(&mut out, s);
            }
            Data::Pid(p) => {
                out.push(T_PID);
                out.extend_from_slice(&p.to_le_bytes());
            }
            Data::List(xs) => {
                out.push(T_LIST);
                put_varint(&mut out, xs.len() as u64);
                todo.extend(xs.iter().rev().map(Item::Val));
            }
            Data::Dict(es) => {
                out.push(T_DICT);
                put_varint(&mut out, es.len() as u64);
                for (k, v) in es.iter().rev() {
                    todo.push(Item::Val(v));
                    todo.push(Item::Key(k));
                }
            }
        }
    }
    out
}

/// Encodes `d`, refusing values nested deeper than [`MAX_DEPTH`] (which
/// [`decode`] would reject).
pub fn try_encode(d: &Data) -> Result<Vec<u8>, EncodeError> {
    if depth_exceeds(d, MAX_DEPTH) {
        return Err(EncodeError::TooDeep);
    }
    Ok(encode(d))
}

/// True when `d` has more than `max` levels of nested lists/dicts (iterative).
pub(crate) fn depth_exceeds(d: &Data, max: usize) -> bool {
    let mut todo = vec![(d, 0usize)];
    while let Some((d, depth)) = todo.pop() {
        match d {
            Data::List(xs) => {
                if depth >= max {
                    return true;
                }
                todo.extend(xs.iter().map(|x| (x, depth + 1)));
            }
            Data::Dict(es) => {
                if depth >= max {
                    return true;
                }
                todo.extend(es.iter().map(|(_, x)| (x, depth + 1)));
            }
            _ => {}
        }
    }
    false
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn put_text(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// Decodes bytes produced by [`encode`]. Any malformed input is an error.
/// Iterative: the stack use does not depend on the input.
pub fn decode(bytes: &[u8]) -> Result<Data, DecodeError> {
    let (&version, _) = bytes.split_first().ok_or(DecodeError::Empty)?;
    if version != VERSION {
        return Err(DecodeError::UnknownVersion(version));
    }
    let mut r = Reader { bytes, pos: 1 };
    let d = r.value()?;
    if r.pos != bytes.len() {
        return Err(DecodeError::TrailingBytes { offset: r.pos });
    }
    Ok(d)
}

/// Most elements pre-allocated for one list/dict (more grow the vector), so a
/// garbage count cannot reserve much memory at every nesting level.
const MAX_PREALLOC: usize = 16;

/// An open list/dict being decoded: its elements so far and how many remain.
enum Frame {
    List(Vec<Data>, usize),
    Dict(Vec<(String, Data)>, usize, String),
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).ok_or(DecodeError::Truncated)?;
        let s = self
            .bytes
            .get(self.pos..end)
            .ok_or(DecodeError::Truncated)?;
        self.pos = end;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    fn u64_le(&mut self) -> Result<u64, DecodeError> {
        let s = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_le_bytes(a))
    }

    fn varint(&mut self) -> Result<u64, DecodeError> {
        let start = self.pos;
        let mut n: u64 = 0;
        for i in 0..10 {
            let b = self.byte()?;
            let group = u64::from(b & 0x7f);
            if i == 9 && group > 1 {
                return Err(DecodeError::BadVarint { offset: start });
            }
            n |= group << (7 * i);
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(DecodeError::BadVarint { offset: start })
    }

    /// A count or length; it can never exceed the bytes left (each element
    /// takes at least one byte).
    fn length(&mut self) -> Result<usize, DecodeError> {
        let n = self.varint()?;
        let left = (self.bytes.len() - self.pos) as u64;
        if n > left {
            return Err(DecodeError::Truncated);
        }
        Ok(n as usize)
    }

    fn text(&mut self) -> Result<String, DecodeError> {
        let n = self.length()?;
        let offset = self.pos;
        let s = self.take(n)?;
        std::str::from_utf8(s)
            .map(str::to_owned)
            .map_err(|_| DecodeError::BadUtf8 { offset })
    }

    /// One complete value, with an explicit stack of open lists/dicts.
    fn value(&mut self) -> Result<Data, DecodeError> {
        let mut stack: Vec<Frame> = Vec::new();
        loop {
            if let Some(Frame::Dict(_, _, key)) = stack.last_mut() {
                *key = self.text()?;
            }
            let offset = self.pos;
            let tag = self.byte()?;
            let mut done = match tag {
                T_NIL => Data::Nil,
                T_FALSE => Data::Bool(false),
                T_TRUE => Data::Bool(true),
                T_INT => Data::Int(self.u64_le()? as i64),
                T_FLOAT => Data::Float(f64::from_bits(self.u64_le()?)),
                T_STR => Data::Str(self.text()?),
                T_SYMBOL => Data::Symbol(self.text()?),
                T_KEYWORD => Data::Keyword(self.text()?),
                T_PID => Data::Pid(self.u64_le()?),
                T_LIST | T_DICT => {
                    if stack.len() >= MAX_DEPTH {
                        return Err(DecodeError::TooDeep);
                    }
                    let n = self.length()?;
                    let cap = n.min(MAX_PREALLOC);
                    match (tag, n) {
                        (T_LIST, 0) => Data::List(Vec::new()),
                        (_, 0) => Data::Dict(Vec::new()),
                        (T_LIST, _) => {
                            stack.push(Frame::List(Vec::with_capacity(cap), n));
                            continue;
                        }
                        _ => {
                            stack.push(Frame::Dict(Vec::with_capacity(cap), n, String::new()));
                            continue;
                        }
                    }
                }
                tag => return Err(DecodeError::BadTag { tag, offset }),
            };
            // Hand the finished value to its container, closing every
            // container it completes.
            loop {
                match stack.last_mut() {
                    None => return Ok(done),
                    Some(Frame::List(xs, left)) => {
                        xs.push(done);
                        *left -= 1;
                        if *left > 0 {
                            break;
                        }
                    }
                    Some(Frame::Dict(es, left, key)) => {
                        es.push((std::mem::take(key), done));
                        *left -= 1;
                        if *left > 0 {
                            break;
                        }
                    }
                }
                done = match stack.pop() {
                    Some(Frame::List(xs, _)) => Data::List(xs),
                    Some(Frame::Dict(es, _, _)) => Data::Dict(es),
                    None => unreachable!("checked above"),
                };
            }
        }
    }
}

/// Bit-exact structural equality: like `==` on [`Data`] but floats compare by
/// their bits (so NaN payloads and -0.0 are distinguished). Used by tests.
pub fn bit_exact_eq(a: &Data, b: &Data) -> bool {
    match (a, b) {
        (Data::Float(x), Data::Float(y)) => x.to_bits() == y.to_bits(),
        (Data::List(xs), Data::List(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| bit_exact_eq(x, y))
        }
        (Data::Dict(xs), Data::Dict(ys)) => {
            xs.len() == ys.len()
                && xs
                    .iter()
                    .zip(ys)
                    .all(|((kx, x), (ky, y))| kx == ky && bit_exact_eq(x, y))
        }
        _ => a == b,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A proptest strategy for arbitrary storable values (shared with the
    /// model tests).
    pub(crate) fn arb_data() -> impl Strategy<Value = Data> {
        let leaf = prop_oneof![
            Just(Data::Nil),
            any::<bool>().prop_map(Data::Bool),
            any::<i64>().prop_map(Data::Int),
            prop_oneof![Just(0i64), Just(-1), Just(i64::MIN), Just(i64::MAX)].prop_map(Data::Int),
            any::<u64>().prop_map(|b| Data::Float(f64::from_bits(b))),
            prop_oneof![
                Just(-0.0f64),
                Just(f64::NAN),
                Just(f64::INFINITY),
                Just(1.0)
            ]
            .prop_map(Data::Float),
            ".{0,12}".prop_map(Data::Str),
            "[a-z\\-?!]{0,8}".prop_map(Data::Symbol),
            "[a-z\\-]{0,8}".prop_map(Data::Keyword),
        ];
        leaf.prop_recursive(5, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Data::List),
                prop::collection::vec((".{0,6}", inner), 0..8).prop_map(Data::Dict),
            ]
        })
    }

    proptest! {
        #[test]
        fn round_trip(d in arb_data()) {
            let bytes = encode(&d);
            prop_assert_eq!(bytes[0], VERSION);
            let back = decode(&bytes).unwrap();
            prop_assert!(bit_exact_eq(&d, &back), "{:?} != {:?}", d, back);
        }

        #[test]
        fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode(&bytes);
            let mut v = vec![VERSION];
            v.extend_from_slice(&bytes);
            let _ = decode(&v);
        }

        #[test]
        fn truncations_are_errors(d in arb_data()) {
            let bytes = encode(&d);
            for cut in 0..bytes.len() {
                prop_assert!(decode(&bytes[..cut]).is_err());
            }
        }

        #[test]
        fn mutations_never_panic(d in arb_data(), idx in any::<usize>(), byte in any::<u8>()) {
            let mut bytes = encode(&d);
            let i = idx % bytes.len();
            bytes[i] = byte;
            let _ = decode(&bytes);
        }
    }

    #[test]
    fn layout_is_stable() {
        assert_eq!(encode(&Data::Nil), vec![1, 0]);
        assert_eq!(encode(&Data::Int(1)), vec![1, 3, 1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(encode(&Data::Str("hi".into())), vec![1, 5, 2, b'h', b'i']);
        assert_eq!(
            encode(&Data::Dict(vec![("a".into(), Data::Bool(true))])),
            vec![1, 9, 1, 1, b'a', 2]
        );
        assert_eq!(
            encode(&Data::Float(-0.0)),
            vec![1, 4, 0, 0, 0, 0, 0, 0, 0, 0x80]
        );
        let long = "x".repeat(300);
        let e = encode(&Data::Keyword(long.clone()));
        assert_eq!(&e[..4], &[1, 7, 0xac, 0x02]);
        assert_eq!(decode(&e).unwrap(), Data::Keyword(long));
    }

    #[test]
    fn errors() {
        assert_eq!(decode(&[]), Err(DecodeError::Empty));
        assert_eq!(decode(&[2, 0]), Err(DecodeError::UnknownVersion(2)));
        assert_eq!(decode(&[1]), Err(DecodeError::Truncated));
        assert_eq!(
            decode(&[1, 0, 0]),
            Err(DecodeError::TrailingBytes { offset: 2 })
        );
        assert_eq!(
            decode(&[1, 0x42]),
            Err(DecodeError::BadTag {
                tag: 0x42,
                offset: 1
            })
        );
        assert_eq!(
            decode(&[1, 5, 1, 0xff]),
            Err(DecodeError::BadUtf8 { offset: 3 })
        );
        assert_eq!(
            decode(&[1, 8, 0xff, 0xff, 0xff, 0xff, 0x0f]),
            Err(DecodeError::Truncated)
        );
        let mut v = vec![1, 5];
        v.extend_from_slice(&[0xff; 11]);
        assert_eq!(decode(&v), Err(DecodeError::BadVarint { offset: 2 }));
    }

    #[test]
    fn depth_limit() {
        // Building, comparing and dropping very deep `Data` recurses (derived
        // and test code), so run on a big stack; encode/decode themselves do not.
        std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(depth_limit_body)
            .unwrap()
            .join()
            .unwrap();
    }

    fn depth_limit_body() {
        let mut d = Data::Nil;
        for _ in 0..MAX_DEPTH {
            d = Data::List(vec![d]);
        }
        let ok = try_encode(&d).unwrap();
        assert!(bit_exact_eq(&decode(&ok).unwrap(), &d));
        let deeper = Data::List(vec![d]);
        assert_eq!(try_encode(&deeper), Err(EncodeError::TooDeep));
        assert_eq!(decode(&encode(&deeper)), Err(DecodeError::TooDeep));
        // Garbage of deeply nested one-element lists is rejected, not a stack overflow.
        let mut g = vec![1];
        for _ in 0..100_000 {
            g.extend_from_slice(&[8, 1]);
        }
        g.push(0);
        assert_eq!(decode(&g), Err(DecodeError::TooDeep));
    }
}
