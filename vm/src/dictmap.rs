//! [`DictMap`]: the insertion-ordered hash map behind SX dicts.
//!
//! Entries live in a vector in insertion order; a separate open-addressing
//! table (linear probing) maps a key's hash to its entry. Each table slot is
//! one `u64` holding the upper 32 bits of the hash and the entry index + 1
//! (0 = empty), so a probe reads one slot, compares 32 hash bits, and only
//! then touches the entry to compare the key (keys up to 22 bytes are inline
//! in the entry, see [`Text`]). A hit costs two cache misses in a large map,
//! an absent key usually one. That is the layout of CPython's compact dict
//! (Raymond Hettinger, 2012; CPython 3.6) with the hash kept in the index
//! table instead of the entry; `indexmap`, which sxc used before, puts a
//! SwissTable of indices in front of the entries and pays a third miss
//! (control bytes, index slot, entry).
//!
//! Deletion keeps order (`shift_remove`: later entries move down, O(n), as in
//! `indexmap`) and uses backward-shift deletion in the table (no tombstones).

use crate::text::Text;
use crate::value::Value;
use std::hash::BuildHasher;

/// Insertion-ordered map from [`Text`] keys to values. Lookups take `&str`.
#[derive(Clone, Default)]
pub struct DictMap {
    entries: Vec<(Text, Value)>,
    /// Power-of-two length (or empty); see the module docs for the slot format.
    table: Box<[u64]>,
}

/// Upper half of the hash, never 0 in a slot (the index part is ≥ 1).
#[inline]
fn hash_of(key: &str) -> u64 {
    rustc_hash::FxBuildHasher.hash_one(key)
}

#[inline]
fn slot(h: u64, idx: usize) -> u64 {
    (h & 0xffff_ffff_0000_0000) | (idx as u64 + 1)
}

#[inline]
fn slot_idx(s: u64) -> usize {
    (s & 0xffff_ffff) as usize - 1
}

/// Where a probe ended: the entry's index, or the empty slot to fill.
enum Probe {
    Found { slot: usize, idx: usize },
    Vacant(usize),
}

impl DictMap {
    /// An empty map with room for `n` entries without rehashing.
    pub fn with_capacity(n: usize) -> DictMap {
        let mut m = DictMap { entries: Vec::with_capacity(n), table: Box::new([]) };
        if n > 0 {
            m.rehash(table_len_for(n));
        }
        m
    }
    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    /// True when there are no entries.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    /// Removes every entry (keeps the allocations).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.table.fill(0);
    }

    #[inline]
    fn probe(&self, key: &str, h: u64) -> Probe {
        let mask = self.table.len() - 1;
        let mut i = (h as usize) & mask;
        loop {
            // SAFETY: i <= mask < table.len().
            let s = unsafe { *self.table.get_unchecked(i) };
            if s == 0 {
                return Probe::Vacant(i);
            }
            if (s ^ h) >> 32 == 0 {
                let idx = slot_idx(s);
                if self.entries[idx].0.as_str() == key {
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
        match self.probe(key, hash_of(key)) {
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
    /// is returned; a new key goes to the end. One hash, one probe.
    pub fn insert(&mut self, key: Text, v: Value) -> Option<Value> {
        // Grow at 3/4 load (linear probing degrades quickly beyond that).
        if (self.entries.len() + 1) * 4 > self.table.len() * 3 {
            self.rehash(table_len_for(self.entries.len() + 1));
        }
        let h = hash_of(&key);
        match self.probe(&key, h) {
            Probe::Found { idx, .. } => Some(std::mem::replace(&mut self.entries[idx].1, v)),
            Probe::Vacant(i) => {
                self.table[i] = slot(h, self.entries.len());
                self.entries.push((key, v));
                None
            }
        }
    }

    /// Removes `key` keeping the order of the others (O(n)); returns its value.
    pub fn shift_remove(&mut self, key: &str) -> Option<Value> {
        if self.entries.is_empty() {
            return None;
        }
        let Probe::Found { slot: hole, idx } = self.probe(key, hash_of(key)) else { return None };
        self.delete_slot(hole);
        let (_, v) = self.entries.remove(idx);
        if idx < self.entries.len() {
            // Entries after `idx` moved down by one.
            for s in self.table.iter_mut() {
                if *s != 0 && slot_idx(*s) > idx {
                    *s -= 1;
                }
            }
        }
        Some(v)
    }

    /// Backward-shift deletion (Knuth 6.4, algorithm R): later slots of the
    /// probe run move into the hole when their home position allows it.
    fn delete_slot(&mut self, mut hole: usize) {
        let mask = self.table.len() - 1;
        self.table[hole] = 0;
        let mut i = hole;
        loop {
            i = (i + 1) & mask;
            let s = self.table[i];
            if s == 0 {
                return;
            }
            let home = (hash_of(&self.entries[slot_idx(s)].0) as usize) & mask;
            // Move `s` when its home is not cyclically within (hole, i].
            let stays = if hole <= i { hole < home && home <= i } else { hole < home || home <= i };
            if !stays {
                self.table[hole] = s;
                self.table[i] = 0;
                hole = i;
            }
        }
    }

    fn rehash(&mut self, len: usize) {
        let mut table = vec![0u64; len].into_boxed_slice();
        let mask = len - 1;
        for (idx, (k, _)) in self.entries.iter().enumerate() {
            let h = hash_of(k);
            let mut i = (h as usize) & mask;
            while table[i] != 0 {
                i = (i + 1) & mask;
            }
            table[i] = slot(h, idx);
        }
        self.table = table;
    }

    /// Entries in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&Text, &Value)> + '_ {
        self.entries.iter().map(|(k, v)| (k, v))
    }
    /// Keys in order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &Text> + '_ {
        self.entries.iter().map(|(k, _)| k)
    }
    /// Values in order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &Value> + '_ {
        self.entries.iter().map(|(_, v)| v)
    }
}

/// Table length (a power of two) keeping `n` entries under 3/4 load.
fn table_len_for(n: usize) -> usize {
    (n * 4 / 3 + 1).next_power_of_two().max(8)
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
        // Short and long keys, many colliding in the low bits of small tables.
        if k % 5 == 0 { format!("a long key that does not fit inline #{k}") } else { format!("k{k}") }
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
            for k in 0..40u8 {
                prop_assert_eq!(m.get(&key(k)).map(|x| x.as_int().unwrap()), r.get(&key(k)).copied());
            }
        }
    }
}
