//! Cycle collection for the reference-counted heap (synchronous trial deletion,
//! in the style of Bacon & Rajan 2001, restricted to candidate roots).
//!
//! Reference counting frees everything acyclic. A cycle needs a mutation that
//! stores a container into something older: `append!` of a container value,
//! `dict-set!` of one, or a cell (a captured, `set!` variable — letrec mutual
//! recursion). Those places register the mutated container as a *candidate*
//! ([`List::append`], [`Dict::put`], [`Value::cell`]); `collect_cycles`
//! then looks at the subgraph reachable from the candidates:
//!
//! 1. every reachable list, shared list backing, dict, closure and cell is a node; for
//!    each node count the references to it found *inside* the subgraph;
//! 2. a node whose `Rc::strong_count` exceeds that internal count (minus the one
//!    reference the collector itself holds) is referenced from outside —
//!    registers, globals, the Rust stack — and is live, as is everything
//!    reachable from it;
//! 3. the rest is garbage held only by cycles: the collector empties its
//!    mutable containers (dict maps, owned list elements, list backings, cells), which breaks every
//!    cycle, and reference counting frees the objects.
//!
//! The count of step 2 only ever under-counts internal references (edges the
//! collector does not traverse — element children, component functions — look
//! external), so it can only keep too much, never free something reachable.
//! Call it between requests or when [`candidates`] grows; it is not run
//! automatically.

use crate::value::{Closure, Dict, List, ListRepr, Value};
use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::rc::{Rc, Weak};

/// A registered candidate root.
enum Candidate {
    List(Weak<List>),
    Dict(Weak<Dict>),
    Cell(Weak<RefCell<Value>>),
}

impl Candidate {
    fn alive(&self) -> bool {
        match self {
            Candidate::List(w) => w.strong_count() > 0,
            Candidate::Dict(w) => w.strong_count() > 0,
            Candidate::Cell(w) => w.strong_count() > 0,
        }
    }
}

/// Registers this thread's [`CANDIDATES`] (`crate::isolate::warm_thread_locals`).
pub(crate) fn warm_thread_local() {
    CANDIDATES.with(|_| {});
}

thread_local! {
    static CANDIDATES: RefCell<Vec<Candidate>> = const { RefCell::new(Vec::new()) };
    /// Buffer size at which dead candidates are pruned (so an application that
    /// never collects does not grow the buffer without bound).
    static PRUNE_AT: std::cell::Cell<usize> = const { std::cell::Cell::new(4096) };
}

fn push_candidate(c: Candidate) {
    CANDIDATES.with(|cs| {
        let mut cs = cs.borrow_mut();
        cs.push(c);
        let limit = PRUNE_AT.with(|p| p.get());
        if cs.len() >= limit {
            cs.retain(Candidate::alive);
            PRUNE_AT.with(|p| p.set((cs.len() * 2).max(4096)));
        }
    });
}

/// True for values that can close a cycle when stored into a container.
#[inline]
pub fn is_container(v: &Value) -> bool {
    matches!(v, Value::List(_) | Value::Dict(_) | Value::Closure(_) | Value::Cell(_))
}

/// Registers a list that had a container appended (once until the next collection).
pub(crate) fn note_list(l: &Rc<List>) {
    if !l.gc_buffered.replace(true) {
        push_candidate(Candidate::List(Rc::downgrade(l)));
    }
}

/// Registers a dict that had a container stored (once until the next collection).
pub(crate) fn note_dict(d: &Rc<Dict>) {
    if !d.gc_buffered.replace(true) {
        push_candidate(Candidate::Dict(Rc::downgrade(d)));
    }
}

/// Registers a cell (every cell is a candidate: cells are how local functions
/// refer to each other).
pub(crate) fn note_cell(c: &Rc<RefCell<Value>>) {
    push_candidate(Candidate::Cell(Rc::downgrade(c)));
}

/// Number of registered candidates (a cheap trigger for [`collect_cycles`]).
pub fn candidates() -> usize {
    CANDIDATES.with(|c| c.borrow().len())
}

/// One heap object in the traversal (holding one strong reference).
enum Node {
    List(Rc<List>),
    Backing(Rc<RefCell<Vec<Value>>>),
    Dict(Rc<Dict>),
    Closure(Rc<Closure>),
    Cell(Rc<RefCell<Value>>),
}

