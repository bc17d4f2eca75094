//! `because lsp`: a language server for rule files over standard input and output, on
//! `lsp-server` (rust-analyzer's synchronous JSON-RPC transport) and `lsp-types`.
//!
//! A document is analysed with the other `.rules` files of its directory (open buffers over
//! the files on disk), so names defined in one file are known in the others. Diagnostics are
//! published for every file of the rule set after each change, once the client has paused
//! typing for a moment (changes that arrive together are analysed once). Also: hover, go to
//! definition, document symbols and formatting (`because fmt`'s layout).

mod analysis;

use analysis::{Analysis, Token};
use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    CodeLensRequest, Completion, DocumentSymbolRequest, FoldingRangeRequest, Formatting,
    GotoDefinition, HoverRequest, References, Rename, Request as _, SemanticTokensFullRequest,
};
use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticSeverity, DocumentSymbol, DocumentSymbolResponse,
    GotoDefinitionResponse, Hover, HoverContents, Location, MarkupContent, MarkupKind,
    NumberOrString, OneOf, Position, PositionEncodingKind, PublishDiagnosticsParams, Range,
    ServerCapabilities, SymbolKind, TextDocumentSyncCapability, TextDocumentSyncKind, TextEdit,
    Uri,
};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

/// How long the server waits for more changes before analysing.
const DEBOUNCE: Duration = Duration::from_millis(20);

/// Most of a protocol error's text shown: lsp-server's quotes the whole unexpected message,
/// which may be a file of megabytes opened before the handshake ended.
const PROTOCOL_ERROR_SHOWN: usize = 300;

/// A protocol error (say, a client that did not start with `initialize`, then
/// `initialized`), its text cut at [`PROTOCOL_ERROR_SHOWN`] bytes.
fn protocol_error(e: lsp_server::ProtocolError) -> String {
    let text = e.to_string();
    if text.len() <= PROTOCOL_ERROR_SHOWN {
        return format!("language server protocol: {text}");
    }
    let mut cut = PROTOCOL_ERROR_SHOWN;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(
        "language server protocol: {}… ({} bytes more)",
        &text[..cut],
        text.len() - cut
    )
}

