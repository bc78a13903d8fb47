"""The MCP server of §14: the curated tools on the SDK's low-level ``Server``, which leaves
every schema, validation and error to Rapport (the high-level MCPServer would build schemas
from signatures and turn bad arguments into uncoded text).

``build_server`` is transport-neutral: /mcp (app/mcp/http.py) reads the key from each
request's ``Authorization`` header, ``rapport mcp`` (app/mcp/stdio.py) from
``RAPPORT_API_KEY``. Either way every call authenticates the key again, in its own session.
"""

from collections.abc import Callable
from functools import cache
from typing import Any

from mcp.server import Server, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import (
    INVALID_PARAMS,
    CallToolRequestParams,
    CallToolResult,
    ListToolsResult,
    PaginatedRequestParams,
)

from app.mcp.calls import ToolHost
from app.mcp.registry import Tool
from app.mcp.tools import TOOLS
from app.mcp.tools_today import TODAY_TOOLS

ALL_TOOLS: tuple[Tool[Any, Any], ...] = TOOLS[:5] + TODAY_TOOLS[:1] + TOOLS[5:] + TODAY_TOOLS[1:]

INSTRUCTIONS = """Rapport coaches a person who builds relationships on social media, and \
these tools let you act for them without breaking their plan or a platform's limits.
1. find_user once, to get the user_id.
2. plan_today for what to do today; contacts_to_reach for whom to answer or get back to.
3. Before every follow, post or sales contact: may_i_follow, may_i_post or may_i_pitch. \
Act only when allowed is true; otherwise wait until next_allowed_at (null: waiting will \
not help, read the reasons).
4. Right after acting: record_activity, with an external_id per event (retries are safe).
weekly_report reviews a week. Times are RFC 3339 with an offset; answers are in UTC (Z)."""

# Which key a call uses: read from its request (HTTP) or fixed for the process (stdio).
Authorization = Callable[[ServerRequestContext[Any, Any]], str | None]


@cache
def tool_listing() -> ListToolsResult:
    """tools/list: the same for every caller (built once per process)."""
    return ListToolsResult(tools=[tool.listing() for tool in ALL_TOOLS])


def build_server(host: ToolHost, authorization: Authorization, version: str) -> Server[Any]:
    tools = {tool.name: tool for tool in ALL_TOOLS}
    listing = tool_listing()
    input_schemas = {tool.name: tool.input_schema for tool in listing.tools}

    async def list_tools(
        _ctx: ServerRequestContext[Any, Any], _params: PaginatedRequestParams | None
    ) -> ListToolsResult:
        return listing

    async def call_tool(
        ctx: ServerRequestContext[Any, Any], params: CallToolRequestParams
    ) -> CallToolResult:
        tool = tools.get(params.name)
        if tool is None:
            raise MCPError(
                code=INVALID_PARAMS,
                message=f"Unknown tool {params.name!r}; tools/list names the tools.",
            )
        return await tool.call(host, authorization(ctx), dict(params.arguments or {}))

    return Server(
        "rapport",
        version=version,
        title="Rapport",
        instructions=INSTRUCTIONS,
        get_tool_input_schema=input_schemas.get,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )
