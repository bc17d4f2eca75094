//! Parse and check arbitrary text as a rule file, and render every diagnostic.
#![no_main]
use because::diag::{render, ErrorFormat};
use because::program::Program;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut program = Program::default();
    let diags = program.add_text("fuzz.rules", text);
    let report = because::check::check_program(&program, diags);
    let _ = render(&report.diagnostics, &program.sources, ErrorFormat::Human, true);
    let _ = render(&report.diagnostics, &program.sources, ErrorFormat::Json, false);
    if !report.has_errors() {
        let _ = because::load::compile(program, Vec::new());
    }
});
