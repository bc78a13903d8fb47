"""The OpenAPI document as generated clients read it, and its error half: every refusal
is an RFC 9457 problem; and the integrators' headers: Idempotency-Key on every
authenticated POST and PATCH, Request-Id, RateLimit-Policy and RateLimit on every
response, Retry-After where a retry is asked for.

Clients generated from the document (openapi-python-client, openapi-typescript, ...) name
their functions after the operation ids, so ``operation_id`` makes short camelCase ids
(createUser, getPacing, recordEvents); ``public_text`` keeps the specification's section
numbers, which API users do not have, out of every description.

The same shared mechanisms refuse requests on every route (the request gate in
``app.core.middleware``, authentication in ``app.deps``, the handlers in
``app.core.errors``), so the statuses they can answer follow from an operation's shape,
not from each route: this module derives them once, for the whole document, and gives
every 4xx/5xx response (also those a route declares itself) the problem schema under
``application/problem+json``.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from app.core import errors
from app.core.errors import PROBLEM_MEDIA_TYPE, Problem
from app.core.openapi_headers import HEADERS, add_headers

_REF = "#/components/schemas/{model}"

# Route functions named for what they answer take the verb of their method: pacing →
# getPacing. A few read better with another verb than their function's name gives.
_VERBS = ("get", "list", "create", "update", "delete", "put", "import", "record", "revoke")
_METHOD_VERBS = {
    "GET": "get",
    "POST": "create",
    "PUT": "put",
    "PATCH": "update",
    "DELETE": "delete",
}
_OPERATION_IDS = {
    "create_event": "recordEvent",
    "create_events_batch": "recordEvents",
    "checks": "runChecks",
    "me": "getWorkspace",
    "platforms": "listPlatforms",
    "healthz": "getHealth",
    "readyz": "getReadiness",
}


def package_version() -> str:
    """The installed package's version (pyproject.toml), stated as info.version."""
    return version("rapport")


def operation_id(route: APIRoute) -> str:
    """A short camelCase id from the route function's name: create_user → createUser,
    pacing (GET) → getPacing. ``check_operation_ids`` proves they are unique."""
    if route.name in _OPERATION_IDS:
        return _OPERATION_IDS[route.name]
    words = route.name.split("_")
    if words[0] not in _VERBS:
        (method,) = route.methods or {"GET"}
        words.insert(0, _METHOD_VERBS[method])
    return words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:])


def check_operation_ids(document: dict[str, Any]) -> None:
    """Fail at start-up on two operations with one id (a generated client needs one each)."""
    seen: dict[str, str] = {}
    for path, item in document.get("paths", {}).items():
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            other = seen.setdefault(op["operationId"], where)
            if other != where:
                raise RuntimeError(f"operation id {op['operationId']} of {where} and {other}")


# "(§6.1)", "(§5, §9.1)" and a leading "§6.1 ": the specification's section numbers.
_SECTIONS = re.compile(r"\s*\(§[0-9.]+(?:,\s*§[0-9.]+)*\)|§[0-9.]*[0-9]\s*")


def public_text(document: Any) -> None:
    """Remove the specification's section references from every description and summary
    of the document, in place (the spec is this project's, not its users')."""
    if isinstance(document, dict):
        for k, v in document.items():
            if k in ("description", "summary") and isinstance(v, str):
                document[k] = _SECTIONS.sub("", v)
            else:
                public_text(v)
    elif isinstance(document, list):
        for v in document:
            public_text(v)


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
    request_id: str | None = Field(
        default=None,
        description="The request's id, as in its Request-Id header: the client's, or one made.",
    )


