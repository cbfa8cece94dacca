//! One insta snapshot per (corpus file, stage): the expanded core forms, the
//! SSA IR as lowered, the optimised IR and the register bytecode.
//! Review changes with `cargo insta review` (or set `INSTA_UPDATE=always`).

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
