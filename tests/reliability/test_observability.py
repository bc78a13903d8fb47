"""§13 logs and metrics of real `rapport serve` processes.

Logs: the server's output holds one JSON line per request (json is the default when stderr
is not a terminal) with time, level, request_id, method, route template, status,
duration_ms and workspace id; uvicorn's own access lines are gone; no key, secret, query
string or body appears anywhere in it.

Metrics: a `--workers 2` server's /metrics, parsed with Prometheus' own text parser, adds
up both workers (each keeps a pool of RAPPORT_DB_POOL_SIZE connections, so the pool size
is twice that whichever worker answers), counts requests by route template and status, and
labels hold no user data.
"""

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.processes import TEST_KEY, RapportServer, startup_timeout

# What `rapport serve` prints before uvicorn starts (not log lines).
PRELUDE = ("rapport serve: ", "Created workspace ")


def _wait_for(what: str, found: Callable[[], object]) -> object:
    """Poll until ``found()`` is truthy (the server logs and counts a request just after
    answering it); fails after a generous deadline, never on a fast or slow machine."""
    deadline = time.monotonic() + startup_timeout(30)
    while True:
        value = found()
        if value:
            return value
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.05)


def _lines(log: Path) -> list[str]:
    return log.read_text(errors="replace").splitlines()


def test_one_json_line_per_request_with_the_fields_and_no_secret(tmp_path):
    log = tmp_path / "server.log"
    server = RapportServer(f"sqlite:///{tmp_path / 'logs.db'}", log=log, log_level="info")
    wrong_key = "rpk_wrongKeyThatMustNotBeLogged0123456789"
    body_marker = "BODY-MARKER-never-logged"
    query_marker = "QUERY-MARKER-never-logged"
    try:
        with server.client() as c:
            workspace_id = c.get("/v1/me", headers={"Request-Id": "log-me"}).json()["id"]
            created = c.post(
                "/v1/users",
                json={"name": body_marker, "timezone": "UTC"},
                headers={"Request-Id": "log-create"},
            )
            assert created.status_code == 201, created.text
            user_id = created.json()["id"]
            assert c.get(f"/v1/users/{user_id}", headers={"Request-Id": "log-user"}).is_success
            r = c.get(f"/v1/users?secret={query_marker}", headers={"Request-Id": "log-query"})
            assert r.status_code == 422
        r = httpx.get(
            f"{server.url}/v1/me",
            headers={"Authorization": f"Bearer {wrong_key}", "X-Request-Id": "log-401"},
        )
        assert r.status_code == 401
        generated = httpx.get(f"{server.url}/v1/no-such-path").headers["Request-Id"]
        ids = {"log-me", "log-create", "log-user", "log-query", "log-401", generated}

        def request_lines() -> dict[str, dict] | None:
            parsed = [json.loads(line) for line in _lines(log) if line.startswith("{")]
            by_id = {p["request_id"]: p for p in parsed if p.get("event") == "request"}
            return by_id if ids <= set(by_id) else None

        by_id = _wait_for("a line for every request", request_lines)
    finally:
        server.stop()

    assert isinstance(by_id, dict)
    expected = {
        "log-me": ("GET", "/v1/me", 200, workspace_id),
        "log-create": ("POST", "/v1/users", 201, workspace_id),
        "log-user": ("GET", "/v1/users/{user_id}", 200, workspace_id),
        "log-query": ("GET", "/v1/users", 422, workspace_id),
        "log-401": ("GET", "/v1/me", 401, None),
        generated: ("GET", None, 404, None),
    }
    for request_id, (method, route, status, workspace) in expected.items():
        line = by_id[request_id]
        assert set(line) == {
            "time",
            "level",
            "event",
            "logger",
            "request_id",
            "method",
            "route",
            "status",
            "duration_ms",
            "workspace_id",
        }, line
        assert (line["method"], line["route"], line["status"], line["workspace_id"]) == (
            method,
            route,
            status,
            workspace,
        ), line
        assert line["level"] == "info" and line["time"].endswith("Z"), line
        assert isinstance(line["duration_ms"], int | float) and line["duration_ms"] >= 0

    text = log.read_text(errors="replace")
    for secret in (TEST_KEY, wrong_key, body_marker, query_marker, user_id):
        assert secret not in text, f"{secret} is in the log"
    # Every line is JSON but what the CLI prints before serving; no uvicorn access line.
    others = [
        line for line in _lines(log) if not line.startswith("{") and not line.startswith(PRELUDE)
    ]
    assert others == [], others
    assert '"GET /v1/me HTTP/1.1"' not in text


