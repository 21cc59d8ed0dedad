"""An MCP server built with the official MCP Python SDK, for benchcore's interop tests.

Usage: python3 mcp_interop_server.py PORT [json|sse]

Serves Streamable HTTP on 127.0.0.1:PORT/mcp with two tools, `ask(question)` and
`shout(text)`. Works with SDK 2.x (`MCPServer`) and 1.x (`FastMCP`).
"""

import asyncio
import sys

port = int(sys.argv[1])
json_response = len(sys.argv) > 2 and sys.argv[2] == "json"

try:  # SDK 2.x renamed FastMCP to MCPServer.
    from mcp.server.mcpserver import MCPServer as Server

    SDK2 = True
except ImportError:  # SDK 1.x
    from mcp.server.fastmcp import FastMCP as Server

    SDK2 = False

server = Server("benchcore-interop")


@server.tool()
def ask(question: str) -> str:
    """Answers a question."""
    return f"answer to: {question}"


@server.tool()
def shout(text: str) -> str:
    """Answers its text in capitals."""
    return text.upper()


if SDK2:
    asyncio.run(
        server.run_streamable_http_async(host="127.0.0.1", port=port, json_response=json_response)
    )
else:
    server.settings.host = "127.0.0.1"
    server.settings.port = port
    server.settings.json_response = json_response
    server.run(transport="streamable-http")
