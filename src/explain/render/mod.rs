//! Renderers: text for people, DOT for Graphviz, SVG pictures. JSON is the models
//! serialised with serde.

pub mod dot;
pub mod svg;
pub mod text;

/// Serialise an explanation model as pretty JSON (with a trailing newline).
pub fn json<T: serde::Serialize>(v: &T) -> String {
    let mut out = Vec::new();
    match write_json(v, &mut out) {
        Ok(()) => String::from_utf8(out).expect("serde_json writes UTF-8"),
        Err(e) => format!("{{\"error\": \"{e}\"}}\n"),
    }
}

/// [`json`], written to `w` as it is produced: the explanation of a long chain runs to
/// hundreds of megabytes, which need not be held (and grown) in memory first.
pub fn write_json<T: serde::Serialize>(v: &T, mut w: impl std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut w, v)?;
    w.write_all(b"\n")?;
    w.flush()
}
