//! Run-time values.
//!
//! Representation decision: a 16-byte Rust enum (tag word + one payload word),
//! reference counted with `Rc` for heap objects. Immediates (nil, booleans,
//! integers, floats, interned symbols/keywords, primitives, pids) need no
//! allocation; `Value: !Send` makes the per-isolate heap rule a compile-time
//! fact (values cross threads only as [`crate::data::Data`]). See
//! `docs/values.md` for the measurement and the cycle policy.

use crate::bytecode::Proto;
use crate::intern;
pub use crate::text::Text;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// An interned symbol or keyword name (process-wide ids, see [`crate::intern`]).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct Sym(pub u32);

impl Sym {
    /// Interns `name`.
    pub fn new(name: &str) -> Sym {
        intern::intern(name)
    }
    /// The interned text (interned names live for the whole process).
    pub fn name(self) -> &'static str {
        intern::name(self)
    }
}

/// Index into the builtin primitive table ([`crate::prims::builtins`]).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct PrimId(pub u32);

/// An SX value. Exactly 16 bytes (asserted below). The layout is pinned
/// (`repr(C, u8)`: a one-byte tag at offset 0, the payload at offset 8) so
/// generated code can test tags and read immediates; [`crate::abi`] writes
/// the tags and offsets down and tests them.
///
/// The immediates (no heap reference) are declared first: rustc numbers the
/// tags in declaration order, so "is this an immediate?" — asked on every
/// register write of the interpreter — is one tag comparison instead of a
/// bit-mask test (a performance property only; nothing depends on it for
/// correctness).
#[derive(Clone, Debug)]
#[repr(C, u8)]
pub enum Value {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Symbol(Sym),
    Keyword(Sym),
    Prim(PrimId),
    Pid(u64),
    Str(Rc<SxStr>),
    List(Rc<List>),
    Dict(Rc<Dict>),
    Closure(Rc<Closure>),
    Macro(Rc<MacroObj>),
    Component(Rc<Component>),
    Error(Rc<ErrorObj>),
    Element(Rc<Element>),
    /// A mutable box for a captured, `set!`-assigned variable. Never visible to SX code.
    Cell(Rc<RefCell<Value>>),
}

const _: () = assert!(std::mem::size_of::<Value>() == 16);

pub use crate::dictmap::DictMap;

