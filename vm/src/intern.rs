//! Symbol interner: symbol and keyword names become [`Sym`] ids.
//!
//! Ids are process-wide (one append-only global table behind a mutex), so a
//! `Sym` means the same name on every thread; each thread keeps a lock-free
//! cache of the table (a prefix of it), so interning a known name and reading a
//! name are a thread-local lookup. Interned names are never freed, so [`name`]
//! can hand out `&'static str`; the table grows with the number of distinct
//! names (see `docs/values.md`).

use crate::value::Sym;
use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::sync::Mutex;

#[derive(Default)]
struct Table {
    ids: FxHashMap<&'static str, u32>,
    names: Vec<&'static str>,
}

static GLOBAL: Mutex<Option<Table>> = Mutex::new(None);

thread_local! {
    /// This thread's copy of a prefix of the global table.
    static LOCAL: RefCell<Table> = RefCell::new(Table::default());
}

/// Registers this thread's [`LOCAL`] (`crate::isolate::warm_thread_locals`).
pub(crate) fn warm_thread_local() {
    LOCAL.with(|_| {});
}

/// Copies the global entries this thread has not seen yet into `local`.
fn sync(local: &mut Table, global: &Table) {
    for &s in &global.names[local.names.len()..] {
        let id = local.names.len() as u32;
        local.names.push(s);
        local.ids.insert(s, id);
    }
}

/// The id of `name`, adding it to the table when new.
pub fn intern(name: &str) -> Sym {
    LOCAL.with(|l| {
        let mut local = l.borrow_mut();
        if let Some(&id) = local.ids.get(name) {
            return Sym(id);
        }
        let mut g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
        let global = g.get_or_insert_with(Table::default);
        if !global.ids.contains_key(name) {
            let s: &'static str = Box::leak(name.to_owned().into_boxed_str());
            let id = global.names.len() as u32;
            global.names.push(s);
            global.ids.insert(s, id);
        }
        sync(&mut local, global);
        Sym(local.ids[name])
    })
}

/// The id of `name` if it was interned (on any thread).
pub fn lookup(name: &str) -> Option<Sym> {
    if let Some(id) = LOCAL.with(|l| l.borrow().ids.get(name).copied()) {
        return Some(Sym(id));
    }
    let g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
    g.as_ref().and_then(|t| t.ids.get(name)).map(|&id| Sym(id))
}

/// The text of `sym`. Panics on an id that was never handed out.
#[inline]
pub fn name(sym: Sym) -> &'static str {
    LOCAL.with(|l| {
        if let Some(&s) = l.borrow().names.get(sym.0 as usize) {
            return s;
        }
        let mut local = l.borrow_mut();
        let g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
        sync(&mut local, g.as_ref().expect("symbol table is empty"));
        local.names[sym.0 as usize]
    })
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

    #[test]
    fn ids_are_shared_across_threads() {
        let a = intern("cross-thread-a");
        let (b, name_a) = std::thread::spawn(move || (intern("cross-thread-b"), name(a))).join().unwrap();
        assert_eq!(name_a, "cross-thread-a");
        assert_eq!(name(b), "cross-thread-b");
        assert_eq!(intern("cross-thread-b"), b);
    }
}
