//! [`DictMap`]: the insertion-ordered hash map behind SX dicts.
//!
//! Entries live in a vector in insertion order; a separate open-addressing
//! table (linear probing) maps each key to its entry. A table slot is 16
//! bytes: the entry index + 1 (0 = empty) and a 96-bit *key image*. For a key
//! of at most [`SHORT_KEY`] bytes the image is the key itself (its length and
//! bytes, packed), so a probe decides equality from the slot alone and a hit
//! costs one cache miss in a large map, as does a miss; for a longer key the
//! image is a marker and the full 64-bit hash, and a hit then compares the
//! entry's key (a second miss). Positions are a hash of the image, so growing
//! the table never touches the entries or rehashes a string.
//!
//! This is the layout of CPython's compact dict (Raymond Hettinger, 2012;
//! CPython 3.6) with the hash — or, for short keys, the key — kept in the index
//! table instead of the entry; `indexmap`, which sxc used before, puts a
//! SwissTable of indices in front of the entries and pays a third miss
//! (control bytes, index slot, entry). SX programs key dicts by short strings
//! (keywords, `"k42"`, `"3,17"`), which is why the short case is inline.
//!
//! Deletion keeps order in O(1) amortised: the entry is marked dead in place
//! (a bit in `dead`; its key and value are dropped at once) and its table slot
//! is removed by backward-shift deletion (no tombstones in the table). When
//! dead entries outnumber live ones the entries are compacted and the table's
//! indices renumbered (CPython's compact dict does the same with its DKIX_DUMMY
//! entries). Before, `shift_remove` moved every later entry down and rewrote
//! the table (O(n)), which made `dissoc` in a loop quadratic.

use crate::text::Text;
use crate::value::Value;
use std::hash::BuildHasher;

/// Longest key, in bytes, whose image in a table slot is the key itself.
pub const SHORT_KEY: usize = 11;

/// Insertion-ordered map from [`Text`] keys to values. Lookups take `&str`.
#[derive(Clone, Default)]
pub struct DictMap {
    /// Live and dead entries in insertion order (a dead entry holds an empty
    /// key and nil; see `dead`).
    entries: Vec<(Text, Value)>,
    /// Power-of-two length (or empty); see [`Slot`].
    table: Box<[Slot]>,
    /// Bit `i` set: entry `i` was removed. Empty until the first removal.
    dead: Vec<u64>,
    /// Number of set bits in `dead`.
    ndead: usize,
}

/// A table slot: `lo` = entry index + 1 in its low 32 bits (0 = empty slot)
/// and the key image's `hi` part in its upper 32 bits; `w1` = the image's
/// second word. See [`Image`].
#[derive(Clone, Copy, Default)]
#[repr(C)]
struct Slot {
    lo: u64,
    w1: u64,
}

/// A key's 96-bit image: `hi` = length (0..=[`SHORT_KEY`]) in its low byte
/// and, for keys of 8 bytes or more, the bytes after the eighth in its upper
/// 24 bits; `w1` = the key's first bytes. Long keys: `hi` = [`LONG`] and `w1`
/// = the key's 64-bit hash. For short keys the image determines the key (the
/// overlapping reads below are injective once the length is fixed), so equal
/// images mean equal keys.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Image {
    hi: u32,
    w1: u64,
}

/// `hi` of a key longer than [`SHORT_KEY`].
const LONG: u32 = 0xff;

#[inline]
fn read_u32(b: &[u8], at: usize) -> u64 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as u64
}

impl Image {
    #[inline]
    fn of(key: &str) -> Image {
        let b = key.as_bytes();
        let n = b.len();
        match n {
            0 => Image { hi: 0, w1: 0 },
            // The wyhash trick: bytes 0, n/2 and n-1 cover every byte of a
            // 1-3 byte key.
            1..=3 => Image { hi: n as u32, w1: b[0] as u64 | (b[n / 2] as u64) << 8 | (b[n - 1] as u64) << 16 },
            4..=7 => Image { hi: n as u32, w1: read_u32(b, 0) | read_u32(b, n - 4) << 32 },
            8..=SHORT_KEY => {
                let w1 = u64::from_le_bytes(b[..8].try_into().unwrap());
                // Bytes n-3..n: the last 3 (overlapping the first 8 when n < 11).
                let tail = (read_u32(b, n - 4) >> 8) as u32;
                Image { hi: n as u32 | tail << 8, w1 }
            }
            _ => Image { hi: LONG, w1: rustc_hash::FxBuildHasher.hash_one(key) },
        }
    }

