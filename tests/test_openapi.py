"""openapi.json at the repository root is what the app serves; `make openapi` rewrites it."""

import json
import re
from collections import Counter
from importlib.metadata import version
from pathlib import Path

from openapi_spec_validator import validate

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


def test_operation_ids_are_short_camel_case_and_unique():
    document = json.loads(COMMITTED.read_text())
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)*", i) for i in ids), ids
    for expected in ("createUser", "listEvents", "getPacing", "recordEvents", "importEvents"):
        assert expected in ids


def test_public_text_has_no_spec_sections_and_the_version_is_the_package_s():
    text = COMMITTED.read_text()
    assert "§" not in text
    document = json.loads(text)
    assert document["info"]["version"] == version("rapport")


def test_fields_with_defaults_are_optional_for_callers():
    schemas = json.loads(COMMITTED.read_text())["components"]["schemas"]
    event = schemas["EventIn"]
    assert event["required"] == ["platform", "kind", "occurred_at"]
    for name in ("direction", "is_sales"):
        assert "default" not in event["properties"][name]
        assert "Default:" in event["properties"][name]["description"]
    # Responses keep their defaults (always present there).
    assert "required" in schemas["EventPublic"]


def test_every_enum_is_declared_once():
    document = json.loads(COMMITTED.read_text())
    enums = [tuple(n["enum"]) for n in _walk(document) if "enum" in n]
    repeated = {e[:3] for e, count in Counter(enums).items() if count > 1}
    assert not repeated, repeated


def test_the_committed_document_is_valid_openapi():
    validate(json.loads(COMMITTED.read_text()))
