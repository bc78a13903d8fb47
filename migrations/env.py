"""Alembic environment: the URL comes from the config (set by app.core.migrate) or RAPPORT_DATABASE_URL."""

from alembic import context
from sqlalchemy import Connection, Engine, create_engine, pool

from app.contacts.search import SEARCH_TABLE, TRIGRAM_INDEX
from app.core.config import get_settings
from app.models import metadata

config = context.config
target_metadata = metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().database_url


def run_migrations_offline() -> None:
    context.configure(
        url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")  # pytest-alembic passes an Engine
    if isinstance(connectable, Connection):
        _run(connectable)
        return
    if isinstance(connectable, Engine):
        with connectable.connect() as connection:
            _run(connection)
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


# Search structures that only the migrations declare (0016): SQLAlchemy's metadata cannot
# state an FTS5 table or an operator-class index, so autogenerate leaves them alone.
MIGRATION_ONLY_TABLES = (SEARCH_TABLE,)  # the FTS5 table and its shadow tables
MIGRATION_ONLY_INDEXES = {TRIGRAM_INDEX}


def _include_object(obj, name, type_, reflected, compare_to) -> bool:
    if type_ == "table" and name and name.startswith(MIGRATION_ONLY_TABLES):
        return False
    return not (type_ == "index" and name in MIGRATION_ONLY_INDEXES)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
