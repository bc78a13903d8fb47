"""Scoped API keys: ``scopes`` (a JSON list of read / write / admin) and an optional
``expires_at`` on api_key. Every existing key becomes ["admin"]: what it could do before.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_key") as batch:
        # The server default fills the existing rows, then goes: a new key names its scopes.
        batch.add_column(
            sa.Column("scopes", sa.JSON(), nullable=False, server_default=sa.text("'[\"admin\"]'"))
        )
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("api_key") as batch:
        batch.alter_column("scopes", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("api_key") as batch:
        batch.drop_column("expires_at")
        batch.drop_column("scopes")
