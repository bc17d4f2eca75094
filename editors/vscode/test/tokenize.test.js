// The TextMate grammar, tokenized by VS Code's own engine (vscode-textmate with the
// Oniguruma regular expressions VS Code uses) on every shipped rule file, against a snapshot
// per file in test/snapshots/. `UPDATE=1 npm test` rewrites the snapshots; read the diff
// before committing it.
const fs = require("fs");
const path = require("path");
const assert = require("assert");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const root = path.resolve(__dirname, "..", "..", "..");
const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer;

async function main() {
  await oniguruma.loadWASM(wasm);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (p) => new oniguruma.OnigScanner(p),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async () => {
      const file = path.join(__dirname, "..", "syntaxes", "because.tmLanguage.json");
      return vsctm.parseRawGrammar(fs.readFileSync(file, "utf8"), file);
    },
  });
  const grammar = await registry.loadGrammar("source.because");
  const dir = path.join(root, "rules");
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".rules")).sort();
  assert.ok(files.length >= 5, "the shipped rule files");
  let failed = 0;
  for (const f of files) {
    const lines = fs.readFileSync(path.join(dir, f), "utf8").split("\n");
    let state = vsctm.INITIAL;
    let out = "";
    lines.forEach((line, n) => {
      const r = grammar.tokenizeLine(line, state);
      for (const t of r.tokens) {
        const text = line.slice(t.startIndex, t.endIndex);
        if (text.trim() === "") continue;
        const scopes = t.scopes.filter((s) => s !== "source.because").join(" ");
        out += `${n + 1}:${t.startIndex} ${JSON.stringify(text)} ${scopes || "-"}\n`;
      }
      state = r.ruleStack;
    });
    const snap = path.join(__dirname, "snapshots", f + ".tokens");
    if (process.env.UPDATE) {
      fs.mkdirSync(path.dirname(snap), { recursive: true });
      fs.writeFileSync(snap, out);
    } else if (!fs.existsSync(snap) || fs.readFileSync(snap, "utf8") !== out) {
      console.error(`${f}: the tokens differ from ${path.relative(root, snap)} (UPDATE=1 npm test rewrites it)`);
      failed++;
    }
  }
  if (failed) process.exit(1);
  console.log(`ok: ${files.length} shipped rule files tokenized as in their snapshots`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
