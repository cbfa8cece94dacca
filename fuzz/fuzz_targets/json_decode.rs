//! `json-decode` on arbitrary text: a value or an SX error, never a panic or
//! a stack overflow; a decoded value encodes and decodes back equal.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(v) = vm::json::decode(text) {
        if let Ok(s) = vm::json::encode(&v) {
            let back = vm::json::decode(&s).unwrap_or_else(|e| panic!("encoded JSON does not decode: {s:?}: {}", vm::print::repr(&e)));
            assert!(vm::equal::equal(&v, &back), "{s:?}");
        }
    }
});
