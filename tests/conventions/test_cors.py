"""§13 CORS, in-process: RAPPORT_CORS_ORIGINS (comma-separated, none by default) answers
preflights and exposes RateLimit, RateLimit-Policy, Retry-After, Request-Id and Location.
tests/reliability/test_browser_cors.py shows the same in a real browser."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from app.core.config import ConfigError, Settings, load_settings
from app.main import create_app
from tests.api.helpers import assert_problem
from tests.conftest import http

ALLOWED = "http://app.example.test:3000"
EXPOSED = {"ratelimit", "ratelimit-policy", "retry-after", "request-id", "location"}


@pytest.fixture(scope="module")
def _cors_app(database) -> FastAPI:
    settings = Settings(database_url=database.url, cors_origins=f"{ALLOWED}, https://other.test")
    return create_app(settings, database)


@pytest.fixture
def cors_app(_cors_app, app) -> Iterator[FastAPI]:
    """With the test's session, as the shared `app` has it (tests/conftest.py)."""
    _cors_app.dependency_overrides = dict(app.dependency_overrides)
    yield _cors_app
    _cors_app.dependency_overrides = {}


def _preflight(c, origin: str, method: str = "POST", headers: str = "authorization,content-type"):
    return c.options(
        "/v1/users",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )


def test_origins_are_read_comma_separated(monkeypatch):
    monkeypatch.delenv("RAPPORT_CORS_ORIGINS", raising=False)
    assert load_settings().cors_origins == []
    monkeypatch.setenv("RAPPORT_CORS_ORIGINS", "https://a.test, HTTP://LocalHost:8080 ,")
    assert load_settings().cors_origins == ["https://a.test", "http://localhost:8080"]


@pytest.mark.parametrize("value", ["https://a.test/", "a.test", "https://a.test/app"])
def test_a_value_that_is_not_an_origin_is_refused(value, monkeypatch):
    monkeypatch.setenv("RAPPORT_CORS_ORIGINS", value)
    with pytest.raises(ConfigError, match=r"RAPPORT_CORS_ORIGINS: .* is not an origin"):
        load_settings()


def test_a_preflight_from_an_allowed_origin_is_answered(cors_app):
    with http(cors_app, None) as c:
        r = _preflight(c, ALLOWED)
    assert r.status_code == 200, r.text
    assert r.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    allowed = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "idempotency-key", "request-id"} <= allowed
    assert "Access-Control-Allow-Credentials" not in r.headers


def test_a_preflight_from_another_origin_is_a_problem(cors_app):
    with http(cors_app, None) as c:
        r = _preflight(c, "http://evil.test")
        body = assert_problem(r, 403, "cors_refused")
        assert "origin" in body["detail"]
        assert "Access-Control-Allow-Origin" not in r.headers
        r = _preflight(c, ALLOWED, headers="x-secret-header")
        assert "headers" in assert_problem(r, 403, "cors_refused")["detail"]


def test_an_answer_to_an_allowed_origin_exposes_the_headers(cors_app, api_key):
    with http(cors_app, api_key) as c:
        r = c.post(
            "/v1/users", json={"name": "Ada", "timezone": "UTC"}, headers={"Origin": ALLOWED}
        )
        assert r.status_code == 201, r.text
        assert r.headers["Access-Control-Allow-Origin"] == ALLOWED
        exposed = {h.strip().lower() for h in r.headers["Access-Control-Expose-Headers"].split(",")}
        assert exposed >= EXPOSED
        # An error answer too, so a page can read its problem and Request-Id.
        r = c.get("/v1/users/not-a-uuid", headers={"Origin": ALLOWED})
        assert r.status_code == 422 and r.headers["Access-Control-Allow-Origin"] == ALLOWED


def test_an_answer_to_another_origin_has_no_cors_headers(cors_app, api_key):
    with http(cors_app, api_key) as c:
        r = c.get("/v1/me", headers={"Origin": "http://evil.test"})
    assert r.status_code == 200
    # Without Access-Control-Allow-Origin the browser keeps the answer from the page.
    assert "Access-Control-Allow-Origin" not in r.headers


def test_without_origins_no_preflight_is_answered(client):
    r = _preflight(client, ALLOWED)
    assert r.status_code == 405
    assert not [h for h in r.headers if h.lower().startswith("access-control-")]
    r = client.get("/v1/me", headers={"Origin": ALLOWED})
    assert not [h for h in r.headers if h.lower().startswith("access-control-")]
