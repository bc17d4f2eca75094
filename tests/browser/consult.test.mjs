// Drives the consult page of `because serve` in Debian's Chromium, as a person would: clicks
// the answers a scenario gives, then checks what the page shows against the JSON API.
//
//   cd tests/browser && npm ci && npm test
//
// BECAUSE_BIN: the binary (default ../../target/debug/because); CHROMIUM: the browser
// (default /usr/bin/chromium). Screenshots go to target/browser-artifacts/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const BIN = resolve(here, process.env.BECAUSE_BIN || "../../target/debug/because");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const ARTIFACTS = resolve(root, "target/browser-artifacts");
const FACTS_DIR = resolve(root, "rules/tests/facts");

let server;
let base;
let browser;

function scenario(name) {
  return JSON.parse(readFileSync(resolve(FACTS_DIR, name + ".json"), "utf8"));
}

async function api(path, body, as = "json") {
  const r = await fetch(new URL("api/v1/" + path, base), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  assert.ok(r.ok, `POST ${path}: HTTP ${r.status}: ${await r.clone().text()}`);
  return as === "text" ? r.text() : r.json();
}

// Start `because serve` with `args` (the shipped rules unless they say otherwise): its
// process and the URL it says it listens at.
function launchServer(args = []) {
  return new Promise((resolvePromise, reject) => {
    assert.ok(existsSync(BIN), `no binary at ${BIN}: run \`cargo build\` first (or set BECAUSE_BIN)`);
    const proc = spawn(BIN, [...args, "serve", "--addr", "127.0.0.1:0"], { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    let url;
    const timer = setTimeout(() => reject(new Error("the server did not say where it listens within 20 s:\n" + log)), 20000);
    proc.on("error", (e) => { clearTimeout(timer); reject(e); });
    proc.on("exit", (code) => {
      if (!url) { clearTimeout(timer); reject(new Error(`the server exited (${code}) before listening:\n${log}`)); }
    });
    const lines = createInterface({ input: proc.stderr });
    lines.on("line", (line) => {
      log += line + "\n";
      if (url) return;
      try {
        const first = JSON.parse(line);
        assert.equal(first.event, "listening", "the first stderr line is the listening event");
        url = first.url;
        clearTimeout(timer);
        resolvePromise({ proc, url });
      } catch (e) {
        clearTimeout(timer);
        reject(new Error("unexpected first stderr line: " + line + " (" + e.message + ")"));
      }
    });
  });
}

// Stop a server started by launchServer: SIGTERM, then SIGKILL after 3 s.
async function stopServer(proc) {
  if (!proc || proc.exitCode !== null) return;
  const gone = new Promise((r) => proc.once("exit", r));
  proc.kill("SIGTERM");
  await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
  if (proc.exitCode === null) proc.kill("SIGKILL");
}

async function startServer() {
  const started = launchServer();
  ({ proc: server, url: base } = await started);
}

before(async () => {
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  await startServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  if (browser) await browser.close();
  await stopServer(server);
});

// A page that records what it sent to /api/v1/query and fails on script errors or CSP
// violations.
async function openPage(t, viewport = { width: 1024, height: 800 }, url = base) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems = [];
  const queries = [];
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("console", (m) => { if (m.type() === "error") problems.push("console error: " + m.text()); });
  page.on("response", (r) => { if (r.status() === 404) problems.push("404: " + r.url()); });
  page.on("request", (r) => {
    if (r.method() === "POST" && new URL(r.url()).pathname === "/api/v1/query") queries.push(r.postData());
  });
  t.after(async () => { await context.close(); });
  await page.goto(url);
  await page.waitForSelector("body[data-state=question]");
  return { page, problems, queries };
}

let shot = 0;
async function snap(page, name) {
  shot += 1;
  const file = resolve(ARTIFACTS, `${String(shot).padStart(3, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

async function step(page) {
  return Number(await page.getAttribute("body", "data-step"));
}

// Wait until the page has rendered its next step (a question or the results).
async function waitNext(page, before) {
  await page.waitForFunction((n) => Number(document.body.dataset.step) > n
    && !document.body.hasAttribute("aria-busy"), before);
}

// Answer the question on screen from `facts` by clicking, or press "I don't know".
async function answerOne(page, facts) {
  const form = page.locator("form#question");
  const name = await form.getAttribute("data-question");
  const before = await step(page);
  if (Object.prototype.hasOwnProperty.call(facts, name)) {
    const value = facts[name];
    const type = await form.getAttribute("data-type");
    if (Array.isArray(value)) {
      for (const box of await page.locator("#choices input[type=checkbox]").all()) {
        await box.setChecked(value.includes(await box.getAttribute("value")));
      }
    } else if (type === "boolean") {
      await page.locator(`#choices input[type=radio][value="${value}"]`).check();
    } else if (type === "integer" || type === "decimal" || type === "string") {
      await page.locator("#answer-input").fill(String(value));
    } else {
      await page.locator(`#choices input[type=radio][value="${value}"]`).check();
    }
    await page.click("button#next");
  } else {
    await page.click("button#skip");
  }
  await waitNext(page, before);
  return name;
}

// Answer until the results show; returns the questions asked, in order.
async function answerAll(page, facts, label) {
  const asked = [];
  for (let i = 0; i < 30; i++) {
    if (await page.getAttribute("body", "data-state") === "results") return asked;
    // The new question's legend has the focus.
    assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), "question-legend");
    asked.push(await answerOne(page, facts));
    await snap(page, `${label}-q${asked.length}-${asked[asked.length - 1]}`);
  }
  assert.fail("the page kept asking questions: " + asked.join(", "));
}

