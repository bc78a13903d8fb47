"""SPEC §4: listing events — newest first, every filter, keyset cursor pagination."""

import base64
import json
import uuid
from datetime import datetime

import pytest

from tests.api.helpers import assert_problem, assert_validation, event, users_path


def _cursor(payload) -> str:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _all(client, user, **params) -> list[dict]:
    r = client.get(users_path(user, "/events"), params={"limit": 500, **params})
    assert r.status_code == 200, r.text
    assert r.json()["next_cursor"] is None
    return r.json()["items"]


@pytest.fixture
def history(client, user) -> dict[str, str]:
    """Nine events with distinct values per filter; returns label -> id."""
    rows = {
        "x_post": event(occurred_at="2026-11-01T09:00:00Z"),
        "x_reply": event(kind="reply", counterpart="@Bob", occurred_at="2026-11-02T09:00:00Z"),
        "x_sales": event(
            kind="direct_message",
            counterpart="bob",
            is_sales=True,
            occurred_at="2026-11-03T09:00:00+02:00",
        ),
        "x_in_follow": event(
            kind="follow",
            direction="inbound",
            counterpart="carol",
            occurred_at="2026-11-04T09:00:00Z",
        ),
        "li_post": event(platform="linkedin", occurred_at="2026-11-05T09:00:00Z"),
        "li_comment": event(
            platform="linkedin",
            kind="comment",
            counterpart="carol",
            occurred_at="2026-11-06T09:00:00Z",
        ),
        "fb_wall": event(
            platform="facebook",
            kind="wall_post",
            counterpart="dave",
            is_sales=True,
            occurred_at="2026-11-07T09:00:00Z",
        ),
        "ig_like": event(
            platform="instagram",
            kind="like",
            counterpart="erin",
            occurred_at="2026-11-08T09:00:00Z",
        ),
        "ig_in_reply": event(
            platform="instagram",
            kind="reply",
            direction="inbound",
            counterpart="bob",
            occurred_at="2026-11-09T09:00:00.000001Z",
        ),
    }
    r = client.post(users_path(user, "/events:batch"), json={"events": list(rows.values())})
    assert r.status_code == 200, r.text
    return dict(zip(rows, r.json()["ids"]))


def _labels(items, history) -> list[str]:
    by_id = {v: k for k, v in history.items()}
    return [by_id[e["id"]] for e in items]


def test_list_is_newest_first(client, user, history):
    items = _all(client, user)
    assert _labels(items, history) == [
        "ig_in_reply",
        "ig_like",
        "fb_wall",
        "li_comment",
        "li_post",
        "x_in_follow",
        "x_sales",
        "x_reply",
        "x_post",
    ]
    times = [datetime.fromisoformat(e["occurred_at"]) for e in items]
    assert times == sorted(times, reverse=True)
    assert items[0]["occurred_at"] == "2026-11-09T09:00:00.000001Z"
    assert items[-3]["occurred_at"] == "2026-11-03T07:00:00Z"


FILTERS = [
    ({"platform": "x"}, ["x_in_follow", "x_sales", "x_reply", "x_post"]),
    ({"platform": "instagram"}, ["ig_in_reply", "ig_like"]),
    ({"kind": "reply"}, ["ig_in_reply", "x_reply"]),
    ({"kind": "unfollow"}, []),
    ({"direction": "inbound"}, ["ig_in_reply", "x_in_follow"]),
    (
        {"direction": "outbound"},
        ["ig_like", "fb_wall", "li_comment", "li_post", "x_sales", "x_reply", "x_post"],
    ),
    ({"counterpart": "bob"}, ["ig_in_reply", "x_sales", "x_reply"]),
    (
        {"counterpart": " @BOB "},
        ["ig_in_reply", "x_sales", "x_reply"],
    ),  # normalised like stored values
    ({"is_sales": "true"}, ["fb_wall", "x_sales"]),
    (
        {"is_sales": "false"},
        ["ig_in_reply", "ig_like", "li_comment", "li_post", "x_in_follow", "x_reply", "x_post"],
    ),
    ({"from": "2026-11-07T09:00:00Z"}, ["ig_in_reply", "ig_like", "fb_wall"]),  # from is inclusive
    ({"to": "2026-11-03T07:00:00Z"}, ["x_reply", "x_post"]),  # to is exclusive
    (
        {"from": "2026-11-03T09:00:00+02:00", "to": "2026-11-05T10:00:00+01:00"},
        ["x_in_follow", "x_sales"],
    ),
    (
        {"from": "2026-11-03T09:00:00+02:00", "to": "2026-11-05T10:00:01+01:00"},
        ["li_post", "x_in_follow", "x_sales"],
    ),
    ({"from": "2026-11-09T09:00:00.000001Z"}, ["ig_in_reply"]),
    ({"from": "2026-11-09T09:00:00.000002Z"}, []),
    (
        {"platform": "x", "direction": "outbound", "counterpart": "bob", "is_sales": "false"},
        ["x_reply"],
    ),
    (
        {
            "kind": "reply",
            "direction": "inbound",
            "platform": "instagram",
            "from": "2026-11-01T00:00:00Z",
            "to": "2026-12-01T00:00:00Z",
        },
        ["ig_in_reply"],
    ),
]


def test_each_filter(client, user, history):
    for params, expected in FILTERS:
        assert _labels(_all(client, user, **params), history) == expected, params


