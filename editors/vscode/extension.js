// Starts `because lsp` for .rules files. The server does the work: diagnostics as you type,
// hover, go to definition, document symbols and formatting.
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("because").get("path") || "because";
  const server = { command, args: ["lsp"], transport: TransportKind.stdio };
  client = new LanguageClient(
    "because",
    "because language server",
    { run: server, debug: server },
    { documentSelector: [{ scheme: "file", language: "because" }] }
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
