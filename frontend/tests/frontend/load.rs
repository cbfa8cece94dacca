//! `(load ...)` through `compile_to_ast`: the files it adds to the source
//! map (the API watchers and bundlers use) and the spans of loaded forms.
//! The language-level behaviour is in tests/conformance/load/.

use crate::expand::Mock;
use frontend::{compile_to_ast, SourceMap};
use std::path::{Path, PathBuf};

fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn paths_list_the_program_files_once_in_load_order() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(dir.path(), "app.sx", "(load \"lib/a.sx\")\n(load \"lib/b.sx\")\n(define m 3)\n");
    write(dir.path(), "lib/a.sx", "(load \"shared.sx\")\n(define a 1)\n");
    write(dir.path(), "lib/b.sx", "(load \"./shared.sx\")\n(define b 2)\n");
    write(dir.path(), "lib/shared.sx", "(define s 0)\n");
    let mut map = SourceMap::new();
    map.add("<prelude>", "(define p 0)");
    let text = std::fs::read_to_string(&main).unwrap();
    let f = map.add_file("app.sx", Some(main.canonicalize().unwrap()), text);
    let (expanded, _) = compile_to_ast(&mut map, f, &mut Mock::default()).unwrap();
    let canon = |rel: &str| dir.path().join(rel).canonicalize().unwrap();
    let paths: Vec<PathBuf> = map.paths().map(Path::to_path_buf).collect();
    assert_eq!(paths, vec![canon("app.sx"), canon("lib/a.sx"), canon("lib/shared.sx"), canon("lib/b.sx")]);
    // Each loaded form keeps a span in its own file, named relative to the main file's name.
    let names: Vec<String> = expanded.iter().map(|d| map.describe(d.span)).collect();
    assert_eq!(names, vec!["lib/shared.sx:1:1", "lib/a.sx:2:1", "lib/b.sx:2:1", "app.sx:3:1"]);
}

#[test]
fn a_text_without_a_path_loads_relative_to_its_name() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "lib/x.sx", "(define x 1)\n");
    let mut map = SourceMap::new();
    let name = dir.path().join("main.sx").display().to_string();
    let f = map.add(name, "(load \"lib/x.sx\")");
    compile_to_ast(&mut map, f, &mut Mock::default()).unwrap();
    assert_eq!(map.paths().count(), 1, "only the loaded file was read from disk");
}

#[test]
fn forms_without_a_file_cannot_load() {
    let forms = frontend::reader::read_str("(load \"x.sx\")", frontend::FileId(0)).unwrap();
    let e = frontend::expand::expand_program(&forms, &mut Mock::default()).unwrap_err();
    assert_eq!(e.id, "expand-load-unsupported");
}