BAD_PARAMETERS = [
    ({"platform": "myspace"}, "platform"),
    ({"kind": "poke"}, "kind"),
    ({"direction": "up"}, "direction"),
    ({"is_sales": "perhaps"}, "is_sales"),
    ({"from": "2026-11-01T00:00:00"}, "from"),
    ({"to": "not-a-time"}, "to"),
    ({"from": "0001-01-01T00:00:00+05:00"}, "from"),
    ({"to": "9999-12-31T23:59:59-05:00"}, "to"),
    ({"from": "1764230400"}, "from"),
    ({"from": "2026-11-05T00:00:00Z", "to": "2026-11-01T00:00:00Z"}, "from"),
    ({"counterpart": "c" * 201}, "counterpart"),
    ({"limit": 0}, "limit"),
    ({"limit": 501}, "limit"),
]


def test_bad_list_parameters_are_422(client, user):
    for params, parameter in BAD_PARAMETERS:
        r = client.get(users_path(user, "/events"), params=params)
        assert r.status_code == 422, (params, r.text)
        assert_validation(r, parameter)


def test_naive_from_says_it_needs_an_offset(client, user):
    body = assert_validation(
        client.get(users_path(user, "/events"), params={"from": "2026-11-01T00:00:00"}), "from"
    )
    assert "must include a UTC offset" in body["detail"]


def test_pagination_sees_every_event_once_in_a_stable_order(client, user):
    # Ties on occurred_at are the hard case for keyset pagination.
    same = "2026-11-10T12:00:00Z"
    batch = [event(occurred_at=same, text=f"tie {i}") for i in range(7)]
    batch += [event(occurred_at=f"2026-11-1{d}T08:00:00Z", text=f"day {d}") for d in (1, 2, 3)]
    batch += [event(occurred_at="2026-11-09T12:00:00Z", text=f"early {i}") for i in range(3)]
    created = client.post(users_path(user, "/events:batch"), json={"events": batch}).json()["ids"]

    full = [e["id"] for e in _all(client, user)]
    assert sorted(full) == sorted(created)

    for limit in (1, 2, 3, 4, 13):
        seen, cursor, pages = [], None, 0
        while True:
            params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
            r = client.get(users_path(user, "/events"), params=params)
            assert r.status_code == 200, r.text
            page = r.json()
            assert 0 < len(page["items"]) <= limit
            seen += [e["id"] for e in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == full, f"limit {limit}"
        assert pages == -(-len(full) // limit)


def test_pagination_keeps_the_filters(client, user, history):
    first = client.get(
        users_path(user, "/events"), params={"limit": 1, "counterpart": "bob"}
    ).json()
    second = client.get(
        users_path(user, "/events"),
        params={"limit": 1, "counterpart": "bob", "cursor": first["next_cursor"]},
    ).json()
    third = client.get(
        users_path(user, "/events"),
        params={"limit": 1, "counterpart": "bob", "cursor": second["next_cursor"]},
    ).json()
    assert _labels(first["items"] + second["items"] + third["items"], history) == [
        "ig_in_reply",
        "x_sales",
        "x_reply",
    ]
    assert third["next_cursor"] is None


def _valid_cursor(client, user) -> str:
    cursor = client.get(users_path(user, "/events"), params={"limit": 1}).json()["next_cursor"]
    assert cursor
    return cursor


TAMPERED = [
    lambda valid: "garbage",
    lambda valid: "!!!",
    lambda valid: "é",
    lambda valid: valid[:-3],
    lambda valid: valid[:5] + ("A" if valid[5] != "A" else "B") + valid[6:],
    lambda valid: _cursor(b"not json"),
    lambda valid: _cursor([1, 2]),
    lambda valid: _cursor("just a string"),
    lambda valid: _cursor(None),
    lambda valid: _cursor({"t": "2026-11-01T00:00:00Z"}),
    lambda valid: _cursor({"t": "2026-11-01T00:00:00Z", "id": "not-a-uuid"}),
    lambda valid: _cursor({"t": "2026-11-01T00:00:00", "id": str(uuid.uuid4())}),
    lambda valid: _cursor({"t": 12, "id": str(uuid.uuid4())}),
    lambda valid: _cursor({"t": "0001-01-01T00:00:00+05:00", "id": str(uuid.uuid4())}),
    lambda valid: _cursor({"t": "9999-12-31T23:59:59-05:00", "id": str(uuid.uuid4())}),
]


def test_tampered_or_garbage_cursor_is_400_invalid_cursor(client, user, history):
    valid = _valid_cursor(client, user)
    for i, make in enumerate(TAMPERED):
        cursor = make(valid)
        r = client.get(users_path(user, "/events"), params={"cursor": cursor})
        assert r.status_code == 400, (i, cursor, r.text)
        body = assert_problem(r, 400, "invalid_cursor")
        assert "next_cursor" in body["detail"]


def test_a_cursor_is_opaque_but_stable(client, user, history):
    cursor = _valid_cursor(client, user)
    a = client.get(users_path(user, "/events"), params={"limit": 2, "cursor": cursor}).json()
    b = client.get(users_path(user, "/events"), params={"limit": 2, "cursor": cursor}).json()
    assert a == b
    assert _labels(a["items"], history) == ["ig_like", "fb_wall"]


def test_overlong_cursor_is_rejected(client, user):
    assert_validation(
        client.get(users_path(user, "/events"), params={"cursor": "A" * 513}), "cursor"
    )


def test_empty_list(client, user):
    r = client.get(users_path(user, "/events"))
    assert r.status_code == 200
    assert r.json() == {"items": [], "next_cursor": None}
