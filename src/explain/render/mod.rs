//! Renderers: text for people, DOT for Graphviz. JSON is the models serialised with serde.

pub mod dot;
pub mod text;

/// Serialise an explanation model as pretty JSON (with a trailing newline).
pub fn json<T: serde::Serialize>(v: &T) -> String {
    let mut s =
        serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