impl Node {
    fn strong(&self) -> usize {
        match self {
            Node::List(r) => Rc::strong_count(r),
            Node::Backing(r) => Rc::strong_count(r),
            Node::Dict(r) => Rc::strong_count(r),
            Node::Closure(r) => Rc::strong_count(r),
            Node::Cell(r) => Rc::strong_count(r),
        }
    }
}

#[derive(Default)]
struct Graph {
    nodes: Vec<Node>,
    internal: Vec<usize>,
    edges: Vec<Vec<usize>>,
    index: FxHashMap<usize, usize>,
}

impl Graph {
    /// The node for an object (added when new); `edge` counts a reference to it.
    fn node(&mut self, addr: usize, make: impl FnOnce() -> Node) -> usize {
        if let Some(&i) = self.index.get(&addr) {
            return i;
        }
        let i = self.nodes.len();
        self.nodes.push(make());
        self.internal.push(0);
        self.edges.push(Vec::new());
        self.index.insert(addr, i);
        i
    }

    fn value_node(&mut self, v: &Value) -> Option<usize> {
        Some(match v {
            Value::List(r) => self.node(Rc::as_ptr(r) as *const () as usize, || Node::List(r.clone())),
            Value::Dict(r) => self.node(Rc::as_ptr(r) as *const () as usize, || Node::Dict(r.clone())),
            Value::Closure(r) => self.node(Rc::as_ptr(r) as *const () as usize, || Node::Closure(r.clone())),
            Value::Cell(r) => self.node(Rc::as_ptr(r) as *const () as usize, || Node::Cell(r.clone())),
            _ => return None,
        })
    }

    /// Expands node `i`: records its outgoing edges, adding new nodes.
    fn expand(&mut self, i: usize) {
        let mut out = Vec::new();
        let mut targets: Vec<Value> = Vec::new();
        match &self.nodes[i] {
            Node::List(l) => {
                let backing = match l.repr.try_borrow().as_deref() {
                    Ok(ListRepr::Shared { data, .. }) => Some(data.clone()),
                    Ok(ListRepr::Own(items)) => {
                        targets.extend(items.iter().filter(|x| is_container(x)).cloned());
                        None
                    }
                    Err(_) => None,
                };
                if let Some(b) = backing {
                    let j = self.node(Rc::as_ptr(&b) as *const () as usize, || Node::Backing(b.clone()));
                    out.push(j);
                }
            }
            Node::Backing(b) => {
                if let Ok(items) = b.try_borrow() {
                    targets.extend(items.iter().filter(|x| is_container(x)).cloned());
                }
            }
            Node::Dict(d) => {
                if let Ok(m) = d.map.try_borrow() {
                    targets.extend(m.values().filter(|x| is_container(x)).cloned());
                }
            }
            Node::Closure(c) => targets.extend(c.captures.iter().filter(|x| is_container(x)).cloned()),
            Node::Cell(c) => {
                if let Ok(v) = c.try_borrow() {
                    if is_container(&v) {
                        targets.push(v.clone());
                    }
                }
            }
        }
        for t in &targets {
            if let Some(j) = self.value_node(t) {
                out.push(j);
            }
        }
        drop(targets); // our temporary clones must not count as external references
        for &j in &out {
            self.internal[j] += 1;
        }
        self.edges[i] = out;
    }
}

