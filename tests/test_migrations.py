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
from sqlalchemy import CheckConstraint, create_engine, inspect, text

from app.contacts.search import SEARCH_TABLE
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
    assert {ix["name"] for ix in inspector.get_indexes("event")} >= EXPECTED_INDEXES
    uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("event")}
    assert ("user_id", "external_id") in uniques
    engine.dispose()


def _constraint_names(engine) -> dict[str, set[str | None]]:
    inspector = inspect(engine)
    names: dict[str, set[str | None]] = {}
    for table in inspector.get_table_names():
        if table == "alembic_version" or table.startswith(SEARCH_TABLE):  # 0016's FTS5
            continue
        names[table] = (
            {inspector.get_pk_constraint(table).get("name")}
            | {fk.get("name") for fk in inspector.get_foreign_keys(table)}
            | {uq.get("name") for uq in inspector.get_unique_constraints(table)}
        )
    return names


def test_0006_names_the_constraints_of_a_database_built_before_the_convention(
    empty_database_url, monkeypatch
):
    """A database migrated to 0005 before app.core.naming existed (PostgreSQL's default
    names, or none on SQLite) ends with the names the models declare, its rows intact."""
    from sqlmodel import SQLModel

    from app.models import metadata

    monkeypatch.setattr(SQLModel.metadata, "naming_convention", {"ix": "ix_%(column_0_label)s"})
    upgrade(empty_database_url, "0005")
    monkeypatch.undo()
    engine = create_engine(empty_database_url)
    before = _constraint_names(engine)
    assert not any(name and name.startswith("fk_") for names in before.values() for name in names)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO workspace (id, name, created_at) VALUES (:id, 'w', :at)"),
            {"id": "0" * 32, "at": "2026-01-01"},
        )
    upgrade(empty_database_url)
    wanted = {
        table.name: {c.name for c in table.constraints if not isinstance(c, CheckConstraint)}
        for table in metadata.sorted_tables
    }
    assert _constraint_names(engine) == wanted
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM workspace")).scalars().all() == ["w"]
    engine.dispose()
