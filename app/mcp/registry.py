"""A tool as Rapport declares it (`Tool`), and how a call of it becomes an MCP result.

Each tool names its input model (the arguments, validated exactly as an HTTP body is: JSON
types as sent, RFC 3339 instants with an offset, the same friendly details), its output
model (the answer's schema: the HTTP endpoint's response model wherever there is one), the
scope it needs, and whether it writes. Its answer is the structured content, a short
sentence for the model first and the same JSON as text after it (for hosts that show
models only text, as the MCP specification recommends). Every failure is a tool error
(``isError``) whose structured content is the problem+json body HTTP would answer (``code``,
``detail``, ``status``, ``errors``), and whose text starts with the code.
"""

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from mcp_types import CallToolResult, TextContent, ToolAnnotations
from mcp_types import Tool as McpTool
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from app.auth.scopes import Scope
from app.core.errors import ProblemError, validation_items, validation_problem
from app.mcp.calls import ToolCaller, ToolHost

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out", bound=BaseModel)


@dataclass(frozen=True)
class Tool(Generic[In, Out]):
    name: str
    title: str
    description: str
    input_model: type[In]
    output_model: type[Out]
    run: Callable[[Session, ToolCaller, In], Out]
    sentence: Callable[[In, Out], str]
    scope: Scope = "read"
    write: bool = False

    def listing(self) -> McpTool:
        return McpTool(
            name=self.name,
            title=self.title,
            description=self.description,
            input_schema=self.input_model.model_json_schema(),
            output_schema=self.output_model.model_json_schema(mode="serialization"),
            annotations=ToolAnnotations(
                title=self.title,
                read_only_hint=not self.write,
                destructive_hint=False,
                idempotent_hint=True,  # writes are idempotent by external_id
                open_world_hint=False,
            ),
        )

    def parse(self, arguments: dict[str, Any]) -> In:
        """The arguments as the input model, or a validation_error problem (422 on HTTP)."""
        try:
            # Through JSON, as an HTTP body: strict JSON types, instants from text.
            return self.input_model.model_validate_json(json.dumps(arguments))
        except ValidationError as exc:
            raise validation_problem(
                validation_items([dict(e) for e in exc.errors(include_url=False)])
            ) from None

    async def call(
        self, host: ToolHost, authorization: str | None, arguments: dict[str, Any]
    ) -> CallToolResult:
        try:
            args = self.parse(arguments)
            user_id: uuid.UUID | None = getattr(args, "user_id", None)
            out = await host.call(
                authorization,
                self.scope,
                user_id,
                lambda session, caller: self.run(session, caller, args),
                write=self.write,
            )
        except ProblemError as exc:
            return error_result(exc)
        structured = out.model_dump(mode="json", by_alias=True)
        return CallToolResult(
            content=[
                TextContent(type="text", text=self.sentence(args, out)),
                TextContent(type="text", text=json.dumps(structured, ensure_ascii=False)),
            ],
            structured_content=structured,
        )


def problem_body(exc: ProblemError) -> dict[str, Any]:
    """The problem+json document HTTP would answer for ``exc``."""
    members = {"errors": exc.errors} if exc.errors is not None else {}
    return exc.problem.body(exc.detail, **members, **exc.extra)


def error_result(exc: ProblemError) -> CallToolResult:
    """A tool error: the problem's code and detail, for the model and for code."""
    return CallToolResult(
        content=[TextContent(type="text", text=f"{exc.code}: {exc.detail}")],
        structured_content=problem_body(exc),
        is_error=True,
    )