impl Value {
    /// A string value copied from `s`.
    pub fn str(s: &str) -> Value {
        Value::Str(Rc::new(SxStr::new(s)))
    }
    /// A string value taking ownership of `s`.
    pub fn string(s: String) -> Value {
        Value::Str(Rc::new(SxStr::from_string(s)))
    }
    /// A new list holding `items`.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(List::from_vec(items)))
    }
    /// The empty list.
    pub fn empty_list() -> Value {
        Value::list(Vec::new())
    }
    /// A new dict from entries in order; a repeated key keeps its first position
    /// and its last value.
    pub fn dict(entries: Vec<(Text, Value)>) -> Value {
        Value::Dict(Rc::new(Dict::from_entries(entries)))
    }
    /// A new dict from `(&str, Value)` pairs (convenience for hosts and tests).
    pub fn dict_from<'a>(entries: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
        Value::Dict(Rc::new(Dict::from_entries(entries.into_iter().map(|(k, v)| (Text::new(k), v)))))
    }
    /// A new dict wrapping an existing map.
    pub fn dict_map(map: DictMap) -> Value {
        Value::Dict(Rc::new(Dict { map: RefCell::new(map), gc_buffered: Cell::new(false) }))
    }
    /// An interned symbol.
    pub fn sym(name: &str) -> Value {
        Value::Symbol(Sym::new(name))
    }
    /// An interned keyword (`name` without the colon).
    pub fn kw(name: &str) -> Value {
        Value::Keyword(Sym::new(name))
    }
    /// A fresh error value with `message` (see [`crate::error::err`]).
    pub fn error(message: impl Into<String>) -> Value {
        crate::error::err(message)
    }
    /// A new mutable cell (for a captured, `set!` variable) holding `v`. Use this
    /// rather than building `Value::Cell` directly: cells are cycle-collection
    /// candidates (see [`crate::gc`]).
    pub fn cell(v: Value) -> Value {
        let c = Rc::new(RefCell::new(v));
        crate::gc::note_cell(&c);
        Value::Cell(c)
    }
    /// A float value.
    pub fn float(f: f64) -> Value {
        Value::Float(f)
    }

    /// SX truthiness: only `nil` and `false` are false.
    #[inline]
    pub fn is_truthy(&self) -> bool {
        !matches!(self, Value::Nil | Value::Bool(false))
    }
    /// True for `nil`.
    #[inline]
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }
    /// True for integers and floats.
    #[inline]
    pub fn is_number(&self) -> bool {
        matches!(self, Value::Int(_) | Value::Float(_))
    }

    /// The `type-of` name (LANGUAGE.md table).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "boolean",
            Value::Int(_) | Value::Float(_) => "number",
            Value::Str(_) => "string",
            Value::Symbol(_) => "symbol",
            Value::Keyword(_) => "keyword",
            Value::List(_) => "list",
            Value::Dict(_) => "dict",
            Value::Closure(_) | Value::Prim(_) => "lambda",
            Value::Macro(_) => "macro",
            Value::Component(_) => "component",
            Value::Error(_) => "error",
            Value::Element(_) => "element",
            Value::Pid(_) => "pid",
            Value::Cell(_) => "cell",
        }
    }

    /// The text of a string value.
    #[inline]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(&s.s),
            _ => None,
        }
    }
    /// The integer, when this is an integer.
    #[inline]
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
    /// The number as a float (integers converted), when this is a number.
    #[inline]
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }
    /// The list object, when this is a list.
    #[inline]
    pub fn as_list(&self) -> Option<&Rc<List>> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }
    /// The dict object, when this is a dict.
    #[inline]
    pub fn as_dict(&self) -> Option<&Rc<Dict>> {
        match self {
            Value::Dict(d) => Some(d),
            _ => None,
        }
    }
    /// A dict key for this value: strings as themselves, keywords (and symbols) by name.
    pub fn key_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(&s.s),
            Value::Keyword(k) | Value::Symbol(k) => Some(k.name()),
            _ => None,
        }
    }
    /// The elements of a list as a fresh vector (`nil` gives an empty vector).
    pub fn list_items(&self) -> Option<Vec<Value>> {
        match self {
            Value::List(l) => Some(l.to_vec()),
            Value::Nil => Some(Vec::new()),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------- strings

/// An immutable UTF-8 string with a lazily computed character count. The text
/// is a [`Text`]: inline when short (one allocation per string value), an
/// `Rc<str>` when long so `dict-set!` can share it as a dict key without copying.
#[derive(Debug)]
pub struct SxStr {
    pub s: Text,
    /// Number of chars, or `u32::MAX` when not yet computed (len is by character).
    pub char_len: Cell<u32>,
}

impl SxStr {
    /// Copies `s`.
    pub fn new(s: &str) -> SxStr {
        SxStr { s: Text::from(s), char_len: Cell::new(u32::MAX) }
    }
    /// Wraps `t`.
    pub fn from_text(t: Text) -> SxStr {
        SxStr { s: t, char_len: Cell::new(u32::MAX) }
    }
    /// Takes `s`.
    pub fn from_string(s: String) -> SxStr {
        SxStr { s: Text::from(s), char_len: Cell::new(u32::MAX) }
    }
    /// The text.
    #[inline]
    pub fn as_str(&self) -> &str {
        &self.s
    }
    /// Number of characters (cached after the first call).
    pub fn char_len(&self) -> usize {
        let c = self.char_len.get();
        if c != u32::MAX {
            return c as usize;
        }
        let n = if self.s.is_ascii() { self.s.len() } else { self.s.chars().count() };
        if n < u32::MAX as usize {
            self.char_len.set(n as u32);
        }
        n
    }
    /// True when every character is one byte (char index = byte index).
    pub fn is_ascii(&self) -> bool {
        self.char_len() == self.s.len()
    }
}

// ---------------------------------------------------------------- lists

/// A list. A fresh list owns its elements ([`ListRepr::Own`]): up to two
/// inline (a pair is one allocation, and reading it one cache miss), more in
/// a heap buffer. The first
/// `rest`/`drop`/`slice` of it moves that vector into a shared backing
/// ([`ListRepr::Shared`]) so views are O(1) and share it; `nth`/`len` are
/// O(1) either way. `append!` pushes to the backing when the view ends at its
/// end (other views keep their own `end`, so they do not change), and copies
/// otherwise. See docs/values.md, "Lists".
#[derive(Debug)]
pub struct List {
    pub(crate) repr: RefCell<ListRepr>,
    /// Set on lists read from a `[ ... ]` datum (quoted data / macro arguments) so
    /// [`crate::convert::value_to_datum`] gives back a bracket. Ignored by SX code
    /// (printing, equality and every primitive treat it as an ordinary list).
    pub bracket: Cell<bool>,
    /// Registered as a cycle-collection candidate (see [`crate::gc`]).
    pub gc_buffered: Cell<bool>,
}

/// A list's own elements: up to two inline.
pub(crate) type Items = smallvec::SmallVec<[Value; 2]>;

/// Where a list's elements live.
#[derive(Debug)]
pub(crate) enum ListRepr {
    /// The list alone owns its elements.
    Own(Items),
    /// Elements `start..end` of a backing vector shared with other lists.
    Shared { data: Rc<RefCell<Vec<Value>>>, start: usize, end: usize },
}

impl List {
    /// A list owning `items`.
    pub fn from_vec(items: Vec<Value>) -> List {
        List::with_repr(ListRepr::Own(Items::from_vec(items)))
    }
    /// A list of clones of `items` (no intermediate vector).
    pub fn from_slice(items: &[Value]) -> List {
        // A pair (the commonest list a program builds) goes straight into the
        // inline buffer, without the generic extend's capacity checks.
        let items = match items {
            [a, b] => Items::from_buf([a.clone(), b.clone()]),
            _ => Items::from(items),
        };
        List::with_repr(ListRepr::Own(items))
    }
    fn with_repr(repr: ListRepr) -> List {
        List { repr: RefCell::new(repr), bracket: Cell::new(false), gc_buffered: Cell::new(false) }
    }
    /// Number of elements (O(1)).
    #[inline]
    pub fn len(&self) -> usize {
        match &*self.repr.borrow() {
            ListRepr::Own(v) => v.len(),
            ListRepr::Shared { start, end, .. } => end - start,
        }
    }
    /// True when empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Element `i` (O(1)), cloned.
    #[inline]
    pub fn get(&self, i: usize) -> Option<Value> {
        self.with_items(|s| s.get(i).cloned())
    }
    /// Calls `f` with the elements as a slice. `f` must not mutate this list.
    #[inline]
    pub fn with_items<R>(&self, f: impl FnOnce(&[Value]) -> R) -> R {
        match &*self.repr.borrow() {
            ListRepr::Own(v) => f(v),
            ListRepr::Shared { data, start, end } => f(&data.borrow()[*start..*end]),
        }
    }
    /// The elements as a fresh vector.
    pub fn to_vec(&self) -> Vec<Value> {
        self.with_items(|s| s.to_vec())
    }
    /// An iterator over (cloned) elements; a snapshot of the current view.
    pub fn iter(&self) -> ListIter<'_> {
        ListIter { list: self, i: 0, end: self.len() }
    }
    /// An O(1) view of elements `from..to` (indices clamped to the list). An
    /// owned list first moves its elements into a shared backing.
    #[inline]
    pub fn view(&self, from: usize, to: usize) -> List {
        let mut repr = self.repr.borrow_mut();
        if let ListRepr::Own(v) = &mut *repr {
            let n = v.len();
            let data = Rc::new(RefCell::new(std::mem::take(v).into_vec()));
            *repr = ListRepr::Shared { data, start: 0, end: n };
        }
        let ListRepr::Shared { data, start, end } = &*repr else { unreachable!("made shared above") };
        let len = end - start;
        let to = to.min(len);
        let from = from.min(to);
        List::with_repr(ListRepr::Shared { data: data.clone(), start: start + from, end: start + to })
    }
    /// Everything but the first element (O(1)); empty for an empty list.
    #[inline]
    pub fn rest(&self) -> List {
        self.view(1, usize::MAX)
    }
    /// Everything but the first `n` elements (O(1), clamped).
    pub fn drop_n(&self, n: usize) -> List {
        self.view(n, usize::MAX)
    }
    /// `append!` on a shared list: [`List::push`], registering the list as a
    /// cycle-collection candidate when `x` is a container (see [`crate::gc`]).
    #[inline]
    pub fn append(self: &Rc<Self>, x: Value) {
        let note = crate::gc::is_container(&x);
        self.push(x);
        if note {
            crate::gc::note_list(self);
        }
    }

    /// `append!`: adds `x` at the end of this list object only. Lists taken from it
    /// earlier (`rest`, `drop`, `slice`) and lists it was taken from do not change.
    #[inline]
    pub fn push(&self, x: Value) {
        let mut repr = self.repr.borrow_mut();
        match &mut *repr {
            ListRepr::Own(v) => v.push(x),
            ListRepr::Shared { data, start, end } => {
                let mut backing = data.borrow_mut();
                if backing.len() == *end {
                    backing.push(x);
                    *end += 1;
                } else {
                    // Someone else owns the slots after our end: copy our view.
                    let mut items = Items::with_capacity((*end - *start) * 2 + 4);
                    items.extend(backing[*start..*end].iter().cloned());
                    items.push(x);
                    drop(backing);
                    *repr = ListRepr::Own(items);
                }
            }
        }
    }

    /// `cons` in place: adds `x` at the front of this list object. Only for a
    /// list nobody else can observe (the caller holds its only strong
    /// reference, see `docs/vm.md`, "Owned arguments"). O(1) amortised: a
    /// short owned list shifts its elements; otherwise the elements live in a
    /// backing vector with free slots before `start` (the mirror of the room
    /// `append!` leaves after `end`), which is doubled when full.
    pub fn cons_unique(&self, x: Value) {
        /// Up to this many owned elements, inserting at the front shifts them.
        const SHIFT_MAX: usize = 8;
        self.bracket.set(false);
        let mut repr = self.repr.borrow_mut();
        let items: Vec<Value> = match &mut *repr {
            ListRepr::Own(v) if v.len() < SHIFT_MAX => {
                v.insert(0, x);
                return;
            }
            ListRepr::Own(v) => std::mem::take(v).into_vec(),
            ListRepr::Shared { data, start, end } => {
                if Rc::strong_count(data) == 1 {
                    // No other view: the slots outside `start..end` are dead.
                    let mut backing = data.borrow_mut();
                    if *start > 0 {
                        *start -= 1;
                        backing[*start] = x;
                        return;
                    }
                    backing.truncate(*end);
                    std::mem::take(&mut *backing)
                } else {
                    data.borrow()[*start..*end].to_vec()
                }
            }
        };
        let n = items.len();
        let room = n.max(4);
        let mut v = Vec::with_capacity(room + 1 + n + n / 2);
        v.resize(room, Value::Nil);
        v.push(x);
        v.extend(items);
        *repr = ListRepr::Shared { data: Rc::new(RefCell::new(v)), start: room, end: room + 1 + n };
    }

    /// Functional `append` in place: adds `x` at the end of this list object.
    /// Only for a list nobody else can observe (as [`List::cons_unique`]);
    /// O(1) amortised.
    pub fn push_unique(&self, x: Value) {
        self.bracket.set(false);
        if let ListRepr::Shared { data, end, .. } = &mut *self.repr.borrow_mut() {
            if Rc::strong_count(data) == 1 {
                // No other view: the slots after `end` are dead.
                let mut backing = data.borrow_mut();
                backing.truncate(*end);
                backing.push(x);
                *end += 1;
                return;
            }
        }
        self.push(x)
    }

    /// Empties the list's storage (its own elements, or the whole shared
    /// backing) and returns what it held: how tests break a cycle through a list. Drop the result after the call.
    #[cfg(test)]
    pub(crate) fn take_storage(&self) -> Vec<Value> {
        match &mut *self.repr.borrow_mut() {
            ListRepr::Own(v) => std::mem::take(v).into_vec(),
            ListRepr::Shared { data, .. } => std::mem::take(&mut *data.borrow_mut()),
        }
    }
}

impl Drop for List {
    /// Frees nested lists iteratively, so dropping a list nested a million
    /// levels deep does not overflow the Rust stack. Only the elements whose
    /// own drop could recurse (lists this list alone owns that themselves hold
    /// a list) go through the explicit stack; the rest — a list of pairs, say —
    /// are dropped in place.
    fn drop(&mut self) {
        /// The elements `repr` alone owns (`None` when its backing vector is shared).
        fn owned(repr: &mut ListRepr) -> Option<&mut [Value]> {
            match repr {
                ListRepr::Own(v) => Some(v),
                ListRepr::Shared { data, .. } => Rc::get_mut(data).map(|c| c.get_mut().as_mut_slice()),
            }
        }
        /// True when dropping `v` would drop a list holding a list.
        fn deep(v: &mut Value) -> bool {
            match v {
                Value::List(l) => Rc::get_mut(l).and_then(|l| owned(l.repr.get_mut())).is_some_and(|xs| xs.iter().any(|x| matches!(x, Value::List(_)))),
                _ => false,
            }
        }
        /// Moves the deep elements of `repr` onto `stack` (leaving nil).
        fn take_deep(repr: &mut ListRepr, stack: &mut Vec<Value>) {
            if let Some(items) = owned(repr) {
                for x in items.iter_mut() {
                    if deep(x) {
                        stack.push(std::mem::replace(x, Value::Nil));
                    }
                }
            }
        }
        let mut stack: Vec<Value> = Vec::new();
        take_deep(self.repr.get_mut(), &mut stack);
        while let Some(x) = stack.pop() {
            if let Value::List(l) = x {
                if let Ok(mut list) = Rc::try_unwrap(l) {
                    take_deep(list.repr.get_mut(), &mut stack);
                }
            }
        }
    }
}

/// Iterator over a list's elements (clones each element).
pub struct ListIter<'a> {
    list: &'a List,
    i: usize,
    end: usize,
}

