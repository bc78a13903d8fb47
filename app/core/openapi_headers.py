"""§13's headers in the OpenAPI document: Idempotency-Key on every authenticated POST and
PATCH; Request-Id, RateLimit-Policy and RateLimit on every response (declared once under
components/headers); Retry-After where a retry is asked for; Idempotent-Replayed."""

from typing import Any

Operation = dict[str, Any]


def _secured(op: Operation) -> bool:
    return bool(op.get("security"))


def _has_header(op: Operation, name: str) -> bool:
    return any(p.get("in") == "header" and p.get("name") == name for p in op.get("parameters", []))


# §13's headers, declared once under components/headers and referred to by every response.
_HEADER_REF = "#/components/headers/{name}"
HEADERS: dict[str, dict[str, Any]] = {
    "Request-Id": {
        "description": "The request's id: the client's Request-Id (or X-Request-Id) when it is "
        "1 to 200 visible ASCII characters, otherwise one made here. Also in problem bodies.",
        "schema": {"type": "string"},
    },
    "RateLimit-Policy": {
        "description": "The rate-limit policies that apply (IETF httpapi ratelimit-headers "
        'draft), e.g. `"key";q=1200;w=60`. Absent when RAPPORT_RATE_LIMIT is off.',
        "schema": {"type": "string"},
    },
    "RateLimit": {
        "description": 'What is left of each policy, e.g. `"key";r=1199;t=60` (r: requests '
        "remaining, t: seconds until the window resets). Absent when rate limits are off.",
        "schema": {"type": "string"},
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the kept response of an earlier request with the "
        "same Idempotency-Key (§13), not a new run.",
        "schema": {"type": "string", "enum": ["true"]},
    },
}
_EVERY_RESPONSE = ("Request-Id", "RateLimit-Policy", "RateLimit")
_RETRY_STATUSES = {"409", "429", "503"}
_IDEMPOTENT_METHODS = {"post", "patch"}
IDEMPOTENCY_KEY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes a retry safe (§13; Stripe's semantics): the first request with a "
    "key runs and its response is kept for 24 h per workspace; the same key with the same "
    "method, path, query and body answers that response again (Idempotent-Replayed: true), "
    "with another request 422 idempotency_key_reused, while the first still runs 409 "
    "idempotency_key_in_use. A 5xx is not kept. Bare or as a structured-field string.",
    # Visible ASCII; no quote and no space at either end, which the parser would remove.
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": r"^[!#-~]([ !#-~]*[!#-~])?$",
    },
}


def add_headers(method: str, op: Operation) -> None:
    """Idempotency-Key on every authenticated POST and PATCH; §13's response headers."""
    idempotent = method in _IDEMPOTENT_METHODS and _secured(op)
    if idempotent and not _has_header(op, "Idempotency-Key"):
        op.setdefault("parameters", []).append(IDEMPOTENCY_KEY_PARAMETER)
    for status, response in op.get("responses", {}).items():
        names = list(_EVERY_RESPONSE)
        if status in _RETRY_STATUSES:
            names.append("Retry-After")
        if idempotent and status[0] in "234":
            names.append("Idempotent-Replayed")
        headers = response.setdefault("headers", {})
        for name in names:
            headers.setdefault(name, {"$ref": _HEADER_REF.format(name=name)})
