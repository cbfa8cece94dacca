#![allow(dead_code)]
use frontend::reader::read;
use frontend::{Datum, Diagnostic, SourceMap};

/// Reads `src` as file `t.sx`.
pub fn read_src(src: &str) -> Result<Vec<Datum>, (Diagnostic, SourceMap)> {
    let mut map = SourceMap::new();
    let f = map.add("t.sx", src);
    read(&map, f).map_err(|e| (e, map))
}

/// Reads `src`, which must be valid.
pub fn rd(src: &str) -> Vec<Datum> {
    match read_src(src) {
        Ok(v) => v,
        Err((e, map)) => panic!("read {src:?}: {} at {}: {}", e.id, map.describe(e.span), e.message),
    }
}

/// Reads one datum.
pub fn rd1(src: &str) -> Datum {
    let v = rd(src);
    assert_eq!(v.len(), 1, "{src:?}");
    v.into_iter().next().unwrap()
}

/// The printed forms of `src`'s datums, space separated.
pub fn show(src: &str) -> String {
    rd(src).iter().map(|d| d.to_string()).collect::<Vec<_>>().join(" ")
}
