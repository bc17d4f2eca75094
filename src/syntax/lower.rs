//! pest pairs → AST. The only module that touches `Pair<Rule>`.

use super::parser::{BecauseParser, Rule as R};
use crate::ast::*;
use crate::diag::Diagnostic;
use crate::span::{FileId, SourceFile, Span, Spanned};
use pest::iterators::Pair;
use pest::Parser;

/// Deepest nesting of parentheses and brackets accepted; deeper input is rejected before
/// parsing so that the recursive-descent parser cannot overflow the stack.
pub const MAX_NESTING: usize = 64;

/// Words that cannot name a predicate or a rule.
pub(super) const RESERVED: &[&str] = &[
    "and", "or", "not", "in", "when", "then", "with", "rule", "fact", "question", "output",
    "because", "true", "false",
];

struct Lowerer<'a> {
    file: FileId,
    src: &'a SourceFile,
    /// Byte offset of the text being lowered (an item's chunk) in the file.
    offset: usize,
    diags: Vec<Diagnostic>,
}

/// About how much text one parser call takes.
const GROUP_BYTES: usize = 64 * 1024;

/// The bytes [`Lowerer::scan`] stops at: the first letters of the item keywords, quotes,
/// comments and brackets.
const SCAN_STOPS: [bool; 256] = {
    let mut t = [false; 256];
    let stops = b"rfqo\"#()[]";
    let mut k = 0;
    while k < stops.len() {
        t[stops[k] as usize] = true;
        k += 1;
    }
    t
};
/// Files larger than this may be parsed in parallel (see `parse_module_with`).
const PARALLEL_BYTES: usize = 256 * 1024;

/// Parse one rule file. Returns what could be parsed and every syntax diagnostic.
pub fn parse_module(file: FileId, src: &SourceFile) -> (Module, Vec<Diagnostic>) {
    parse_module_with(file, src, true, true)
}

