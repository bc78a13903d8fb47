"""Shared assertions and request builders for the HTTP tests."""

from typing import Any

PROBLEM = "application/problem+json"
PROBLEM_FIELDS = ("type", "title", "status", "detail", "code")


def assert_problem(response, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status (and code); returns its body."""
    assert response.status_code == status, (
        f"expected {status}, got {response.status_code}: {response.text}"
    )
    assert response.headers["content-type"].split(";")[0].strip() == PROBLEM, response.headers
    body = response.json()
    missing = [f for f in PROBLEM_FIELDS if f not in body]
    assert not missing, f"problem body lacks {missing}: {body}"
    assert body["status"] == status
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["code"], str) and body["code"]
    if code is not None:
        assert body["code"] == code, body
    return body


def same_problem(body: dict[str, Any]) -> dict[str, Any]:
    """The body without its request_id (§13: each request has its own), for comparing the
    problems of different requests."""
    return {k: v for k, v in body.items() if k != "request_id"}


def assert_validation(response, *pointers: str) -> dict[str, Any]:
    """A 422 whose errors name each of these JSON pointers (or query/path parameters)."""
    body = assert_problem(response, 422)
    assert isinstance(body.get("errors"), list) and body["errors"], body
    for item in body["errors"]:
        assert isinstance(item.get("detail"), str) and item["detail"], item
        assert "pointer" in item or "parameter" in item, item
    named = {e.get("pointer") or e.get("parameter") for e in body["errors"]}
    for p in pointers:
        assert p in named, f"{p!r} not among {sorted(map(str, named))}: {body}"
    return body


def event(**overrides: Any) -> dict[str, Any]:
    """A valid event body; keyword arguments replace or add fields."""
    body: dict[str, Any] = {"platform": "x", "kind": "post", "occurred_at": "2026-11-02T10:00:00Z"}
    body.update(overrides)
    return body


def users_path(user: dict[str, Any] | str, suffix: str = "") -> str:
    uid = user if isinstance(user, str) else user["id"]
    return f"/v1/users/{uid}{suffix}"
