"""Runs the Python examples of the given Markdown files: every ```python block, in order,
in one namespace, each compiled under its file and line so that a failure names them.
Blocks with a top-level ``await`` run as in a notebook cell, inside a running event loop.

The examples leave some names to the reader (``my_pipeline``, ``call_my_model`` …): the
prelude below defines them with plain stand-ins. An OTLP/HTTP collector listens on
127.0.0.1:4318 for the tracing example; the run fails when no trace reached it.

Usage: ``python docs_runner.py FILE.md …`` (test_docs.py runs it in a prepared folder).
"""

from __future__ import annotations

import ast
import asyncio
import http.server
import inspect
import re
import sys
import threading
from pathlib import Path

PRELUDE = '''
import asyncio
import benchcore

def call_my_model(messages, **settings):
    return messages[-1]["content"]          # an echo stands in for the reader's model

class _Client:
    async def complete(self, messages):
        await asyncio.sleep(0)
        return messages[-1]["content"]

client = _Client()

def my_user_fn(messages):
    return "That is all I wanted to say, thank you."

def my_interviewer(messages):
    return "Thank you. What else would you like to tell me?"

def my_coder(messages):
    return ""                               # answers nothing: the tasks' tests fail it

def my_agent(messages):
    return "A"

questions = ["What is 2 + 3?", "What is 7 * 6?"]
'''

BLOCK = re.compile(r"^```python[^\n]*\n(.*?)^```", re.M | re.S)


class Collector(http.server.BaseHTTPRequestHandler):
    """An OTLP/HTTP receiver: accepts every POST, remembers its path."""

    paths: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 (the handler API's name)
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        Collector.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def blocks(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in BLOCK.finditer(text)]


def run_block(path: Path, line: int, source: str, namespace: dict[str, object]) -> None:
    code = compile(
        "\n" * (line - 1) + source, str(path), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    )
    if code.co_flags & inspect.CO_COROUTINE:
        asyncio.run(eval(code, namespace))  # a notebook cell: inside a running loop
    else:
        exec(code, namespace)


def main(paths: list[str]) -> int:
    collector = http.server.ThreadingHTTPServer(("127.0.0.1", 4318), Collector)
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    ran = 0
    for name in paths:
        namespace: dict[str, object] = {"__name__": "__docs__"}
        exec(PRELUDE, namespace)
        for line, source in blocks(Path(name)):
            print(f"docs: {name}:{line}", flush=True)
            run_block(Path(name), line, source, namespace)
            ran += 1
    traced = any("benchcore.flush_traces()" in s for n in paths for _, s in blocks(Path(n)))
    if traced and not any(p.endswith("/v1/traces") for p in Collector.paths):
        print("docs: the tracing example sent no trace to the collector", file=sys.stderr)
        return 1
    print(f"docs: {ran} examples ran", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