/// [`parse_module`], with the fast path for plain items and parallel parsing on or off
/// (tests compare them).
fn parse_module_with(
    file: FileId,
    src: &SourceFile,
    fast_path: bool,
    parallel: bool,
) -> (Module, Vec<Diagnostic>) {
    let mut lw = Lowerer {
        file,
        src,
        offset: 0,
        diags: Vec::new(),
    };
    let (comments, starts) = lw.scan();
    let mut module = Module {
        items: Items::default(),
        facts: Facts::default(),
        comments,
    };
    if !lw.diags.is_empty() {
        return (module, lw.diags);
    }
    let text: &str = &src.text;
    // Item `k` is `text[bounds[k]..bounds[k + 1]]` (the scan's vector, reused: large files
    // have hundreds of thousands of items).
    let mut bounds = starts;
    if bounds.first() != Some(&0) {
        bounds.insert(0, 0);
    }
    bounds.push(text.len());
    // Items are parsed in groups of about GROUP_BYTES (one parser call per group is much
    // cheaper than one per item); a group that fails is parsed again item by item, so every
    // item's syntax error is reported. A group is the slice of `bounds` around its items.
    let mut groups: Vec<std::ops::Range<usize>> = Vec::new();
    let mut size = usize::MAX;
    for k in 0..bounds.len() - 1 {
        if size >= GROUP_BYTES {
            groups.push(k..k);
            size = 0;
        }
        size += bounds[k + 1] - bounds[k];
        groups.last_mut().expect("a group").end = k + 1;
    }
    // Items parsed, in order: facts in the group's fact chunk, everything else in its items.
    #[derive(Default)]
    struct Parsed {
        items: Vec<Item>,
        facts: FactChunk,
        diags: Vec<Diagnostic>,
        /// How many items the general parser took.
        slow: usize,
    }
    // Parse `text[start..end]` as `rule` into `out`; on a syntax error nothing is added.
    let parse = |start: usize, end: usize, rule: R, out: &mut Parsed| -> Result<(), Diagnostic> {
        let mut lw = Lowerer {
            file,
            src,
            offset: start,
            diags: Vec::new(),
        };
        match BecauseParser::parse(rule, &text[start..end]) {
            Ok(mut pairs) => {
                let top = pairs.next().expect("the entry rule yields one pair");
                for pair in top.into_inner() {
                    if pair.as_rule() != R::EOI {
                        lw.item(pair, &mut out.items, &mut out.facts);
                    }
                }
                out.diags.extend(lw.diags);
                Ok(())
            }
            Err(e) => Err(syntax_error(file, src, &e, start, end)),
        }
    };
    // Parse items `first..end` in one parser call (item by item if that fails).
    let parse_run = |items: std::ops::Range<usize>, out: &mut Parsed| {
        out.slow += items.len();
        let (start, end) = (bounds[items.start], bounds[items.end]);
        let entry = if items.len() == 1 {
            R::chunk
        } else {
            R::program
        };
        match parse(start, end, entry, out) {
            Ok(()) => {}
            Err(e) if items.len() == 1 => out.diags.push(e),
            Err(_) => {
                for k in items {
                    if let Err(d) = parse(bounds[k], bounds[k + 1], R::chunk, out) {
                        out.diags.push(d);
                    }
                }
            }
        }
    };
    // A group's plain facts and rules take the fast path (`fast.rs`); each run of other items
    // between them goes to the parser in one call.
    let parse_group = |group: &std::ops::Range<usize>| -> Parsed {
        let mut out = Parsed::default();
        if !fast_path {
            parse_run(group.clone(), &mut out);
            out.facts.finish();
            return out;
        }
        // A fast item that ends a run of others waits here until the run is parsed.
        let mut after_run = Parsed::default();
        let mut run_start = group.start;
        // One step past the end flushes the last run.
        for k in group.start..=group.end {
            let fast = k < group.end && {
                let to = if run_start < k {
                    &mut after_run
                } else {
                    &mut out
                };
                let (s, e) = (bounds[k], bounds[k + 1]);
                super::fast::item(file, src, s, e, &mut to.items, &mut to.facts)
            };
            if !fast && k < group.end {
                continue;
            }
            if run_start < k {
                parse_run(run_start..k, &mut out);
                out.items.append(&mut after_run.items);
                out.facts.append(std::mem::take(&mut after_run.facts));
            }
            run_start = k + 1;
        }
        out.facts.finish();
        out
    };
    // Files the fast path takes almost whole (large fact files, plain rules) are parsed on
    // this thread: the fast path is quick, and memory allocated by other threads is not
    // reused by this one once the syntax tree is freed (mimalloc keeps freed blocks with the
    // thread that allocated them), which raised the peak by 10-30 MiB. Large files with many
    // items for the general parser are parsed in parallel once the first group shows it:
    // one share of the remaining groups per core, by scoped threads, this one taking the
    // first share.
    let mut results: Vec<Parsed> = Vec::with_capacity(groups.len());
    let mut rest = &groups[..];
    if let Some((first, others)) = groups.split_first() {
        results.push(parse_group(first));
        rest = others;
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let slow_first = results
        .first()
        .is_some_and(|p| p.slow * 4 > groups[0].len());
    if parallel && text.len() > PARALLEL_BYTES && slow_first && threads > 1 && !rest.is_empty() {
        let share = rest.len().div_ceil(threads);
        let mut shares = rest.chunks(share);
        let mine = shares.next().unwrap_or(&[]);
        std::thread::scope(|scope| {
            let others: Vec<_> = shares
                .map(|sh| scope.spawn(|| sh.iter().map(parse_group).collect::<Vec<_>>()))
                .collect();
            results.extend(mine.iter().map(parse_group));
            for h in others {
                results.extend(h.join().expect("a parser thread does not panic"));
            }
        });
    } else {
        results.extend(rest.iter().map(parse_group));
    }
    for p in results {
        module.items.push_chunk(p.items);
        module.facts.push_chunk(p.facts);
        lw.diags.extend(p.diags);
    }
    attach_docs(&mut module);
    (module, lw.diags)
}

/// Parse a single atom such as `recommend(flask)`, as given on the command line.
pub fn parse_atom(file: FileId, src: &SourceFile) -> Result<Atom, Vec<Diagnostic>> {
    let mut lw = Lowerer {
        file,
        src,
        offset: 0,
        diags: Vec::new(),
    };
    let _ = lw.scan();
    if !lw.diags.is_empty() {
        return Err(lw.diags);
    }
    let text = src.text.trim_end();
    match BecauseParser::parse(R::atom, text) {
        Ok(mut pairs) => {
            let pair = pairs.next().expect("atom rule yields one pair");
            if pair.as_span().end() != text.len() {
                let at = pair.as_span().end();
                let d = Diagnostic::error(
                    "E0001",
                    format!("expected end of input, found {}", found_at(text, at)),
                    src.span(file, at, at + 1),
                )
                .with_label("unexpected here")
                .with_help("write one fact, for example `recommend(flask)`");
                return Err(vec![d]);
            }
            let atom = lw.atom(pair);
            if lw.diags.is_empty() {
                Ok(atom)
            } else {
                Err(lw.diags)
            }
        }
        Err(e) => Err(vec![syntax_error(file, src, &e, 0, src.text.len())]),
    }
}

/// Give each item and fact the `##` comments between the previous one and itself.
fn attach_docs(module: &mut Module) {
    let docs: Vec<(u32, String)> = module
        .comments
        .iter()
        .filter(|c| c.node.doc)
        .map(|c| (c.span.start, c.node.text.clone()))
        .collect();
    if docs.is_empty() {
        return;
    }
    // Items and facts are each in file order; walk them merged.
    enum At {
        Item(usize),
        Fact(usize, usize),
    }
    let mut order: Vec<(Span, At)> = module
        .items
        .iter()
        .enumerate()
        .map(|(i, it)| (it.span(), At::Item(i)))
        .collect();
    for (c, chunk) in module.facts.chunks().iter().enumerate() {
        order.extend(
            chunk
                .iter()
                .enumerate()
                .map(|(r, f)| (f.span(), At::Fact(c, r))),
        );
    }
    order.sort_by_key(|(s, _)| s.start);
    let mut given: Vec<(usize, Vec<String>)> = Vec::new();
    let mut prev_end = 0;
    let mut i = 0;
    for (span, at) in order {
        let mut mine = Vec::new();
        while i < docs.len() && docs[i].0 < span.start {
            if docs[i].0 >= prev_end {
                mine.push(docs[i].1.clone());
            }
            i += 1;
        }
        prev_end = span.end;
        match at {
            At::Item(k) => given.push((k, mine)),
            At::Fact(c, r) => module.facts.chunks_mut()[c].set_docs(r, mine),
        }
    }
    given.sort_by_key(|(k, _)| *k);
    for (item, (_, mine)) in module.items.iter_mut().zip(given) {
        match item {
            Item::Rule(r) => r.docs = mine,
            Item::Question(q) => q.docs = mine,
            Item::Output(o) => o.docs = mine,
        }
    }
}

/// Turn a pest error into a diagnostic worded in the language's own terms.
/// `offset` is where the parsed text starts in the file (items are parsed one by one).
fn syntax_error(
    file: FileId,
    src: &SourceFile,
    e: &pest::error::Error<R>,
    offset: usize,
    end: usize,
) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let pos = offset
        + match e.location {
            InputLocation::Pos(p) => p,
            InputLocation::Span((s, _)) => s,
        };
    let text = &src.text;
    let mut expected: Vec<&'static str> = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => positives
            .iter()
            .flat_map(|r| match r {
                // The end of an item's text is the start of the next item, not the file's end.
                // After an item may come the next item (or, at the file's end, nothing).
                R::EOI if end < src.text.len() => {
                    vec!["`rule`", "`fact`", "`question`", "`output`"]
                }
                R::EOI => vec!["`rule`", "`fact`", "`question`", "`output`", "end of file"],
                // Nothing deeper was tried: a new top-level item was expected.
                R::program | R::item | R::chunk => {
                    vec!["`rule`", "`fact`", "`question`", "`output`"]
                }
                r => vec![describe(*r)],
            })
            .collect(),
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    // A reserved word where a name was expected: the name is what was missing.
    if let ErrorVariant::ParsingError { negatives, .. } = &e.variant {
        if negatives.contains(&R::reserved) {
            expected = vec!["a name"];
        }
    }
    expected.sort_unstable();
    expected.dedup();
    let found = found_at(text, pos);
    let trimmed = text.trim_end().len();
    if text[pos.min(text.len())..].starts_with('"')
        && !text[pos + 1..].lines().next().unwrap_or("").contains('"')
    {
        return Diagnostic::error("E0001", "unclosed string", src.span(file, pos, pos + 1))
            .with_label("this string has no closing `\"` on its line")
            .with_help("close the string with `\"`; strings cannot span lines (write `\\n` for a line break)");
    }
    let message = match expected.len() {
        0 => format!("unexpected {found}"),
        1 => format!("expected {}, found {found}", expected[0]),
        n => format!(
            "expected {} or {}, found {found}",
            expected[..n - 1].join(", "),
            expected[n - 1]
        ),
    };
    let help = help_for(&expected, text, pos);
    let mut d = if pos >= trimmed {
        // Point at the last character so the place shows; an empty span past the last line
        // would print no source line.
        let last = text[..trimmed]
            .char_indices()
            .next_back()
            .map_or(0, |(i, _)| i);
        Diagnostic::error("E0001", message, src.span(file, last, trimmed))
            .with_label("the file ends after this")
    } else {
        let end = (pos + token_len(text, pos)).min(text.len());
        Diagnostic::error("E0001", message, src.span(file, pos, end)).with_label("unexpected here")
    };
    if let Some(h) = help {
        d = d.with_help(h);
    }
    d
}