/// Run the server on standard input and output until the client says `exit`.
pub fn run() -> Result<(), String> {
    let (connection, io) = Connection::stdio();
    let (id, params) = connection.initialize_start().map_err(protocol_error)?;
    let init: lsp_types::InitializeParams =
        serde_json::from_value(params).map_err(|e| format!("bad initialize parameters: {e}"))?;
    // Byte columns when the client can take them, else UTF-16 (the protocol's default).
    let utf8 = init
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref())
        .is_some_and(|e| e.contains(&PositionEncodingKind::UTF8));
    let caps = ServerCapabilities {
        position_encoding: Some(if utf8 {
            PositionEncodingKind::UTF8
        } else {
            PositionEncodingKind::UTF16
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(lsp_types::HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        semantic_tokens_provider: Some(
            lsp_types::SemanticTokensServerCapabilities::SemanticTokensOptions(
                lsp_types::SemanticTokensOptions {
                    legend: lsp_types::SemanticTokensLegend {
                        token_types: TOKEN_TYPES.to_vec(),
                        token_modifiers: Vec::new(),
                    },
                    full: Some(lsp_types::SemanticTokensFullOptions::Bool(true)),
                    range: None,
                    ..lsp_types::SemanticTokensOptions::default()
                },
            ),
        ),
        code_lens_provider: Some(lsp_types::CodeLensOptions {
            resolve_provider: Some(false),
        }),
        rename_provider: Some(OneOf::Left(true)),
        folding_range_provider: Some(lsp_types::FoldingRangeProviderCapability::Simple(true)),
        completion_provider: Some(lsp_types::CompletionOptions {
            trigger_characters: Some(vec!["(".into(), ",".into(), " ".into()]),
            ..lsp_types::CompletionOptions::default()
        }),
        ..ServerCapabilities::default()
    };
    let result = serde_json::json!({
        "capabilities": caps,
        "serverInfo": {"name": "because", "version": env!("CARGO_PKG_VERSION")},
    });
    connection
        .initialize_finish(id, result)
        .map_err(protocol_error)?;
    let mut server = Server {
        conn: &connection,
        utf8,
        open: BTreeMap::new(),
        dirty: BTreeSet::new(),
        published: BTreeMap::new(),
        last: std::cell::RefCell::new(None),
    };
    server.serve()?;
    drop(connection);
    io.join().map_err(|e| e.to_string())
}

struct Server<'c> {
    conn: &'c Connection,
    utf8: bool,
    /// Open documents: path and text.
    open: BTreeMap<PathBuf, String>,
    /// Directories whose rule set changed since it was last analysed.
    dirty: BTreeSet<PathBuf>,
    /// Per directory, the files diagnostics were last published for (to clear them).
    published: BTreeMap<PathBuf, BTreeSet<PathBuf>>,
    /// The last analysis, with the files it was made of and which of them were open: a
    /// request on the same files (compared byte for byte, as read anew) reuses it. Hover,
    /// definitions and completion otherwise parsed and checked the whole rule set each
    /// time (a file of 30,000 rules: 120 ms a hover).
    last: std::cell::RefCell<Option<LastAnalysis>>,
}

/// An analysis with the files it was made of and the paths of those open.
type LastAnalysis = (RuleFiles, Vec<PathBuf>, Rc<Analysis>);

/// A rule set's files: path and text.
type RuleFiles = Vec<(PathBuf, String)>;

/// A name in a document (see [`Server::token_at`]).
type NameAt = (Rc<Analysis>, String, crate::span::Span, Token);

impl Server<'_> {
    fn serve(&mut self) -> Result<(), String> {
        loop {
            let msg = if self.dirty.is_empty() {
                match self.conn.receiver.recv() {
                    Ok(m) => m,
                    Err(_) => return Ok(()),
                }
            } else {
                match self.conn.receiver.recv_timeout(DEBOUNCE) {
                    Ok(m) => m,
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                        self.publish_dirty();
                        continue;
                    }
                    Err(_) => return Ok(()),
                }
            };
            match msg {
                Message::Request(req) => {
                    if self.conn.handle_shutdown(&req).map_err(|e| e.to_string())? {
                        return Ok(());
                    }
                    let resp = self.request(req);
                    let _ = self.conn.sender.send(Message::Response(resp));
                }
                Message::Notification(n) => self.notification(n),
                Message::Response(_) => {}
            }
        }
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                if let Ok(p) =
                    serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(n.params)
                {
                    if let Some(path) = path_of(&p.text_document.uri) {
                        self.changed(&path);
                        self.open.insert(path, p.text_document.text);
                    }
                }
            }
            DidChangeTextDocument::METHOD => {
                if let Ok(p) =
                    serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(n.params)
                {
                    if let (Some(path), Some(c)) = (
                        path_of(&p.text_document.uri),
                        p.content_changes.into_iter().last(),
                    ) {
                        self.changed(&path);
                        self.open.insert(path, c.text);
                    }
                }
            }
            DidSaveTextDocument::METHOD => {
                if let Ok(p) =
                    serde_json::from_value::<lsp_types::DidSaveTextDocumentParams>(n.params)
                {
                    if let Some(path) = path_of(&p.text_document.uri) {
                        self.changed(&path);
                    }
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Ok(p) =
                    serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(n.params)
                {
                    if let Some(path) = path_of(&p.text_document.uri) {
                        self.open.remove(&path);
                        self.changed(&path);
                    }
                }
            }
            _ => {}
        }
    }

    fn changed(&mut self, path: &Path) {
        self.dirty.insert(dir_of(path));
    }

    /// The rule set of a directory: its `.rules` files, open buffers over the disk.
    fn analyse(&self, dir: &Path) -> Rc<Analysis> {
        let mut files: BTreeMap<PathBuf, String> = BTreeMap::new();
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.filter_map(Result::ok) {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "rules") {
                    if let Ok(t) = crate::program::read_text(&p) {
                        files.insert(p, t);
                    }
                }
            }
        }
        let mut open = Vec::new();
        for (p, t) in &self.open {
            if dir_of(p) == dir {
                files.insert(p.clone(), t.clone());
                open.push(p.clone());
            }
        }
        let files: RuleFiles = files.into_iter().collect();
        let mut last = self.last.borrow_mut();
        if let Some((seen, seen_open, a)) = &*last {
            if *seen == files && *seen_open == open {
                return Rc::clone(a);
            }
        }
        let a = Rc::new(Analysis::focused(&files, &open));
        *last = Some((files, open, Rc::clone(&a)));
        a
    }

    fn publish_dirty(&mut self) {
        for dir in std::mem::take(&mut self.dirty) {
            let a = self.analyse(&dir);
            let mut now = BTreeSet::new();
            for (&id, (path, _)) in &a.files {
                let file = a.program.sources.get(id);
                let diags: Vec<lsp_types::Diagnostic> = a
                    .diagnostics_of(id)
                    .map(|d| self.diagnostic(&a, d, file))
                    .collect();
                // Files without problems are published too, once, to clear what was shown.
                if diags.is_empty() && !self.published.get(&dir).is_some_and(|s| s.contains(path)) {
                    continue;
                }
                if !diags.is_empty() {
                    now.insert(path.clone());
                }
                self.send_diagnostics(path, diags);
            }
            for gone in self.published.get(&dir).cloned().unwrap_or_default() {
                if !a.files.values().any(|(p, _)| *p == gone) {
                    self.send_diagnostics(&gone, Vec::new());
                }
            }
            self.published.insert(dir, now);
        }
    }

    fn send_diagnostics(&self, path: &Path, diagnostics: Vec<lsp_types::Diagnostic>) {
        let Some(uri) = uri_of(path) else { return };
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version: None,
        };
        let n = Notification::new(PublishDiagnostics::METHOD.to_string(), params);
        let _ = self.conn.sender.send(Message::Notification(n));
    }

    fn diagnostic(
        &self,
        a: &Analysis,
        d: &crate::diag::Diagnostic,
        file: &crate::span::SourceFile,
    ) -> lsp_types::Diagnostic {
        let range = d
            .span
            .map_or(Range::default(), |s| self.range_in(file, s.start, s.end));
        let related: Vec<DiagnosticRelatedInformation> = d
            .secondary
            .iter()
            .filter_map(|l| {
                let (path, _) = a.files.get(&l.span.file)?;
                let t = a.program.sources.get(l.span.file);
                Some(DiagnosticRelatedInformation {
                    location: Location {
                        uri: uri_of(path)?,
                        range: self.range_in(t, l.span.start, l.span.end),
                    },
                    message: l.text.clone(),
                })
            })
            .collect();
        let mut message = d.message.clone();
        if let Some(h) = &d.help {
            message.push_str(&format!("\nhelp: {h}"));
        }
        lsp_types::Diagnostic {
            range,
            severity: Some(if Analysis::is_error(d) {
                DiagnosticSeverity::ERROR
            } else {
                DiagnosticSeverity::WARNING
            }),
            code: Some(NumberOrString::String(d.code.to_string())),
            source: Some("because".into()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            ..lsp_types::Diagnostic::default()
        }
    }

    fn request(&mut self, req: Request) -> Response {
        let id = req.id.clone();
        let result = match req.method.as_str() {
            HoverRequest::METHOD => self.hover(req.params),
            GotoDefinition::METHOD => self.definition(req.params),
            Formatting::METHOD => self.formatting(req.params),
            DocumentSymbolRequest::METHOD => self.symbols(req.params),
            References::METHOD => self.references(req.params),
            Rename::METHOD => self.rename(req.params),
            FoldingRangeRequest::METHOD => self.folding(req.params),
            Completion::METHOD => self.completion(req.params),
            CodeLensRequest::METHOD => self.code_lens(req.params),
            SemanticTokensFullRequest::METHOD => self.semantic_tokens(req.params),
            _ => {
                return Response::new_err(
                    id,
                    lsp_server::ErrorCode::MethodNotFound as i32,
                    format!("`{}` is not supported", req.method),
                )
            }
        };
        match result {
            Ok(v) => Response::new_ok(id, v),
            Err(e) => Response::new_err(id, lsp_server::ErrorCode::InvalidParams as i32, e),
        }
    }

    /// The analysis of a document's rule set, the document's file in it, and its text.
    fn at(&self, uri: &Uri) -> Result<(Rc<Analysis>, crate::span::FileId, String), String> {
        let path = path_of(uri).ok_or("only file: documents are served")?;
        let a = self.analyse(&dir_of(&path));
        let id = a
            .file_of(&path)
            .ok_or("the document is not a `.rules` file")?;
        let text = a.program.sources.get(id).text().to_string();
        Ok((a, id, text))
    }

    /// The name at a position of a document: the analysis, the document's text, the name's
    /// place and the name (`None` where there is no name).
    fn token_at(
        &self,
        tp: &lsp_types::TextDocumentPositionParams,
    ) -> Result<Option<NameAt>, String> {
        let (a, id, text) = self.at(&tp.text_document.uri)?;
        let found = a
            .token_at(id, self.offset(&text, tp.position))
            .map(|(span, t)| (span, t.clone()));
        Ok(found.map(|(span, t)| (a, text, span, t)))
    }

    fn hover(&self, params: serde_json::Value) -> Result<serde_json::Value, String> {
        let p: lsp_types::HoverParams = parse(params)?;
        let tp = p.text_document_position_params;
        let Some((a, text, span, token)) = self.token_at(&tp)? else {
            return Ok(serde_json::Value::Null);
        };
        let Some(md) = a.hover(&token) else {
            return Ok(serde_json::Value::Null);
        };
        let h = Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: md,
            }),
            range: Some(self.range(&text, span.start, span.end)),
        };
        reply(h)
    }

    fn definition(&self, params: serde_json::Value) -> Result<serde_json::Value, String> {
        let p: lsp_types::GotoDefinitionParams = parse(params)?;
        let tp = p.text_document_position_params;
        let Some((a, _, _, token)) = self.token_at(&tp)? else {
            return Ok(serde_json::Value::Null);
        };
        let locations: Vec<Location> = a
            .definition(&token)
            .into_iter()
            .filter_map(|s| {
                let (path, _) = a.files.get(&s.file)?;
                let t = a.program.sources.get(s.file);
                Some(Location {
                    uri: uri_of(path)?,
                    range: self.range_in(t, s.start, s.end),
                })
            })
            .collect();
        reply(GotoDefinitionResponse::Array(locations))
    }

    fn formatting(&self, params: serde_json::Value) -> Result<serde_json::Value, String> {
        let p: lsp_types::DocumentFormattingParams = parse(params)?;
        let path = path_of(&p.text_document.uri).ok_or("only file: documents are served")?;
        let text = match self.open.get(&path) {
            Some(t) => t.clone(),
            None => crate::program::read_text(&path).map_err(|d| d.message)?,
        };
        // A document with syntax errors is not formatted (its diagnostics say why).
        let Ok(formatted) = crate::format::format_text(&path.to_string_lossy(), &text) else {
            return Ok(serde_json::Value::Null);
        };
        if formatted == text {
            return Ok(serde_json::json!([]));
        }
        let edit = TextEdit {
            range: self.range(&text, 0, text.len() as u32),
            new_text: formatted,
        };
        reply(vec![edit])
    }

    #[allow(
        deprecated,
        reason = "DocumentSymbol's `deprecated` field must still be given"
    )]
    fn symbols(&self, params: serde_json::Value) -> Result<serde_json::Value, String> {
        let p: lsp_types::DocumentSymbolParams = parse(params)?;
        let (a, id, _) = self.at(&p.text_document.uri)?;
        let module = a.module(id).ok_or("no module")?;
        let file = a.program.sources.get(id);
        let mut out = Vec::new();
        for item in module.items.iter() {
            let (name, kind, sel) = match item {
                crate::ast::Item::Rule(r) => {
                    (r.name.node.clone(), SymbolKind::FUNCTION, r.name.span)
                }
                crate::ast::Item::Question(q) => {
                    (q.name.node.clone(), SymbolKind::FIELD, q.name.span)
                }
                crate::ast::Item::Output(o) => {
                    (o.name.node.clone(), SymbolKind::EVENT, o.name.span)
                }
                _ => continue,
            };
            let span = item.span();
            out.push(DocumentSymbol {
                name,
                detail: None,
                kind,
                tags: None,
                deprecated: None,
                range: self.range_in(file, span.start, span.end),
                selection_range: self.range_in(file, sel.start, sel.end),
                children: None,
            });
        }
        reply(DocumentSymbolResponse::Nested(out))
    }

    /// Above each rule, in how many of the rule set's test cases (`because test`, the
    /// `.test` files under its directory) it fires.
    fn code_lens(&self, params: serde_json::Value) -> Result<serde_json::Value, String> {
        let p: lsp_types::CodeLensParams = parse(params)?;
        let (a, id, _) = self.at(&p.text_document.uri)?;
        let path = path_of(&p.text_document.uri).ok_or("only file: documents are served")?;
        let dir = dir_of(&path);
        let sources: Vec<(String, String)> = a
            .files
            .iter()
            .map(|(&f, (p, _))| {
                (
                    p.to_string_lossy().into_owned(),
                    a.program.sources.get(f).text().to_string(),
                )
            })
            .collect();
        let refs: Vec<(&str, &str)> = sources
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        // A rule set with errors runs no cases.
        let Ok(kb) = crate::engine::KnowledgeBase::from_sources(&refs) else {
            return Ok(serde_json::json!([]));
        };
        let (counts, ran) = crate::suite::fire_counts(&kb, &dir);
        if ran == 0 {
            return Ok(serde_json::json!([]));
        }
        let module = a.module(id).ok_or("no module")?;
        let file = a.program.sources.get(id);
        let lenses: Vec<lsp_types::CodeLens> = module
            .items
            .iter()
            .filter_map(|item| match item {
                crate::ast::Item::Rule(r) => Some(r),
                _ => None,
            })
            .map(|r| {
                let n = counts.get(&r.name.node).copied().unwrap_or(0);
                lsp_types::CodeLens {
                    range: self.range_in(file, r.name.span.start, r.name.span.end),
                    command: Some(lsp_types::Command {
                        title: if n == 0 {
                            format!("fires in none of {ran} test cases")
                        } else {
                            format!(
                                "fires in {n} of {ran} test case{}",
                                if ran == 1 { "" } else { "s" }
                            )
                        },
                        command: String::new(),
                        arguments: None,
                    }),
                    data: None,
                }
            })
            .collect();
        reply(lenses)
    }

    /// Every token of the document, classified (`TOKEN_TYPES`), in the protocol's relative
    /// encoding.
    fn semantic_tokens(&self, params: serde_json::Value) -> Result<serde_json::Value, String> {
        let p: lsp_types::SemanticTokensParams = parse(params)?;
        let (a, id, text) = self.at(&p.text_document.uri)?;
        let file = a.program.sources.get(id);
        let mut data = Vec::new();
        let (mut last_line, mut last_col) = (0u32, 0u32);
        for (start, end, kind) in classify(&a, id, &text) {
            let from = position_in(file, start, self.utf8);
            let to = position_in(file, end, self.utf8);
            if to.line != from.line {
                continue;
            }
            let delta_line = from.line - last_line;
            let delta_start = if delta_line == 0 {
                from.character - last_col
            } else {
                from.character
            };
            data.push(lsp_types::SemanticToken {
                delta_line,
                delta_start,
                length: to.character - from.character,
                token_type: kind,
                token_modifiers_bitset: 0,
            });
            (last_line, last_col) = (from.line, from.character);
        }
        let tokens = lsp_types::SemanticTokens {
            result_id: None,
            data,
        };
        reply(tokens)
    }

    /// The places of the name at a position, as locations.
    fn places(&self, a: &Analysis, token: &Token) -> Vec<(Uri, Range)> {
        a.references(token)
            .into_iter()
            .filter_map(|s| {
                let (path, _) = a.files.get(&s.file)?;
                let t = a.program.sources.get(s.file);
                Some((uri_of(path)?, self.range_in(t, s.start, s.end)))
            })
            .collect()
    }

    fn references(&self, params: serde_json::Value) -> Result<serde_json::Value, String> {
        let p: lsp_types::ReferenceParams = parse(params)?;
        let tp = p.text_document_position;
        let Some((a, _, _, token)) = self.token_at(&tp)? else {
            return Ok(serde_json::Value::Null);
        };
        let locs: Vec<Location> = self
            .places(&a, &token.clone())
            .into_iter()
            .map(|(uri, range)| Location { uri, range })
            .collect();
        reply(locs)
    }

    #[allow(
        clippy::mutable_key_type,
        reason = "lsp-types' WorkspaceEdit keys its changes by Uri"
    )]
    fn rename(&self, params: serde_json::Value) -> Result<serde_json::Value, String> {
        let p: lsp_types::RenameParams = parse(params)?;
        let tp = p.text_document_position;
        let new = p.new_name;
        let ok = new.starts_with(|c: char| c.is_ascii_lowercase())
            && new.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !crate::syntax::RESERVED.contains(&new.as_str());
        if !ok {
            return Err(format!(
                "`{new}` is not a name: use a lowercase letter, then letters, digits or `_` (not a keyword)"
            ));
        }
        let Some((a, _, _, token)) = self.token_at(&tp)? else {
            return Err("nothing to rename here".into());
        };
        let mut changes: std::collections::HashMap<Uri, Vec<TextEdit>> = Default::default();
        for (uri, range) in self.places(&a, &token) {
            changes.entry(uri).or_default().push(TextEdit {
                range,
                new_text: new.clone(),
            });
        }
        let edit = lsp_types::WorkspaceEdit {
            changes: Some(changes),
            ..lsp_types::WorkspaceEdit::default()
        };
        reply(edit)
    }

    fn folding(&self, params: serde_json::Value) -> Result<serde_json::Value, String> {
        let p: lsp_types::FoldingRangeParams = parse(params)?;
        let (a, id, _) = self.at(&p.text_document.uri)?;
        let module = a.module(id).ok_or("no module")?;
        let file = a.program.sources.get(id);
        let folds: Vec<lsp_types::FoldingRange> = module
            .items
            .iter()
            .filter_map(|item| {
                let s = item.span();
                let (start, end) = (
                    position_in(file, s.start as usize, self.utf8),
                    position_in(file, s.end.saturating_sub(1) as usize, self.utf8),
                );
                (end.line > start.line).then_some(lsp_types::FoldingRange {
                    start_line: start.line,
                    end_line: end.line,
                    ..lsp_types::FoldingRange::default()
                })
            })
            .collect();
        reply(folds)
    }

    /// Inside the argument of a question's predicate, its allowed values; elsewhere the
    /// predicates (with their arity), the rules' names and the keywords.
    fn completion(&self, params: serde_json::Value) -> Result<serde_json::Value, String> {
        use lsp_types::{CompletionItem, CompletionItemKind};
        let p: lsp_types::CompletionParams = parse(params)?;
        let tp = p.text_document_position;
        let path = path_of(&tp.text_document.uri).ok_or("only file: documents are served")?;
        let a = self.analyse(&dir_of(&path));
        let text = self.open.get(&path).cloned().unwrap_or_default();
        let at = self.offset(&text, tp.position) as usize;
        let item = |label: String, kind, detail: String| CompletionItem {
            label,
            kind: Some(kind),
            detail: Some(detail),
            ..CompletionItem::default()
        };
        if let Some(pred) = open_call(&text[..at]) {
            let values = a.question_values(&pred);
            if !values.is_empty() {
                let items: Vec<CompletionItem> = values
                    .into_iter()
                    .map(|v| {
                        item(
                            v,
                            CompletionItemKind::ENUM_MEMBER,
                            format!("an answer to `{pred}`"),
                        )
                    })
                    .collect();
                return reply(items);
            }
        }
        let mut items: Vec<CompletionItem> = a
            .predicates()
            .into_iter()
            .map(|(name, (arity, what))| {
                item(
                    name,
                    CompletionItemKind::FUNCTION,
                    format!("/{arity}, {what}"),
                )
            })
            .collect();
        let mut rules: Vec<String> = a.program.rules().map(|r| r.name.node.clone()).collect();
        rules.dedup();
        items.extend(
            rules
                .into_iter()
                .map(|r| item(r, CompletionItemKind::METHOD, "rule".into())),
        );
        for kw in [
            "rule",
            "when",
            "then",
            "and",
            "or",
            "not",
            "in",
            "because",
            "source",
            "with certainty",
            "fact",
            "question",
            "output",
            "name",
            "advice",
            "threshold",
        ] {
            items.push(item(
                kw.to_string(),
                CompletionItemKind::KEYWORD,
                "keyword".into(),
            ));
        }
        reply(items)
    }

    /// [`Server::range`] in a rule file of the analysis (see [`position_in`]).
    fn range_in(&self, file: &crate::span::SourceFile, start: u32, end: u32) -> Range {
        Range {
            start: position_in(file, start as usize, self.utf8),
            end: position_in(file, end as usize, self.utf8),
        }
    }

    fn range(&self, text: &str, start: u32, end: u32) -> Range {
        Range {
            start: position(text, start as usize, self.utf8),
            end: position(text, end as usize, self.utf8),
        }
    }

    fn offset(&self, text: &str, p: Position) -> u32 {
        offset(text, p, self.utf8) as u32
    }
}

