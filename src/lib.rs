//! `because`: a rule engine and expert system that explains every conclusion it reaches.
//!
//! The pipeline, one module per step (`docs/architecture.md` draws it and says where to add
//! a command, a check, a language feature or an output format):
//! - [`span`]: source files and spans; every later stage points back into the text;
//! - [`syntax`]: rule-file text → [`ast`] (pest stays inside `syntax`), with diagnostics;
//! - [`program`]: files and directories → parsed modules; `or` desugared into flat rules;
//! - [`check`]: static checks → [`diag::Diagnostic`]s, and the predicate dependency graph
//!   ([`deps`]), built once;
//! - [`load`]: the passes in one function (parse → flatten → check → compile → stratify),
//!   giving an [`engine::KnowledgeBase`];
//! - [`engine`]: join plans (`compile`), semi-naive evaluation (`eval`) over indexed facts
//!   (`facts`), the fact graph with certainties (`graph`), which questions still matter
//!   (`relevance`), and the read-only view of the program for everyone else (`view`);
//! - [`explain`]: how / why-not / certainty models, read from the fact graph, rendered as
//!   text, JSON or DOT;
//! - [`format`]: `because fmt`'s canonical layout of rule files (it checks its own output
//!   parses to the same syntax tree with the same comments);
//! - [`suite`]: `because test`: test cases beside a rule set, run with expectations and
//!   golden files; coverage of the rules by them;
//! - [`facts_file`]: JSON, TOML and native facts files → answers with spans, and back;
//! - [`wire`]: the JSON shapes that leave the program (other than explanation models);
//! - [`ask`]: one fact set in, one answer out (query, explain, why-not, contrast, what-if,
//!   a batch line), with failures as [`ask::Problem`]s: what the command line, the Python
//!   package and the server share; and many fact sets in one run for batches
//!   ([`ask::sets`]);
//! - [`lsp`]: `because lsp`, the language server (diagnostics, hover, definition, symbols,
//!   formatting) for editors;
//! - [`serve`]: `because serve`, the JSON API and the consult page over HTTP;
//! - [`cli`]: the command line: arguments resolved once, one file per subcommand.
//!
//! # Example
//!
//! Load a program from text, give it facts, run it, read the outputs and explain one:
//!
//! ```
//! use because::ast::Const;
//! use because::engine::{eval::Limits, InputFact, KnowledgeBase, Origin};
//! use because::explain::{how, render};
//!
//! let rules = r#"
//!     question language "Which languages does your team know?" many of python, ruby
//!     output recommend(F) "Recommended framework"
//!     fact written_in(django, python)
//!     fact written_in(rails, ruby)
//!     rule knows
//!       because "{F} is written in {L}, which your team knows"
//!       when language(L) and written_in(F, L)
//!       then recommend(F) with certainty 0.8
//! "#;
//! let kb = KnowledgeBase::from_sources(&[("advice.rules", rules)]).ok().expect("no errors");
//! let answer = InputFact {
//!     pred: "language".into(),
//!     args: vec![Const::Sym("python".into())],
//!     certainty: 1.0,
//!     origin: Origin::default(),
//! };
//! let graph = kb.run(&[answer], Limits::default()).expect("the run stays within limits");
//!
//! let found = graph.facts_of("recommend", 1);
//! assert_eq!(found.len(), 1);
//! assert_eq!(graph.show_fact(found[0]), "recommend(django)");
//! assert!((graph.certainty(found[0]) - 0.8).abs() < 1e-9);
//!
//! let tree = how::explain(&graph, found[0], how::HowOptions { all: false, depth: None });
//! let text = render::text::how(&tree, Default::default());
//! assert!(text.contains("django is written in python, which your team knows"));
//! ```
//!
//! A run reads the knowledge base's stated facts in place and keeps its own facts in a
//! store layered over them; many runs of one knowledge base (a batch of fact sets) can reuse
//! that store instead of allocating one for each run:
//!
//! ```
//! # use because::engine::{eval::Limits, KnowledgeBase, Scratch};
//! # let kb = KnowledgeBase::from_sources(&[("a.rules", "fact p(1)\nrule r when p(X) then q(X)")])
//! #     .ok()
//! #     .expect("no errors");
//! let mut scratch = Scratch::default();
//! for _ in 0..3 {
//!     let graph = kb.run_with(&mut scratch, &[], Limits::default()).expect("within limits");
//!     assert_eq!(graph.facts_of("q", 1).len(), 1);
//!     scratch.recycle(graph); // emptied, for the next run
//! }
//! ```
#![forbid(unsafe_code)]
#![allow(
    clippy::result_large_err,
    reason = "diagnostics travel only on error paths, where their size costs nothing that matters"
)]

pub mod ask;
pub mod ast;
mod bytemask;
pub mod check;
pub mod cli;
pub mod deps;

pub mod diag;
pub mod engine;
pub mod explain;
pub mod facts_file;
pub mod format;
pub mod keyed;
pub mod load;
pub mod lsp;
pub mod memhint;
pub mod program;
pub mod serve;
pub mod span;
pub mod suite;
pub mod syntax;
pub mod timing;
pub mod wire;