fn help_for(expected: &[&str], text: &str, pos: usize) -> Option<String> {
    let next = text[pos.min(text.len())..].chars().next();
    if expected.contains(&"`then`") && next == Some(',') {
        return Some("join conditions with `and`; a comma only separates arguments".into());
    }
    if expected.iter().any(|e| e.starts_with("a type"))
        && next.is_some_and(|c| c.is_ascii_lowercase())
    {
        return Some("a question reads `question NAME \"prompt\" [one|many] [TYPE] [of VALUE, ...]`; the types are symbol, string, integer, decimal and boolean".into());
    }
    if expected.contains(&"`when`") {
        return Some("a rule reads `rule NAME when CONDITIONS then CONCLUSIONS`".into());
    }
    if expected.contains(&"`then`") {
        return Some(
            "every rule needs `then` and at least one conclusion after its conditions".into(),
        );
    }
    // A number running into a word (`0.5fact`, `12abc`): the error lands on the number.
    let rest = &text[pos.min(text.len())..];
    let digits = rest
        .trim_start_matches('-')
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    let number_len = rest.len() - digits.len();
    let number_before =
        text[..pos.min(text.len())].ends_with(|c: char| c.is_ascii_digit()) && next == Some('.');
    if (number_len > 0 && digits.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))
        || number_before
    {
        return Some("a number must not run into a word: put a blank after it".into());
    }
    let at_line_start = text[..pos.min(text.len())]
        .rsplit('\n')
        .next()
        .is_some_and(|l| l.trim().is_empty());
    if expected.contains(&"`rule`") && at_line_start && next.is_some_and(|c| c.is_ascii_lowercase())
    {
        return Some("a top-level line starts with `rule`, `fact`, `question` or `output`; to state a fact, write `fact` before it".into());
    }
    if next.is_some_and(|c| c.is_ascii_uppercase()) && expected.contains(&"a name") {
        return Some("names of predicates and symbols start with a lowercase letter; capitalised words are variables".into());
    }
    if next == Some('"') {
        return Some("check that every string is closed with `\"` on the same line".into());
    }
    None
}

