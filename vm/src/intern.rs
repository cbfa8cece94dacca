//! Per-thread symbol interner: symbol and keyword names become [`Sym`] ids.
//!
//! Each isolate (thread) has its own table; ids are only meaningful on the
//! thread that made them (values never cross threads — [`crate::data::Data`]
//! carries names as strings). Interned names are never freed, so
//! [`name`] can hand out `&'static str`.

use crate::value::Sym;
use rustc_hash::FxHashMap;
use std::cell::RefCell;

#[derive(Default)]
struct Interner {
    ids: FxHashMap<&'static str, u32>,
    names: Vec<&'static str>,
}

thread_local! {
    static INTERNER: RefCell<Interner> = RefCell::new(Interner::default());
}

/// The id of `name`, adding it to this thread's table when new.
pub fn intern(name: &str) -> Sym {
    INTERNER.with(|i| {
        let mut i = i.borrow_mut();
        if let Some(&id) = i.ids.get(name) {
            return Sym(id);
        }
        let s: &'static str = Box::leak(name.to_owned().into_boxed_str());
        let id = i.names.len() as u32;
        i.names.push(s);
        i.ids.insert(s, id);
        Sym(id)
    })
}

/// The id of `name` if it was interned on this thread.
pub fn lookup(name: &str) -> Option<Sym> {
    INTERNER.with(|i| i.borrow().ids.get(name).map(|&id| Sym(id)))
}

/// The text of `sym`. Panics if `sym` was not made on this thread.
pub fn name(sym: Sym) -> &'static str {
    INTERNER.with(|i| i.borrow().names[sym.0 as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_stable() {
        let a = intern("foo");
        let b = intern("bar");
        assert_ne!(a, b);
        assert_eq!(intern("foo"), a);
        assert_eq!(name(a), "foo");
        assert_eq!(lookup("bar"), Some(b));
        assert_eq!(lookup("never-seen-xyz"), None);
    }
}
