"""SPEC §7 and the meta endpoints: problem+json for every failure, body gates, probes."""

import asyncio
import json

import httpx

from app.core.config import Settings
from app.deps import get_session
from app.main import create_app
from tests.api.helpers import assert_problem, event, users_path
from tests.conftest import http

MIB = 1024 * 1024


def test_malformed_json_is_400(client, user):
    for raw in (
        b'{"name": "Ada"',
        b"{name: 'Ada'}",
        b'{"name": "Ada",}',
        b"\xff\xfe{}",
        b'{"name": "Ada"} x',
        b"[" * 100_000 + b"]" * 100_000,
    ):
        r = client.post("/v1/users", content=raw, headers={"Content-Type": "application/json"})
        body = assert_problem(r, 400, "malformed_json")
        assert body["detail"], raw[:20]
    assert client.get("/v1/users").json()["items"] == [user]


def test_duplicate_keys_are_400(client, user):
    raw = b'{"name": "Ada", "name": "Eve"}'
    body = assert_problem(
        client.post("/v1/users", content=raw, headers={"Content-Type": "application/json"}),
        400,
        "malformed_json",
    )
    assert "name" in body["detail"] and "twice" in body["detail"]
    nested = b'{"events": [{"platform": "x", "kind": "post", "kind": "like", "occurred_at": "2026-11-01T00:00:00Z"}]}'
    r = client.post(
        users_path(user, "/events:batch"),
        content=nested,
        headers={"Content-Type": "application/json"},
    )
    assert_problem(r, 400, "malformed_json")
    assert client.get(users_path(user, "/events")).json()["items"] == []


def test_non_finite_numbers_are_400(client, user):
    for constant in ("NaN", "Infinity", "-Infinity"):
        raw = f'{{"settings": {{"sales_ratio": {constant}}}}}'.encode()
        r = client.patch(
            users_path(user), content=raw, headers={"Content-Type": "application/json"}
        )
        body = assert_problem(r, 400, "malformed_json")
        assert constant.lstrip("-") in body["detail"]
    assert client.get(users_path(user)).json()["settings"]["sales_ratio"] == 10


def test_wrong_content_type_is_415(client, user):
    payload = json.dumps({"name": "Ada"}).encode()
    for media in ("text/plain", "application/x-www-form-urlencoded", "text/csv", "application/xml"):
        body = assert_problem(
            client.post("/v1/users", content=payload, headers={"Content-Type": media}),
            415,
            "unsupported_media_type",
        )
        assert "application/json" in body["detail"]
    r = client.put(
        users_path(user, "/follow-plans/x"),
        content=b'{"weekly_target": 5}',
        headers={"Content-Type": "text/plain"},
    )
    assert_problem(r, 415, "unsupported_media_type")
    assert client.get("/v1/users").json()["items"] == [user]


def test_json_media_types_with_parameters_are_accepted(client):
    payload = json.dumps({"name": "Ada"}).encode()
    for media in (
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/merge-patch+json",
    ):
        r = client.post("/v1/users", content=payload, headers={"Content-Type": media})
        assert r.status_code == 201, (media, r.text)


def test_missing_content_type_with_a_body_is_415(client, user):
    r = client.post("/v1/users", content=json.dumps({"name": "Ada"}).encode())
    assert "content-type" not in {k.lower() for k in r.request.headers}
    body = assert_problem(r, 415, "unsupported_media_type")
    assert "missing" in body["detail"]
    assert client.get("/v1/users").json()["items"] == [user]


def test_body_over_1_mib_is_413_with_content_length(client, user, session):
    big = json.dumps({"events": [event(text="t" * 4000) for _ in range(300)]}).encode()
    assert len(big) > MIB
    r = client.post(
        users_path(user, "/events:batch"), content=big, headers={"Content-Type": "application/json"}
    )
    assert r.request.headers["content-length"] == str(len(big))
    body = assert_problem(r, 413, "payload_too_large")
    assert str(MIB) in body["detail"]
    assert client.get(users_path(user, "/events")).json()["items"] == []


def test_body_over_1_mib_is_413_when_chunked(client, user):
    def chunks():
        yield b'{"name": "'
        for _ in range(20):
            yield b"a" * 64 * 1024
        yield b'"}'

    r = client.post("/v1/users", content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in {k.lower() for k in r.request.headers}
    assert r.request.headers["transfer-encoding"] == "chunked"
    assert_problem(r, 413, "payload_too_large")
    assert client.get("/v1/users").json()["items"] == [user]


def test_streamed_body_is_cut_off_once_over_the_limit(app, api_key):
    """Through a transport that really streams: the gate stops reading past 1 MiB."""
    sent = []

    async def chunks():
        for i in range(64):  # 64 × 64 KiB = 4 MiB offered
            sent.append(i)
            yield b"[" if i == 0 else b" " * 64 * 1024

    async def go():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://rapport.test",
            headers={"Authorization": f"Bearer {api_key}"},
        ) as c:
            return await c.post(
                "/v1/users", content=chunks(), headers={"Content-Type": "application/json"}
            )

    r = asyncio.run(go())
    assert_problem(r, 413, "payload_too_large")
    assert len(sent) < 64, "the whole body was read although the limit was passed long before"