fn describe(r: R) -> &'static str {
    match r {
        R::kw_rule | R::rule_def => "`rule`",
        R::kw_fact | R::fact_def => "`fact`",
        R::kw_question | R::question_def => "`question`",
        R::kw_output | R::output_def => "`output`",
        R::kw_when => "`when`",
        R::kw_then => "`then`",
        R::kw_and => "`and`",
        R::kw_or => "`or`",
        R::kw_not | R::not_in | R::negation => "`not`",
        R::kw_in => "`in`",
        R::kw_with | R::certainty => "`with certainty`",
        R::kw_certainty => "`certainty`",
        R::kw_because | R::because_clause => "`because`",
        R::kw_source | R::source_clause => "`source`",
        R::kw_of | R::allowed => "`of`",
        R::lparen | R::group => "`(`",
        R::rparen => "`)`",
        R::lbracket => "`[`",
        R::rbracket => "`]`",
        R::comma => "`,`",
        R::EOI => "end of file",
        R::rule_name | R::predicate | R::symbol | R::reserved => "a name",
        R::variable => "a variable",
        R::string => "a string",
        R::number | R::decimal | R::integer => "a number",
        R::boolean => "`true` or `false`",
        R::cmp_op => "a comparison (`=`, `!=`, `<`, `<=`, `>`, `>=`)",
        R::add_op | R::mul_op => "an operator",
        R::source_id => "a source identifier",
        R::cardinality => "`one` or `many`",
        R::value_type => "a type (`symbol`, `string`, `integer`, `decimal`, `boolean`)",
        R::atom | R::head => "a fact such as `p(x)`",
        R::expr | R::product | R::value | R::test | R::test_start => "a value",
        R::body | R::disjunction | R::conjunction => "a condition",
        R::chunk
        | R::program
        | R::item
        | R::WHITESPACE
        | R::COMMENT
        | R::ident_char
        | R::factor
        | R::literal
        | R::clause => "more input",
    }
}

/// The token at `pos`, quoted, for "found ..." messages.
fn found_at(text: &str, pos: usize) -> String {
    if pos >= text.len() {
        return "end of file".into();
    }
    let len = token_len(text, pos);
    let tok = &text[pos..pos + len];
    match tok {
        "\n" | "\r\n" | "\r" => "end of line".into(),
        _ => format!("`{}`", tok.escape_debug()),
    }
}

fn token_len(text: &str, pos: usize) -> usize {
    let rest = &text[pos.min(text.len())..];
    let mut chars = rest.char_indices();
    match chars.next() {
        None => 0,
        // A word, cut at 40 characters (never inside a character).
        Some((_, c)) if c.is_alphanumeric() || c == '_' => rest
            .char_indices()
            .take_while(|&(_, c)| c.is_alphanumeric() || c == '_')
            .take(40)
            .last()
            .map_or(0, |(i, c)| i + c.len_utf8()),
        Some((_, c)) => c.len_utf8(),
    }
}

impl<'a> Lowerer<'a> {
    fn span(&self, p: &Pair<R>) -> Span {
        let s = p.as_span();
        self.src
            .span(self.file, self.offset + s.start(), self.offset + s.end())
    }

    /// An item's span: from its keyword to the end of its last token. (pest's span of a
    /// sequence that ends in optional parts also covers the blanks and comments after it, at
    /// every level, so this descends to the last token.)
    fn item_span(&self, p: &Pair<R>) -> Span {
        let s = p.as_span();
        let mut last = p.clone();
        while let Some(q) = last.clone().into_inner().last() {
            last = q;
        }
        let end = last.as_span().end();
        self.src
            .span(self.file, self.offset + s.start(), self.offset + end)
    }

    fn spanned_str(&self, p: &Pair<R>) -> Spanned<String> {
        Spanned::new(p.as_str().to_string(), self.span(p))
    }

    /// A declared name (predicate or rule), refusing reserved words.
    fn name(&mut self, p: &Pair<R>) -> Spanned<String> {
        let s = self.spanned_str(p);
        if RESERVED.contains(&s.node.as_str()) {
            self.diags.push(
                Diagnostic::error(
                    "E0001",
                    format!("`{}` is a reserved word, not a name", s.node),
                    s.span,
                )
                .with_label("reserved")
                .with_help(format!(
                    "the reserved words are {}; choose another name",
                    RESERVED.join(", ")
                )),
            );
        }
        s
    }

