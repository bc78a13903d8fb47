"""The error half of the OpenAPI document: every refusal is an RFC 9457 problem.

The same shared mechanisms refuse requests on every route (the request gate in
``app.core.middleware``, authentication in ``app.deps``, the handlers in
``app.core.errors``), so the statuses they can answer follow from an operation's shape,
not from each route: this module derives them once, for the whole document, and gives
every 4xx/5xx response (also those a route declares itself) the problem schema under
``application/problem+json``.
"""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from app.core.errors import PROBLEM_MEDIA_TYPE

_REF = "#/components/schemas/{model}"


class ProblemItem(BaseModel):
    """One thing wrong with the request: where, and what to change."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    detail: str = Field(description="What is wrong with this value and how to fix it.")
    pointer: str | None = Field(
        default=None, description="JSON pointer into the body, e.g. #/events/3/occurred_at."
    )
    parameter: str | None = Field(
        default=None, description="Name of the query, path or header parameter."
    )
    in_: str | None = Field(
        default=None, alias="in", description="Where the parameter is: query, path or header."
    )
    row: int | None = Field(
        default=None, description="CSV import: the 1-based data row (0 for the header)."
    )
    line: int | None = Field(default=None, description="CSV import: the physical line.")
    column: str | None = Field(default=None, description="CSV import: the column.")


class ProblemDetails(BaseModel):
    """RFC 9457 problem details, with a stable machine-readable `code`."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(
        description="A URI reference naming the problem type, e.g. /problems/validation_error."
    )
    title: str = Field(description="A short summary of the problem type.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong with this request, and what to do about it.")
    code: str = Field(
        description="Stable machine-readable code, e.g. validation_error, unauthorized."
    )
    errors: list[ProblemItem] | None = Field(
        default=None, description="Validation errors, one per bad value."
    )
    existing_id: str | None = Field(
        default=None, description="409 on external_id: the id already holding it."
    )


_BODY_METHODS = {"post", "put", "patch"}


def _secured(_method: str, op: dict) -> bool:
    return bool(op.get("security"))


def _takes_body(method: str, _op: dict) -> bool:
    return method in _BODY_METHODS


# (status, description, does the operation answer it?), from the shared mechanisms:
# the request gate (400/413/415), authentication (401), the path's resources (404),
# validation (422), conflicts on writes (409) and an unreachable database (503).
_RULES: list[tuple[str, str, Callable[[str, dict], bool]]] = [
    (
        "400",
        (
            "Malformed request: the body is not strict JSON (duplicate keys, NaN, invalid "
            "UTF-8, ...), or a cursor this API did not issue"
        ),
        lambda method, op: _takes_body(method, op) or _has_param(op, "query", "cursor"),
    ),
    (
        "401",
        "Missing, malformed, unknown or revoked API key (with WWW-Authenticate: Bearer)",
        _secured,
    ),
    (
        "404",
        "Not found: the user or resource named in the path does not exist in this workspace",
        lambda _method, op: _has_param(op, "path"),
    ),
    (
        "409",
        (
            "Conflict with stored data (an external_id taken with different content, or a "
            "concurrent change); nothing was written"
        ),
        lambda method, op: _takes_body(method, op) and _secured(method, op),
    ),
    ("413", "The body is over the size limit (1 MiB)", _takes_body),
    ("415", "Unsupported Content-Type", _takes_body),
    (
        "422",
        "Invalid request: `errors` lists each bad value with a JSON pointer or parameter name",
        lambda _method, op: bool(op.get("parameters") or op.get("requestBody")),
    ),
    ("503", "The database is unreachable; retry after Retry-After seconds", _secured),
]


def _has_param(op: dict, where: str, name: str | None = None) -> bool:
    return any(
        p.get("in") == where and (name is None or p.get("name") == name)
        for p in op.get("parameters", [])
    )


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": _REF.format(model="ProblemDetails")}}}


def add_problem_responses(document: dict[str, Any]) -> dict[str, Any]:
    """Declare the shared error responses on every operation, all as problem+json."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    problem = ProblemDetails.model_json_schema(ref_template=_REF, by_alias=True)
    schemas.update(problem.pop("$defs", {}), ProblemDetails=problem)
    for path_item in document.get("paths", {}).values():
        for method, op in path_item.items():
            responses = op.setdefault("responses", {})
            for status, description, applies in _RULES:
                if applies(method, op) and status not in responses:
                    responses[status] = {"description": description}
            for status, response in responses.items():
                if status[0] in "45":
                    response["content"] = _problem_content()
            op["responses"] = dict(sorted(responses.items()))
    # FastAPI's own 422 schema is replaced everywhere above.
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve the document with the problem responses added (idempotent on FastAPI's cache)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        return add_problem_responses(generate())

    app.openapi = openapi  # type: ignore[method-assign]
