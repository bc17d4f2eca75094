//! Load arbitrary text as a facts file (the first byte picks JSON, TOML or native) against
//! the shipped knowledge base, run it and render the answer.
#![no_main]
use because::engine::eval::Limits;
use because::engine::KnowledgeBase;
use because::facts_file::{Format, Loaded};
use because::span::SourceMap;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn kb() -> &'static KnowledgeBase {
    static KB: OnceLock<KnowledgeBase> = OnceLock::new();
    KB.get_or_init(|| KnowledgeBase::embedded().ok().expect("shipped rules compile"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let (format, name) = match sel % 3 {
        0 => (Format::Json, "f.json"),
        1 => (Format::Toml, "f.toml"),
        _ => (Format::Native, "f.facts"),
    };
    let mut sources = SourceMap::default();
    let mut loaded = Loaded::default();
    let diags = loaded.add(kb(), &mut sources, name, text, format);
    let _ = because::diag::render(&diags, &sources, because::diag::ErrorFormat::Human, false);
    if diags.iter().any(|d| d.is_error()) {
        return;
    }
    if let Ok(g) = kb().run(&loaded.facts, Limits::default()) {
        let q = because::explain::query::query(&g, None, None);
        let _ = because::explain::render::text::query(&q, Default::default());
    }
});
