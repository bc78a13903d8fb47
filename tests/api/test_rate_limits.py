"""Rate limits (§13) in one process: per API key, per address for failed authentication,
the RateLimit headers (draft-ietf-httpapi-ratelimit-headers-09) and the 429 problem."""

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlmodel import Session

from app.core.config import Settings
from app.deps import get_session
from app.main import create_app
from tests.conftest import _session, http

HEADER = re.compile(r'^"(?P<name>[a-z-]+)";r=(?P<r>\d+);t=(?P<t>\d+)$')


@pytest.fixture
def limited_app(database, connection) -> Iterator[FastAPI]:
    settings = Settings(
        database_url=database.url, rate_limit="3/minute", auth_failure_limit="2/minute"
    )
    app = create_app(settings, database)

    def test_session() -> Iterator[Session]:
        with _session(connection) as s:
            yield s
            s.commit()

    app.dependency_overrides[get_session] = test_session
    yield app


def test_a_key_over_its_limit_gets_429_with_retry_after(limited_app, api_key, make_workspace):
    with http(limited_app, api_key) as c:
        for remaining in (2, 1, 0):
            r = c.get("/v1/me")
            assert r.status_code == 200
            assert r.headers["ratelimit-policy"] == '"key";q=3;w=60'
            m = HEADER.match(r.headers["ratelimit"])
            assert m and m["name"] == "key" and int(m["r"]) == remaining
            assert 0 < int(m["t"]) <= 60
        over = c.get("/v1/me")
        assert over.status_code == 429
        assert over.headers["content-type"] == "application/problem+json"
        assert over.json()["code"] == "rate_limited"
        assert 1 <= int(over.headers["retry-after"]) <= 60
        assert over.headers["ratelimit"].startswith('"key";r=0;')
    with http(limited_app, make_workspace("other")) as other:  # another key: its own count
        assert other.get("/v1/me").status_code == 200


def test_failed_authentication_is_limited_per_address_before_the_database(limited_app):
    with http(limited_app, "rpk_unknownUnknownUnknown0123456") as c:
        for remaining in (1, 0):
            r = c.get("/v1/me")
            assert r.status_code == 401
            assert '"auth-failure";q=2;w=60' in r.headers["ratelimit-policy"]
            assert f'"auth-failure";r={remaining};' in r.headers["ratelimit"]
        limited_app.state.db = None  # no database work from here on
        over = c.get("/v1/me")
        assert over.status_code == 429
        assert over.json()["code"] == "rate_limited"
        assert "retry-after" in over.headers
        assert c.get("/healthz").status_code == 200  # probes still answer


def test_every_response_carries_the_headers(limited_app):
    with http(limited_app, None) as c:
        r = c.get("/v1/platforms")
        assert r.status_code == 200
        assert r.headers["ratelimit-policy"] == '"auth-failure";q=2;w=60'
        assert r.headers["ratelimit"].startswith('"auth-failure";r=2;')


def test_off_turns_the_limits_off(database):
    bad_key = "rpk_unknownUnknownUnknown0123456"
    one = Settings(database_url=database.url, rate_limit="1/minute", auth_failure_limit="1/minute")
    with http(create_app(one, database), bad_key) as c:
        assert [c.get("/v1/platforms").status_code for _ in range(2)] == [200, 429]
    off = Settings(database_url=database.url, rate_limit="off", auth_failure_limit="off")
    with http(create_app(off, database), bad_key) as c:
        for _ in range(5):
            r = c.get("/v1/platforms")
            assert r.status_code == 200
            assert "ratelimit" not in r.headers


def test_a_bad_rate_is_refused_at_start():
    with pytest.raises(ValueError, match="is not a rate"):
        Settings(rate_limit="lots")


def test_counting_in_memory_starts_no_thread_and_still_drops_what_left_the_window(monkeypatch):
    """limits' own MemoryStorage starts a threading.Timer again after each call once the
    previous one has fired (10 ms later): an OS thread every few requests, waited for on
    the event loop. Rapport's storage expires inline, at most once a second."""
    import threading
    import time

    from limits import parse, strategies

    from app.core.ratelimit import LoopMemoryStorage

    store = LoopMemoryStorage()
    limiter = strategies.MovingWindowRateLimiter(store)
    item = parse("1000/second")
    time.sleep(0.05)  # the timer the constructor started has fired
    started: list[threading.Thread] = []
    real_start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda t: (started.append(t), real_start(t)))
    for _ in range(5):
        assert limiter.hit(item, "key")
        limiter.get_window_stats(item, "key")
        time.sleep(0.02)  # longer than the library's 10 ms timer
    assert started == []
    (counted,) = store.events.values()  # under the limiter's key for ("key", item)
    assert len(counted) == 5

    time.sleep(1.05)  # the five entries have left their one-second window
    monkeypatch.setattr(store, "_next_expiry", 0.0)  # the next call runs the pass
    assert limiter.hit(item, "other")
    assert sum(len(entries) for entries in store.events.values()) == 1  # "other" only
    assert started == []
