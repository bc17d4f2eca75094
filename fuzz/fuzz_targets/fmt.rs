//! `because fmt` on any text: a file that parses is formatted without changing its syntax
//! tree or its comments (the formatter checks that itself and reports `Changed` otherwise),
//! and formatting the result again changes nothing.
#![no_main]
use because::format::{format_text, FormatError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match format_text("fuzz.rules", text) {
        Ok(once) => {
            let twice = format_text("fuzz.rules", &once).map_err(|(e, _)| e);
            assert!(
                matches!(&twice, Ok(t) if *t == once),
                "not idempotent on:\n{text}\n--- once:\n{once}\n--- twice: {twice:?}"
            );
        }
        Err((FormatError::Syntax(_), _)) => {}
        Err((FormatError::Changed(why), _)) => panic!("{why} on:\n{text}"),
    }
});