impl Iterator for ListIter<'_> {
    type Item = Value;
    fn next(&mut self) -> Option<Value> {
        if self.i >= self.end {
            return None;
        }
        let v = self.list.get(self.i);
        self.i += 1;
        v
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end.saturating_sub(self.i);
        (n, Some(n))
    }
}

// ---------------------------------------------------------------- dicts

/// A dict: string keys (keywords stored by name) in insertion order.
/// Re-setting a key keeps its position; a deleted key set again goes to the end.
#[derive(Debug)]
pub struct Dict {
    pub map: RefCell<DictMap>,
    /// Registered as a cycle-collection candidate (see [`crate::gc`]).
    pub gc_buffered: Cell<bool>,
}

impl Dict {
    /// An empty dict.
    pub fn new() -> Dict {
        Dict { map: RefCell::new(DictMap::default()), gc_buffered: Cell::new(false) }
    }
    /// A dict from entries in order (a repeated key keeps its first position, last value).
    pub fn from_entries<K: Into<Text>>(entries: impl IntoIterator<Item = (K, Value)>) -> Dict {
        let mut map = DictMap::default();
        for (k, v) in entries {
            map.insert(k.into(), v);
        }
        Dict { map: RefCell::new(map), gc_buffered: Cell::new(false) }
    }
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.map.borrow().len()
    }
    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The value under `key`, cloned.
    #[inline]
    pub fn get(&self, key: &str) -> Option<Value> {
        self.map.borrow().get(key).cloned()
    }
    /// True when `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.map.borrow().contains_key(key)
    }
    /// Sets `key` (in place; an existing key keeps its position).
    pub fn set(&self, key: &str, v: Value) {
        let mut m = self.map.borrow_mut();
        if let Some(slot) = m.get_mut(key) {
            *slot = v;
        } else {
            m.insert(Text::new(key), v);
        }
    }
    /// `dict-set!` on a shared dict: [`Dict::set`], registering the dict as a
    /// cycle-collection candidate when `v` is a container (see [`crate::gc`]).
    pub fn put(self: &Rc<Self>, key: &str, v: Value) {
        let note = crate::gc::is_container(&v);
        self.set(key, v);
        if note {
            crate::gc::note_dict(self);
        }
    }
    /// `dict-set!` with a key value (string or keyword; `None` for any other
    /// value): one hash and one probe; a string key's text is shared, not copied.
    #[inline]
    pub fn put_value(self: &Rc<Self>, key: &Value, v: Value) -> Option<()> {
        let k: Text = match key {
            Value::Str(s) => s.s.clone(),
            Value::Keyword(k) => Text::new(k.name()),
            _ => return None,
        };
        let note = crate::gc::is_container(&v);
        self.map.borrow_mut().insert(k, v);
        if note {
            crate::gc::note_dict(self);
        }
        Some(())
    }
    /// Sets `key` given as a [`Text`] (no copy of a long key's text when new).
    pub fn set_text(&self, key: Text, v: Value) {
        self.map.borrow_mut().insert(key, v);
    }
    /// Deletes `key` keeping the order of the others; returns the old value.
    pub fn delete(&self, key: &str) -> Option<Value> {
        self.map.borrow_mut().shift_remove(key)
    }
    /// The keys in order.
    pub fn keys(&self) -> Vec<Text> {
        self.map.borrow().keys().cloned().collect()
    }
    /// The values in order.
    pub fn values(&self) -> Vec<Value> {
        self.map.borrow().values().cloned().collect()
    }
    /// The entries in order.
    pub fn entries(&self) -> Vec<(Text, Value)> {
        self.map.borrow().iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
    /// A copy of the map (for `assoc`/`dissoc`/`merge`).
    pub fn clone_map(&self) -> DictMap {
        self.map.borrow().clone()
    }
}

