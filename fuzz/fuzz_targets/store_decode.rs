//! The storage value decoder on arbitrary bytes (a corrupt or hostile
//! database): a value or a decode error, never a panic; a decoded value
//! re-encodes to bytes that decode to the bit-exact same value.
#![no_main]
use host::store::encoding::{bit_exact_eq, decode, encode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = decode(data) {
        let bytes = encode(&d);
        let back = decode(&bytes).expect("re-encoded value decodes");
        assert!(bit_exact_eq(&d, &back));
    }
});