def test_body_exactly_at_the_limit_is_not_413(client, user):
    prefix, suffix = b'{"name": "Ada", "timezone": "UTC", "settings": {"sales_ratio": 10}', b"}"
    padded = prefix + b" " * (MIB - len(prefix) - len(suffix)) + suffix
    assert len(padded) == MIB
    r = client.patch(users_path(user), content=padded, headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text


def test_unknown_path_is_a_404_problem(client, anon):
    for c in (client, anon):
        assert_problem(c.get("/v1/nothing-here"), 404, "not_found")
    assert_problem(client.get("/nope"), 404, "not_found")
    assert_problem(client.post("/v1/users/x/y/z", json={}), 404, "not_found")


def test_wrong_method_is_a_405_problem(client):
    r = client.put("/v1/users", json={"name": "Ada"})
    assert_problem(r, 405, "method_not_allowed")
    # Starlette names the methods of the first route whose path matched; every one it
    # names must really be allowed on the path.
    allowed = {m.strip() for m in r.headers["allow"].split(",")}
    assert allowed and allowed <= {"GET", "POST"}, allowed
    assert_problem(client.patch("/v1/me", json={}), 405, "method_not_allowed")


def test_validation_problem_shape(client):
    r = client.post("/v1/users", json={"name": "", "timezone": "Nowhere/Land", "colour": 1})
    body = assert_problem(r, 422, "validation_error")
    pointers = {e["pointer"] for e in body["errors"]}
    assert pointers == {"#/name", "#/timezone", "#/colour"}
    for item in body["errors"]:
        assert item["pointer"].startswith("#/") and item["detail"]
    q = assert_problem(client.get("/v1/users", params={"limit": "lots"}), 422, "validation_error")
    assert q["errors"] == [
        {"parameter": "limit", "in": "query", "detail": q["errors"][0]["detail"]}
    ]


def test_internal_errors_hide_the_details(app, api_key, database):
    application = create_app(Settings(database_url=database.url), database)
    application.dependency_overrides[get_session] = app.dependency_overrides[get_session]

    @application.get("/boom")
    def boom():
        raise RuntimeError("secret-stack-detail")

    @application.get("/v1/boom-with-session")
    def boom_with_session(session=None):
        raise KeyError("secret-stack-detail")

    with http(application, api_key, raise_server_exceptions=False) as c:
        for path in ("/boom", "/v1/boom-with-session"):
            r = c.get(path)
            body = assert_problem(r, 500, "internal_error")
            assert set(body) == {"type", "title", "status", "detail", "code", "request_id"}
            assert "secret-stack-detail" not in r.text
            assert (
                "Traceback" not in r.text
                and "RuntimeError" not in r.text
                and "KeyError" not in r.text
            )
            assert ".py" not in r.text
        # The app keeps answering afterwards.
        assert c.get("/v1/me").status_code == 200


def test_healthz_and_readyz_need_no_key(anon):
    r = anon.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    r = anon.get("/readyz")
    assert r.status_code == 200 and r.json() == {"status": "ready"}


def test_readyz_is_503_when_the_database_is_down(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'missing-dir' / 'nope.db'}")
    with http(create_app(settings), None) as c:
        r = c.get("/readyz")
        assert_problem(r, 503, "database_unavailable")
        assert r.headers["retry-after"]
        assert c.get("/healthz").status_code == 200


def test_platforms_lists_the_presets_in_order_with_sources(client):
    r = client.get("/v1/platforms")
    assert r.status_code == 200
    items = r.json()["items"]
    # §1 since v2: the four of v1, then the four of §9 (their figures: tests/api/test_platforms_v2.py).
    assert [p["platform"] for p in items] == [
        "x",
        "facebook",
        "linkedin",
        "instagram",
        "bluesky",
        "threads",
        "mastodon",
        "tiktok",
    ]
    by = {p["platform"]: p for p in items}
    assert (by["x"]["follow_daily_limit"], by["x"]["follow_weekly_limit"]) == (400, None)
    assert by["linkedin"]["follow_weekly_limit"] == 100
    assert (
        by["instagram"]["follow_daily_limit"] is None
        and by["facebook"]["follow_daily_limit"] is None
    )
    expected = {
        "x": (100, 25, 5),
        "facebook": (30, 10, 2),
        "linkedin": (20, 10, 2),
        "instagram": (50, 15, 2),
    }
    for platform, (cap, burst, max_posts) in expected.items():
        p = by[platform]
        assert (p["daily_cap"], p["burst_limit"], p["max_posts_per_day"]) == (cap, burst, max_posts)
        assert (p["min_posts_per_day"], p["min_gap_minutes"], p["burst_window_minutes"]) == (
            1,
            60,
            60,
        )
        assert p["follow_limit_source"].strip() and p["max_posts_source"].strip()
    assert "X Help Center" in by["x"]["follow_limit_source"]
    assert "Mosseri" in by["instagram"]["max_posts_source"]
