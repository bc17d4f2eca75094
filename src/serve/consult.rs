//! What the consult page asks next, and its answers saved as a facts file. The server keeps
//! no session: the page sends the answers so far (and the questions skipped) each time.

use super::http::{self, ApiError, Reply};
use crate::engine::relevance::Consultation;
use crate::engine::{InputFact, KnowledgeBase};
use crate::facts_file::Format;
use hyper::StatusCode;
use std::collections::BTreeMap;

/// The consultation's next step.
#[derive(serde::Serialize)]
struct Next {
    /// The question worth asking next; `null` when no answer can change an output.
    next: Option<crate::wire::Question>,
    /// Why it is asked: what its answer can change.
    why: Vec<crate::ask::WhyAsked>,
    /// How many questions are answered, skipped, and still worth asking (this one included).
    answered: usize,
    skipped: usize,
}

/// `POST /api/v1/consult?skipped=q1,q2`: the next question, given the answers in the body.
pub fn next(
    kb: &KnowledgeBase,
    facts: Vec<InputFact>,
    skipped: &[String],
) -> Result<Reply, ApiError> {
    let mut c = Consultation::new(kb);
    let answered = facts
        .iter()
        .map(|f| f.pred.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    c.preset(facts);
    let mut n = 0;
    for name in skipped.iter().flat_map(|s| s.split(',')).map(str::trim) {
        if name.is_empty() {
            continue;
        }
        if kb.question(name).is_none() {
            let names: Vec<&str> = kb.questions().map(|q| q.name.node.as_str()).collect();
            let help = match crate::diag::suggest(name, names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "GET /api/v1/questions lists them".into(),
            };
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "E0316",
                format!("`{name}` (in skipped) is not a question of these rules"),
                &help,
            ));
        }
        c.skip(name);
        n += 1;
    }
    let q = c.next();
    let why = q.map_or_else(Vec::new, |q| crate::ask::why_asked(&c, &q.name.node));
    let next = q.and_then(|q| {
        kb.question_list()
            .questions
            .into_iter()
            .find(|w| w.name == q.name.node)
    });
    Ok(http::json(
        StatusCode::OK,
        &Next {
            next,
            why,
            answered,
            skipped: n,
        },
    ))
}

/// `POST /api/v1/facts-file?format=json|toml|native`: the answers in the body as a facts
/// file to save (certainties kept).
pub fn facts_file(
    kb: &KnowledgeBase,
    facts: &[InputFact],
    format: &str,
) -> Result<Reply, ApiError> {
    let mut answers: BTreeMap<String, Vec<(crate::ast::Const, f64)>> = BTreeMap::new();
    for f in facts {
        if let Some(c) = f.args.first() {
            answers
                .entry(f.pred.clone())
                .or_default()
                .push((c.clone(), f.certainty));
        }
    }
    let (fmt, content_type, ext) = match format {
        "toml" => (Format::Toml, "application/toml", "toml"),
        "native" => (Format::Native, "text/plain; charset=utf-8", "facts"),
        _ => (Format::Json, "application/json", "json"),
    };
    let mut r = http::text(
        StatusCode::OK,
        crate::facts_file::write::write(kb, &answers, fmt),
        content_type,
    );
    if let Ok(v) =
        hyper::header::HeaderValue::from_str(&format!("attachment; filename=\"answers.{ext}\""))
    {
        r.headers_mut()
            .insert(hyper::header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}
