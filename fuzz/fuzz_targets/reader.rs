//! The reader on arbitrary text: it returns datums or a diagnostic, never
//! panics or overflows the stack; what it reads prints and reads back the same.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(forms) = frontend::reader::read_str(text, frontend::FileId(0)) {
        for d in &forms {
            let printed = frontend::print::print_datum(d);
            let again = frontend::reader::read_str(&printed, frontend::FileId(0))
                .unwrap_or_else(|e| panic!("printed form does not read: {printed:?}: {}", e.message));
            assert_eq!(again.len(), 1, "{printed:?}");
            assert_eq!(frontend::print::print_datum(&again[0]), printed);
        }
    }
});
