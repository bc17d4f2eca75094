//! The language server as an editor drives it: the real binary (`because lsp`), JSON-RPC
//! over standard input and output, Content-Length framing.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: mpsc::Receiver<Value>,
    next_id: i64,
}

/// `because lsp` with piped standard input and output, its standard error to `stderr`.
fn spawn_server(stderr: Stdio) -> Child {
    spawn_server_with(stderr, &[])
}

fn spawn_server_with(stderr: Stdio, env: &[(&str, &str)]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_because"))
        .arg("lsp")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("because lsp")
}

impl Client {
    fn start() -> Client {
        Client::start_with(&[])
    }

    /// A server started with these environment variables.
    fn start_with(env: &[(&str, &str)]) -> Client {
        let mut child = spawn_server_with(Stdio::null(), env);
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        len = v.parse().expect("length");
                    }
                }
                let mut body = vec![0; len];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                let v: Value = serde_json::from_slice(&body).expect("json");
                if tx.send(v).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            rx,
            next_id: 1,
        }
    }

    fn send(&mut self, v: Value) {
        let body = v.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Send a request and wait for its response.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait(|m| m["id"] == id)
    }

    /// The next message that `pick` accepts (others are skipped).
    fn wait(&mut self, pick: impl Fn(&Value) -> bool) -> Value {
        loop {
            let m = self
                .rx
                .recv_timeout(Duration::from_secs(20))
                .expect("a message in time");
            if pick(&m) {
                return m;
            }
        }
    }

    /// The handshake, with no capabilities asked for.
    fn initialize(&mut self) {
        self.request(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": {}}),
        );
        self.notify("initialized", json!({}));
    }

    /// Open `uri` in the editor with `text`.
    fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "because", "version": 1, "text": text}}),
        );
    }

    /// Shut the server down and wait for it to exit.
    fn shut_down(mut self) {
        self.request("shutdown", json!(null));
        self.notify("exit", json!(null));
        let _ = self.child.wait();
    }

    fn diagnostics_for(&mut self, uri: &str) -> Vec<Value> {
        let m = self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        m["params"]["diagnostics"]
            .as_array()
            .expect("array")
            .clone()
    }
}

/// The labels of a completion response.
fn completion_labels(items: &Value) -> Vec<String> {
    items["result"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["label"].as_str().expect("label").to_string())
        .collect()
}