async function shownRecommendation(page) {
  return (await page.locator(".recommendation").first().locator(".rec-name").textContent()).trim();
}

// The first recommendation shown equals the API's for the facts the page submitted last.
async function checkAgainstApi(page, queries, scenarioFacts) {
  assert.ok(queries.length, "the page posted to /api/v1/query");
  const submitted = JSON.parse(queries[queries.length - 1]);
  for (const [k, v] of Object.entries(submitted)) {
    const norm = (x) => (Array.isArray(x) ? [...x].sort() : x);
    assert.deepEqual(norm(v), norm(scenarioFacts[k]), `the page submitted ${k} as the scenario gives it`);
  }
  const result = await api("query", submitted);
  const rec = result.outputs.find((o) => o.name === "recommend");
  assert.ok(rec.concluded.length, "the API recommends something for " + JSON.stringify(submitted));
  const first = rec.concluded[0];
  assert.equal(await shownRecommendation(page), first.text);
  assert.equal(await page.locator(".recommendation").count(), rec.concluded.length);
  return { submitted, first, rec };
}

async function openExplanation(page, first) {
  const details = page.locator(".recommendation").first().locator("details.explain");
  await details.locator("summary").click();
  await page.waitForFunction(() => {
    const d = document.querySelector(".recommendation details.explain");
    const img = d && d.querySelector("img.picture");
    return d && d.dataset.loaded === "yes" && img && img.complete && img.naturalWidth > 0;
  });
  const text = await details.locator("pre.explanation").textContent();
  assert.ok(text.includes(first.text), "the explanation names " + first.text);
  assert.ok(text.includes("certainty"), "the explanation gives the certainty");
  assert.ok((await details.locator("img.picture").getAttribute("alt")).length > 10, "the picture has alt text");
}

async function askWhyNot(page, typed, symbol, submitted) {
  await page.fill("#why-not-input", typed);
  await page.click("#why-not-submit");
  await page.waitForFunction((f) => {
    const pre = document.getElementById("why-not-result");
    return !pre.hidden && pre.dataset.fact === f && pre.textContent.length > 0;
  }, `recommend(${symbol})`);
  const shown = await page.locator("#why-not-result").textContent();
  const expected = await api(`why-not?fact=recommend(${symbol})&format=text`, submitted, "text");
  assert.equal(shown, expected);
  assert.ok(shown.startsWith(`Why not recommend(${symbol})?`));
}

const SCENARIOS = [
  {
    file: "python-relational-admin",
    expect: "Django",
    whyNot: { typed: "Ruby on Rails", symbol: "rails" },
    change: { via: "change", question: "language", value: ["ruby"] },
  },
  {
    file: "java-background-cloud",
    expect: "Spring",
    whyNot: { typed: "flask", symbol: "flask" },
    change: { via: "change", question: "language", value: ["python"] },
  },
  {
    file: "php-api-laravel",
    expect: "Laravel",
    whyNot: { typed: "NestJS", symbol: "nestjs" },
    change: { via: "back" },
  },
];