/// A request's parameters.
fn parse<T: serde::de::DeserializeOwned>(params: serde_json::Value) -> Result<T, String> {
    serde_json::from_value(params).map_err(|e| e.to_string())
}

/// A response's result.
fn reply<T: serde::Serialize>(v: T) -> Result<serde_json::Value, String> {
    serde_json::to_value(v).map_err(|e| e.to_string())
}

/// A byte offset as a line and a column (bytes, or UTF-16 code units).
fn position(text: &str, offset: usize, utf8: bool) -> Position {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() as u32;
    Position {
        line,
        character: character(&text[line_start..offset], utf8),
    }
}

/// [`position`] in a rule file of the analysis: its line found in the file's line starts,
/// known once. Counting the lines before each place made publishing a document's
/// diagnostics quadratic (100,000 broken lines took 114 s), and so its symbols (30,000
/// rules: 24 s) and its semantic tokens (3,000 rules: 1.8 s).
fn position_in(file: &crate::span::SourceFile, offset: usize, utf8: bool) -> Position {
    let text = file.text();
    let offset = offset.min(text.len());
    let (line, start) = file.line_and_start(offset);
    Position {
        line,
        character: character(text.get(start..offset).unwrap_or(""), utf8),
    }
}

/// The column after `before`, the text of a line up to a place: bytes, or UTF-16 code
/// units.
fn character(before: &str, utf8: bool) -> u32 {
    if utf8 {
        before.len() as u32
    } else {
        before.chars().map(char::len_utf16).sum::<usize>() as u32
    }
}

