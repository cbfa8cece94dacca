//! [`Text`]: immutable UTF-8 text stored inline when short (≤ 22 bytes), else
//! behind an `Rc<str>`.
//!
//! It is the text of SX strings ([`crate::value::SxStr`]) and the key type of
//! dicts. Short strings are most strings a program makes (`"k42"`, `"3,17"`,
//! tag names, JSON keys): inline, a string value costs one allocation instead
//! of two, and a dict probe compares the key without a pointer chase (one
//! cache miss less per lookup in a large dict). Long text stays shared, so
//! `dict-set!` with a long string key still does not copy it. The same
//! small-string layout as `smol_str`/`compact_str`, kept here because SX
//! needs the `Rc<str>` sharing of the long case.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::rc::Rc;

/// Longest text stored inline, in bytes.
pub const INLINE_CAP: usize = 22;

/// Immutable UTF-8 text: inline up to [`INLINE_CAP`] bytes, shared `Rc<str>`
/// beyond. 24 bytes. Hashes, compares and orders exactly as the `str` it
/// derefs to (so a `HashMap<Text, _>` is looked up with a `&str`).
#[derive(Clone)]
pub struct Text(Repr);

#[derive(Clone)]
enum Repr {
    Inline { len: u8, buf: [u8; INLINE_CAP] },
    Heap(Rc<str>),
}

const _: () = assert!(std::mem::size_of::<Text>() == 24);

impl Text {
    /// Copies `s` (inline when short).
    #[inline]
    pub fn new(s: &str) -> Text {
        if s.len() <= INLINE_CAP {
            let mut buf = [0u8; INLINE_CAP];
            buf[..s.len()].copy_from_slice(s.as_bytes());
            Text(Repr::Inline { len: s.len() as u8, buf })
        } else {
            Text(Repr::Heap(Rc::from(s)))
        }
    }
    /// Takes `s` (copied inline when short; otherwise moved into an `Rc<str>`,
    /// which copies once).
    pub fn from_string(s: String) -> Text {
        Text::new(&s)
    }
    /// Shares `s` (no copy) when long; short text is copied inline.
    pub fn from_rc(s: Rc<str>) -> Text {
        if s.len() <= INLINE_CAP {
            Text::new(&s)
        } else {
            Text(Repr::Heap(s))
        }
    }
    /// The text.
    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // SAFETY: `buf[..len]` was copied from a `&str` (valid UTF-8) and never mutated.
            Repr::Inline { len, buf } => unsafe { std::str::from_utf8_unchecked(buf.get_unchecked(..*len as usize)) },
            Repr::Heap(s) => s,
        }
    }
    /// True when the text lives inline (no heap allocation).
    pub fn is_inline(&self) -> bool {
        matches!(self.0, Repr::Inline { .. })
    }
}

/// Builds a short [`Text`] in place, without a heap buffer: the fast path of
/// `str` for the usual keys and labels (`"k42"`, `"3,17"`). Each push fails
/// (returns `false`, leaving the builder unusable) once the text would exceed
/// [`INLINE_CAP`] bytes; the caller then falls back to a `String`.
///
/// The scratch buffer is larger than the result so that every copy has a
/// fixed size (no `memcpy` call for a few bytes): an inline [`Text`] is copied
/// as its whole 22-byte buffer, digits are written straight into place.
pub struct ShortText {
    len: usize,
    buf: [u8; SCRATCH],
}

/// Number of decimal digits of `n` (1 for 0): the bit length scaled by
/// log10(2) ≈ 1233/4096 gives the count or one less, and one comparison with
/// a power of ten settles it (the method of Hacker's Delight, 11-4).
#[inline]
fn decimal_digits(n: u64) -> usize {
    const POW10: [u64; 20] = {
        let mut t = [1u64; 20];
        let mut i = 1;
        while i < 20 {
            t[i] = t[i - 1] * 10;
            i += 1;
        }
        t
    };
    let n = n | 1; // 0 has one digit, like 1
    let bits = 64 - n.leading_zeros();
    let t = ((bits * 1233) >> 12) as usize;
    t + usize::from(n >= POW10[t])
}

