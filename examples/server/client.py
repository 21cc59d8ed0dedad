#!/usr/bin/env python3
"""A typed client of the benchcore team server, standard library only.

    python3 examples/server/client.py http://127.0.0.1:8700 bc_TOKEN WORKSPACE SUITE AGENT

launches a run of SUITE (one of the server's suites) with the saved agent AGENT, follows its
live progress over server-sent events until it stops, resuming from the last event id if the
stream drops, and prints the run's summary as JSON. The types mirror the server's OpenAPI
document (GET /openapi.json) and the live messages' JSON Schema
(GET /api/schema/live-message).
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Iterator, Literal, Optional, TypedDict, Union


class AttemptKey(TypedDict):
    case_id: str
    agent: str
    sample: int


class AttemptMessage(TypedDict):
    type: Literal["attempt"]
    seq: int
    key: AttemptKey
    outcome: str
    score: Optional[float]
    latency_ms: Optional[int]


class ProgressMessage(TypedDict):
    type: Literal["progress"]
    status: str
    recorded: int
    total: int
    passed: int
    pass_rate: Optional[float]
    cost_usd: float
    errors: int
    running: list[AttemptKey]


class ResetMessage(TypedDict):
    type: Literal["reset"]


class DoneMessage(TypedDict):
    type: Literal["done"]
    status: str


LiveMessage = Union[AttemptMessage, ProgressMessage, ResetMessage, DoneMessage]


class ApiError(Exception):
    """An error answer: `{"error": {"code", "message", "field"?}}`."""

    def __init__(self, status: int, body: dict[str, Any]):
        error = body.get("error", {})
        self.status = status
        self.code: str = error.get("code", "")
        self.field: Optional[str] = error.get("field")
        where = f" (field {self.field})" if self.field else ""
        super().__init__(f"{status} {self.code}: {error.get('message', '')}{where}")


@dataclass
class Client:
    base: str
    token: str

    def _request(self, method: str, path: str, body: Any = None) -> urllib.request.Request:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        return request

    def call(self, method: str, path: str, body: Any = None) -> Any:
        try:
            with urllib.request.urlopen(self._request(method, path, body), timeout=60) as answer:
                text = answer.read().decode()
                return json.loads(text) if text else None
        except urllib.error.HTTPError as error:
            raise ApiError(error.code, json.loads(error.read().decode() or "{}")) from None

    def launch(self, workspace: str, suite: str, agent: str) -> str:
        spec = {"suite": suite, "agents": [agent], "evaluators": [{"kind": "exact"}]}
        return self.call("POST", f"/api/workspaces/{workspace}/runs", spec)["id"]

    def events(self, workspace: str, run: str) -> Iterator[LiveMessage]:
        """The run's live messages until `done`, reconnecting where the stream left off."""
        last_id: Optional[str] = None
        while True:
            request = self._request("GET", f"/api/workspaces/{workspace}/runs/{run}/events")
            if last_id is not None:
                request.add_header("Last-Event-ID", last_id)
            try:
                with urllib.request.urlopen(request, timeout=60) as stream:
                    event_id, data = None, ""
                    for raw in stream:
                        line = raw.decode().rstrip("\n")
                        if line.startswith("id:"):
                            event_id = line[3:].strip()
                        elif line.startswith("data:"):
                            data += line[5:].strip()
                        elif line == "" and data:
                            message: LiveMessage = json.loads(data)
                            if event_id is not None:
                                last_id = event_id
                            event_id, data = None, ""
                            yield message
                            if message["type"] == "done":
                                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                continue

    def run(self, workspace: str, run: str) -> dict[str, Any]:
        return self.call("GET", f"/api/workspaces/{workspace}/runs/{run}")


def main() -> int:
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    base, token, workspace, suite, agent = sys.argv[1:]
    client = Client(base.rstrip("/"), token)
    run = client.launch(workspace, suite, agent)
    attempts = 0
    for message in client.events(workspace, run):
        if message["type"] == "attempt":
            attempts += 1
        elif message["type"] == "progress":
            print(f"{message['recorded']}/{message['total']} recorded", file=sys.stderr)
    result = client.run(workspace, run)
    print(json.dumps({"run": run, "status": result["status"], "attempt_messages": attempts,
                      "summary": result["summary"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