    /// Collect comments and reject nesting deeper than [`MAX_NESTING`], without pest.
    /// Also returns where each top-level item keyword (`rule`, `fact`, `question`, `output`)
    /// starts, outside strings, comments and brackets: the items' boundaries.
    fn scan(&mut self) -> (Vec<Spanned<Comment>>, Vec<usize>) {
        let text = self.src.text.clone();
        let bytes = text.as_bytes();
        let mut comments = Vec::new();
        let mut starts = Vec::new();
        let mut depth = 0usize;
        let mut i = 0;
        let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        while i < bytes.len() {
            // Skip, in a tight loop, the bytes that start nothing this scan looks for (most
            // of a large fact file).
            while i < bytes.len() && !SCAN_STOPS[bytes[i] as usize] {
                i += 1;
            }
            let Some(&b) = bytes.get(i) else { break };
            match b {
                b'r' | b'f' | b'q' | b'o' if depth == 0 && (i == 0 || !is_ident(bytes[i - 1])) => {
                    let rest = &bytes[i..];
                    for kw in [&b"rule"[..], b"fact", b"question", b"output"] {
                        if rest.starts_with(kw) && rest.get(kw.len()).is_none_or(|&b| !is_ident(b))
                        {
                            starts.push(i);
                            break;
                        }
                    }
                }
                b'"' => {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                }
                b'#' => {
                    let start = i;
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                    let raw = text[start..i].trim_end_matches('\r');
                    let doc = raw.starts_with("##");
                    let body = raw.trim_start_matches('#');
                    let body = body.strip_prefix(' ').unwrap_or(body).to_string();
                    comments.push(Spanned::new(
                        Comment { doc, text: body },
                        self.src.span(self.file, start, start + raw.len()),
                    ));
                    continue;
                }
                b'(' | b'[' => {
                    depth += 1;
                    if depth > MAX_NESTING {
                        self.diags.push(
                            Diagnostic::error(
                                "E0003",
                                format!("nesting deeper than {MAX_NESTING} levels"),
                                self.src.span(self.file, i, i + 1),
                            )
                            .with_label("too deep here")
                            .with_help(
                                "split the expression, or name a part of it with a rule of its own",
                            ),
                        );
                        return (comments, starts);
                    }
                }
                b')' | b']' => depth = depth.saturating_sub(1),
                _ => {}
            }
            i += 1;
        }
        (comments, starts)
    }

    /// Lower one item: a fact into `facts`, anything else into `items`.
    fn item(&mut self, pair: Pair<R>, items: &mut Vec<Item>, facts: &mut FactChunk) {
        match pair.as_rule() {
            R::fact_def => self.fact(pair, facts),
            R::rule_def => items.push(Item::Rule(Box::new(self.rule(pair)))),
            R::question_def => items.push(Item::Question(Box::new(self.question(pair)))),
            R::output_def => items.push(Item::Output(Box::new(self.output(pair)))),
            _ => {}
        }
    }