def _referenced(node: Any, found: set[str]) -> set[str]:
    """The component schemas ``node`` refers to (directly)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            _referenced(value, found)
    elif isinstance(node, list):
        for value in node:
            _referenced(value, found)
    return found


def _closure(names: set[str], schemas: dict[str, Any]) -> set[str]:
    todo, seen = list(names), set(names)
    while todo:
        for name in _referenced(schemas.get(todo.pop(), {}), set()) - seen:
            seen.add(name)
            todo.append(name)
    return seen


def optional_defaults(document: dict[str, Any]) -> None:
    """Properties with a default, in schemas only requests use, state the default in their
    description instead of a `default` keyword: openapi-typescript (by default) makes every
    property with a default required, which would make callers send what they may leave out.
    Schemas that responses use keep it (there, a default means always present)."""
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    ops = [op for item in document.get("paths", {}).values() for op in item.values()]
    requests = _closure(_referenced([op.get("requestBody", {}) for op in ops], set()), schemas)
    responses = _closure(_referenced([op.get("responses", {}) for op in ops], set()), schemas)
    for name in sorted(requests - responses):
        for prop in schemas[name].get("properties", {}).values():
            if "default" not in prop:
                continue
            default = prop.pop("default")
            if default is not None:
                said = f"Default: {json.dumps(default)}."
                prop["description"] = (
                    f"{prop['description']} {said}" if "description" in prop else said
                )


_BODY_METHODS = {"post", "put", "patch"}

Operation = dict[str, Any]


def _secured(_method: str, op: Operation) -> bool:
    return bool(op.get("security"))


def _takes_body(method: str, _op: Operation) -> bool:
    return method in _BODY_METHODS


def _has_param(op: Operation, where: str, name: str | None = None) -> bool:
    return any(
        p.get("in") == where and (name is None or p.get("name") == name)
        for p in op.get("parameters", [])
    )


def _size(n: int) -> str:
    """1048576 → "1 MiB", 65536 → "64 KiB", else the bytes."""
    for unit, size in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n % size == 0:
            return f"{n // size} {unit}"
    return f"{n:,} bytes"


@dataclass(frozen=True)
class _Rule:
    """A status every operation of some shape can answer, from the shared mechanisms; the
    status is that of its catalogued ``problems`` (one status per rule)."""

    problems: tuple[Problem, ...]
    description: str
    applies: Callable[[str, Operation], bool]

    @property
    def status(self) -> str:
        (status,) = {p.status for p in self.problems}
        return str(status)


def _rules(max_body_bytes: int) -> list[_Rule]:
    """The request gate (400/413/415), authentication (401), the path's resources (404),
    conflicts on writes (409), validation (422) and an unreachable database (503)."""
    return [
        _Rule(
            (errors.MALFORMED_JSON, errors.INVALID_CURSOR, errors.INVALID_IDEMPOTENCY_KEY),
            "Malformed request: the body is not strict JSON (duplicate keys, NaN, invalid "
            "UTF-8, ...), a cursor this API did not issue, or an Idempotency-Key that is not "
            "1 to 255 visible ASCII characters",
            lambda method, op: _takes_body(method, op) or _has_param(op, "query", "cursor"),
        ),
        _Rule(
            (errors.UNAUTHORIZED, errors.API_KEY_EXPIRED),
            "Missing, malformed, unknown or revoked API key (unauthorized), or an expired one "
            "(api_key_expired); with WWW-Authenticate: Bearer",
            _secured,
        ),
        _Rule(
            (errors.INSUFFICIENT_SCOPE, errors.SCOPE_NOT_GRANTABLE),
            "The API key's scopes do not include the one this operation needs "
            "(insufficient_scope; x-required-scope names it; read < write < admin)",
            _secured,
        ),
        _Rule(
            (errors.NOT_FOUND,),
            "Not found: the user or resource named in the path does not exist in this workspace",
            lambda _method, op: _has_param(op, "path"),
        ),
        _Rule(
            (errors.EXTERNAL_ID_CONFLICT, errors.CONCURRENT_CHANGE, errors.IDEMPOTENCY_KEY_IN_USE),
            "Conflict with stored data (an external_id taken with different content, or a "
            "concurrent change), or a request with the same Idempotency-Key still running; "
            "nothing was written",
            lambda method, op: _takes_body(method, op) and _secured(method, op),
        ),
        _Rule(
            (errors.PAYLOAD_TOO_LARGE,),
            f"The body is over the size limit ({_size(max_body_bytes)})",
            _takes_body,
        ),
        _Rule((errors.UNSUPPORTED_MEDIA_TYPE,), "Unsupported Content-Type", _takes_body),
        # Every operation: a query parameter the operation does not declare is refused too.
        _Rule(
            (errors.VALIDATION_ERROR,),
            "Invalid request: `errors` lists each bad value with a JSON pointer or parameter "
            "name; a query parameter this operation does not declare is refused the same way "
            "(the problem names the closest declared one)",
            lambda _method, _op: True,
        ),
        _Rule(
            (errors.RATE_LIMITED,),
            "Too many requests for this API key (RAPPORT_RATE_LIMIT), or too many failed "
            "authentications from this address; retry after Retry-After seconds",
            lambda _method, _op: True,
        ),
        _Rule(
            (errors.DATABASE_UNAVAILABLE, errors.DATABASE_BUSY),
            "The database is unreachable; retry after Retry-After seconds",
            _secured,
        ),
    ]


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": _REF.format(model="ProblemDetails")}}}


def add_problem_responses(document: dict[str, Any], max_body_bytes: int) -> dict[str, Any]:
    """Declare the shared error responses on every operation, all as problem+json; the
    ``code`` of ProblemDetails lists the catalogue's codes."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    problem = ProblemDetails.model_json_schema(ref_template=_REF, by_alias=True)
    problem["properties"]["code"]["enum"] = sorted(errors.CATALOGUE)
    schemas.update(problem.pop("$defs", {}), ProblemDetails=problem)
    rules = _rules(max_body_bytes)
    for path_item in document.get("paths", {}).values():
        for method, op in path_item.items():
            responses = op.setdefault("responses", {})
            for rule in rules:
                if rule.applies(method, op) and rule.status not in responses:
                    responses[rule.status] = {"description": rule.description}
            for status, response in responses.items():
                if status[0] in "45":
                    response["content"] = _problem_content()
            op["responses"] = dict(sorted(responses.items()))
            add_headers(method, op)
    document["components"].setdefault("headers", {}).update(HEADERS)
    # FastAPI's own 422 schema is replaced everywhere above.
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve the document with the problem responses added and the section numbers left
    out (both idempotent on FastAPI's cache), stating the body size limit of the app's
    settings. The app is to be made with ``generate_unique_id_function=operation_id``."""
    generate = app.openapi
    max_body_bytes: int = app.state.settings.max_body_bytes

    def openapi() -> dict[str, Any]:
        document = add_problem_responses(generate(), max_body_bytes)
        public_text(document)
        optional_defaults(document)
        check_operation_ids(document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise the document
