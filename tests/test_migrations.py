"""Schema changes go through Alembic only: these prove the migrations build, tear down and
rebuild the schema, and that they agree with the SQLModel tables, on every backend.

The checks come from pytest-alembic, run once per backend against a fresh, empty database.
"""

import pytest
from pytest_alembic.tests import (  # noqa: F401  (collected as tests)
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from sqlalchemy import create_engine, inspect

from app.core.migrate import SCRIPT_LOCATION, downgrade, upgrade
from tests.databases import throwaway_database


@pytest.fixture
def alembic_config():
    return {"script_location": str(SCRIPT_LOCATION)}


@pytest.fixture
def empty_database_url(backend, tmp_path):
    with throwaway_database(backend, tmp_path) as url:
        yield url


@pytest.fixture
def alembic_engine(empty_database_url):
    engine = create_engine(empty_database_url)
    yield engine
    engine.dispose()


EXPECTED_INDEXES = {"ix_event_window", "ix_event_user_time", "ix_event_user_counterpart"}


def test_upgrade_downgrade_upgrade_leaves_full_schema(empty_database_url):
    upgrade(empty_database_url)
    downgrade(empty_database_url, "base")
    engine = create_engine(empty_database_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(empty_database_url)
    inspector = inspect(engine)
    assert {
        "workspace",
        "api_key",
        "app_user",
        "follow_plan",
        "posting_plan",
        "profile",
        "event",
    } <= set(inspector.get_table_names())
    assert EXPECTED_INDEXES <= {ix["name"] for ix in inspector.get_indexes("event")}
    uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("event")}
    assert ("user_id", "external_id") in uniques
    engine.dispose()
