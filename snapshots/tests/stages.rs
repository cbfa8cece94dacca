//! One insta snapshot per (corpus file, stage): the expanded core forms, the
//! SSA IR as lowered, the optimised IR and the register bytecode; and the
//! LLVM IR the JIT tier generates for the functions of `corpus/llvm/`.
//! Review changes with `cargo insta review` (or set `INSTA_UPDATE=always`;
//! the LLVM ones change whenever codegen does:
//! `INSTA_UPDATE=always cargo test -p snapshots llvm` re-blesses them).

use std::path::PathBuf;
use vm::pipeline::{dump, Stage};

const STAGES: &[(&str, Stage)] = &[
    ("expanded", Stage::Expanded),
    ("ir", Stage::Ir),
    ("ir_opt", Stage::IrOpt),
    ("bytecode", Stage::Bytecode),
];

fn corpus() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("snapshots/corpus")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sx"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            (stem, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

#[test]
fn corpus_stage_dumps() {
    let files = corpus();
    assert!(files.len() >= 4, "the snapshot corpus shrank");
    for (name, source) in files {
        for (stage_name, stage) in STAGES {
            let text = match dump(&format!("{name}.sx"), &source, *stage, None) {
                Ok(t) => t,
                Err((_, d)) => panic!("{name}.sx failed to compile at stage {stage_name}: {} {}", d.id, d.message),
            };
            insta::assert_snapshot!(format!("{name}__{stage_name}"), text);
        }
    }
}

#[test]
fn map_callback_suspension_is_visible() {
    let source = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus/map_perform.sx")).unwrap();
    let ir = dump("map_perform.sx", &source, Stage::IrOpt, None).unwrap_or_else(|(_, d)| panic!("{}", d.message));
    assert!(ir.contains("suspend"), "the perform inside the map callback must be a suspend terminator:\n{ir}");
}

/// The functions of `corpus/llvm/tiers.sx` whose LLVM IR is snapshotted:
/// a suspending function, a guarded integer arithmetic site, a float loop,
/// an integer loop (named lets: self tail calls compiled as loops) and a
/// self tail call through a global.
const LLVM_FUNCTIONS: &[&str] = &["fetch-plus-one", "add-mul", "mandel-loop", "count-loop", "count-down", "twice"];

/// Answers every `perform` with 41 (the corpus only reads).
struct Answer41;

impl vm::resolver::Resolver for Answer41 {
    fn resolve(&mut self, _request: &vm::Value) -> Result<vm::Value, vm::Value> {
        Ok(vm::Value::Int(41))
    }
}

/// The LLVM IR (as generated, before LLVM's optimiser: stable across LLVM
/// point releases) of each function of [`LLVM_FUNCTIONS`], compiled after
/// the corpus program ran — with the type feedback that run left, as a
/// tiered compile sees it.
#[test]
fn llvm_ir_of_the_tier_corpus() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus/llvm/tiers.sx");
    let source = std::fs::read_to_string(&path).unwrap();
    let out = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    struct Sink(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let ctx = vm::ctx::Ctx::with_output(Box::new(Sink(out.clone())), Box::new(std::io::sink()));
    let mut isolate = vm::isolate::Isolate::new(ctx);
    let mut fiber = isolate.compile_file("tiers.sx", &source).unwrap_or_else(|d| panic!("{}: {}", d.id, d.message));
    isolate.run(&mut fiber, &mut Answer41).unwrap_or_else(|e| panic!("tiers.sx failed: {e}"));
    assert_eq!(String::from_utf8_lossy(&out.borrow()), "42 7 50 5050 5050 9\n");
    let mut jobs = Vec::new();
    for m in isolate.modules() {
        m.walk(&mut |p| {
            if LLVM_FUNCTIONS.contains(&p.display_name()) {
                jobs.push(vm::jit::compile_job(p, true, 0));
            }
        });
    }
    assert_eq!(jobs.len(), LLVM_FUNCTIONS.len(), "every corpus function found once");
    for job in jobs {
        let ir = codegen_llvm::LlvmBackend::llvm_ir(&job, false).unwrap_or_else(|e| panic!("{} does not compile: {e}", job.name));
        // What each snapshot is for, checked so that a re-bless cannot lose it.
        // (A loop's back-edge jumps to its `header` block.)
        let expected: &[&str] = match job.name.as_str() {
            "fetch-plus-one" => &["@sx_rt_deopt"], // the perform: a side exit to the interpreter
            "add-mul" => &["@llvm.smul.with.overflow.i64"], // speculated integers
            "mandel-loop" => &["fmul double", "header:"], // speculated floats, a native loop
            "count-loop" => &["@llvm.sadd.with.overflow.i64", "header:"],
            "twice" => &["@sx_rt_callee", "native.ret"], // a native call of another closure
            _ => &["@sx_rt_tail_call"],
        };
        for text in expected {
            assert!(ir.contains(text), "{}: no {text} in\n{ir}", job.name);
        }
        insta::assert_snapshot!(format!("llvm__{}", job.name), ir);
    }
}
