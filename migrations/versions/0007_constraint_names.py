"""Every primary key, foreign key and unique constraint gets the name of the naming
convention (app.core.naming), the same on both databases: pk_<table>,
fk_<table>_<columns>_<referred table>, uq_<table>_<columns>. Constraints that had an explicit
name (uq_user_workspace_external, pk_event_day_count, ...) keep it; indexes already had
their names (ix_<table>_<column> or explicit).

Databases migrated before the convention have PostgreSQL's default names (workspace_pkey,
api_key_workspace_id_fkey, workspace_name_key) or, on SQLite, no names at all. The names
found are read from the database: PostgreSQL renames each constraint that differs
(ALTER TABLE … RENAME CONSTRAINT, which renames its index too); SQLite cannot rename a
constraint, so a table with an unnamed or differently named one is rebuilt in batch mode
(copy, drop, rename), which gives every reflected constraint its convention name. A
database built since (0001 onwards create the conventional names, as Alembic applies the
target metadata's convention) has nothing to change.

Downgrade changes nothing: these names are what 0001–0005 create now.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The convention as it stands at this revision (a copy: later changes to the app's must not
# change what this migration does).
_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
_TABLES = (
    "workspace",
    "api_key",
    "app_user",
    "follow_plan",
    "posting_plan",
    "profile",
    "event",
    "event_day_count",
)
# The unique constraints that never had an explicit name (unique=True columns).
_UNNAMED_UNIQUES = {"workspace": [("name",)], "api_key": [("key_hash",)]}


def _renames(inspector: sa.Inspector, table: str) -> list[tuple[str | None, str]]:
    """(name found, conventional name) of each constraint of ``table`` whose name differs."""
    found: list[tuple[str | None, str]] = []
    pk = inspector.get_pk_constraint(table)
    if not (pk.get("name") or "").startswith("pk_"):
        found.append((pk.get("name"), f"pk_{table}"))
    for fk in inspector.get_foreign_keys(table):
        wanted = f"fk_{table}_{'_'.join(fk['constrained_columns'])}_{fk['referred_table']}"
        if fk.get("name") != wanted:
            found.append((fk.get("name"), wanted))
    unnamed = _UNNAMED_UNIQUES.get(table, [])
    for uq in inspector.get_unique_constraints(table):
        columns = tuple(uq["column_names"])
        wanted = f"uq_{table}_{'_'.join(columns)}"
        if columns in unnamed and uq.get("name") != wanted:
            found.append((uq.get("name"), wanted))
    return found


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    for table in _TABLES:
        renames = _renames(inspector, table)
        if not renames:
            continue
        if bind.dialect.name == "sqlite":
            # Rebuilt with the convention applied to the reflected (unnamed) constraints.
            with op.batch_alter_table(table, recreate="always", naming_convention=_CONVENTION):
                pass
            continue
        for old, new in renames:
            op.execute(sa.text(f'ALTER TABLE "{table}" RENAME CONSTRAINT "{old}" TO "{new}"'))


def downgrade() -> None:
    pass