for (const sc of SCENARIOS) {
  test(`scenario ${sc.file}: answer, explain, why not, change`, async (t) => {
    const facts = scenario(sc.file);
    const { page, problems, queries } = await openPage(t);
    await snap(page, `${sc.file}-start`);

    await answerAll(page, facts, sc.file);
    await page.waitForSelector("#results:not([hidden]) .recommendation");
    assert.equal(await page.evaluate(() => document.activeElement.id), "results-heading");
    const { submitted, first } = await checkAgainstApi(page, queries, facts);
    assert.equal(first.text, sc.expect, "this scenario's known answer");
    await snap(page, `${sc.file}-results`);

    await openExplanation(page, first);
    await snap(page, `${sc.file}-explanation`);

    await askWhyNot(page, sc.whyNot.typed, sc.whyNot.symbol, submitted);
    await snap(page, `${sc.file}-why-not`);

    // Change an answer and answer on from there.
    let newFacts;
    const beforeChange = await step(page);
    if (sc.change.via === "change") {
      newFacts = { ...facts, [sc.change.question]: sc.change.value };
      const given = (await page.locator("#answers-list li").count());
      await page.click(`#answers-list li[data-question="${sc.change.question}"] button.change`);
      await waitNext(page, beforeChange);
      assert.equal(await page.getAttribute("form#question", "data-question"), sc.change.question);
      assert.ok(await page.locator("#answers-list li").count() < given, "later answers were dropped");
    } else {
      // Back undoes the last answer; answer that question the other way (or skip it).
      await page.click("#results-back");
      await waitNext(page, beforeChange);
      const q = await page.getAttribute("form#question", "data-question");
      const allowed = await page.locator("#choices input").evaluateAll((xs) => xs.map((x) => x.value));
      const old = facts[q];
      const other = Array.isArray(old) ? [allowed.find((v) => !old.includes(v))] : allowed.find((v) => v !== String(old));
      const type = await page.getAttribute("form#question", "data-type");
      newFacts = { ...facts, [q]: type === "boolean" ? other === "true" : other };
    }
    await snap(page, `${sc.file}-changing`);
    const queriesBefore = queries.length;
    await answerAll(page, newFacts, `${sc.file}-changed`);
    assert.ok(queries.length > queriesBefore, "the page queried again");
    const again = await checkAgainstApi(page, queries, newFacts);
    await snap(page, `${sc.file}-changed-results`);
    t.diagnostic(`${sc.file}: ${first.text} → after the change ${again.first.text}`);

    assert.deepEqual(problems, []);
  });
}

test("keyboard only: Tab, Space and Enter answer a question", async (t) => {
  const { page, problems } = await openPage(t);
  assert.equal(await page.evaluate(() => document.activeElement.id), "question-legend");
  const q = await page.getAttribute("form#question", "data-question");
  assert.equal(q, "language");
  await page.keyboard.press("Tab");
  const focused = await page.evaluate(() => document.activeElement.value);
  assert.equal(focused, "python", "Tab from the question reaches its first choice");
  await page.keyboard.press("Space");
  assert.ok(await page.locator("#choices input[value=python]").isChecked());
  for (let i = 0; i < 20; i++) {
    if (await page.evaluate(() => document.activeElement.id) === "next") break;
    await page.keyboard.press("Tab");
  }
  assert.equal(await page.evaluate(() => document.activeElement.id), "next");
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, "none", "the focused button shows an outline");
  await snap(page, "keyboard-focus-on-next");
  const before = await step(page);
  await page.keyboard.press("Enter");
  await waitNext(page, before);
  assert.notEqual(await page.getAttribute("form#question", "data-question"), "language");
  assert.equal(await page.evaluate(() => document.activeElement.id), "question-legend");
  assert.match(await page.locator("#answers-list").textContent(), /Python/);
  // "Why is this asked?" opens from the keyboard too and gives the server's sentences.
  await page.focus("#why-asked summary");
  await page.keyboard.press("Enter");
  assert.ok(await page.locator("#why-asked").evaluate((d) => d.open));
  assert.match(await page.locator("#why-list li").first().textContent(), /depends? on it/);
  await snap(page, "keyboard-answered");
  assert.deepEqual(problems, []);
});

