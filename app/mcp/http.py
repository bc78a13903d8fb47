"""/mcp on the running app: the SDK's streamable HTTP transport behind the API's own keys.

- Stateless (``stateless_http``) with JSON answers: every POST stands alone, so any process
  or replica answers it (the app is stateless, §8) and nothing is kept between requests.
- Every request is authenticated first, with the same key lookup as /v1 (`ToolHost`): a
  missing, malformed, unknown or revoked key gets 401 with ``WWW-Authenticate: Bearer``
  before MCP runs, as on /v1 (§3) and as the MCP authorization spec asks of a server, so a
  stranger lists no tools. Its body is a JSON-RPC error (``application/json``) whose
  ``data`` is the problem (``code``, ``detail``): the SDK's client surfaces exactly that
  error (an ``MCPError`` with the code and detail), where a problem+json body would reach
  it as an anonymous "Server returned an error response". Each tool call then
  authenticates again in its own session, so a key revoked in between is refused there.
- The session manager runs in the app's lifespan; a test client may start the lifespan
  several times (and nest them), so each run has a manager of its own.
"""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp.server import Server, ServerRequestContext
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.types import Receive, Scope, Send

from app.core.errors import ProblemError
from app.mcp.calls import ToolHost
from app.mcp.registry import problem_body
from app.mcp.server import build_server

# JSON-RPC's range for server errors: the request was refused before any method ran.
UNAUTHENTICATED_RPC_CODE = -32001


def _authorization(ctx: ServerRequestContext[Any, Any]) -> str | None:
    headers = getattr(ctx.request, "headers", None)
    return headers.get("authorization") if headers is not None else None


class McpEndpoint:
    """The ASGI app at /mcp."""

    def __init__(self, host: ToolHost, version: str) -> None:
        self.host = host
        self.server: Server[Any] = build_server(host, _authorization, version)
        self._managers: list[StreamableHTTPSessionManager] = []

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The transport's task group, for the app's lifespan."""
        manager = StreamableHTTPSessionManager(app=self.server, json_response=True, stateless=True)
        async with manager.run():
            self._managers.append(manager)
            try:
                yield
            finally:
                self._managers.remove(manager)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        authorization = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"authorization"), None
        )
        try:
            await self.host.authenticate(authorization)
        except ProblemError as exc:
            await _refuse(exc, send)
            return
        if not self._managers:
            raise RuntimeError("/mcp is served only while the app's lifespan runs")
        await self._managers[-1].handle_request(scope, receive, send)


async def _refuse(exc: ProblemError, send: Send) -> None:
    """The problem as a JSON-RPC error at the problem's HTTP status, with its headers."""
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": None,
            "error": {
                "code": UNAUTHENTICATED_RPC_CODE,
                "message": f"{exc.code}: {exc.detail}",
                "data": problem_body(exc),
            },
        }
    ).encode()
    headers = {**exc.problem.headers, **(exc.headers or {})}
    await send(
        {
            "type": "http.response.start",
            "status": exc.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *((k.lower().encode(), v.encode()) for k, v in headers.items()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