#[test]
fn an_editor_session() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("tea.rules");
    let other = dir.path().join("questions.rules");
    // A second file of the same rule set, on disk only: its declarations are known.
    std::fs::write(&other, "question drinks \"What do they drink?\" many of tea, coffee\noutput serve(D) \"Serve\"\nname tea \"a cup of tea\"\n").expect("write");
    let uri = format!("file://{}", path.display());
    let mut c = Client::start();
    let init = c.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {"general": {"positionEncodings": ["utf-16"]}}}),
    );
    assert_eq!(init["result"]["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(init["result"]["capabilities"]["hoverProvider"], true);
    c.notify("initialized", json!({}));

    // Open a file with an undefined predicate: its diagnostic has the exact range.
    let text = "rule likes\n  because \"they drink {D}\"\n  when drinks(D) and lovse(D)\n  then serve(D)\n";
    c.open(&uri, text);
    let diags = c.diagnostics_for(&uri);
    let undefined = diags.iter().find(|d| d["code"] == "E0101").expect("E0101");
    assert_eq!(
        undefined["range"],
        json!({"start": {"line": 2, "character": 21}, "end": {"line": 2, "character": 26}})
    );
    assert_eq!(undefined["severity"], 1);

    // Fix it: the update clears the error.
    let fixed = "rule likes\n  because \"they drink {D}\"\n  when drinks(D)\n  then serve(D)\n";
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    let diags = c.diagnostics_for(&uri);
    assert!(diags.iter().all(|d| d["severity"] != 1), "{diags:?}");

    // Hover on the rule's name, on a question read in the other file, on a constant.
    let hover = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 6}}),
    );
    let md = hover["result"]["contents"]["value"]
        .as_str()
        .expect("markdown");
    assert!(
        md.contains("rule `likes`") && md.contains("they drink {D}"),
        "{md}"
    );
    let hover = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 2, "character": 9}}),
    );
    let md = hover["result"]["contents"]["value"]
        .as_str()
        .expect("markdown");
    assert!(
        md.contains("What do they drink?") && md.contains("`tea`"),
        "{md}"
    );

    // Go to definition: the question, in the other file.
    let def = c.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": {"line": 2, "character": 9}}),
    );
    let loc = &def["result"][0];
    assert!(
        loc["uri"]
            .as_str()
            .expect("uri")
            .ends_with("questions.rules"),
        "{def}"
    );
    assert_eq!(loc["range"]["start"], json!({"line": 0, "character": 9}));

    // References of `drinks`: the question in the other file and the condition here.
    let refs = c.request("textDocument/references", json!({"textDocument": {"uri": uri}, "position": {"line": 2, "character": 9}, "context": {"includeDeclaration": true}}));
    let refs = refs["result"].as_array().expect("locations");
    assert_eq!(refs.len(), 2, "{refs:?}");
    // Rename `serve` across the rule set: the output in the other file and the conclusion.
    let edit = c.request("textDocument/rename", json!({"textDocument": {"uri": uri}, "position": {"line": 3, "character": 8}, "newName": "offer"}));
    let changes = edit["result"]["changes"].as_object().expect("changes");
    assert_eq!(changes.len(), 2, "both files change: {edit}");
    assert!(changes
        .values()
        .flat_map(|v| v.as_array().expect("edits"))
        .all(|e| e["newText"] == "offer"));
    let bad = c.request("textDocument/rename", json!({"textDocument": {"uri": uri}, "position": {"line": 3, "character": 8}, "newName": "Offer"}));
    assert!(
        bad["error"]["message"]
            .as_str()
            .expect("error")
            .contains("not a name"),
        "{bad}"
    );
    // Completion inside a question's argument gives its values; elsewhere predicates too.
    let inside = "rule likes\n  when drinks(";
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": inside}]}),
    );
    let items = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 14}}),
    );
    let labels = completion_labels(&items);
    assert_eq!(labels, ["tea", "coffee"]);
    let items = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 7}}),
    );
    let labels = completion_labels(&items);
    assert!(
        ["drinks", "serve", "when"]
            .iter()
            .all(|w| labels.iter().any(|l| l == w)),
        "{labels:?}"
    );
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 4}, "contentChanges": [{"text": fixed}]}),
    );
    let folds = c.request(
        "textDocument/foldingRange",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(folds["result"][0]["startLine"], 0);
    assert_eq!(folds["result"][0]["endLine"], 3);

    // Semantic tokens: `rule` a keyword, `likes` a rule's name, `because` a keyword, the
    // reason a string (types as in the legend the server announced).
    let legend =
        init["result"]["capabilities"]["semanticTokensProvider"]["legend"]["tokenTypes"].clone();
    let toks = c.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": uri}}),
    );
    let data: Vec<u64> = toks["result"]["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|v| v.as_u64().expect("n"))
        .collect();
    let kind = |i: usize| {
        legend[data[i * 5 + 3] as usize]
            .as_str()
            .expect("type")
            .to_string()
    };
    assert_eq!(&data[..5], &[0, 0, 4, 3, 0]);
    assert_eq!(
        (kind(0), kind(1), kind(2), kind(3)),
        (
            "keyword".into(),
            "method".into(),
            "keyword".into(),
            "string".into()
        )
    );
    assert_eq!(&data[5..8], &[0, 5, 5]);

    // Code lenses: in how many of the rule set's test cases each rule fires.
    std::fs::create_dir_all(dir.path().join("tests")).expect("dir");
    std::fs::write(
        dir.path().join("tests/tea.test"),
        "--- facts\n{\"drinks\": [\"tea\"]}\n--- expect\nserve(tea) holds\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("tests/nothing.test"),
        "--- facts\n{}\n--- expect\nserve(tea) does not hold\n",
    )
    .expect("write");
    let lenses = c.request(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(
        lenses["result"][0]["command"]["title"], "fires in 1 of 2 test cases",
        "{lenses}"
    );
    assert_eq!(
        lenses["result"][0]["range"]["start"],
        json!({"line": 0, "character": 5})
    );

    // Formatting: one edit, the canonical layout.
    let messy = "rule likes because \"they drink {D}\" when drinks(D) then serve(D)\n";
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 5}, "contentChanges": [{"text": messy}]}),
    );
    let edits = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(edits["result"][0]["newText"], fixed);

    // Symbols of the document.
    let syms = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(syms["result"][0]["name"], "likes");

    let shut = c.request("shutdown", json!(null));
    assert!(shut.get("error").is_none(), "{shut}");
    c.notify("exit", json!(null));
    let status = c.child.wait().expect("exit");
    assert!(status.success());
}

