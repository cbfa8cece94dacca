//! Effect inference ([`infer_effects`]) and suspension-point marking
//! ([`mark_suspension_points`]).
//!
//! Effects form the lattice `Pure < MayRaise < MaySuspend`. The inference is a
//! least fixpoint over all functions of the module: every function starts
//! `Pure` and is raised until stable, so self- and mutual recursion through
//! known callees resolve to the effect of the non-recursive parts (fib is
//! `may-raise`).
//!
//! **Known callees** (whole-program assumption: the module is the program):
//! - `SelfRef` (the running function),
//! - a value produced by `MakeClosure(f, ..)` in the same function,
//! - `GlobalGet(name)` where `name` is defined exactly once in the module, by a
//!   `GlobalDefine(name, v)` in the entry function with `v` a `MakeClosure(f, ..)`
//!   of the entry function, and never `GlobalSet` anywhere ([`known_globals`]);
//! - `Capture(i)` when every `MakeClosure` of the function passes a known
//!   callee of the same function at position `i` ([`Callees`]).
//!
//! Any other callee is unknown and makes the call `may-suspend`.
//!
//! Per instruction: `GlobalGet`/`GlobalSet` (unbound name), typed overflow ops
//! and primitives (type errors; except a few total ones, see [`prim_effect`])
//! are `may-raise`; calls are at least `may-raise` (arity, stack overflow) and
//! otherwise take the callee's effect; `Suspend` is `may-suspend`; `Raise` is
//! `may-raise`; `TryCall` absorbs raises of its thunk (so it is `pure` unless
//! the thunk may suspend).

use crate::entities::{FuncId, Value};
use crate::function::{BlockCall, Function, InstData, Module, Terminator, ValueDef};
use crate::types::Effect;
use rustc_hash::FxHashMap;

/// Globals bound once, at top level, to a closure of a known function and never
/// `set!` (see the module docs): `name -> function`.
pub fn known_globals(m: &Module) -> FxHashMap<String, FuncId> {
    let mut defs: FxHashMap<String, u32> = FxHashMap::default();
    let mut set: FxHashMap<String, ()> = FxHashMap::default();
    for f in &m.funcs {
        for b in &f.blocks {
            for &i in &b.insts {
                match &f.inst(i).data {
                    InstData::GlobalDefine(n, _) => *defs.entry(n.clone()).or_default() += 1,
                    InstData::GlobalSet(n, _) => {
                        set.insert(n.clone(), ());
                    }
                    _ => {}
                }
            }
        }
    }
    let mut known = FxHashMap::default();
    let Some(entry) = m.entry.filter(|e| e.index() < m.funcs.len()) else { return known };
    let ef = m.func(entry);
    for b in &ef.blocks {
        for &i in &b.insts {
            if let InstData::GlobalDefine(n, v) = &ef.inst(i).data {
                if defs.get(n) == Some(&1) && !set.contains_key(n) {
                    if let ValueDef::Inst(d) = ef.values[v.index()].def {
                        if let InstData::MakeClosure(g, _) = &ef.inst(d).data {
                            known.insert(n.clone(), *g);
                        }
                    }
                }
            }
        }
    }
    known
}

/// Whole-module knowledge of which function a callee value is a closure of:
/// the known globals ([`known_globals`]) plus, per function and capture
/// index, the function every closure captured there is a closure of, when all
/// `MakeClosure` sites agree (a least fixpoint over the sites; e.g. a local
/// helper defined with internal `define` and called from a nested lambda).
#[derive(Clone, Debug, Default)]
pub struct Callees {
    pub globals: FxHashMap<String, FuncId>,
    /// `captures[f][i]`: `Capture(i)` in function `f` is always a closure of this function.
    pub captures: Vec<Vec<Option<FuncId>>>,
}

#[derive(Copy, Clone, PartialEq)]
enum K {
    /// No closure flows here (yet).
    Bot,
    Known(FuncId),
    Unknown,
}