test("375 px wide: no horizontal scrolling", async (t) => {
  const { page, problems } = await openPage(t, { width: 375, height: 740 });
  const width = () => page.evaluate(() => document.scrollingElement.scrollWidth);
  assert.ok(await width() <= 375, `question: scrollWidth ${await width()}`);
  await snap(page, "narrow-question");
  const facts = scenario("python-relational-admin");
  await answerAll(page, facts, "narrow");
  const details = page.locator(".recommendation").first().locator("details.explain");
  await details.locator("summary").click();
  await page.waitForFunction(() => document.querySelector(".recommendation details.explain").dataset.loaded === "yes");
  await page.fill("#why-not-input", "Spring");
  await page.click("#why-not-submit");
  await page.waitForSelector("#why-not-result:not([hidden])");
  assert.ok(await width() <= 375, `results: scrollWidth ${await width()}`);
  await snap(page, "narrow-results");
  await page.locator("#results-heading").scrollIntoViewIfNeeded();
  await page.screenshot({ path: resolve(ARTIFACTS, "narrow-results-viewport.png") });
  assert.deepEqual(problems, []);
});

test("an API error is shown in the alert region", async (t) => {
  const { page } = await openPage(t);
  await page.click("#skip");
  await page.waitForSelector("body[data-step='2']");
  // The real API's error for an unknown skipped question, as the page's own fetch sees it.
  const real = await page.evaluate(async () => {
    const r = await fetch("/api/v1/consult?skipped=nonsense", { method: "POST", body: "{}" });
    return { status: r.status, body: await r.json() };
  });
  assert.ok(real.status >= 400 && real.status < 500, "status " + real.status);
  // Make the page meet that error on its next step (as if the rules were reloaded meanwhile).
  await page.route("**/api/v1/consult*", (route) => route.fulfill({
    status: 400,
    contentType: "application/json",
    body: JSON.stringify(real.body),
  }));
  await page.click("#skip");
  await page.waitForSelector("#error:not([hidden])");
  const text = await page.locator("[role=alert]").textContent();
  assert.ok(text.includes(real.body.error[0].message), text);
  assert.ok(text.includes(real.body.error[0].help), text);
  // The failed step is not kept: one answer (the first skip) so far, the question still there.
  assert.equal(await page.locator("#answers-list li").count(), 1);
  assert.equal(await page.getAttribute("body", "data-state"), "question");
  await snap(page, "api-error");
});

test("a tie of many lists ten and counts the rest", async (t) => {
  // Rules of our own: 25 conclusions tied at 0.5, one alone at 0.3.
  const dir = resolve(ARTIFACTS, "tie-rules");
  mkdirSync(dir, { recursive: true });
  let rules = 'question go "Shall we?"\n  many of yes\n\noutput r(X) "R"\n';
  for (let i = 0; i < 25; i++) {
    rules += `rule a${i} when go(yes) then r(a${String(i).padStart(2, "0")}) with certainty 0.5\n`;
  }
  rules += "rule c when go(yes) then r(c) with certainty 0.3\n";
  writeFileSync(resolve(dir, "tie.rules"), rules);
  const { proc, url } = await launchServer(["--rules", dir]);
  t.after(() => stopServer(proc));
  const { page, problems } = await openPage(t, undefined, url);
  await answerAll(page, { go: ["yes"] }, "tie");
  const items = page.locator(".conclusion");
  assert.equal(await items.count(), 26);
  const tied = (await items.first().locator(".tied").textContent()).trim();
  // What the API says of the same answers.
  const r = await fetch(new URL("api/v1/query", url), { method: "POST", body: JSON.stringify({ go: ["yes"] }) });
  const first = (await r.json()).outputs[0].concluded[0];
  assert.equal(first.tied_with.length, 10);
  assert.equal(first.tied_not_listed, 14);
  assert.equal(tied, "Tied with " + first.tied_with.join(", ") + " and 14 more.");
  assert.equal(await items.last().locator(".tied").count(), 0, "the one alone is tied with none");
  // Other rules: the page speaks of their output ("R"), not of frameworks.
  assert.equal(await page.title(), "R — because");
  assert.equal((await page.locator("h1").textContent()).trim(), "R");
  assert.equal((await page.getByTestId("status").textContent()).trim(),
    "Done. R: " + first.text + " (certainty 0.50).");
  assert.equal((await page.locator("#why-not-heading").textContent()).trim(), "Why not something else?");
  await page.getByLabel("R (name or symbol)").fill("zz");
  await page.getByTestId("why-not-submit").click();
  const whyNot = page.getByTestId("why-not-result");
  await whyNot.waitFor();
  assert.equal(await whyNot.getAttribute("data-fact"), "r(zz)");
  assert.match(await whyNot.textContent(), /r\(zz\)/);
  await snap(page, "tie-results");
  assert.deepEqual(problems, []);
});
