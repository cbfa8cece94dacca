//! Optimisation passes over [`Module`]s, and the standard pipeline [`optimise`].
//!
//! Every pass keeps the module valid for [`crate::verify_module`]; passes that
//! remove blocks finish with [`compact`] (dense renumbering).

mod compact;
pub mod const_fold;
pub mod dead_funcs;
pub mod dce;
pub mod defined_globals;
pub mod inline;
pub mod lift_captures;
pub mod simplify_cfg;
pub mod types;

pub use compact::compact;
pub use dead_funcs::remove_dead_functions;
pub use types::infer_types;

use crate::effects::{infer_effects_with, mark_suspension_points_with};
use crate::entities::{FuncId, Inst};
use crate::function::{InstData, Module};
use rustc_hash::FxHashMap;

/// Where each function's closures are made: for every function with a placed
/// `MakeClosure` of it, the (maker function, instruction) pairs.
pub(crate) fn closure_sites(m: &Module) -> FxHashMap<FuncId, Vec<(FuncId, Inst)>> {
    let mut sites: FxHashMap<FuncId, Vec<(FuncId, Inst)>> = FxHashMap::default();
    for (fi, f) in m.funcs.iter().enumerate() {
        for b in &f.blocks {
            for &i in &b.insts {
                if let InstData::MakeClosure(g, _) = f.inst(i).data {
                    sites.entry(g).or_default().push((FuncId::new(fi), i));
                }
            }
        }
    }
    sites
}

/// Constant folding on every function ([`mod@const_fold`]).
pub fn const_fold(m: &mut Module) {
    for f in &mut m.funcs {
        const_fold::const_fold_function(f);
    }
}

/// Dead-code elimination and compaction on every function ([`mod@dce`]).
pub fn dce(m: &mut Module) {
    for f in &mut m.funcs {
        dce::dce_function(f);
    }
}

/// CFG simplification on every function ([`mod@simplify_cfg`]).
pub fn simplify_cfg(m: &mut Module) {
    for f in &mut m.funcs {
        simplify_cfg::simplify_cfg_function(f);
    }
}

/// Inlining of small known callees at `Call` sites ([`mod@inline`]), closed world.
pub fn inline(m: &mut Module) {
    inline::inline_module(m, true);
}

/// Options of [`optimise_with`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct OptOptions {
    /// The module is the whole program: a global defined once at top level to
    /// a closure and never `set!` is a known callee (effects, suspension
    /// points, inlining). Set to `false` for a module whose globals other
    /// modules may redefine (e.g. a prelude compiled separately, a REPL line).
    pub closed_world: bool,
    /// Run [`mod@inline`].
    pub inline: bool,
}

impl Default for OptOptions {
    fn default() -> Self {
        OptOptions { closed_world: true, inline: true }
    }
}

/// Runs `pass` then, in debug builds, the verifier; a verifier failure is a
/// compiler bug and panics with the pass name, the messages and the IR.
fn run(m: &mut Module, name: &str, pass: impl FnOnce(&mut Module)) {
    pass(m);
    if cfg!(debug_assertions) {
        if let Err(errs) = crate::verify_module(m) {
            panic!("IR verifier failed after pass `{name}`:\n  {}\n\n{m}", errs.join("\n  "));
        }
    }
}

/// The standard pipeline: effects → mark suspension points → const_fold →
/// simplify_cfg → dce → inline → cleanup (const_fold, simplify_cfg, dce, then
/// effects and suspension points again, as inlining can make callees known;
/// unreferenced functions removed) → removal of unused reads of globals
/// defined before they run ([`mod@defined_globals`]) → lifting of known
/// local functions' captures into parameters ([`mod@lift_captures`]) → type
/// inference. The verifier runs after every pass in debug builds.
pub fn optimise(m: &mut Module) {
    optimise_with(m, &OptOptions::default())
}

/// [`optimise`] with explicit [`OptOptions`].
pub fn optimise_with(m: &mut Module, opts: &OptOptions) {
    let cw = opts.closed_world;
    run(m, "effects", |m| infer_effects_with(m, cw));
    run(m, "mark_suspension_points", |m| mark_suspension_points_with(m, cw));
    run(m, "const_fold", const_fold);
    run(m, "simplify_cfg", simplify_cfg);
    run(m, "dce", dce);
    if opts.inline {
        run(m, "inline", |m| inline::inline_module(m, cw));
        run(m, "cleanup/const_fold", const_fold);
        run(m, "cleanup/simplify_cfg", simplify_cfg);
        run(m, "cleanup/dce", dce);
        run(m, "cleanup/effects", |m| infer_effects_with(m, cw));
        run(m, "cleanup/mark_suspension_points", |m| mark_suspension_points_with(m, cw));
        run(m, "cleanup/simplify_cfg", simplify_cfg);
        run(m, "cleanup/remove_dead_functions", remove_dead_functions);
    }
    run(m, "remove_defined_global_checks", defined_globals::remove_defined_global_checks);
    run(m, "lift_captures", lift_captures::lift_captures);
    run(m, "infer_types", infer_types);
}