/// "00" "01" … "99": the decimal digits of every pair.
const DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Room for a full 22-byte text plus the widest pushed part (a 22-byte inline
/// text, or a sign and 20 digits), so no push writes past the end.
const SCRATCH: usize = 2 * INLINE_CAP;

impl ShortText {
    /// An empty builder.
    #[inline]
    pub fn new() -> ShortText {
        ShortText { len: 0, buf: [0; SCRATCH] }
    }
    /// Appends `t`; false when it does not fit.
    #[inline]
    pub fn push_text(&mut self, t: &Text) -> bool {
        match &t.0 {
            Repr::Inline { len, buf } => {
                let end = self.len + *len as usize;
                if end > INLINE_CAP {
                    return false;
                }
                // self.len <= INLINE_CAP, so the fixed-size copy stays in SCRATCH.
                self.buf[self.len..self.len + INLINE_CAP].copy_from_slice(buf);
                self.len = end;
                true
            }
            Repr::Heap(_) => false,
        }
    }
    /// Appends the decimal digits of `i` (with a `-` when negative); false when
    /// they do not fit.
    #[inline]
    pub fn push_int(&mut self, i: i64) -> bool {
        let mut n = i.unsigned_abs();
        let sign = usize::from(i < 0);
        let digits = decimal_digits(n);
        let end = self.len + sign + digits;
        if end > INLINE_CAP {
            return false;
        }
        if sign == 1 {
            self.buf[self.len] = b'-';
        }
        // Two digits per division, from a pair table (as `itoa` does).
        let start = self.len + sign;
        let mut pos = end;
        while pos >= start + 2 {
            let d = (n % 100) as usize * 2;
            n /= 100;
            pos -= 2;
            self.buf[pos..pos + 2].copy_from_slice(&DIGIT_PAIRS[d..d + 2]);
        }
        if pos > start {
            self.buf[start] = b'0' + n as u8;
        }
        self.len = end;
        true
    }
    /// The text built so far, borrowed.
    #[inline]
    pub fn as_str(&self) -> &str {
        // SAFETY: `buf[..len]` holds whole UTF-8 texts and ASCII digits only.
        unsafe { std::str::from_utf8_unchecked(&self.buf[..self.len]) }
    }
    /// The text built so far.
    #[inline]
    pub fn finish(self) -> Text {
        let mut buf = [0u8; INLINE_CAP];
        buf.copy_from_slice(&self.buf[..INLINE_CAP]);
        // The bytes hold whole UTF-8 texts and ASCII digits only; bytes past
        // `len` are ignored.
        Text(Repr::Inline { len: self.len as u8, buf })
    }
}

impl Default for ShortText {
    fn default() -> ShortText {
        ShortText::new()
    }
}

impl Deref for Text {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Text {
    #[inline]
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl Hash for Text {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl PartialEq for Text {
    #[inline]
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Text) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    fn cmp(&self, other: &Text) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::new(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::from_string(s)
    }
}

impl From<Rc<str>> for Text {
    fn from(s: Rc<str>) -> Text {
        Text::from_rc(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn inline_and_heap_agree_with_str() {
        for s in ["", "a", "3,17", "exactly-22-bytes-long!", "twenty-three bytes long", "héllo wörld, a longer text"] {
            let t = Text::new(s);
            assert_eq!(t.as_str(), s);
            assert_eq!(t.is_inline(), s.len() <= INLINE_CAP, "{s}");
            assert_eq!(t, Text::from_string(s.to_string()));
            assert_eq!(t, Text::from_rc(Rc::from(s)));
        }
    }

    #[test]
    fn map_lookup_by_str() {
        let mut m: HashMap<Text, i32> = HashMap::new();
        m.insert(Text::new("short"), 1);
        m.insert(Text::new("a key much longer than twenty-two bytes"), 2);
        assert_eq!(m.get("short"), Some(&1));
        assert_eq!(m.get("a key much longer than twenty-two bytes"), Some(&2));
        assert_eq!(m.get("other"), None);
    }

    #[test]
    fn short_text_builds_what_format_builds() {
        for (parts, ints) in [
            (["", ""], [0i64, 0]),
            (["k", ","], [42, -7]),
            (["", "-"], [9, 10]),
            (["", ""], [99, 100]),
            (["x", ","], [1999, -12345]),
            (["a", "é,"], [i64::MIN, i64::MAX]),
        ] {
            let mut b = ShortText::new();
            let want = format!("{}{}{}{}", parts[0], ints[0], parts[1], ints[1]);
            let fits = b.push_text(&Text::new(parts[0])) && b.push_int(ints[0]) && b.push_text(&Text::new(parts[1])) && b.push_int(ints[1]);
            assert_eq!(fits, want.len() <= INLINE_CAP, "{want}");
            if fits {
                assert_eq!(b.finish().as_str(), want);
            }
        }
    }

    #[test]
    fn decimal_digits_at_every_power_of_ten() {
        let mut p = 1u64;
        for d in 1..=20 {
            assert_eq!(decimal_digits(p), d, "{p}");
            if d > 1 {
                assert_eq!(decimal_digits(p - 1), d - 1, "{}", p - 1);
            }
            p = p.saturating_mul(10);
        }
        assert_eq!(decimal_digits(0), 1);
        assert_eq!(decimal_digits(u64::MAX), 20);
    }

    proptest::proptest! {
        /// A prefix short enough that any integer fits, then any integer: the
        /// decimal form `to_string` gives.
        #[test]
        fn short_text_ints_match_to_string(prefix in "[a-z,]{0,2}", i in proptest::num::i64::ANY) {
            let mut b = ShortText::new();
            proptest::prop_assert!(b.push_text(&Text::new(&prefix)) && b.push_int(i));
            let got = b.finish();
            proptest::prop_assert_eq!(got.as_str(), format!("{prefix}{i}"));
        }
    }

    #[test]
    fn long_text_is_shared() {
        let rc: Rc<str> = Rc::from("a key much longer than twenty-two bytes");
        let t = Text::from_rc(rc.clone());
        assert_eq!(Rc::strong_count(&rc), 2);
        drop(t);
        assert_eq!(Rc::strong_count(&rc), 1);
    }
}