    fn fact(&mut self, pair: Pair<R>, facts: &mut FactChunk) {
        let span = self.item_span(&pair);
        let mut atom = None;
        let mut certainty = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                R::atom => atom = Some(self.atom(p)),
                R::certainty => certainty = Some(self.certainty(p)),
                _ => {}
            }
        }
        let atom = atom.expect("grammar: fact has an atom");
        // A value that is not plain is kept as such, for the check to report (E0114).
        let values = atom.args.iter().map(|a| match &a.node {
            ExprKind::Const(c) => (Some(ConstRef::from(c)), a.span),
            _ => (None, a.span),
        });
        facts.push(&atom.pred.node, atom.pred.span, values, certainty, span);
    }

    fn certainty(&mut self, pair: Pair<R>) -> Spanned<f64> {
        let num = pair
            .into_inner()
            .find(|p| matches!(p.as_rule(), R::decimal | R::integer))
            .expect("grammar: certainty has a number");
        let span = self.span(&num);
        let v = match self.constant(num).node {
            Const::Int(i) => i as f64,
            Const::Dec(d) => d,
            _ => 0.0,
        };
        Spanned::new(v, span)
    }

    fn rule(&mut self, pair: Pair<R>) -> Rule {
        let span = self.item_span(&pair);
        let mut name = None;
        let mut because = None;
        let mut sources = Vec::new();
        let mut body = None;
        let mut heads = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                R::rule_name => name = Some(self.name(&p)),
                R::because_clause => {
                    let s = p
                        .into_inner()
                        .find(|p| p.as_rule() == R::string)
                        .expect("grammar");
                    because = Some(self.string(&s));
                }
                R::source_clause => {
                    for s in p.into_inner().filter(|p| p.as_rule() == R::source_id) {
                        sources.push(self.spanned_str(&s));
                    }
                }
                R::body => body = Some(self.disjunction(p.into_inner().next().expect("grammar"))),
                R::head => heads.push(self.head(p)),
                _ => {}
            }
        }
        heads.shrink_to_fit();
        sources.shrink_to_fit();
        Rule {
            docs: Vec::new(),
            name: name.expect("grammar: rule has a name"),
            because,
            sources,
            body: body.expect("grammar: rule has a body"),
            heads,
            span,
        }
    }

    fn head(&mut self, pair: Pair<R>) -> Head {
        let mut atom = None;
        let mut certainty = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                R::atom => atom = Some(self.atom(p)),
                R::certainty => certainty = Some(self.certainty(p)),
                _ => {}
            }
        }
        Head {
            atom: atom.expect("grammar: head has an atom"),
            certainty,
        }
    }

    fn disjunction(&mut self, pair: Pair<R>) -> Body {
        let mut alts: Vec<Body> = pair
            .into_inner()
            .filter(|p| p.as_rule() == R::conjunction)
            .map(|p| self.conjunction(p))
            .collect();
        if alts.len() == 1 {
            alts.pop().expect("one alternative")
        } else {
            alts.shrink_to_fit();
            Body::Or(alts)
        }
    }

    fn conjunction(&mut self, pair: Pair<R>) -> Body {
        let mut parts: Vec<Body> = pair
            .into_inner()
            .filter(|p| p.as_rule() != R::kw_and)
            .map(|p| self.literal(p))
            .collect();
        if parts.len() == 1 {
            parts.pop().expect("one part")
        } else {
            parts.shrink_to_fit();
            Body::And(parts)
        }
    }

    fn literal(&mut self, pair: Pair<R>) -> Body {
        let span = self.span(&pair);
        match pair.as_rule() {
            R::group => {
                let inner = pair
                    .into_inner()
                    .find(|p| p.as_rule() == R::disjunction)
                    .expect("grammar");
                self.disjunction(inner)
            }
            R::negation => {
                let atom = pair
                    .into_inner()
                    .find(|p| p.as_rule() == R::atom)
                    .expect("grammar");
                let mut atom = self.atom(atom);
                self.check_plain_args(&atom);
                atom.span = span;
                Body::Literal(Literal::Negative(atom))
            }
            R::atom => {
                let atom = self.atom(pair);
                self.check_plain_args(&atom);
                Body::Literal(Literal::Positive(atom))
            }
            R::test => {
                let mut inner = pair.into_inner();
                let lhs = self.expr(
                    inner
                        .next()
                        .expect("grammar: a test starts with an expression"),
                );
                let next = inner.next().expect("grammar: a test has an operator");
                if next.as_rule() == R::cmp_op {
                    let op = match next.as_str() {
                        "=" => CmpOp::Eq,
                        "!=" => CmpOp::Ne,
                        "<" => CmpOp::Lt,
                        "<=" => CmpOp::Le,
                        ">" => CmpOp::Gt,
                        _ => CmpOp::Ge,
                    };
                    let rhs = self.expr(
                        inner
                            .next()
                            .expect("grammar: a comparison has a right side"),
                    );
                    Body::Literal(Literal::Compare(Box::new(Compare { lhs, op, rhs, span })))
                } else {
                    let negated = next.as_rule() == R::not_in;
                    let values = inner
                        .filter(|p| {
                            !matches!(p.as_rule(), R::kw_in | R::lbracket | R::rbracket | R::comma)
                        })
                        .map(|p| self.constant(p))
                        .collect();
                    Body::Literal(Literal::Member(Box::new(Member {
                        expr: lhs,
                        negated,
                        values,
                        span,
                    })))
                }
            }
            r => unreachable!("grammar: unexpected literal {r:?}"),
        }
    }

    /// Conditions match stored facts, so their arguments must be plain values or variables.
    fn check_plain_args(&mut self, atom: &Atom) {
        for arg in &atom.args {
            if let ExprKind::Binary(..) = arg.node {
                self.diags.push(
                    Diagnostic::error(
                        "E0005",
                        "arithmetic inside a condition's arguments",
                        arg.span,
                    )
                    .with_label("a plain value or variable is expected here")
                    .with_help("bind a new variable here and compare it: `p(Y) and Y = X + 1`"),
                );
            }
        }
    }

    fn atom(&mut self, pair: Pair<R>) -> Atom {
        let span = self.span(&pair);
        let mut pred = None;
        let mut args = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                R::predicate => pred = Some(self.name(&p)),
                R::expr => args.push(self.expr(p)),
                _ => {}
            }
        }
        // Exact capacities throughout the AST: large files hold hundreds of thousands of
        // atoms, and a growing vector keeps room for four.
        args.shrink_to_fit();
        Atom {
            pred: pred.expect("grammar: atom has a predicate"),
            args,
            span,
        }
    }

    fn expr(&mut self, pair: Pair<R>) -> Expr {
        // expr = product (add_op product)*; product = factor (mul_op factor)*
        let mut inner = pair
            .into_inner()
            .filter(|p| !matches!(p.as_rule(), R::lparen | R::rparen));
        let first = inner.next().expect("grammar: expr has an operand");
        let mut acc = self.operand(first);
        while let Some(op) = inner.next() {
            let op = match op.as_str() {
                "+" => ArithOp::Add,
                "-" => ArithOp::Sub,
                "*" => ArithOp::Mul,
                _ => ArithOp::Div,
            };
            let rhs = self.operand(inner.next().expect("grammar: operator has a right operand"));
            let span = acc.span.to(rhs.span);
            acc = Spanned::new(ExprKind::Binary(op, Box::new(acc), Box::new(rhs)), span);
        }
        acc
    }

    fn operand(&mut self, pair: Pair<R>) -> Expr {
        match pair.as_rule() {
            R::product | R::expr => self.expr(pair),
            R::variable => {
                let span = self.span(&pair);
                Spanned::new(ExprKind::Var(pair.as_str().to_string()), span)
            }
            _ => {
                let c = self.constant(pair);
                Spanned::new(ExprKind::Const(c.node), c.span)
            }
        }
    }

    fn string(&mut self, pair: &Pair<R>) -> Spanned<String> {
        let raw = pair.as_str();
        let inner = &raw[1..raw.len() - 1];
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('"') => out.push('"'),
                Some('\\') => out.push('\\'),
                Some('{') => out.push_str("\\{"),
                other => {
                    let e = other.map_or(String::new(), |c| c.to_string());
                    self.diags.push(
                        Diagnostic::error(
                            "E0004",
                            format!("unknown escape `\\{e}` in a string"),
                            self.span(pair),
                        )
                        .with_label("in this string")
                        .with_help("the escapes are `\\\"`, `\\\\`, `\\n`, `\\t` and `\\{`"),
                    );
                }
            }
        }
        Spanned::new(out, self.span(pair))
    }

    fn constant(&mut self, pair: Pair<R>) -> Spanned<Const> {
        let span = self.span(&pair);
        let s = pair.as_str();
        let c = match pair.as_rule() {
            R::integer => match s.parse::<i64>() {
                Ok(i) => Const::Int(i),
                Err(_) => {
                    self.diags
                        .push(Diagnostic::integer_too_large("E0004", s, span));
                    Const::Int(0)
                }
            },
            R::decimal => match s.parse::<f64>() {
                Ok(d) if d.is_finite() => Const::Dec(d),
                _ => {
                    self.diags.push(
                        Diagnostic::error("E0004", format!("decimal `{s}` is out of range"), span)
                            .with_label("too large")
                            .with_help("decimals must be finite 64-bit floating-point numbers"),
                    );
                    Const::Dec(0.0)
                }
            },
            R::string => Const::Str(self.string(&pair).node),
            R::boolean => Const::Bool(s == "true"),
            _ => Const::Sym(s.to_string()),
        };
        Spanned::new(c, span)
    }

    fn question(&mut self, pair: Pair<R>) -> Question {
        let span = self.item_span(&pair);
        let mut name = None;
        let mut prompt = None;
        let mut many = false;
        let mut ty = None;
        let mut allowed = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                R::predicate => name = Some(self.name(&p)),
                R::string => prompt = Some(self.string(&p)),
                R::cardinality => many = p.as_str() == "many",
                R::value_type => {
                    ty = Some(match p.as_str() {
                        "string" => ValueType::String,
                        "integer" => ValueType::Integer,
                        "decimal" => ValueType::Decimal,
                        "boolean" => ValueType::Boolean,
                        _ => ValueType::Symbol,
                    })
                }
                R::allowed => {
                    for v in p
                        .into_inner()
                        .filter(|p| !matches!(p.as_rule(), R::kw_of | R::comma))
                    {
                        allowed.push(self.constant(v));
                    }
                }
                _ => {}
            }
        }
        Question {
            docs: Vec::new(),
            name: name.expect("grammar: question has a name"),
            prompt: prompt.expect("grammar: question has a prompt"),
            many,
            ty: ty.unwrap_or(ValueType::Symbol),
            allowed,
            span,
        }
    }

    fn output(&mut self, pair: Pair<R>) -> Output {
        let span = self.span(&pair);
        let mut name = None;
        let mut params = Vec::new();
        let mut label = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                R::predicate => name = Some(self.name(&p)),
                R::variable => params.push(self.spanned_str(&p)),
                R::string => label = Some(self.string(&p)),
                _ => {}
            }
        }
        Output {
            docs: Vec::new(),
            name: name.expect("grammar: output has a name"),
            params,
            label: label.expect("grammar: output has a label"),
            span,
        }
    }
}

