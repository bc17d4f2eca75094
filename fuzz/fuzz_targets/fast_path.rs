//! Differential: the fast path for plain facts and rules must build exactly the syntax tree
//! (spans and diagnostics included) that the general parser builds, on any text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (fast, general) = because::syntax::fast_and_general(text);
    assert_eq!(fast, general, "the fast path and the parser disagree on:\n{text}");
});
