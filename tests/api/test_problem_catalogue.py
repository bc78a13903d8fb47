"""The catalogue of problems (app.core.errors): each code once, and everything built from it."""

import pytest

from app.core import errors
from app.core.config import Settings
from app.main import create_app


def test_each_code_is_declared_once_with_its_status_and_title():
    assert len(errors.CATALOGUE) >= 20
    for code, problem in errors.CATALOGUE.items():
        assert problem.code == code and 400 <= problem.status <= 599 and problem.title
    with pytest.raises(ValueError, match="twice"):
        errors.problem("not_found", 404, "Not found again")


def test_a_problem_builds_its_body_error_and_response():
    body = errors.NO_FOLLOW_PLAN.body("none here")
    assert body == {
        "type": "/problems/no_follow_plan",
        "title": "No follow plan",
        "status": 404,
        "detail": "none here",
        "code": "no_follow_plan",
    }
    exc = errors.VALIDATION_ERROR.error("bad", errors=[errors.query_item("from", "is bad")])
    assert (exc.status, exc.code, exc.title) == (422, "validation_error", "Invalid request")
    response = errors.DATABASE_UNAVAILABLE.response()
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    with pytest.raises(ValueError, match="needs a detail"):
        errors.NOT_FOUND.error()


def test_validation_problem_is_the_one_validation_error():
    exc = errors.validation_problem([errors.pointer_item("#/name", "name is required")])
    assert exc.problem is errors.VALIDATION_ERROR
    assert exc.detail == "#/name is required"


def test_the_document_lists_every_code_and_the_configured_body_limit(database):
    document = create_app(
        Settings(database_url=database.url, max_body_bytes=64 * 1024), database
    ).openapi()
    code = document["components"]["schemas"]["ProblemDetails"]["properties"]["code"]
    assert code["enum"] == sorted(errors.CATALOGUE)
    descriptions = {
        op["responses"]["413"]["description"]
        for item in document["paths"].values()
        for op in item.values()
        if "413" in op["responses"]
    }
    assert descriptions == {
        "The body is over the size limit (64 KiB)",
        # The CSV import has a limit of its own (100,000 rows fit).
        "The body is over the size limit of the import (32 MiB)",
    }