/// A line and a column as a byte offset (clamped to the line).
fn offset(text: &str, p: Position, utf8: bool) -> usize {
    let mut start = 0;
    for _ in 0..p.line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line = &text[start..line_end];
    if utf8 {
        return start + (p.character as usize).min(line.len());
    }
    let mut units = 0u32;
    for (i, c) in line.char_indices() {
        if units >= p.character {
            return start + i;
        }
        units += c.len_utf16() as u32;
    }
    line_end
}

/// The semantic token types, in the order their numbers refer to.
const TOKEN_TYPES: [lsp_types::SemanticTokenType; 8] = [
    lsp_types::SemanticTokenType::COMMENT,
    lsp_types::SemanticTokenType::STRING,
    lsp_types::SemanticTokenType::NUMBER,
    lsp_types::SemanticTokenType::KEYWORD,
    lsp_types::SemanticTokenType::VARIABLE,
    lsp_types::SemanticTokenType::FUNCTION,
    lsp_types::SemanticTokenType::METHOD,
    lsp_types::SemanticTokenType::ENUM_MEMBER,
];

/// The document's tokens as (start, end, type): comments, strings, numbers, keywords and
/// variables by their spelling; predicates, rule names and constants from the analysis.
fn classify(a: &Analysis, file: crate::span::FileId, text: &str) -> Vec<(usize, usize, u32)> {
    const KEYWORDS: [&str; 24] = [
        "rule",
        "fact",
        "question",
        "output",
        "name",
        "advice",
        "threshold",
        "when",
        "then",
        "and",
        "or",
        "not",
        "in",
        "with",
        "certainty",
        "because",
        "source",
        "one",
        "many",
        "of",
        "from",
        "to",
        "as",
        "true",
    ];
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c == b'#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            out.push((start, i, 0));
        } else if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(b.len());
            out.push((start, i, 1));
        } else if c.is_ascii_digit() || (c == b'-' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            i += 1;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            out.push((start, i, 2));
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let word = &text[start..i];
            if c.is_ascii_uppercase() || c == b'_' {
                out.push((start, i, 4));
            } else if KEYWORDS.contains(&word) || word == "false" {
                out.push((start, i, 3));
            } else if let Some((_, t)) = a.token_at(file, start as u32) {
                out.push((
                    start,
                    i,
                    match t {
                        Token::Predicate(_) => 5,
                        Token::Rule(_) => 6,
                        Token::Constant(_) => 7,
                    },
                ));
            }
        } else {
            i += c.len_utf8_hint();
        }
    }
    out
}

