"""The language server's wire, for the bench scripts: `because lsp` started as a child,
JSON-RPC messages framed with Content-Length over its standard input and output."""
import json
import subprocess


class Lsp:
    def __init__(self, binary):
        self.p = subprocess.Popen([binary, "lsp"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def send(self, msg):
        body = json.dumps(msg).encode()
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.p.stdin.flush()

    def recv(self):
        """The next message; EOFError once the server has ended."""
        length = 0
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise EOFError("the server ended")
            if line in (b"\r\n", b"\n"):
                break
            if line.startswith(b"Content-Length:"):
                length = int(line.split(b":")[1])
        return json.loads(self.p.stdout.read(length))

    def until(self, pred):
        """The next message `pred` accepts (the others are skipped)."""
        while True:
            m = self.recv()
            if pred(m):
                return m

    def initialize(self):
        self.send({"jsonrpc": "2.0", "id": 0, "method": "initialize",
                   "params": {"processId": None, "rootUri": None, "capabilities": {}}})
        self.until(lambda m: m.get("id") == 0)
        self.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})

    def shutdown(self):
        """Ask the server to end; its exit status."""
        self.send({"jsonrpc": "2.0", "id": 99, "method": "shutdown"})
        self.until(lambda m: m.get("id") == 99)
        self.send({"jsonrpc": "2.0", "method": "exit"})
        self.p.stdin.close()
        return self.p.wait(timeout=20)