#[cfg(test)]
mod tests {
    //! The fast path for plain facts and rules (`fast.rs`) must build exactly what the parser
    //! builds.
    use super::*;
    use proptest::prelude::*;

    /// The module and diagnostics, spans included, with the fast path on and off.
    fn both(text: &str) -> (String, String) {
        let src = SourceFile::new("t.rules".into(), text.into());
        let fast = parse_module_with(FileId(0), &src, true, false);
        let slow = parse_module_with(FileId(0), &src, false, false);
        (format!("{fast:#?}"), format!("{slow:#?}"))
    }

    /// A large file with many items for the general parser is parsed in parallel: the
    /// result, spans, order and diagnostics included, is what one thread gives.
    #[test]
    fn parallel_parsing_gives_what_one_thread_gives() {
        let mut text = String::from("question level \"Which?\" one of low, high\n");
        let mut k = 0;
        while text.len() < 3 * PARALLEL_BYTES {
            text.push_str(&format!(
                "## rule {k}\nrule r{k} when p{k}(X) and (X > {k} or level(low)) then q{k}(X)\nfact p{k}({k})\n"
            ));
            if k % 997 == 0 {
                text.push_str("rule broken when then\n");
            }
            k += 1;
        }
        let src = SourceFile::new("t.rules".into(), text.into());
        let one = parse_module_with(FileId(0), &src, true, false);
        let many = parse_module_with(FileId(0), &src, true, true);
        assert!(!one.1.is_empty(), "the broken rules are reported");
        assert_eq!(format!("{one:?}"), format!("{many:?}"));
    }

    #[test]
    fn fast_path_agrees_on_every_fixture_and_shipped_file() {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut seen = 0;
        for dir in [
            "rules",
            "tests/fixtures/parse_ok",
            "tests/fixtures/parse_err",
            "tests/fixtures/check",
        ] {
            for entry in std::fs::read_dir(format!("{root}/{dir}")).unwrap() {
                let path = entry.unwrap().path();
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                let (fast, slow) = both(&text);
                assert!(fast == slow, "{}", path.display());
                seen += 1;
            }
        }
        assert!(seen > 80, "only {seen} files compared");
    }