/// How many bytes the character starting with this byte takes (1 inside a character).
trait Utf8Len {
    fn len_utf8_hint(self) -> usize;
}

impl Utf8Len for u8 {
    fn len_utf8_hint(self) -> usize {
        match self {
            0xF0..=0xFF => 4,
            0xE0..=0xEF => 3,
            0xC0..=0xDF => 2,
            _ => 1,
        }
    }
}

/// The predicate whose argument list is open at the end of `before` (on its line).
fn open_call(before: &str) -> Option<String> {
    let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    let mut depth = 0i32;
    for (i, c) in line.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' if depth == 0 => {
                let name: String = line[..i]
                    .chars()
                    .rev()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                return (!name.is_empty()).then_some(name);
            }
            '(' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn dir_of(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// The path of a `file:` URI (percent-decoded).
fn path_of(uri: &Uri) -> Option<PathBuf> {
    let s = uri.as_str();
    let rest = s.strip_prefix("file://")?;
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&rest[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    Some(PathBuf::from(String::from_utf8(out).ok()?))
}

/// A `file:` URI for a path (percent-encoding what a URI path cannot hold).
fn uri_of(path: &Path) -> Option<Uri> {
    let mut s = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Positions found in a file's line starts are those counted from the text's start,
    /// at every offset, in both encodings (on a character's second byte too).
    #[test]
    fn positions_in_a_file_are_those_of_its_text() {
        let text = "ab\nçé𝄞x\n\nlast line é";
        let file = crate::span::SourceFile::new("f.rules".into(), text);
        for utf8 in [true, false] {
            for off in 0..=text.len() + 2 {
                if !text.is_char_boundary(off.min(text.len())) {
                    continue;
                }
                assert_eq!(
                    position_in(&file, off, utf8),
                    position(text, off, utf8),
                    "{off} {utf8}"
                );
            }
        }
    }

    #[test]
    fn positions_round_trip_in_both_encodings() {
        let text = "ab\nçé𝄞x\n";
        for utf8 in [true, false] {
            for off in [0, 1, 3, 5, 7, 11, 12] {
                let p = position(text, off, utf8);
                assert_eq!(offset(text, p, utf8), off, "{off} {utf8} {p:?}");
            }
        }
        assert_eq!(
            position(text, 11, false),
            Position {
                line: 1,
                character: 4
            }
        );
        assert_eq!(
            position(text, 11, true),
            Position {
                line: 1,
                character: 8
            }
        );
    }

    #[test]
    fn file_uris_round_trip() {
        let p = PathBuf::from("/tmp/a dir/ç.rules");
        let u = uri_of(&p).expect("uri");
        assert_eq!(u.as_str(), "file:///tmp/a%20dir/%C3%A7.rules");
        assert_eq!(path_of(&u), Some(p));
    }
}
