#!/usr/bin/env python3
"""How long after a change `because lsp` publishes diagnostics, on the shipped knowledge base.

Opens every file of rules/ in a copy, then makes N edits to rules/choosing.rules (alternately
adding and removing an undefined predicate in a rule's conditions, so every other change has
an error) and times each didChange to the publishDiagnostics for that file. The server waits
20 ms for more changes before analysing (its debounce); the times include it.

usage: bench/lsp_latency.py [BINARY] [N]   (default target/release/because, 50)
"""
import os, pathlib, shutil, statistics, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lsp_wire import Lsp  # noqa: E402

root = pathlib.Path(__file__).resolve().parent.parent
binary = sys.argv[1] if len(sys.argv) > 1 else str(root / "target/release/because")
n = int(sys.argv[2]) if len(sys.argv) > 2 else 50

work = pathlib.Path(tempfile.mkdtemp())
for f in (root / "rules").glob("*.rules"):
    shutil.copy(f, work / f.name)
server = Lsp(binary)
send, recv = server.send, server.recv
server.initialize()
target = work / "choosing.rules"
uri = "file://" + str(target)
text = target.read_text()
send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "because", "version": 1, "text": text}}})
anchor = "when language(L) and written_in(F, L)"
assert anchor in text
times = []
for i in range(n):
    edited = text.replace(anchor, anchor + " and undefined_here(F)") if i % 2 == 0 else text
    t0 = time.perf_counter()
    send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": uri, "version": i + 2}, "contentChanges": [{"text": edited}]}})
    while True:
        m = recv()
        if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri:
            break
    times.append((time.perf_counter() - t0) * 1000)
    time.sleep(0.05)
server.shutdown()
shutil.rmtree(work)
times.sort()
print(f"{n} changes to rules/choosing.rules (6 files, 56 rules): diagnostics after a median of "
      f"{statistics.median(times):.1f} ms, 95th percentile {times[int(0.95 * (n - 1))]:.1f} ms, "
      f"worst {times[-1]:.1f} ms (20 ms of it the debounce)")
