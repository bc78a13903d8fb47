"""§13's headers and the key scopes are in the OpenAPI document, on every operation."""

import json
from pathlib import Path

from tests.conftest import http

OPENAPI = Path(__file__).resolve().parents[2] / "openapi.json"
EVERY_RESPONSE = {"Request-Id", "RateLimit", "RateLimit-Policy"}


def _operations(document):
    for path, item in document["paths"].items():
        for method, op in item.items():
            yield path, method, op


def test_every_authenticated_post_and_patch_takes_an_idempotency_key(app):
    document = app.openapi()
    seen = 0
    for path, method, op in _operations(document):
        names = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
        wanted = method in {"post", "patch"} and bool(op.get("security"))
        assert ("Idempotency-Key" in names) == wanted, (method, path)
        if wanted:
            seen += 1
            (param,) = [p for p in op["parameters"] if p["name"] == "Idempotency-Key"]
            assert param["schema"]["maxLength"] == 255 and not param["required"]
            assert "Idempotent-Replayed" in op["responses"][min(op["responses"])]["headers"]
    assert seen >= 7


def test_every_response_declares_the_request_id_and_rate_limit_headers(app):
    document = app.openapi()
    for path, method, op in _operations(document):
        for status, response in op["responses"].items():
            assert set(response["headers"]) >= EVERY_RESPONSE, (method, path, status)
            if status in {"429", "503"}:
                assert "Retry-After" in response["headers"], (method, path, status)
        assert "429" in op["responses"], (method, path)
    assert set(document["components"]["headers"]) >= EVERY_RESPONSE | {"Retry-After"}


def test_every_authenticated_operation_states_its_scope_and_403(app):
    document = app.openapi()
    for path, method, op in _operations(document):
        if op.get("security"):
            assert op["x-required-scope"] in {"read", "write", "admin"}, (method, path)
            assert "403" in op["responses"], (method, path)
    assert document["paths"]["/v1/api-keys"]["post"]["x-required-scope"] == "admin"
    assert document["paths"]["/v1/users"]["post"]["x-required-scope"] == "write"


def test_the_committed_document_is_the_apps(app):
    assert (
        json.loads(OPENAPI.read_text())["components"]["headers"]
        == (app.openapi()["components"]["headers"])
    )


def test_the_declared_headers_are_the_ones_sent(app, api_key, database):
    from app.core.config import Settings
    from app.main import create_app

    limited = create_app(Settings(database_url=database.url, rate_limit="5/minute"), database)
    limited.dependency_overrides = app.dependency_overrides
    with http(limited, api_key) as c:
        r = c.get("/v1/me")
    assert r.status_code == 200, r.text
    assert {h.lower() for h in EVERY_RESPONSE} <= set(r.headers), r.headers