    #[inline]
    fn is_long(self) -> bool {
        self.hi == LONG
    }

    /// Table position before masking: a folded multiply of the image (the
    /// mixer of foldhash/ahash), so every image bit reaches the low bits.
    #[inline]
    fn spread(self) -> usize {
        let x = (self.hi as u64 ^ 0x243f_6a88_85a3_08d3) as u128 * (self.w1 ^ 0x1319_8a2e_0370_7344) as u128;
        ((x as u64) ^ ((x >> 64) as u64)) as usize
    }

    #[inline]
    fn slot(self, idx: usize) -> Slot {
        Slot { lo: (self.hi as u64) << 32 | (idx as u64 + 1), w1: self.w1 }
    }
}

impl Slot {
    #[inline]
    fn is_empty(self) -> bool {
        self.lo == 0
    }
    #[inline]
    fn idx(self) -> usize {
        (self.lo & 0xffff_ffff) as usize - 1
    }
    #[inline]
    fn image(self) -> Image {
        Image { hi: (self.lo >> 32) as u32, w1: self.w1 }
    }
}

/// Where a probe ended: the entry's index, or the empty slot to fill.
enum Probe {
    Found { slot: usize, idx: usize },
    Vacant(usize),
}

impl DictMap {
    /// An empty map with room for `n` entries without rehashing.
    pub fn with_capacity(n: usize) -> DictMap {
        let mut m = DictMap { entries: Vec::with_capacity(n), table: Box::new([]), dead: Vec::new(), ndead: 0 };
        if n > 0 {
            m.rehash(table_len_for(n));
        }
        m
    }
    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.entries.len() - self.ndead
    }
    /// True when there are no entries.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Removes every entry (keeps the allocations).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.table.fill(Slot::default());
        self.dead.clear();
        self.ndead = 0;
    }
    #[inline]
    fn is_dead(&self, i: usize) -> bool {
        self.dead.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 != 0)
    }

    #[inline]
    fn probe(&self, key: &str, img: Image) -> Probe {
        let mask = self.table.len() - 1;
        let mut i = img.spread() & mask;
        loop {
            // SAFETY: i <= mask < table.len().
            let s = unsafe { *self.table.get_unchecked(i) };
            if s.is_empty() {
                return Probe::Vacant(i);
            }
            if s.image() == img {
                let idx = s.idx();
                // A short key's image is the key; a long key's is its hash.
                if !img.is_long() || self.entries[idx].0.as_str() == key {
                    return Probe::Found { slot: i, idx };
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Index of `key`'s entry.
    #[inline]
    pub fn get_index_of(&self, key: &str) -> Option<usize> {
        if self.entries.is_empty() {
            return None;
        }
        match self.probe(key, Image::of(key)) {
            Probe::Found { idx, .. } => Some(idx),
            Probe::Vacant(_) => None,
        }
    }
    /// The value under `key`.
    #[inline]
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.get_index_of(key).map(|i| &self.entries[i].1)
    }
    /// The value under `key`, mutably.
    #[inline]
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.get_index_of(key).map(|i| &mut self.entries[i].1)
    }
    /// True when `key` is present.
    #[inline]
    pub fn contains_key(&self, key: &str) -> bool {
        self.get_index_of(key).is_some()
    }

    /// Sets `key` to `v`: an existing key keeps its position and the old value
    /// is returned; a new key goes to the end. One image, one probe.
    pub fn insert(&mut self, key: Text, v: Value) -> Option<Value> {
        // Grow at 3/4 load (linear probing degrades quickly beyond that);
        // dead entries hold no slot but an index, so drop them first.
        if (self.entries.len() + 1) * 4 > self.table.len() * 3 {
            if self.ndead > 0 {
                self.compact();
            }
            if (self.entries.len() + 1) * 4 > self.table.len() * 3 {
                self.rehash(table_len_for(self.entries.len() + 1));
            }
        }
        let img = Image::of(&key);
        match self.probe(&key, img) {
            Probe::Found { idx, .. } => Some(std::mem::replace(&mut self.entries[idx].1, v)),
            Probe::Vacant(i) => {
                self.table[i] = img.slot(self.entries.len());
                self.entries.push((key, v));
                None
            }
        }
    }

    /// Removes `key` keeping the order of the others (O(1) amortised: the
    /// entry is marked dead, see the module header); returns its value.
    pub fn shift_remove(&mut self, key: &str) -> Option<Value> {
        if self.is_empty() {
            return None;
        }
        let Probe::Found { slot: hole, idx } = self.probe(key, Image::of(key)) else { return None };
        self.delete_slot(hole);
        let v = if idx + 1 == self.entries.len() {
            let (_, v) = self.entries.pop().expect("found entry");
            // Dead entries now at the end go too.
            while self.entries.len() > 0 && self.is_dead(self.entries.len() - 1) {
                let i = self.entries.len() - 1;
                self.dead[i / 64] &= !(1 << (i % 64));
                self.ndead -= 1;
                self.entries.pop();
            }
            v
        } else {
            let e = &mut self.entries[idx];
            e.0 = Text::new("");
            let v = std::mem::replace(&mut e.1, Value::Nil);
            if self.dead.len() <= idx / 64 {
                self.dead.resize(self.entries.len().div_ceil(64), 0);
            }
            self.dead[idx / 64] |= 1 << (idx % 64);
            self.ndead += 1;
            if self.ndead * 2 > self.entries.len() {
                self.compact();
            }
            v
        };
        Some(v)
    }

    /// Drops the dead entries and renumbers the table's indices (O(entries
    /// + table); run when dead entries outnumber live ones, so O(1) amortised
    /// per removal).
    fn compact(&mut self) {
        let mut new_idx = vec![u32::MAX; self.entries.len()];
        let mut next = 0u32;
        for (i, slot) in new_idx.iter_mut().enumerate() {
            if !self.is_dead(i) {
                *slot = next;
                next += 1;
            }
        }
        let mut i = 0;
        let dead = std::mem::take(&mut self.dead);
        self.entries.retain(|_| {
            let keep = !dead.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 != 0);
            i += 1;
            keep
        });
        self.ndead = 0;
        for s in self.table.iter_mut().filter(|s| !s.is_empty()) {
            let to = new_idx[s.idx()] as u64;
            s.lo = (s.lo & !0xffff_ffff) | (to + 1);
        }
    }

    /// Backward-shift deletion (Knuth 6.4, algorithm R): later slots of the
    /// probe run move into the hole when their home position allows it.
    fn delete_slot(&mut self, mut hole: usize) {
        let mask = self.table.len() - 1;
        self.table[hole] = Slot::default();
        let mut i = hole;
        loop {
            i = (i + 1) & mask;
            let s = self.table[i];
            if s.is_empty() {
                return;
            }
            let home = s.image().spread() & mask;
            // Move `s` when its home is not cyclically within (hole, i].
            let stays = if hole <= i { hole < home && home <= i } else { hole < home || home <= i };
            if !stays {
                self.table[hole] = s;
                self.table[i] = Slot::default();
                hole = i;
            }
        }
    }

    /// Rebuilds the table with `len` slots from the old slots alone (each
    /// slot's image gives its position; entries are not read). Doubling is
    /// done in place ([`DictMap::double_in_place`]).
    fn rehash(&mut self, len: usize) {
        if !self.table.is_empty() && len == 2 * self.table.len() {
            return self.double_in_place();
        }
        let old = std::mem::replace(&mut self.table, zeroed_table(len));
        for &s in old.iter().filter(|s| !s.is_empty()) {
            self.place(s, len - 1);
        }
    }

    /// Doubles the table in place: the allocation grows (for a large table
    /// by `mremap`, so the old half's pages are neither copied nor faulted in
    /// again — on a table of millions of keys the kernel's page clearing was
    /// a tenth of the run), then every old slot is taken out and re-placed in
    /// index order.
    ///
    /// Re-placing in index order is safe for linear probing once no probe run
    /// wraps around the old table's end: then an element's new position is
    /// at or before its old index, or in the new upper half, so it never
    /// lands past a slot still holding an unprocessed element, and taking an
    /// element out never opens a hole inside an already re-placed run. So the
    /// run before the first empty slot (which may have wrapped) is set aside
    /// first and inserted last, into the finished table.
    fn double_in_place(&mut self) {
        let old = self.table.len();
        let first_empty = self.table.iter().position(|x| x.is_empty()).expect("at most 3/4 full");
        let wrapped: Vec<Slot> = self.table[..first_empty].to_vec();
        self.table[..first_empty].fill(Slot::default());
        let mut slots = std::mem::take(&mut self.table).into_vec();
        slots.resize(2 * old, Slot::default());
        self.table = slots.into_boxed_slice();
        let mask = 2 * old - 1;
        for i in first_empty + 1..old {
            let x = self.table[i];
            if !x.is_empty() {
                self.table[i] = Slot::default();
                self.place(x, mask);
            }
        }
        for x in wrapped {
            self.place(x, mask);
        }
    }

    /// Puts `x` in the first empty slot of its probe run (`mask` = length - 1).
    #[inline]
    fn place(&mut self, x: Slot, mask: usize) {
        let mut i = x.image().spread() & mask;
        while !self.table[i].is_empty() {
            i = (i + 1) & mask;
        }
        self.table[i] = x;
    }

    /// Entries in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter { entries: self.entries.iter(), i: 0, dead: &self.dead, left: self.len() }
    }
    /// Keys in order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &Text> + '_ {
        self.iter().map(|(k, _)| k)
    }
    /// Values in order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &Value> + '_ {
        self.iter().map(|(_, v)| v)
    }
}

