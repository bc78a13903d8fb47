"""GET /v1/users pages a workspace's users oldest first by (created_at, id): the index
(workspace_id, created_at, id) makes each page an index range (a row-value keyset), where
without it every page read and sorted all of the workspace's users.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_app_user_workspace_created", "app_user", ["workspace_id", "created_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_app_user_workspace_created", table_name="app_user")
