"""Small HTTP helpers for the insight tests: users, plans, events and GETs.

Expected numbers in the tests are always written out by hand; nothing here computes one.
"""

import re
from typing import Any

from fastapi.testclient import TestClient


def make_user(
    client: TestClient, timezone: str = "UTC", name: str = "Tester", **settings: Any
) -> str:
    body: dict[str, Any] = {"name": name, "timezone": timezone}
    if settings:
        body["settings"] = settings
    r = client.post("/v1/users", json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def ev(platform: str, kind: str, occurred_at: str, **fields: Any) -> dict[str, Any]:
    return {"platform": platform, "kind": kind, "occurred_at": occurred_at, **fields}


def record(client: TestClient, user_id: str, events: list[dict[str, Any]]) -> None:
    r = client.post(f"/v1/users/{user_id}/events:batch", json={"events": events})
    assert r.status_code == 200, r.text
    assert r.json()["created"] == len(events), r.text


def follow_plan(client: TestClient, user_id: str, platform: str, **body: Any) -> dict[str, Any]:
    r = client.put(f"/v1/users/{user_id}/follow-plans/{platform}", json=body)
    assert r.status_code in (200, 201), r.text
    return r.json()


def posting_plan(client: TestClient, user_id: str, platform: str, **body: Any) -> dict[str, Any]:
    r = client.put(f"/v1/users/{user_id}/posting-plans/{platform}", json=body)
    assert r.status_code in (200, 201), r.text
    return r.json()


def get(client: TestClient, user_id: str, route: str, **params: Any) -> dict[str, Any]:
    """GET an insight route with query params (httpx URL-encodes '+' in offsets)."""
    params = {("from" if k == "from_" else k): v for k, v in params.items()}
    r = client.get(f"/v1/users/{user_id}/{route}", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def check(client: TestClient, user_id: str, **body: Any) -> dict[str, Any]:
    r = client.post(f"/v1/users/{user_id}/checks", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def codes(answer: dict[str, Any]) -> list[str]:
    return sorted(reason["code"] for reason in answer["reasons"])


def follows(platform: str, *instants: str, **fields: Any) -> list[dict[str, Any]]:
    return [ev(platform, "follow", t, **fields) for t in instants]


def numbers_in(text: str) -> list[int]:
    """The whole numbers a reason's detail mentions, in order (wording may change; numbers
    may not)."""
    return [int(n) for n in re.findall(r"(?<![\d.])\d+(?![\d.])", text)]