impl Default for Dict {
    fn default() -> Self {
        Dict::new()
    }
}

// ---------------------------------------------------------------- other heap objects

/// Captured values of a closure: up to two inline, so most closures (a
/// named-let loop, a `map` callback) are one allocation.
pub type Captures = smallvec::SmallVec<[Value; 2]>;

/// A closure: compiled code plus captured values.
#[derive(Debug)]
pub struct Closure {
    pub proto: Rc<Proto>,
    pub captures: Captures,
}

/// A macro as a value (`#<macro name>`); macros are applied at expansion time.
#[derive(Debug)]
pub struct MacroObj {
    pub name: String,
}

/// `(defcomp ~name (&key a b &rest children) body...)`: `func` takes the declared
/// keys positionally (nil when absent), then **always** the children list (the
/// expander gives a component without `&rest` a fresh parameter for it);
/// `has_rest` records whether `&rest` was declared.
#[derive(Debug)]
pub struct Component {
    pub name: String,
    pub keys: Vec<String>,
    pub has_rest: bool,
    pub func: Value,
}

/// An error value: message plus the SX backtrace captured where it was raised.
#[derive(Debug)]
pub struct ErrorObj {
    pub message: String,
    /// Innermost first: (function name, "file:line:col").
    pub backtrace: RefCell<Vec<(String, String)>>,
}

