"""§13 logs and metrics, in-process: every log line written while a request is answered
carries its request_id; the request's own line has the documented fields; /metrics is
Prometheus text (off with RAPPORT_METRICS=false). tests/reliability/test_observability.py
checks both on real server processes."""

import io
import json
import logging
from collections.abc import Iterator

import pytest
from fastapi import Depends
from prometheus_client.parser import text_string_to_metric_families

from app.core.config import Settings
from app.core.logs import formatter, logging_config, resolve_format
from app.deps import get_workspace
from app.main import create_app
from tests.conftest import http


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Rapport's loggers written through Rapport's JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    logger = logging.getLogger("rapport")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def test_every_line_of_a_request_carries_its_id(database, api_key, app, json_lines):
    application = create_app(Settings(database_url=database.url), database)
    application.dependency_overrides = dict(app.dependency_overrides)

    @application.get("/v1/noisy", dependencies=[Depends(get_workspace)])
    def noisy() -> dict:
        logging.getLogger("rapport").warning("something worth a line")
        return {}

    with http(application, api_key) as c:
        me = c.get("/v1/me").json()
        assert c.get("/v1/noisy", headers={"Request-Id": "noisy-1"}).status_code == 200
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    ours = [line for line in lines if line.get("request_id") == "noisy-1"]
    assert [line["event"] for line in ours] == ["something worth a line", "request"], lines
    warning, request = ours
    assert warning["level"] == "warning"
    assert {k: request[k] for k in ("level", "method", "route", "status", "workspace_id")} == {
        "level": "info",
        "method": "GET",
        "route": "/v1/noisy",
        "status": 200,
        "workspace_id": me["id"],
    }
    assert isinstance(request["duration_ms"], float) and request["duration_ms"] >= 0
    assert request["time"].endswith("Z")


def test_the_format_is_json_unless_stderr_is_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert resolve_format(None, io.StringIO()) == "json"
    assert resolve_format(None, Terminal()) == "console"
    assert resolve_format("json", Terminal()) == "json"
    assert resolve_format("console", io.StringIO()) == "console"
    config = logging_config("console", "INFO")
    assert config["formatters"]["rapport"]["format"] == "console"
    assert config["loggers"]["uvicorn.access"]["handlers"] == []


def test_metrics_are_prometheus_text(client):
    client.get("/v1/me")
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    assert {
        "rapport_http_requests",
        "rapport_http_request_duration_seconds",
        "rapport_db_pool_size",
        "rapport_db_pool_connections_in_use",
        "rapport_rate_limited_requests",
    } <= set(families)
    samples = families["rapport_http_requests"].samples
    assert any(
        s.labels == {"method": "GET", "route": "/v1/me", "status": "200"} and s.value >= 1
        for s in samples
    )


def test_metrics_can_be_turned_off(database):
    application = create_app(Settings(database_url=database.url, metrics=False), database)
    with http(application, None) as c:
        r = c.get("/metrics")
    assert r.status_code == 404
