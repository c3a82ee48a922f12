"""A small client of the YAML language server (the npm package yaml-language-server, which VS
Code's YAML extension runs), driven over stdio with LSP messages, as an editor drives it.

The server is found at $NETSPEC_YAML_LS (its bin script), in `.node/` at the repository root
(where .ci/run installs it: `npm install --prefix .node yaml-language-server@VERSION`), or on
PATH; `find_server()` returns None when it or node is missing, and the tests skip."""
from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BIN = Path("node_modules") / "yaml-language-server" / "bin" / "yaml-language-server"


def find_server() -> list[str] | None:
    """The command that starts the server on stdio, or None."""
    node = shutil.which("node")
    if node is None:
        return None
    for candidate in (os.environ.get("NETSPEC_YAML_LS"), ROOT / ".node" / BIN):
        if candidate and Path(candidate).is_file():
            return [node, str(candidate), "--stdio"]
    found = shutil.which("yaml-language-server")
    return [found, "--stdio"] if found else None


class YamlLanguageServer:
    """One server process. ``open(uri, text)`` returns the diagnostics it publishes;
    ``completion`` and ``hover`` ask at a position (0-based line and character)."""

    def __init__(self, command: list[str], settings: dict[str, Any] | None = None):
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self.settings = {"yaml": {"validate": True, "completion": True, "hover": True,
                                  "schemaStore": {"enable": False}, **(settings or {})}}
        self.messages: queue.Queue[dict] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        self.request("initialize", {
            "processId": os.getpid(), "rootUri": None,
            "capabilities": {"textDocument": {
                "completion": {"completionItem": {"snippetSupport": True,
                                                  "documentationFormat": ["markdown"]}},
                "hover": {"contentFormat": ["markdown", "plaintext"]},
                "publishDiagnostics": {}},
                "workspace": {"configuration": True}}})
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": self.settings})

    # framing
    def _send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = 0
            while (line := out.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            self.messages.put(json.loads(out.read(length)))

    def notify(self, method: str, params: dict) -> None:
        self._send({"method": method, "params": params})

    def request(self, method: str, params: dict, timeout: float = 30) -> Any:
        self.next_id += 1
        self._send({"id": self.next_id, "method": method, "params": params})
        return self._wait(lambda m: m.get("id") == self.next_id and "method" not in m,
                          timeout).get("result")

    def _wait(self, done: Any, timeout: float) -> dict:
        """Answer the server's own requests (its configuration, capabilities) until ``done``."""
        while True:
            m = self.messages.get(timeout=timeout)
            if "method" in m and "id" in m:  # a request from the server
                result: Any = None
                if m["method"] == "workspace/configuration":
                    result = [self.settings.get(i.get("section", ""), self.settings["yaml"])
                              for i in m["params"]["items"]]
                self._send({"id": m["id"], "result": result})
            elif done(m):
                return m

    # documents
    def open(self, uri: str, text: str, timeout: float = 30) -> list[dict]:
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "yaml", "version": 1, "text": text}})
        return self._diagnostics(uri, timeout)

    def _diagnostics(self, uri: str, timeout: float) -> list[dict]:
        m = self._wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                       and m["params"]["uri"] == uri, timeout)
        return m["params"]["diagnostics"]

    def completion(self, uri: str, line: int, character: int) -> list[dict]:
        result = self.request("textDocument/completion", {
            "textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
        return result["items"] if isinstance(result, dict) else (result or [])

    def hover(self, uri: str, line: int, character: int) -> str:
        result = self.request("textDocument/hover", {
            "textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
        return result["contents"]["value"] if result else ""

    def close(self) -> None:
        try:
            self.request("shutdown", {}, timeout=10)
            self.notify("exit", {})
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()