/// The VS Code extension's files are well-formed and agree with each other.
/// Requests reuse the last analysis while the rule set's files are unchanged: a change to
/// the open buffer, or to a file on disk that is not open (no notification says so), is
/// seen by the next request.
#[test]
fn requests_see_every_change_to_the_rule_set() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("tea.rules");
    let other = dir.path().join("questions.rules");
    let question = |prompt: &str| format!("question drinks \"{prompt}\" many of tea, coffee\n");
    std::fs::write(&other, question("What do they drink?")).expect("write");
    let uri = format!("file://{}", path.display());
    let mut c = Client::start();
    c.initialize();
    let text = "rule likes when drinks(D) then serve(D)\n";
    c.open(&uri, text);
    let hover = |c: &mut Client, character: u32| -> String {
        let h = c.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": character}}),
        );
        h["result"]["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert!(hover(&mut c, 17).contains("What do they drink?"));
    assert!(
        hover(&mut c, 17).contains("What do they drink?"),
        "asked again"
    );
    // The other file changes on disk, the same length: the next hover reads it.
    std::fs::write(&other, question("What do they order?")).expect("write");
    let md = hover(&mut c, 17);
    assert!(md.contains("What do they order?"), "{md}");
    // The open buffer changes: the rule's new name is there at once.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "rule loves when drinks(D) then serve(D)\n"}]}),
    );
    let md = hover(&mut c, 6);
    assert!(md.contains("rule `loves`"), "{md}");
    c.shut_down();
}

/// More diagnostics than are kept, all in a file on disk that sorts first: the open file's
/// own error is still published (the bound keeps the open files' diagnostics first).
#[test]
fn errors_elsewhere_never_crowd_out_the_open_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let broken: String = (0..30)
        .map(|i| format!("rule r{i} when missing{i}(X) then out(X)\n"))
        .collect();
    std::fs::write(dir.path().join("a_broken.rules"), broken).expect("write");
    let path = dir.path().join("z_open.rules");
    let uri = format!("file://{}", path.display());
    let mut c = Client::start_with(&[("BECAUSE_MAX_DIAGNOSTICS", "5")]);
    c.initialize();
    let text = "rule mine when nowhere(X) then out(X)\n";
    c.open(&uri, text);
    let diags = c.diagnostics_for(&uri);
    let messages: Vec<&str> = diags.iter().filter_map(|d| d["message"].as_str()).collect();
    assert!(
        messages.iter().any(|m| m.contains("`nowhere/1`")),
        "{messages:?}"
    );
    c.shut_down();
}

#[test]
fn the_vscode_extension_is_well_formed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("editors/vscode");
    let read = |p: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(p)).expect(p)).expect(p)
    };
    let pkg = read("package.json");
    let lang = &pkg["contributes"]["languages"][0];
    assert_eq!(lang["extensions"], json!([".rules"]));
    let grammar_path = pkg["contributes"]["grammars"][0]["path"]
        .as_str()
        .expect("path");
    let grammar = read(grammar_path);
    assert_eq!(
        grammar["scopeName"],
        pkg["contributes"]["grammars"][0]["scopeName"]
    );
    read(lang["configuration"].as_str().expect("configuration"));
    let main = std::fs::read_to_string(dir.join("extension.js")).expect("extension.js");
    assert!(
        main.contains("args: [\"lsp\"]"),
        "the client starts `because lsp`"
    );
}

/// A client that opens a large file before saying `initialized` gets a short error and the
/// server exits non-zero: lsp-server's error quoted the whole message (a megabyte here) on
/// standard error.
#[test]
fn a_client_that_skips_initialized_gets_a_short_error() {
    let mut child = spawn_server(Stdio::piped());
    let mut stdin = child.stdin.take().expect("stdin");
    let big = "fact p(1)\n".repeat(100_000);
    for v in [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": "file:///tmp/big.rules", "languageId": "because", "version": 1, "text": big}}}),
    ] {
        let body = v.to_string();
        // The server may exit before reading all of it.
        let _ = write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len());
    }
    drop(stdin);
    let out = child.wait_with_output().expect("exits");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.len() < 1_000, "{} bytes: {}", err.len(), &err[..200]);
    assert!(err.contains("expected initialized notification"), "{err}");
    assert!(err.contains("bytes more)"), "{err}");
}
