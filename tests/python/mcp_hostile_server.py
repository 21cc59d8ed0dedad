"""A misbehaving MCP stdio server (no SDK), for benchcore's stdio tests.

Usage: python3 mcp_hostile_server.py MODE

It answers `initialize` and `tools/list` (one tool, `echo(text)`) properly; `tools/call`
then depends on MODE:

- `garbage`: writes a line that is not JSON and never answers.
- `huge`: answers with a text of 2 MB, unless the text is `small`.
- `silent`: answers nothing at all, not even `initialize`.
- `stubborn`: answers with its process id, then ignores the end of stdin and SIGTERM, so
  only SIGKILL ends it.
- `stuck`: never answers a call, unless its text is `report`: then answers with the ids
  of the requests the client has cancelled (`notifications/cancelled`).
- `odd`: answers a call with its id as a string, or, when the text is `unreadable`, with
  a parse error whose id is null.
- `chatty`: before answering, sends a notification, a `ping` request and a
  `sampling/createMessage` request, reads the client's two replies, and answers with what
  they were.
"""

import json
import os
import signal
import sys
import time

mode = sys.argv[1]


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def read():
    line = sys.stdin.readline()
    if not line:
        return None
    return json.loads(line)


if mode == "silent":
    while sys.stdin.readline():
        pass
    sys.exit(0)
if mode == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

cancelled = []

TOOL = {
    "name": "echo",
    "description": "Echoes its text.",
    "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
}

while True:
    message = read()
    if message is None:
        while mode == "stubborn":
            time.sleep(1)
        break
    method, rid = message.get("method"), message.get("id")
    if method == "notifications/cancelled":
        cancelled.append(message["params"]["requestId"])
    elif method == "initialize":
        send({"jsonrpc": "2.0", "id": rid, "result": {
            "protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
            "serverInfo": {"name": "hostile", "version": "0"}}})
    elif method == "tools/list":
        send({"jsonrpc": "2.0", "id": rid, "result": {"tools": [TOOL]}})
    elif method == "tools/call":
        text = message["params"]["arguments"].get("text", "")
        if mode == "odd":
            if text == "unreadable":
                send({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}})
            else:
                send({"jsonrpc": "2.0", "id": str(rid), "result": {"content": [{"type": "text", "text": text}]}})
        elif mode == "stuck":
            if text == "report":
                send({"jsonrpc": "2.0", "id": rid, "result": {"content": [{"type": "text", "text": f"cancelled={cancelled}"}]}})
        elif mode == "stubborn":
            send({"jsonrpc": "2.0", "id": rid, "result": {"content": [{"type": "text", "text": str(os.getpid())}]}})
        elif mode == "garbage":
            sys.stdout.write("Traceback (most recent call last): oops, not JSON\n")
            sys.stdout.flush()
        elif mode == "huge":
            body = text if text == "small" else "x" * (2 * 1024 * 1024)
            send({"jsonrpc": "2.0", "id": rid, "result": {"content": [{"type": "text", "text": body}]}})
        elif mode == "chatty":
            send({"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "hi"}})
            send({"jsonrpc": "2.0", "id": "srv-ping", "method": "ping"})
            send({"jsonrpc": "2.0", "id": 77, "method": "sampling/createMessage", "params": {}})
            replies = {}
            while len(replies) < 2:
                reply = read()
                if reply is None:
                    sys.exit(0)
                if "method" in reply:
                    continue
                replies[reply["id"]] = reply
            ping, sampling = replies["srv-ping"], replies[77]
            said = f"ping={json.dumps(ping.get('result'))} sampling={sampling.get('error', {}).get('code')}"
            send({"jsonrpc": "2.0", "id": rid, "result": {"content": [{"type": "text", "text": said}]}})