    #[test]
    fn fast_path_takes_plain_items_and_leaves_the_rest() {
        let src = |t: &str| SourceFile::new("t.rules".into(), t.into());
        // Whether the fast path took the item, and whether it added exactly one item or fact.
        let fast = |t: &str| {
            let (mut items, mut facts) = (Vec::new(), FactChunk::default());
            let taken =
                super::super::fast::item(FileId(0), &src(t), 0, t.len(), &mut items, &mut facts);
            (taken, items.len() + facts.len())
        };
        let taken = [
            "fact edge(1, 2)\n",
            "fact p(a, \"é x\", -3, 0.5, true) with certainty -0.25",
            "fact p()",
            "fact p(1) # a comment\n## and a doc comment\n",
            "fact p(1)with certainty 0.5",
            "rule r0 when seed(0) then p(1)",
            "rule r because \"{X} is good\" source A1, b-2.x when p(X, _) and not q(X)\n  then r(X) with certainty 0.5 and s(X, y)\n",
            "rule r when p(X) then q(X) source Z9 because \"later\"",
        ];
        for t in taken {
            assert_eq!(fast(t), (true, 1), "{t}");
        }
        let left = [
            "fact p(X)",
            "fact p(1) + 2",
            "fact p(\"a\\nb\")",
            "fact p(1 + 2)",
            "fact and(1)",
            "fact p(99999999999999999999)",
            "fact sunny",
            "fact p(1",
            "fact p(1) with certainty",
            "rule r when p(X) or q(X) then s(X)",
            "rule r when p(X) and X > 1 then s(X)",
            "rule r when p(X) and X in [a] then s(X)",
            "rule r when sunny then s(x)",
            "rule r when p(X) then s(X + 1)",
            "rule r when (p(X)) then s(X)",
            "rule when when p(X) then s(X)",
            "rule r when p(X) # note\n then s(X)",
            "rule r because \"a\\tb\" when p(X) then s(X)",
            "question q \"Q?\"",
        ];
        for t in left {
            assert_eq!(fast(t), (false, 0), "{t}");
        }
    }

    fn token() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "fact",
            "rule",
            "p",
            "q_1",
            "(",
            ")",
            ",",
            " ",
            "  ",
            "\n",
            "\t",
            "\r\n",
            "1",
            "-2",
            "007",
            "1.5",
            "-0.25",
            "1.",
            ".5",
            "-",
            "+",
            "x",
            "truex",
            "true",
            "false",
            "and",
            "\"s\"",
            "\"a b\"",
            "\"\\n\"",
            "\"é\"",
            "\"",
            "X",
            "_",
            "#c\n",
            "with",
            "certainty",
            "0.8",
            "99999999999999999999",
            "when",
            "then",
            "p(1)",
            "é",
            "not",
            "or",
            "<",
            "Y",
            "because",
            "source",
            "S1",
            "q(X)",
            "not q(Y)",
            " and ",
            " then ",
            " with certainty 0.5",
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        /// Random token soups shaped like facts and rules: both paths agree, errors included.
        #[test]
        fn fast_path_agrees_on_generated_items(lines in prop::collection::vec(
            (prop::sample::select(vec!["fact p(", "rule r when p(", "rule r source S when q(X) and p(", "rule r when p(X) then q("]),
             prop::collection::vec(token(), 0..12)), 1..6)) {
            let mut text = String::new();
            for (start, l) in lines {
                text.push_str(start);
                text.push_str(&l.concat());
                text.push('\n');
            }
            let (fast, slow) = both(&text);
            prop_assert_eq!(fast, slow, "{}", text);
        }

        /// Well-formed facts with varied blanks, values and certainties, which the fast path
        /// takes, mixed with other items it leaves to the parser.
        #[test]
        fn fast_path_agrees_on_wellformed_facts(items in prop::collection::vec((
            prop::collection::vec((token(), prop::sample::select(vec!["", " ", "\t", "\n  "])), 0..5),
            prop::option::of(prop::sample::select(vec!["0.5", "-1", "1.0", "-0.25", "2"])),
            prop::sample::select(vec!["\n", " \n", "\r\n", "\n# note\n", "\n\n## doc\n", ""]),
            any::<bool>(),
        ), 1..8)) {
            let mut text = String::new();
            for (args, cf, after, rule) in items {
                if rule {
                    // A rule whose conditions and conclusions take the generated arguments.
                    let values: Vec<String> = args
                        .iter()
                        .map(|(t, blank)| format!("{blank}{t}{blank}"))
                        .collect();
                    let a = values.join(",");
                    text.push_str(&format!("rule r{} source S1 when p({a}) and not q(X, {a})\n then s({a})", args.len()));
                    if let Some(cf) = cf {
                        text.push_str(" with certainty ");
                        text.push_str(cf);
                    }
                    text.push_str(" and t(Y) because \"why\"");
                } else {
                    text.push_str("fact p(");
                    let values: Vec<String> = args
                        .iter()
                        .map(|(t, blank)| format!("{blank}{t}{blank}"))
                        .collect();
                    text.push_str(&values.join(","));
                    text.push(')');
                    if let Some(cf) = cf {
                        text.push_str(" with certainty ");
                        text.push_str(cf);
                    }
                }
                text.push_str(after);
            }
            let (fast, slow) = both(&text);
            prop_assert_eq!(fast, slow, "{}", text);
        }
    }
}
