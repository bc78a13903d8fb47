"""Small builders for the profile-check, relationships, report and CSV tests."""

from typing import Any

PROBLEM = "application/problem+json"


def make_user(client, name: str = "Ada", timezone: str = "UTC", **settings: Any) -> str:
    body: dict[str, Any] = {"name": name, "timezone": timezone}
    if settings:
        body["settings"] = settings
    r = client.post("/v1/users", json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def ev(
    platform: str,
    kind: str,
    at: str,
    counterpart: str | None = None,
    *,
    direction: str = "outbound",
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "platform": platform,
        "kind": kind,
        "occurred_at": at,
        "direction": direction,
    }
    if counterpart is not None:
        body["counterpart"] = counterpart
    body.update(extra)
    return body


def add_events(client, uid: str, events: list[dict[str, Any]]) -> list[str]:
    ids: list[str] = []
    for start in range(0, len(events), 1000):
        r = client.post(
            f"/v1/users/{uid}/events:batch", json={"events": events[start : start + 1000]}
        )
        assert r.status_code == 200, r.text
        ids.extend(r.json()["ids"])
    return ids


def put(client, uid: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = client.put(f"/v1/users/{uid}{path}", json=body)
    assert r.status_code in (200, 201), r.text
    return r.json()


def problem(response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body = response.json()
    assert body["status"] == status and body["detail"], body
    if code is not None:
        assert body["code"] == code, body
    return body