/// HTML markup. `tag == ""` with one string child is trusted raw HTML (`raw-html`).
#[derive(Debug)]
pub struct Element {
    pub tag: String,
    pub attrs: Vec<(String, Value)>,
    pub children: Vec<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_is_two_words() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
    }

    #[test]
    fn object_sizes_match_docs() {
        // docs/values.md lists these; an allocation adds the 16-byte Rc header.
        assert_eq!(std::mem::size_of::<SxStr>(), 32);
        assert_eq!(std::mem::size_of::<List>(), 64);
    }

    #[test]
    fn short_lists_are_owned_until_viewed() {
        let xs = List::from_slice(&[Value::Int(1), Value::Int(2)]);
        assert!(matches!(&*xs.repr.borrow(), ListRepr::Own(v) if !v.spilled()));
        let r = xs.rest();
        assert!(matches!(&*xs.repr.borrow(), ListRepr::Shared { start: 0, end: 2, .. }));
        assert_eq!(ints(&r), vec![2]);
        xs.push(Value::Int(3));
        assert_eq!(ints(&xs), vec![1, 2, 3]);
        assert_eq!(ints(&r), vec![2]);
    }

    #[test]
    fn truthiness_and_types() {
        assert!(!Value::Nil.is_truthy());
        assert!(!Value::Bool(false).is_truthy());
        assert!(Value::Int(0).is_truthy());
        assert!(Value::str("").is_truthy());
        assert!(Value::empty_list().is_truthy());
        assert_eq!(Value::Float(1.0).type_name(), "number");
        assert_eq!(Value::kw("a").type_name(), "keyword");
        assert_eq!(Value::Prim(PrimId(0)).type_name(), "lambda");
    }

    fn ints(l: &List) -> Vec<i64> {
        l.iter().map(|v| v.as_int().unwrap()).collect()
    }

    #[test]
    fn rest_and_append_views() {
        let xs = List::from_vec(vec![Value::Int(1), Value::Int(2), Value::Int(3)]);
        let r = xs.rest();
        assert_eq!(ints(&r), vec![2, 3]);
        xs.push(Value::Int(4));
        assert_eq!(ints(&xs), vec![1, 2, 3, 4]);
        assert_eq!(ints(&r), vec![2, 3], "earlier view unchanged");
        r.push(Value::Int(9));
        assert_eq!(ints(&r), vec![2, 3, 9]);
        assert_eq!(ints(&xs), vec![1, 2, 3, 4], "source unchanged by append! on view");
        let d = xs.drop_n(10);
        assert!(d.is_empty());
        let t = xs.view(0, 2);
        t.push(Value::Int(7));
        assert_eq!(ints(&t), vec![1, 2, 7]);
        assert_eq!(ints(&xs), vec![1, 2, 3, 4]);
        // view of a view, then append to the original
        let a = List::from_vec(vec![Value::Int(1)]);
        let b = a.rest();
        a.push(Value::Int(2));
        b.push(Value::Int(3));
        assert_eq!(ints(&a), vec![1, 2]);
        assert_eq!(ints(&b), vec![3]);
        assert_eq!(a.get(1).unwrap().as_int(), Some(2));
        assert!(a.get(2).is_none());
    }

    #[test]
    fn deep_nesting_drops_without_recursion() {
        // run on a small stack: a recursive drop of 1e6 levels would overflow it
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let mut v = Value::empty_list();
                for _ in 0..1_000_000 {
                    v = Value::list(vec![Value::Int(1), v]);
                }
                drop(v);
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn wide_and_shared_lists_drop_without_recursion() {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                // Many pairs (dropped in place), one of them the head of a
                // deep chain, and a shared element dropped by a decrement.
                let shared = Value::list(vec![Value::Int(7)]);
                let mut chain = Value::empty_list();
                for _ in 0..200_000 {
                    chain = Value::list(vec![chain]);
                }
                let mut items: Vec<Value> = (0..100_000).map(|i| Value::list(vec![Value::Int(i), shared.clone()])).collect();
                items.push(chain);
                drop(Value::list(items));
                assert!(matches!(&shared, Value::List(l) if Rc::strong_count(l) == 1));
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn dict_order_rules() {
        let d = Dict::new();
        d.set("a", Value::Int(1));
        d.set("b", Value::Int(2));
        d.set("c", Value::Int(3));
        d.set("a", Value::Int(10));
        let k: Vec<String> = d.keys().iter().map(|k| k.to_string()).collect();
        assert_eq!(k, ["a", "b", "c"]);
        d.delete("a");
        d.set("a", Value::Int(5));
        let k: Vec<String> = d.keys().iter().map(|k| k.to_string()).collect();
        assert_eq!(k, ["b", "c", "a"]);
        assert_eq!(d.get("a").unwrap().as_int(), Some(5));
        let v = Value::dict_from([("x", Value::Int(1)), ("y", Value::Int(2)), ("x", Value::Int(3))]);
        let dd = v.as_dict().unwrap();
        assert_eq!(dd.len(), 2);
        assert_eq!(dd.keys()[0].as_ref(), "x");
        assert_eq!(dd.get("x").unwrap().as_int(), Some(3));
    }

    #[test]
    fn string_char_len() {
        let s = SxStr::new("héllo");
        assert_eq!(s.char_len(), 5);
        assert!(!s.is_ascii());
        assert!(SxStr::new("abc").is_ascii());
    }
}
