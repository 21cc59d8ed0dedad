"""An MCP server built with the official MCP Python SDK, speaking the stdio transport, for
benchcore's stdio tests.

Usage: python3 mcp_stdio_server.py

Reads JSON-RPC messages on stdin and writes them on stdout, one per line; logs to stderr.
Tools: `ask(question)`, `add(a, b)` (numbers), `fail(reason)` (raises, so the result has
`isError`), `crash(code)` (writes a line to stderr and exits at once, mid-call), `pid()`,
`slow(seconds, tag)`. Works with SDK 2.x (`MCPServer`) and 1.x (`FastMCP`).
"""

import asyncio
import os
import sys

try:  # SDK 2.x renamed FastMCP to MCPServer.
    from mcp.server.mcpserver import MCPServer as Server
except ImportError:  # SDK 1.x
    from mcp.server.fastmcp import FastMCP as Server

server = Server("benchcore-stdio")


@server.tool()
def ask(question: str) -> str:
    """Answers a question."""
    return f"answer to: {question}"


@server.tool()
def add(a: float, b: float) -> str:
    """Adds two numbers; refuses anything but numbers."""
    if not all(isinstance(x, (int, float)) for x in (a, b)):
        raise TypeError("numbers only")
    return f"{a + b:g}"


@server.tool()
def fail(reason: str) -> str:
    """Always raises."""
    raise ValueError(f"refused: {reason}")


@server.tool()
def crash(code: int) -> str:
    """Exits the process mid-call."""
    print(f"crashing on purpose with code {code}", file=sys.stderr, flush=True)
    os._exit(code)


@server.tool()
def pid() -> str:
    """This process's id."""
    return str(os.getpid())


@server.tool()
async def slow(seconds: float, tag: str) -> str:
    """Answers its tag after a while."""
    await asyncio.sleep(seconds)
    return tag


def run() -> None:
    print("benchcore stdio test server starting", file=sys.stderr, flush=True)
    server.run(transport="stdio")


if __name__ == "__main__":
    run()
