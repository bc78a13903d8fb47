"""openapi.json at the repository root is what the app serves; `make openapi` rewrites it."""

import json
from pathlib import Path

from app.main import create_app

COMMITTED = Path(__file__).resolve().parent.parent / "openapi.json"


def test_committed_openapi_matches_app():
    served = json.loads(json.dumps(create_app().openapi()))
    committed = json.loads(COMMITTED.read_text())
    assert committed == served, (
        "openapi.json drifted from the app: run `make openapi` and commit it"
    )


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_shared_vocabularies_are_components_written_once():
    document = json.loads(COMMITTED.read_text())
    schemas = document["components"]["schemas"]
    for name in ("Platform", "Kind", "Direction", "Weekday", "Stage", "PaceStatus", "TimeZone"):
        assert "enum" in schemas[name], name
        inline = [n for n in _walk(document["paths"]) if n.get("enum") == schemas[name]["enum"]]
        assert not inline, f"{name} is repeated inline instead of a $ref"
    assert (
        "Europe/Berlin" in schemas["TimeZone"]["enum"]
        and "localtime" not in schemas["TimeZone"]["enum"]
    )


def test_rules_the_server_enforces_are_in_the_document():
    document = json.loads(COMMITTED.read_text())
    params = {
        (p["name"], path): p
        for path, item in document["paths"].items()
        for op in item.values()
        for p in op.get("parameters", [])
    }
    assert params[("week", "/v1/users/{user_id}/report")]["schema"]["anyOf"][0][
        "pattern"
    ].startswith("^(19")
    assert "pattern" in params[("cursor", "/v1/users")]["schema"]["anyOf"][0]
    event = document["components"]["schemas"]["EventIn"]
    assert event["if"]["properties"]["is_sales"] == {"const": True}
    assert "24 hours" in event["properties"]["occurred_at"]["description"]
    assert all(
        "422" in op["responses"] for item in document["paths"].values() for op in item.values()
    )