def _scrape(url: str) -> dict[str, list]:
    r = httpx.get(f"{url}/metrics")  # a new connection each time: either worker answers
    assert r.status_code == 200, r.text
    return {f.name: f.samples for f in text_string_to_metric_families(r.text)}


def _value(samples: list, name: str, **labels: str) -> float:
    return sum(s.value for s in samples if s.name == name and s.labels == labels)


def test_metrics_of_two_workers_add_up(tmp_path):
    server = RapportServer(f"sqlite:///{tmp_path / 'metrics.db'}", workers=2)
    pool_size = 10  # RAPPORT_DB_POOL_SIZE's default, per worker
    try:
        # Both workers have started (and written their pool sizes) once the sum is 2 × 10.
        _wait_for(
            "both workers' pools",
            lambda: (
                _value(
                    _scrape(server.url)["rapport_db_pool_size"], "rapport_db_pool_size", pool="main"
                )
                == 2 * pool_size
            ),
        )
        user_id = (
            server.client().post("/v1/users", json={"name": "Ada", "timezone": "UTC"}).json()["id"]
        )
        ok, refused = 12, 3
        for _ in range(ok):  # new connections, spread over the workers by the kernel
            assert httpx.get(
                f"{server.url}/v1/users/{user_id}", headers={"Authorization": f"Bearer {TEST_KEY}"}
            ).is_success
        for _ in range(refused):
            assert httpx.get(f"{server.url}/v1/users/{user_id}").status_code == 401

        def counted() -> dict[str, list] | None:
            families = _scrape(server.url)
            samples = families["rapport_http_requests"]
            n = _value(
                samples,
                "rapport_http_requests_total",
                method="GET",
                route="/v1/users/{user_id}",
                status="200",
            )
            return families if n >= ok else None

        _wait_for("the requests counted", counted)
        for _ in range(4):  # whichever worker answers, the same sums
            families = _scrape(server.url)
            requests = families["rapport_http_requests"]
            route = "/v1/users/{user_id}"
            get = {"method": "GET", "route": route}
            assert _value(requests, "rapport_http_requests_total", **get, status="200") == ok
            assert _value(requests, "rapport_http_requests_total", **get, status="401") == refused
            latency = families["rapport_http_request_duration_seconds"]
            assert _value(latency, "rapport_http_request_duration_seconds_count", **get) == (
                ok + refused
            )
            assert (
                _value(latency, "rapport_http_request_duration_seconds_bucket", **get, le="+Inf")
                == ok + refused
            )
            assert _value(
                families["rapport_db_pool_size"], "rapport_db_pool_size", pool="main"
            ) == (2 * pool_size)
            assert "rapport_db_pool_connections_in_use" in families
            limited = families["rapport_rate_limited_requests"]
            assert {s.labels["limit"] for s in limited} >= {"api_key", "auth_failure"}
            # No user data in any label: routes are templates, never a path with an id.
            for samples in families.values():
                for s in samples:
                    for value in s.labels.values():
                        assert user_id not in value and TEST_KEY not in value, s
                        assert not _is_uuid_path(value), s
    finally:
        server.stop()


def _is_uuid_path(value: str) -> bool:
    for part in value.split("/"):
        try:
            uuid.UUID(part)
            return True
        except ValueError:
            continue
    return False


def test_metrics_of_one_worker(tmp_path):
    """`rapport serve` with its default single worker (the process that also migrated, and
    so imported prometheus-client before uvicorn started) counts its requests: its /metrics
    was once an empty body."""
    server = RapportServer(f"sqlite:///{tmp_path / 'metrics1.db'}", workers=1)
    try:
        client = server.client()
        user_id = client.post("/v1/users", json={"name": "Ada", "timezone": "UTC"}).json()["id"]
        for _ in range(3):
            assert client.get(f"/v1/users/{user_id}").is_success

        def counted() -> float:
            samples = _scrape(server.url)["rapport_http_requests"]
            get = {"method": "GET", "route": "/v1/users/{user_id}", "status": "200"}
            return _value(samples, "rapport_http_requests_total", **get)

        assert _wait_for("the requests counted", lambda: counted() >= 3) is True
        assert counted() == 3
    finally:
        server.stop()