impl Callees {
    /// Analyses `m`; with `closed_world == false` no global is known (captures
    /// are still tracked: they never escape the module's own `MakeClosure`s).
    pub fn analyse(m: &Module, closed_world: bool) -> Callees {
        let globals = if closed_world { known_globals(m) } else { FxHashMap::default() };
        let mut table: Vec<Vec<K>> = m.funcs.iter().map(|f| vec![K::Bot; f.ncaptures as usize]).collect();
        let resolve = |table: &Vec<Vec<K>>, f: &Function, s: FuncId, v: Value| -> K {
            match f.values.get(v.index()).map(|d| d.def) {
                Some(ValueDef::Inst(i)) => match &f.inst(i).data {
                    InstData::SelfRef => K::Known(s),
                    InstData::MakeClosure(g, _) => K::Known(*g),
                    InstData::GlobalGet(n) => globals.get(n).map_or(K::Unknown, |g| K::Known(*g)),
                    InstData::Capture(j) => table[s.index()].get(*j as usize).copied().unwrap_or(K::Unknown),
                    _ => K::Unknown,
                },
                _ => K::Unknown,
            }
        };
        loop {
            let mut changed = false;
            for (si, f) in m.funcs.iter().enumerate() {
                for b in &f.blocks {
                    for &i in &b.insts {
                        let InstData::MakeClosure(g, caps) = &f.inst(i).data else { continue };
                        for (k, c) in caps.iter().enumerate() {
                            let new = resolve(&table, f, FuncId::new(si), *c);
                            let Some(slot) = table.get_mut(g.index()).and_then(|t| t.get_mut(k)) else { continue };
                            let joined = match (*slot, new) {
                                (K::Bot, x) | (x, K::Bot) => x,
                                (K::Known(a), K::Known(b)) if a == b => K::Known(a),
                                _ => K::Unknown,
                            };
                            if joined != *slot {
                                *slot = joined;
                                changed = true;
                            }
                        }
                    }
                }
            }
            if !changed {
                break;
            }
        }
        let captures = table
            .into_iter()
            .map(|t| t.into_iter().map(|k| if let K::Known(g) = k { Some(g) } else { None }).collect())
            .collect();
        Callees { globals, captures }
    }

    /// The function `v` (a value of function `this`, whose body is `f`) is known
    /// to be a closure of: `SelfRef`, `MakeClosure`, a known global, or a capture
    /// known from the fixpoint.
    pub fn callee(&self, f: &Function, this: FuncId, v: Value) -> Option<FuncId> {
        match f.values.get(v.index())?.def {
            ValueDef::Inst(i) => match &f.inst(i).data {
                InstData::Capture(j) => self.captures.get(this.index())?.get(*j as usize).copied().flatten(),
                _ => known_callee(f, this, &self.globals, v),
            },
            ValueDef::Param(..) => None,
        }
    }
}

/// The function a callee value is known to be a closure of, if any
/// (`this` is the id of `f`), considering `SelfRef`, `MakeClosure` and known
/// globals only (see [`Callees`] for captures too).
pub fn known_callee(f: &Function, this: FuncId, globals: &FxHashMap<String, FuncId>, v: Value) -> Option<FuncId> {
    match f.values.get(v.index())?.def {
        ValueDef::Inst(i) => match &f.inst(i).data {
            InstData::SelfRef => Some(this),
            InstData::MakeClosure(g, _) => Some(*g),
            InstData::GlobalGet(n) => globals.get(n).copied(),
            _ => None,
        },
        ValueDef::Param(..) => None,
    }
}

/// The effect of calling primitive `name` with `nargs` arguments: `Pure` for a
/// few total primitives at their arity (`not`, `eq?`, `list`, `%list`, type
/// predicates), `MayRaise` otherwise. Primitives never suspend.
pub fn prim_effect(name: &str, nargs: usize) -> Effect {
    let pure = match name {
        "list" | "%list" => true,
        "eq?" => nargs == 2,
        "not" | "nil?" | "boolean?" | "number?" | "integer?" | "float?" | "string?" | "symbol?" | "keyword?" | "list?" | "dict?"
        | "fn?" | "type-of" => nargs == 1,
        _ => false,
    };
    if pure {
        Effect::Pure
    } else {
        Effect::MayRaise
    }
}

/// Effect of a call of `callee`: unknown ⇒ may-suspend; known ⇒ at least
/// may-raise (wrong argument count, stack overflow).
fn call_effect(effects: &[Effect], callee: Option<FuncId>) -> Effect {
    match callee {
        None => Effect::MaySuspend,
        Some(g) => effects[g.index()].max(Effect::MayRaise),
    }
}