/// The live entries of a [`DictMap`] in order.
pub struct Iter<'a> {
    entries: std::slice::Iter<'a, (Text, Value)>,
    /// Index of the next entry in `entries`.
    i: usize,
    dead: &'a [u64],
    /// Live entries not yet returned.
    left: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a Text, &'a Value);
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (k, v) = self.entries.next()?;
            let i = self.i;
            self.i += 1;
            if self.dead.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 != 0) {
                continue;
            }
            self.left -= 1;
            return Some((k, v));
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// A table of `len` empty slots, allocated zeroed (a large fresh block is
/// then not written at all until used; `vec![Slot::default(); len]` would
/// fill it).
fn zeroed_table(len: usize) -> Box<[Slot]> {
    let raw = Box::into_raw(vec![[0u64; 2]; len].into_boxed_slice());
    // SAFETY: `Slot` is `repr(C)` of two `u64`s: the size, alignment and valid
    // bit patterns of `[u64; 2]`, and an all-zero slot is the empty slot.
    unsafe { Box::from_raw(raw as *mut [Slot]) }
}

/// Table length (a power of two, at least 4: a 64-byte table for up to 3
/// entries) keeping `n` entries under 3/4 load.
fn table_len_for(n: usize) -> usize {
    (n * 4 / 3 + 1).next_power_of_two().max(4)
}

