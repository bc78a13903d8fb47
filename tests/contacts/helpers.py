"""Helpers for the contacts tests: post events, read contacts over HTTP."""

from typing import Any


def post(client, user_id: str, **event: Any) -> dict:
    body = {"platform": "x", "kind": "reply", **event}
    r = client.post(f"/v1/users/{user_id}/events", json=body)
    assert r.status_code in (200, 201), r.text
    return r.json()


def contacts(client, user_id: str, **params: Any) -> dict:
    r = client.get(f"/v1/users/{user_id}/contacts", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def contact_of(client, user_id: str, handle: str, **params: Any) -> dict:
    for item in contacts(client, user_id, limit=500, **params)["items"]:
        if handle in item["handles"]:
            return item
    raise AssertionError(f"no contact with handle {handle}")
