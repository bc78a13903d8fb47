"""The names of every constraint and index: SQLAlchemy's naming convention on
SQLModel.metadata.

It must be in place before any table is defined (a name is given when a constraint is
attached to its table), so ``app/__init__.py`` imports this module first. A constraint given
an explicit name keeps it (the unique constraints and the event indexes are named in their
models); every other one, each primary and foreign key, gets its name here, the same on
SQLite and PostgreSQL. Migration 0006 renamed the existing ones.
"""

from sqlmodel import SQLModel

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLModel.metadata.naming_convention = NAMING_CONVENTION
