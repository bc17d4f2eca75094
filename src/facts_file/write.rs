//! Answers → a facts file, in any of the three formats, readable back by this module's
//! readers to the same answers, certainties included (an answer given with a certainty other
//! than 1 is written in its `{value, certainty}` form).

use super::Format;
use crate::ast::Const;
use crate::engine::KnowledgeBase;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The answers (question → values with certainties) as the text of a facts file.
pub fn write(
    kb: &KnowledgeBase,
    answers: &BTreeMap<String, Vec<(Const, f64)>>,
    format: Format,
) -> String {
    let many = |k: &str| kb.question(k).is_some_and(|q| q.many);
    match format {
        Format::Native => {
            let mut s = String::from("# answers saved by `because consult`\n");
            for (k, vs) in answers {
                for (c, cf) in vs {
                    let _ = write!(s, "fact {k}({c})");
                    if *cf != 1.0 {
                        let _ = write!(s, " with certainty {cf:?}");
                    }
                    s.push('\n');
                }
            }
            s
        }
        Format::Toml => {
            let mut s = String::from("# answers saved by `because consult`\n");
            for (k, vs) in answers {
                let vals: Vec<String> = vs
                    .iter()
                    .map(|(c, cf)| {
                        let v = json_of(c).to_string();
                        if *cf == 1.0 {
                            v
                        } else {
                            format!("{{ value = {v}, certainty = {cf:?} }}")
                        }
                    })
                    .collect();
                if many(k) {
                    let _ = writeln!(s, "{k} = [{}]", vals.join(", "));
                } else if let Some(v) = vals.first() {
                    let _ = writeln!(s, "{k} = {v}");
                }
            }
            s
        }
        Format::Json => {
            let mut m = serde_json::Map::new();
            for (k, vs) in answers {
                let vals: Vec<serde_json::Value> = vs
                    .iter()
                    .map(|(c, cf)| {
                        if *cf == 1.0 {
                            json_of(c)
                        } else {
                            serde_json::json!({ "value": json_of(c), "certainty": cf })
                        }
                    })
                    .collect();
                let v = if many(k) {
                    serde_json::Value::Array(vals)
                } else {
                    vals.into_iter().next().unwrap_or(serde_json::Value::Null)
                };
                m.insert(k.clone(), v);
            }
            let mut s =
                serde_json::to_string_pretty(&serde_json::Value::Object(m)).unwrap_or_default();
            s.push('\n');
            s
        }
    }
}

fn json_of(c: &Const) -> serde_json::Value {
    match c {
        Const::Sym(s) | Const::Str(s) => serde_json::Value::String(s.clone()),
        Const::Int(i) => (*i).into(),
        Const::Dec(d) => {
            serde_json::Number::from_f64(*d).map_or(serde_json::Value::Null, Into::into)
        }
        Const::Bool(b) => (*b).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts_file::Loaded;
    use crate::span::SourceMap;

    /// Whatever the format, writing answers and reading the file back gives the same
    /// answers, certainties included.
    #[test]
    fn written_answers_read_back_the_same() {
        let kb = KnowledgeBase::from_sources(&[(
            "t.rules",
            "question lang \"?\" many of python, ruby\n\
             question size \"?\" one of small, large\n\
             question count \"?\" integer\n\
             output o(X) \"O\"\n\
             rule r when lang(X) and size(_) and count(_) then o(X)\n",
        )])
        .map_err(|e| e.to_string())
        .expect("compiles");
        let mut answers = BTreeMap::new();
        answers.insert(
            "lang".to_string(),
            vec![
                (Const::Sym("python".into()), 1.0),
                (Const::Sym("ruby".into()), 0.4),
            ],
        );
        answers.insert("size".to_string(), vec![(Const::Sym("large".into()), 0.75)]);
        answers.insert("count".to_string(), vec![(Const::Int(3), 1.0)]);
        for (format, name) in [
            (Format::Json, "a.json"),
            (Format::Toml, "a.toml"),
            (Format::Native, "a.facts"),
        ] {
            let text = write(&kb, &answers, format);
            let mut sources = SourceMap::default();
            let mut loaded = Loaded::default();
            let diags = loaded.add(&kb, &mut sources, name, &text, format);
            assert!(diags.is_empty(), "{name}:\n{text}\n{diags:?}");
            let mut back: BTreeMap<String, Vec<(Const, f64)>> = BTreeMap::new();
            for f in loaded.facts {
                back.entry(f.pred)
                    .or_default()
                    .push((f.args[0].clone(), f.certainty));
            }
            assert_eq!(back, answers, "{name}:\n{text}");
        }
    }
}
