//! Run-time values.
//!
//! Representation decision: a 16-byte Rust enum (tag word + one payload word),
//! reference counted with `Rc` for heap objects. Immediates (nil, booleans,
//! integers, floats, interned symbols/keywords, primitives, pids) need no
//! allocation; `Value: !Send` makes the per-isolate heap rule a compile-time
//! fact (values cross threads only as [`crate::data::Data`]). See
//! `docs/values.md` for the measurement and the cycle policy.

use crate::bytecode::Proto;
use indexmap::IndexMap;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// An interned symbol or keyword name (per-thread interner, see [`crate::intern`]).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct Sym(pub u32);

/// Index into the builtin primitive table ([`crate::prims::BUILTINS`]).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct PrimId(pub u32);

/// An SX value. Exactly 16 bytes (asserted below).
#[derive(Clone, Debug)]
pub enum Value {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Rc<SxStr>),
    Symbol(Sym),
    Keyword(Sym),
    List(Rc<List>),
    Dict(Rc<Dict>),
    Closure(Rc<Closure>),
    Prim(PrimId),
    Macro(Rc<MacroObj>),
    Component(Rc<Component>),
    Error(Rc<ErrorObj>),
    Element(Rc<Element>),
    Pid(u64),
    /// A mutable box for a captured, `set!`-assigned variable. Never visible to SX code.
    Cell(Rc<RefCell<Value>>),
}

const _: () = assert!(std::mem::size_of::<Value>() == 16);

/// An immutable UTF-8 string.
#[derive(Debug)]
pub struct SxStr {
    pub s: Box<str>,
    /// Number of chars, or `u32::MAX` when not yet computed (len is by character).
    pub char_len: Cell<u32>,
}

/// A list: a view `start..end` of a shared backing vector, so `rest`/`drop`/`slice`
/// are O(1) and `nth`/`len` are O(1). `append!` pushes to the backing vector when
/// the view ends at its end (other views keep their own `end` so they do not change),
/// and copies otherwise.
#[derive(Debug)]
pub struct List {
    pub data: RefCell<Rc<RefCell<Vec<Value>>>>,
    pub start: Cell<usize>,
    pub end: Cell<usize>,
}

/// A dict: string keys (keywords stored by name) in insertion order.
#[derive(Debug)]
pub struct Dict {
    pub map: RefCell<IndexMap<Rc<str>, Value, rustc_hash::FxBuildHasher>>,
}

/// A closure: compiled code plus captured values.
#[derive(Debug)]
pub struct Closure {
    pub proto: Rc<Proto>,
    pub captures: Box<[Value]>,
}

/// A macro as a value (`#<macro name>`); macros are applied at expansion time.
#[derive(Debug)]
pub struct MacroObj {
    pub name: String,
}

/// `(defcomp ~name (&key a b &rest children) body...)`: `func` takes the declared
/// keys positionally, then the children list when `has_rest`.
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
