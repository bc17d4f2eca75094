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
    v.serialize(&mut serde_json::Serializer::with_formatter(
        &mut w,
        Pretty::default(),
    ))?;
    w.write_all(b"\n")?;
    w.flush()
}

/// serde_json's pretty layout (two spaces a level), byte for byte, with each line's
/// indentation written at once: `PrettyFormatter` writes it two bytes at a time, a call a
/// level, which was a third of writing a deep explanation.
#[derive(Default)]
struct Pretty {
    level: usize,
    has_value: bool,
}

impl Pretty {
    /// A new line at the current level.
    fn line<W: ?Sized + std::io::Write>(&self, w: &mut W, first: bool) -> std::io::Result<()> {
        const SPACES: &[u8; 128] = &[b' '; 128];
        w.write_all(if first { b"\n" } else { b",\n" })?;
        let mut n = 2 * self.level;
        while n > 0 {
            let k = n.min(SPACES.len());
            w.write_all(&SPACES[..k])?;
            n -= k;
        }
        Ok(())
    }

    fn open<W: ?Sized + std::io::Write>(&mut self, w: &mut W, b: &[u8]) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(b)
    }

    fn close<W: ?Sized + std::io::Write>(&mut self, w: &mut W, b: &[u8]) -> std::io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.line(w, true)?;
        }
        w.write_all(b)
    }
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.line(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.line(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    /// Our layout is serde_json's pretty one, byte for byte: nested and empty arrays and
    /// objects, strings that need escaping, numbers, deep nesting (past the 128 spaces
    /// written at once).
    #[test]
    fn pretty_is_serde_jsons_layout() {
        let mut deep = serde_json::json!(["bottom", {}, []]);
        for i in 0..70 {
            deep = serde_json::json!({ "level": i, "inner": deep, "list": [i, []] });
        }
        let v = serde_json::json!({
            "empty_list": [],
            "empty_map": {},
            "text": "quote \" tab \t line \n é",
            "numbers": [1, -2.5, 1e300, 0.1],
            "nested": [[[]], [{}], [{"a": [null, true, false]}]],
            "deep": deep,
        });
        let ours = super::json(&v);
        let theirs = serde_json::to_string_pretty(&v).expect("serialises") + "\n";
        assert_eq!(ours, theirs);
    }
}
