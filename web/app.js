// The consult page of `because serve`: asks the questions that still matter, one at a time,
// then shows the conclusions with their reasons, explanations and "why not" answers.
// Plain JavaScript, no build step. All text from the server goes through textContent.
"use strict";

(function () {
  const API = "/api/v1/";

  const state = {
    questions: new Map(), // name -> question object
    names: {}, // symbol -> display name
    history: [], // [{name, skipped: bool, value}]
    previous: new Map(), // name -> value last given (for pre-filling after Back/Change)
    current: null, // the question being asked
    phase: "loading", // loading | question | results
    seq: 0, // sequence number of the latest request chain; older answers are dropped
    step: 0,
    objectUrls: [],
    saveUrl: null,
    frameworks: new Set(), // symbols seen as values of the main output (and its like)
    lastFacts: null,
    // The output "why not" asks about and the results' status speak of: the first declared
    // with one parameter (the shipped rules' `recommend`).
    main: { name: "recommend", label: "Recommended framework", params: ["Framework"] },
    shipped: true, // whether the page's own wording (about frameworks) fits the rules
  };

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === "text") e.textContent = v;
        else if (k === "className") e.className = v;
        else if (k === "dataset") Object.assign(e.dataset, v);
        else e.setAttribute(k, v === true ? "" : String(v));
      }
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  // ---- Facts ---------------------------------------------------------------------------

  function facts() {
    const f = {};
    for (const h of state.history) if (!h.skipped) f[h.name] = h.value;
    return f;
  }

  function skipped() {
    return state.history.filter((h) => h.skipped).map((h) => h.name);
  }

  function nameOf(symbol) {
    const s = String(symbol);
    return Object.prototype.hasOwnProperty.call(state.names, s) ? state.names[s] : s;
  }

  function showValue(q, value) {
    if (Array.isArray(value)) return value.map((v) => nameOf(v)).join(", ");
    if (typeof value === "boolean") return value ? "Yes" : "No";
    if (q && q.type === "symbol") return nameOf(value);
    return String(value);
  }

  function title(name) {
    const t = name.replace(/_/g, " ");
    return t.charAt(0).toUpperCase() + t.slice(1);
  }

  // ---- Requests ------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, diagnostics) {
      super(diagnostics.map((d) => d.message).join("; ") || "HTTP " + status);
      this.status = status;
      this.diagnostics = diagnostics;
    }
  }

  async function call(path, body, as) {
    const init = body === undefined
      ? { method: "GET" }
      : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
    let r;
    try {
      r = await fetch(API + path, init);
    } catch (e) {
      throw new ApiError(0, [{ message: "The server could not be reached (" + e.message + ").",
        help: "Check that `because serve` is still running, then try again." }]);
    }
    if (!r.ok) {
      let diags;
      try {
        const j = await r.json();
        diags = Array.isArray(j.error) ? j.error : [{ message: JSON.stringify(j) }];
      } catch (_) {
        diags = [{ message: "The server answered " + r.status + " " + r.statusText + "." }];
      }
      throw new ApiError(r.status, diags);
    }
    if (as === "text") return r.text();
    if (as === "blob") return r.blob();
    return r.json();
  }

  function showError(err) {
    const box = $("error");
    box.replaceChildren();
    const diags = err instanceof ApiError ? err.diagnostics : [{ message: String(err && err.message || err) }];
    box.append(el("p", { className: "error-title", text: "Something went wrong" }));
    for (const d of diags) {
      const p = el("p", { className: "error-message" });
      if (d.code) p.append(el("span", { className: "error-code", text: d.code + " " }));
      p.append(d.message || "unknown error");
      if (d.file && d.line) p.append(" (" + d.file + ":" + d.line + (d.column ? ":" + d.column : "") + ")");
      box.append(p);
      if (d.help) box.append(el("p", { className: "error-help", text: "Help: " + d.help }));
    }
    box.hidden = false;
  }

  function clearError() {
    const box = $("error");
    box.hidden = true;
    box.replaceChildren();
  }

  function setStatus(text) {
    $("status").textContent = text;
  }

  function setBusy(busy) {
    document.body.toggleAttribute("aria-busy", busy);
    for (const id of ["next", "skip", "back", "results-back", "why-not-submit"]) {
      const b = $(id);
      if (b) b.disabled = busy || (id === "back" || id === "results-back") && state.history.length === 0;
    }
  }

  // ---- Wording -------------------------------------------------------------------------

  // The page's text is written for the shipped rules (which framework?). Served with other
  // rules, it speaks of their first one-parameter output by its label instead.
  function useOutputs(outputs) {
    const main = outputs.find((o) => Array.isArray(o.params) && o.params.length === 1);
    state.shipped = !!main && main.name === "recommend" && main.label === "Recommended framework";
    if (state.shipped) return;
    state.main = main || null;
    const label = main ? main.label : "Conclusions";
    document.title = label + " — because";
    $("site-title").textContent = label;
    $("why-not-heading").textContent = "Why not something else?";
    $("why-not-label").textContent = label + " (name or symbol)";
    $("why-not-help").textContent = "The name people read, or the symbol in the rules.";
    $("why-not-input").name = "value";
    $("why-not").hidden = !main;
  }

  // ---- Flow ----------------------------------------------------------------------------

  async function start() {
    setBusy(true);
    try {
      const q = await call("questions");
      state.names = q.names || {};
      for (const question of q.questions || []) state.questions.set(question.name, question);
      useOutputs(q.outputs || []);
    } catch (e) {
      showError(e);
      setStatus("The questions could not be loaded.");
      setBusy(false);
      return;
    }
    await advance();
  }

  // Ask the server what matters next, given the answers and skips so far. If that fails,
  // the answers go back to `undo` (what they were before this step), so the step can be retried.
  async function advance(undo) {
    const seq = ++state.seq;
    const f = facts();
    const qs = skipped();
    setBusy(true);
    updateAnswers();
    try {
      const path = "consult" + (qs.length ? "?skipped=" + qs.map(encodeURIComponent).join(",") : "");
      const c = await call(path, f);
      if (seq !== state.seq) return;
      clearError();
      if (c.next) {
        showQuestion(c.next, c.why || [], c);
      } else {
        await showResults(f, seq);
      }
    } catch (e) {
      if (seq !== state.seq) return;
      if (undo) {
        state.history = undo;
        updateAnswers();
      }
      showError(e);
      setStatus("That step failed; see the message above, then try again.");
    } finally {
      if (seq === state.seq) setBusy(false);
    }
  }

  function bump(phase) {
    state.phase = phase;
    state.step += 1;
    document.body.dataset.state = phase;
    document.body.dataset.step = String(state.step);
  }

  // ---- A question ----------------------------------------------------------------------

  function showQuestion(q, why, c) {
    state.current = q;
    $("results").hidden = true;
    $("question-section").hidden = false;
    const form = $("question");
    form.dataset.question = q.name;
    form.dataset.type = q.type;
    form.dataset.many = String(!!q.many);

    const legend = $("question-legend");
    legend.textContent = q.prompt;

    const box = $("choices");
    box.replaceChildren();
    const prev = state.previous.get(q.name);
    const id = (v) => "choice-" + q.name + "-" + String(v).replace(/[^A-Za-z0-9_-]/g, "_");

    if (q.type === "boolean") {
      for (const [v, label] of [[true, "Yes"], [false, "No"]]) {
        const input = el("input", { type: "radio", name: "answer", id: id(v), value: String(v),
          checked: prev === v });
        box.append(el("div", { className: "choice" }, input, el("label", { for: id(v), text: label })));
      }
    } else if (q.allowed && q.allowed.length) {
      const kind = q.many ? "checkbox" : "radio";
      for (const v of q.allowed) {
        const on = q.many ? Array.isArray(prev) && prev.includes(v) : prev === v;
        const input = el("input", { type: kind, name: "answer", id: id(v), value: v, checked: on });
        const label = el("label", { for: id(v) }, nameOf(v));
        // Show the symbol too where the name does not spell it (C# for csharp).
        const plain = nameOf(v).toLowerCase().replace(/[^a-z0-9]/g, "");
        if (plain !== v.replace(/_/g, "")) label.append(el("span", { className: "symbol", text: " (" + v + ")" }));
        box.append(el("div", { className: "choice" }, input, label));
      }
    } else {
      const numeric = q.type === "integer" || q.type === "decimal";
      const input = el("input", {
        type: numeric ? "number" : "text",
        name: "answer",
        id: "answer-input",
        step: q.type === "integer" ? "1" : q.type === "decimal" ? "any" : null,
        // The question's range (from N, to N), so the browser refuses a number outside it.
        min: numeric && q.min !== undefined ? String(q.min) : null,
        max: numeric && q.max !== undefined ? String(q.max) : null,
        inputmode: q.type === "integer" ? "numeric" : q.type === "decimal" ? "decimal" : null,
        value: prev === undefined ? null : String(prev),
        autocomplete: "off",
        required: true,
      });
      const label = el("label", { for: "answer-input", text: numeric ? "A number" : "Your answer" });
      box.append(el("div", { className: "text-answer" }, label, input));
    }

    const hint = $("question-hint");
    hint.hidden = true;
    hint.textContent = "";

    const list = $("why-list");
    list.replaceChildren();
    for (const w of why) list.append(el("li", { text: w.sentence }));
    if (!why.length) list.append(el("li", { text: "It can still change a conclusion." }));
    $("why-asked").open = false;

    bump("question");
    const n = state.history.length + 1;
    setStatus("Question " + n + ": " + q.prompt + " (" + c.answered + " answered, " + c.skipped + " skipped)");
    legend.focus();
  }

  function readAnswer(q) {
    const form = $("question");
    if (q.type === "boolean") {
      const r = form.querySelector("input[name=answer]:checked");
      if (!r) return { error: "Choose Yes or No, or press “I don't know”." };
      return { value: r.value === "true" };
    }
    if (q.allowed && q.allowed.length) {
      const checked = [...form.querySelectorAll("input[name=answer]:checked")].map((i) => i.value);
      if (q.many) {
        if (!checked.length) return { error: "Choose at least one, or press “I don't know”." };
        return { value: checked };
      }
      if (!checked.length) return { error: "Choose one, or press “I don't know”." };
      return { value: checked[0] };
    }
    const raw = $("answer-input").value.trim();
    if (raw === "") return { error: "Type an answer, or press “I don't know”." };
    if (q.type === "integer") {
      if (!/^-?\d+$/.test(raw)) return { error: "Type a whole number." };
      return { value: Number(raw) };
    }
    if (q.type === "decimal") {
      const n = Number(raw);
      if (!Number.isFinite(n)) return { error: "Type a number." };
      return { value: n };
    }
    return { value: raw };
  }

  function onNext(ev) {
    ev.preventDefault();
    const q = state.current;
    if (!q || state.phase !== "question") return;
    const a = readAnswer(q);
    const hint = $("question-hint");
    if (a.error) {
      hint.textContent = a.error;
      hint.hidden = false;
      setStatus(a.error);
      const first = $("choices").querySelector("input");
      if (first) first.focus();
      return;
    }
    const undo = state.history.slice();
    state.previous.set(q.name, a.value);
    state.history.push({ name: q.name, skipped: false, value: a.value });
    advance(undo);
  }

  function onSkip() {
    const q = state.current;
    if (!q || state.phase !== "question") return;
    const undo = state.history.slice();
    state.history.push({ name: q.name, skipped: true });
    advance(undo);
  }

  function onBack() {
    if (!state.history.length) return;
    const undo = state.history.slice();
    state.history.pop();
    advance(undo);
  }

  function changeAt(index) {
    const undo = state.history.slice();
    state.history = state.history.slice(0, index);
    advance(undo);
  }

  function restart() {
    state.history = [];
    state.previous.clear();
    $("why-not-input").value = "";
    $("why-not-result").hidden = true;
    advance();
  }

  // ---- Answers so far ------------------------------------------------------------------

  function updateAnswers() {
    const list = $("answers-list");
    list.replaceChildren();
    state.history.forEach((h, i) => {
      const q = state.questions.get(h.name);
      const label = title(h.name);
      const value = h.skipped ? "I don't know (skipped)" : showValue(q, h.value);
      const button = el("button", { type: "button", className: "change", dataset: { index: String(i), question: h.name } },
        "Change", el("span", { className: "visually-hidden", text: " the answer to " + label }));
      button.addEventListener("click", () => changeAt(i));
      list.append(el("li", { dataset: { question: h.name } },
        el("span", { className: "answer-text" },
          el("span", { className: "answer-name", text: label + ": " }),
          el("span", { className: "answer-value" + (h.skipped ? " skipped" : ""), text: value })),
        button));
    });
    $("no-answers").hidden = state.history.length > 0;
    updateSave();
  }

  function updateSave() {
    if (state.saveUrl) URL.revokeObjectURL(state.saveUrl);
    const blob = new Blob([JSON.stringify(facts(), null, 2) + "\n"], { type: "application/json" });
    state.saveUrl = URL.createObjectURL(blob);
    $("save").href = state.saveUrl;
  }

  // ---- Results -------------------------------------------------------------------------

  // The main output (its section shows even when empty; its conclusions are the page's
  // recommendations).
  function isMain(name) {
    return !!state.main && name === state.main.name;
  }

  // Outputs whose values "why not" offers: the shipped rules' two framework outputs, or the
  // main output of other rules.
  function offered(name) {
    return state.shipped ? name === "recommend" || name === "also_consider" : isMain(name);
  }

  async function showResults(f, seq) {
    const result = await call("query", f);
    if (seq !== state.seq) return;
    state.lastFacts = f;
    for (const url of state.objectUrls) URL.revokeObjectURL(url);
    state.objectUrls = [];
    state.current = null;

    const box = $("outputs");
    box.replaceChildren();
    let first = null;
    for (const out of result.outputs || []) {
      for (const list of [out.concluded, out.below_threshold, out.ruled_out]) {
        if (offered(out.name)) for (const c of list || []) for (const v of c.values || []) state.frameworks.add(v);
      }
      const section = renderOutput(out);
      if (section) box.append(section);
      if (isMain(out.name) && out.concluded && out.concluded.length) first = out.concluded[0];
    }
    if (!box.childElementCount) {
      box.append(el("p", { text: "Nothing could be concluded from these answers." }));
    }
    fillFrameworks();
    if (Array.isArray(result.errors) && result.errors.length) {
      showError(new ApiError(200, result.errors));
    }

    $("question-section").hidden = true;
    $("results").hidden = false;
    $("why-not-result").hidden = true;
    $("why-not-result").textContent = "";
    bump("results");
    let done;
    if (state.shipped) {
      done = first
        ? "Done. Recommended: " + first.text + " (certainty " + fmt(first.certainty) + ")."
        : "Done. No framework could be recommended from these answers.";
    } else if (state.main) {
      done = first
        ? "Done. " + state.main.label + ": " + first.text + " (certainty " + fmt(first.certainty) + ")."
        : "Done. Nothing was concluded for “" + state.main.label + "” from these answers.";
    } else {
      done = box.querySelector(".conclusion")
        ? "Done. The conclusions are below."
        : "Done. Nothing was concluded from these answers.";
    }
    setStatus(done);
    $("results-heading").focus();
  }

  function fmt(x) {
    return typeof x === "number" ? x.toFixed(2) : String(x);
  }

  function renderOutput(out) {
    const concluded = out.concluded || [];
    const weak = out.below_threshold || [];
    const groups = out.ruled_out_groups || [];
    if (!concluded.length && !weak.length && !groups.length && !isMain(out.name)) return null;

    const headingId = "output-" + out.name;
    const section = el("section", { className: "output output-" + out.name, "aria-labelledby": headingId,
      dataset: { output: out.name } });
    section.append(el("h3", { id: headingId, text: out.label || title(out.name) }));

    if (concluded.length) {
      const ol = el("ol", { className: "concluded" });
      for (const c of concluded) ol.append(renderConcluded(out, c));
      section.append(ol);
    } else {
      section.append(el("p", { className: "hint", text: "Nothing here for your answers." }));
    }

    if (weak.length) {
      const ul = el("ul", { className: "weak" });
      for (const c of weak) {
        ul.append(el("li", { text: "Too weak to count: " + c.text + " (certainty " + fmt(c.certainty) + ")" }));
      }
      section.append(el("p", { className: "sub", text: "Below the threshold" }), ul);
    }

    if (groups.length) {
      const ul = el("ul", { className: "ruled-out", dataset: { testid: "ruled-out" } });
      for (const g of groups) {
        ul.append(el("li", { text: "Ruled out (" + fmt(g.certainty) + "): " + g.reason }));
      }
      section.append(el("p", { className: "sub", text: "Ruled out" }), ul);
    }
    return section;
  }

  function renderConcluded(out, c) {
    const isRec = isMain(out.name);
    const li = el("li", { className: "conclusion" + (isRec ? " recommendation" : ""),
      dataset: { fact: c.fact, rank: String(c.rank), testid: isRec ? "recommendation" : "conclusion" } });
    const head = el("p", { className: "conclusion-head" },
      el("span", { className: "rank", text: "#" + c.rank + " " }),
      el("strong", { className: "rec-name", text: c.text }),
      el("span", { className: "certainty", text: " — certainty " + fmt(c.certainty) }));
    li.append(head);
    if (Array.isArray(c.tied_with) && c.tied_with.length) {
      const more = c.tied_not_listed ? " and " + c.tied_not_listed + " more" : "";
      li.append(el("p", { className: "tied", text: "Tied with " + c.tied_with.join(", ") + more + "." }));
    }
    if (Array.isArray(c.reasons) && c.reasons.length) {
      const ul = el("ul", { className: "reasons" });
      for (const r of c.reasons) {
        ul.append(el("li", {}, r.text, el("span", { className: "weight", text: " (" + (r.certainty >= 0 ? "+" : "") + fmt(r.certainty) + ")" })));
      }
      li.append(ul);
    }
    const details = el("details", { className: "explain", dataset: { fact: c.fact } });
    details.append(el("summary", {}, "How was this concluded? ", el("span", { className: "visually-hidden", text: c.text })));
    const body = el("div", { className: "explain-body" });
    details.append(body);
    details.addEventListener("toggle", () => {
      if (details.open && !details.dataset.loaded) loadExplanation(details, body, c);
    });
    li.append(details);
    return li;
  }

  async function loadExplanation(details, body, c) {
    details.dataset.loaded = "loading";
    body.replaceChildren(el("p", { className: "hint", text: "Loading the explanation…" }));
    const f = state.lastFacts || facts();
    const q = "?fact=" + encodeURIComponent(c.fact);
    try {
      const [text, svg] = await Promise.all([
        call("explain" + q + "&format=text", f, "text"),
        call("explain" + q + "&format=svg", f, "blob").catch((e) => e),
      ]);
      body.replaceChildren();
      body.append(el("pre", { className: "explanation", tabindex: "0", text, "aria-label": "Explanation of " + c.text }));
      if (svg instanceof Blob) {
        const url = URL.createObjectURL(svg);
        state.objectUrls.push(url);
        const img = el("img", { src: url, className: "picture",
          alt: "Diagram: how " + c.text + " was concluded, with the rules and answers that led to it" });
        body.append(el("figure", { className: "picture-wrap" }, img,
          el("figcaption", { text: "The reasoning as a picture" })));
      } else {
        body.append(el("p", { className: "hint", text: "No picture: " + (svg && svg.message ? svg.message : "unavailable") }));
      }
      details.dataset.loaded = "yes";
      setStatus("Explanation of " + c.text + " loaded.");
    } catch (e) {
      delete details.dataset.loaded;
      body.replaceChildren(el("p", { className: "hint", text: "The explanation could not be loaded." }));
      showError(e);
    }
  }

  // ---- Why not -------------------------------------------------------------------------

  function fillFrameworks() {
    const dl = $("frameworks");
    dl.replaceChildren();
    const seen = [...state.frameworks].sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
    for (const s of seen) dl.append(el("option", { value: nameOf(s), label: s }));
  }

  function resolveSymbol(typed) {
    const t = typed.trim();
    if (!t) return null;
    const lower = t.toLowerCase();
    for (const [sym, name] of Object.entries(state.names)) {
      if (sym.toLowerCase() === lower || String(name).toLowerCase() === lower) return sym;
    }
    if (/^[a-z_][A-Za-z0-9_]*$/.test(t)) return t;
    return null;
  }

  async function onWhyNot(ev) {
    ev.preventDefault();
    const input = $("why-not-input");
    const out = $("why-not-result");
    const sym = resolveSymbol(input.value);
    if (!state.main) return;
    if (!sym) {
      out.textContent = state.shipped
        ? "Type a framework's name, for example Ruby on Rails, or its symbol, for example rails."
        : "Type a name, or a symbol of the rules.";
      out.hidden = false;
      input.focus();
      return;
    }
    const seq = state.seq;
    setBusy(true);
    try {
      const fact = state.main.name + "(" + sym + ")";
      const text = await call("why-not?fact=" + encodeURIComponent(fact) + "&format=text",
        state.lastFacts || facts(), "text");
      if (seq !== state.seq) return;
      clearError();
      out.textContent = text;
      out.hidden = false;
      out.dataset.fact = fact;
      setStatus("Answered: why not " + nameOf(sym) + ".");
    } catch (e) {
      showError(e);
    } finally {
      if (seq === state.seq) setBusy(false);
    }
  }

  // ---- Wiring --------------------------------------------------------------------------

  function init() {
    $("question").addEventListener("submit", onNext);
    $("skip").addEventListener("click", onSkip);
    $("back").addEventListener("click", onBack);
    $("results-back").addEventListener("click", onBack);
    $("restart").addEventListener("click", restart);
    $("why-not").addEventListener("submit", onWhyNot);
    updateAnswers();
    start();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