/// The effect of one function body given the current estimates for all functions.
fn function_effect(m: &Module, id: FuncId, callees: &Callees, effects: &[Effect]) -> Effect {
    let f = m.func(id);
    let mut e = Effect::Pure;
    let known = |v| callees.callee(f, id, v);
    for b in &f.blocks {
        for &i in &b.insts {
            let ie = match &f.inst(i).data {
                InstData::Const(_)
                | InstData::Capture(_)
                | InstData::SelfRef
                | InstData::GlobalDefine(..)
                | InstData::MakeClosure(..)
                | InstData::CellNew(_)
                | InstData::CellGet(_)
                | InstData::CellSet(..)
                | InstData::ICmp(..)
                | InstData::Guard { .. } => Effect::Pure,
                InstData::GlobalGet(_) | InstData::GlobalSet(..) | InstData::IAddOvf(..) | InstData::ISubOvf(..) | InstData::IMulOvf(..) => {
                    Effect::MayRaise
                }
                InstData::Prim(n, args) => prim_effect(n, args.len()),
                InstData::Call(c, _) => call_effect(effects, known(*c)),
            };
            e = e.max(ie);
        }
        let te = match &b.term {
            Terminator::Jump(_) | Terminator::Branch { .. } | Terminator::Return(_) | Terminator::Unterminated => Effect::Pure,
            Terminator::Raise(_) => Effect::MayRaise,
            Terminator::Suspend { .. } => Effect::MaySuspend,
            Terminator::TailCall { callee, .. } | Terminator::CallK { callee, .. } => call_effect(effects, known(*callee)),
            Terminator::ApplyK { callee, .. } | Terminator::TailApply { callee, .. } => call_effect(effects, known(*callee)),
            Terminator::TryCall { thunk, .. } => match known(*thunk) {
                Some(g) if effects[g.index()] < Effect::MaySuspend => Effect::Pure,
                _ => Effect::MaySuspend,
            },
        };
        e = e.max(te);
        if e == Effect::MaySuspend {
            break;
        }
    }
    e
}

/// Infers [`Function::effect`] for every function of `m` (least fixpoint; see
/// the module docs). Closed world: `m` is the whole program.
pub fn infer_effects(m: &mut Module) {
    infer_effects_with(m, true)
}

/// [`infer_effects`]; with `closed_world == false` no global is a known callee
/// (for a module whose globals other modules may redefine, e.g. a prelude
/// compiled separately from the program).
pub fn infer_effects_with(m: &mut Module, closed_world: bool) {
    let callees = Callees::analyse(m, closed_world);
    let mut effects = vec![Effect::Pure; m.funcs.len()];
    loop {
        let mut changed = false;
        for i in 0..m.funcs.len() {
            let e = function_effect(m, FuncId::new(i), &callees, &effects).max(effects[i]);
            if e != effects[i] {
                effects[i] = e;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for (f, e) in m.funcs.iter_mut().zip(effects) {
        f.effect = e;
    }
}

/// Rewrites every `CallK` whose callee is known and not `may-suspend` (per the
/// already inferred [`Function::effect`]s) into `v = call callee(args)` followed
/// by `jump cont(v)`. Afterwards the remaining `CallK`, `ApplyK`, `Suspend` and
/// `TryCall` terminators are exactly the suspension points. Run
/// [`infer_effects`] first. Closed world (see [`mark_suspension_points_with`]).
pub fn mark_suspension_points(m: &mut Module) {
    mark_suspension_points_with(m, true)
}

/// [`mark_suspension_points`]; with `closed_world == false` calls through
/// globals are never rewritten (see [`infer_effects_with`]).
pub fn mark_suspension_points_with(m: &mut Module, closed_world: bool) {
    let callees = Callees::analyse(m, closed_world);
    let effects: Vec<Effect> = m.funcs.iter().map(|f| f.effect).collect();
    for fi in 0..m.funcs.len() {
        let id = FuncId::new(fi);
        let f = &mut m.funcs[fi];
        for bi in 0..f.blocks.len() {
            let Terminator::CallK { callee, args, cont } = &f.blocks[bi].term else { continue };
            let Some(g) = callees.callee(f, id, *callee) else { continue };
            if effects[g.index()] == Effect::MaySuspend {
                continue;
            }
            let (callee, args, cont) = (*callee, args.clone(), *cont);
            let span = f.blocks[bi].term_span;
            let b = crate::Block::new(bi);
            let ty = crate::Type::Any;
            let v = f.push_inst(b, InstData::Call(callee, args), ty, span);
            f.set_terminator(b, Terminator::Jump(BlockCall { block: cont, args: vec![v] }), span);
        }
    }
}
