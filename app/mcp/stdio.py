"""`rapport mcp`: the same tools over stdio for a local agent, as the key in
``RAPPORT_API_KEY``.

The process checks the key once at start (so a wrong key fails at once, with one line on
stderr), then serves JSON-RPC on stdin/stdout; stdout carries nothing else. Every tool
call authenticates the key again in its own session, so a key revoked while the agent
runs is refused from its next call on (tool error ``unauthorized``). Sessions, the SQLite
write lock and the admission are those of a `rapport serve` process (`ToolHost`), so a
local agent and a server can share one database file.
"""

from typing import Any

import anyio
from mcp.server import ServerRequestContext
from mcp.server.stdio import stdio_server

from app.core.db import Database
from app.core.errors import ProblemError
from app.mcp.calls import ToolHost
from app.mcp.server import build_server


class KeyRefused(Exception):
    """RAPPORT_API_KEY is missing, unknown or revoked: the problem's code and detail."""


def serve(db: Database, key: str, key_touch_interval_s: int, version: str) -> None:
    authorization = f"Bearer {key}"
    host = ToolHost(db, key_touch_interval_s)

    def fixed(_ctx: ServerRequestContext[Any, Any]) -> str:
        return authorization

    server = build_server(host, fixed, version)

    async def run() -> None:
        try:
            await host.authenticate(authorization)
        except ProblemError as exc:
            raise KeyRefused(f"{exc.code}: {exc.detail}") from None
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    anyio.run(run)