impl std::fmt::Debug for DictMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn keys(m: &DictMap) -> Vec<String> {
        m.keys().map(|k| k.to_string()).collect()
    }

    #[test]
    fn order_and_replacement() {
        let mut m = DictMap::default();
        assert!(m.get("a").is_none());
        for (i, k) in ["a", "b", "c"].iter().enumerate() {
            assert!(m.insert(Text::new(k), Value::Int(i as i64)).is_none());
        }
        assert!(matches!(m.insert(Text::new("a"), Value::Int(10)), Some(Value::Int(0))));
        assert_eq!(keys(&m), ["a", "b", "c"]);
        assert!(matches!(m.shift_remove("a"), Some(Value::Int(10))));
        m.insert(Text::new("a"), Value::Int(5));
        assert_eq!(keys(&m), ["b", "c", "a"]);
        assert!(matches!(m.get("c"), Some(Value::Int(2))));
        assert!(m.shift_remove("zz").is_none());
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u8, i64),
        Remove(u8),
    }

    fn key(k: u8) -> String {
        // Every key length from 0 to past SHORT_KEY (the inline/long boundary
        // and each branch of `Image::of`), non-ASCII bytes, and long keys.
        match k {
            0 => String::new(),
            _ if k % 5 == 0 => format!("a long key that does not fit inline #{k}"),
            _ if k % 7 == 0 => format!("é{k}"),
            _ => {
                let s = format!("{k}");
                let len = (s.len() + k as usize * 3 % 13).max(s.len());
                format!("{s}{}", "-".repeat(len - s.len()))
            }
        }
    }

    #[test]
    fn every_key_is_found_after_every_doubling() {
        // Growth through many in-place doublings, keys of both image kinds;
        // after each doubling every key inserted so far must still be found.
        let mut m = DictMap::default();
        let key = |i: usize| if i % 3 == 0 { format!("a long key that does not fit inline {i}") } else { format!("{},{}", i % 1999, i / 7) };
        let mut last_len = 0;
        for i in 0..20_000 {
            m.insert(Text::new(&key(i)), Value::Int(i as i64));
            if m.table.len() != last_len {
                last_len = m.table.len();
                for j in 0..=i {
                    assert_eq!(m.get_index_of(&key(j)), Some(j), "key {j} after growing to {last_len}");
                }
            }
        }
        for j in 0..20_000 {
            assert!(m.get(&key(j)).is_some_and(|v| v.as_int() == Some(j as i64)));
        }
        assert!(m.get("absent").is_none());
    }

    #[test]
    fn images_of_short_keys_are_distinct() {
        // Keys that differ in one byte at every position and length agree
        // only with themselves.
        let mut seen = std::collections::HashMap::new();
        for n in 0..=SHORT_KEY + 1 {
            for pos in 0..n.max(1) {
                for c in [b'a', b'b'] {
                    let mut k = vec![b'x'; n];
                    if n > 0 {
                        k[pos] = c;
                    }
                    let k = String::from_utf8(k).unwrap();
                    let img = Image::of(&k);
                    if let Some(other) = seen.insert((img.hi, img.w1), k.clone()) {
                        assert_eq!(other, k);
                    }
                }
            }
        }
    }

    proptest! {
        /// Same results and order as `indexmap::IndexMap` (the reference) for
        /// any sequence of inserts and order-keeping removals.
        #[test]
        fn behaves_like_indexmap(ops in proptest::collection::vec(
            prop_oneof![(0u8..40, any::<i64>()).prop_map(|(k, v)| Op::Insert(k, v)), (0u8..40).prop_map(Op::Remove)],
            0..300,
        )) {
            let mut m = DictMap::default();
            let mut r: indexmap::IndexMap<String, i64> = indexmap::IndexMap::new();
            for op in ops {
                match op {
                    Op::Insert(k, v) => {
                        let old = m.insert(Text::new(&key(k)), Value::Int(v)).map(|x| x.as_int().unwrap());
                        prop_assert_eq!(old, r.insert(key(k), v));
                    }
                    Op::Remove(k) => {
                        let old = m.shift_remove(&key(k)).map(|x| x.as_int().unwrap());
                        prop_assert_eq!(old, r.shift_remove(&key(k)));
                    }
                }
                prop_assert_eq!(m.len(), r.len());
            }
            let got: Vec<(String, i64)> = m.iter().map(|(k, v)| (k.to_string(), v.as_int().unwrap())).collect();
            let want: Vec<(String, i64)> = r.iter().map(|(k, v)| (k.clone(), *v)).collect();
            prop_assert_eq!(got, want);
            let ks: Vec<String> = m.keys().map(|k| k.to_string()).collect();
            prop_assert_eq!(ks, r.keys().cloned().collect::<Vec<_>>());
            let vs: Vec<i64> = m.values().map(|v| v.as_int().unwrap()).collect();
            prop_assert_eq!(vs, r.values().copied().collect::<Vec<_>>());
            prop_assert_eq!(m.keys().len(), r.len());
            for k in 0..40u8 {
                prop_assert_eq!(m.get(&key(k)).map(|x| x.as_int().unwrap()), r.get(&key(k)).copied());
            }
        }
    }
}