/// Finds garbage cycles reachable from the registered candidates and breaks
/// them. Returns the number of containers emptied.
pub fn collect_cycles() -> usize {
    let cands = CANDIDATES.with(|c| std::mem::take(&mut *c.borrow_mut()));
    let mut g = Graph::default();
    for c in &cands {
        match c {
            Candidate::List(w) => {
                if let Some(l) = w.upgrade() {
                    l.gc_buffered.set(false);
                    g.value_node(&Value::List(l));
                }
            }
            Candidate::Dict(w) => {
                if let Some(d) = w.upgrade() {
                    d.gc_buffered.set(false);
                    g.value_node(&Value::Dict(d));
                }
            }
            Candidate::Cell(w) => {
                if let Some(c) = w.upgrade() {
                    g.value_node(&Value::Cell(c));
                }
            }
        }
    }
    drop(cands);
    let mut i = 0;
    while i < g.nodes.len() {
        g.expand(i);
        i += 1;
    }
    // live: referenced from outside the subgraph, and everything they reach
    let n = g.nodes.len();
    let mut live = vec![false; n];
    let mut stack: Vec<usize> = (0..n).filter(|&i| g.nodes[i].strong() > g.internal[i] + 1).collect();
    for &i in &stack {
        live[i] = true;
    }
    while let Some(i) = stack.pop() {
        for &j in &g.edges[i] {
            if !live[j] {
                live[j] = true;
                stack.push(j);
            }
        }
    }
    // garbage: empty the mutable containers (drop the contents after the loop)
    let mut dead_values: Vec<Value> = Vec::new();
    let mut dead_maps = Vec::new();
    let mut cleared = 0;
    for (i, node) in g.nodes.iter().enumerate() {
        if live[i] {
            continue;
        }
        match node {
            Node::Backing(b) => {
                if let Ok(mut items) = b.try_borrow_mut() {
                    dead_values.append(&mut items);
                    cleared += 1;
                }
            }
            Node::Dict(d) => {
                if let Ok(mut m) = d.map.try_borrow_mut() {
                    dead_maps.push(std::mem::take(&mut *m));
                    cleared += 1;
                }
            }
            Node::Cell(c) => {
                if let Ok(mut v) = c.try_borrow_mut() {
                    dead_values.push(std::mem::replace(&mut *v, Value::Nil));
                    cleared += 1;
                }
            }
            Node::List(l) => {
                // An owned list's elements (a shared backing is its own node).
                if let Ok(mut repr) = l.repr.try_borrow_mut() {
                    if let ListRepr::Own(items) = &mut *repr {
                        dead_values.extend(items.drain(..));
                        cleared += 1;
                    }
                }
            }
            Node::Closure(_) => {}
        }
    }
    drop(g);
    drop(dead_maps);
    drop(dead_values);
    cleared
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn weak_list(v: &Value) -> Weak<List> {
        Rc::downgrade(v.as_list().unwrap())
    }

    #[test]
    fn self_containing_list_is_freed() {
        collect_cycles();
        let xs = Value::empty_list();
        xs.as_list().unwrap().append(xs.clone());
        let w = weak_list(&xs);
        drop(xs);
        assert!(w.upgrade().is_some(), "leaked by refcounting alone");
        assert!(collect_cycles() >= 1);
        assert!(w.upgrade().is_none(), "freed by the cycle collector");
    }

    #[test]
    fn dict_cycle_through_list_is_freed() {
        collect_cycles();
        let d = Value::dict(vec![]);
        let l = Value::list(vec![d.clone(), Value::Int(1)]);
        d.as_dict().unwrap().put("l", l.clone());
        let wd = Rc::downgrade(d.as_dict().unwrap());
        drop((d, l));
        assert!(wd.upgrade().is_some());
        collect_cycles();
        assert!(wd.upgrade().is_none());
    }

    #[test]
    fn cell_cycle_is_freed() {
        collect_cycles();
        let a = Value::cell(Value::Nil);
        let b = Value::cell(a.clone());
        if let Value::Cell(c) = &a {
            *c.borrow_mut() = b.clone();
        }
        let w = match &a {
            Value::Cell(c) => Rc::downgrade(c),
            _ => unreachable!(),
        };
        drop((a, b));
        assert!(w.upgrade().is_some());
        collect_cycles();
        assert!(w.upgrade().is_none());
    }

    #[test]
    fn reachable_cycles_are_kept() {
        collect_cycles();
        let xs = Value::empty_list();
        xs.as_list().unwrap().append(xs.clone());
        xs.as_list().unwrap().push(Value::Int(7));
        let holder = Value::list(vec![xs.clone()]); // external reference, not a candidate
        drop(xs);
        assert_eq!(collect_cycles(), 0);
        let inner = holder.as_list().unwrap().get(0).unwrap();
        assert_eq!(inner.as_list().unwrap().len(), 2);
        assert_eq!(inner.as_list().unwrap().get(1).unwrap().as_int(), Some(7));
        // a view keeps its backing alive too
        let ys = Value::empty_list();
        ys.as_list().unwrap().append(ys.clone());
        ys.as_list().unwrap().push(Value::Int(8));
        let view = Value::List(Rc::new(ys.as_list().unwrap().rest()));
        drop(ys);
        assert_eq!(collect_cycles(), 0);
        assert_eq!(view.as_list().unwrap().get(0).unwrap().as_int(), Some(8));
        // break the cycles we made so the test does not leak
        for v in [inner, view] {
            drop(v.as_list().unwrap().take_storage());
        }
    }

    #[test]
    fn dead_candidates_are_pruned() {
        collect_cycles();
        for _ in 0..10_000 {
            let _ = Value::cell(Value::Nil);
        }
        assert!(candidates() < 4096, "dead cells pruned, got {}", candidates());
        collect_cycles();
    }

    #[test]
    fn non_container_stores_are_not_candidates() {
        collect_cycles();
        let d = Value::dict(vec![]);
        for i in 0..1000 {
            d.as_dict().unwrap().put(&format!("k{i}"), Value::Int(i));
        }
        let l = Value::empty_list();
        for i in 0..1000 {
            l.as_list().unwrap().append(Value::Int(i));
        }
        assert_eq!(candidates(), 0);
        l.as_list().unwrap().append(Value::empty_list());
        l.as_list().unwrap().append(Value::empty_list());
        assert_eq!(candidates(), 1, "registered once until collected");
        collect_cycles();
        assert_eq!(l.as_list().unwrap().len(), 1002, "live list untouched");
    }

    #[test]
    fn many_cycles_are_freed() {
        collect_cycles();
        let mut weaks = Vec::new();
        for i in 0..10_000 {
            let a = Value::dict(vec![]);
            let b = Value::list(vec![Value::Int(i)]);
            a.as_dict().unwrap().put("b", b.clone());
            b.as_list().unwrap().append(a.clone());
            weaks.push(Rc::downgrade(a.as_dict().unwrap()));
        }
        collect_cycles();
        assert!(weaks.iter().all(|w| w.upgrade().is_none()));
    }

    use proptest::prelude::*;

    proptest! {
        /// Random graphs of lists and dicts: after a collection every object
        /// reachable from a kept handle is intact, and every other one is freed.
        #[test]
        fn collector_is_safe_and_complete(
            kinds in prop::collection::vec(any::<bool>(), 1..10),
            edges in prop::collection::vec((0usize..10, 0usize..10), 0..30),
            keep in prop::collection::vec(any::<bool>(), 10),
        ) {
            collect_cycles();
            let n = kinds.len();
            let nodes: Vec<Value> = kinds.iter().map(|&is_list| if is_list { Value::empty_list() } else { Value::dict(vec![]) }).collect();
            let mut adj = vec![Vec::new(); n];
            for (k, &(from, to)) in edges.iter().enumerate() {
                let (from, to) = (from % n, to % n);
                adj[from].push(to);
                match &nodes[from] {
                    Value::List(l) => l.append(nodes[to].clone()),
                    Value::Dict(d) => d.put(&format!("e{k}"), nodes[to].clone()),
                    _ => unreachable!(),
                }
            }
            let sizes: Vec<usize> = nodes.iter().map(|v| match v {
                Value::List(l) => l.len(),
                Value::Dict(d) => d.len(),
                _ => 0,
            }).collect();
            enum W { L(Weak<List>), D(Weak<Dict>) }
            let weaks: Vec<W> = nodes.iter().map(|v| match v {
                Value::List(l) => W::L(Rc::downgrade(l)),
                Value::Dict(d) => W::D(Rc::downgrade(d)),
                _ => unreachable!(),
            }).collect();
            let kept: Vec<Value> = (0..n).filter(|&i| keep[i]).map(|i| nodes[i].clone()).collect();
            drop(nodes);
            // reachability in the model
            let mut reach = vec![false; n];
            let mut stack: Vec<usize> = (0..n).filter(|&i| keep[i]).collect();
            while let Some(i) = stack.pop() {
                if !reach[i] {
                    reach[i] = true;
                    stack.extend(adj[i].iter().copied());
                }
            }
            collect_cycles();
            for i in 0..n {
                let (alive, size) = match &weaks[i] {
                    W::L(w) => match w.upgrade() { Some(l) => (true, l.len()), None => (false, 0) },
                    W::D(w) => match w.upgrade() { Some(d) => (true, d.len()), None => (false, 0) },
                };
                prop_assert_eq!(alive, reach[i], "node {} alive={} reachable={}", i, alive, reach[i]);
                if reach[i] {
                    prop_assert_eq!(size, sizes[i], "node {} changed", i);
                }
            }
            // tidy up the cycles we keep
            for v in &kept {
                match v {
                    Value::List(l) => drop(l.take_storage()),
                    Value::Dict(d) => d.map.borrow_mut().clear(),
                    _ => {}
                }
            }
        }
    }
}
