"""Alembic, driven from code: `rapport serve` and the tests migrate the same way."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, pool, text

import migrations

SCRIPT_LOCATION = Path(migrations.__file__).parent


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


# Any constant: the key of the PostgreSQL advisory lock that serialises migrations.
_MIGRATION_LOCK = 0x7261_7070_6F72_74  # "rapport"


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate to ``revision``. Replicas starting together on one PostgreSQL database take
    turns: one migrates, the others wait for its lock and then find nothing to do."""
    config = alembic_config(url)
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                # A transaction's lock, held until the commit after the migrations (they run
                # in this transaction): PgBouncer's transaction pooling keeps it on one
                # server connection, where a session lock would outlive this client.
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
                )
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            connection.commit()
    finally:
        engine.dispose()


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)
