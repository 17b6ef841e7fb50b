"""Drop ``cursors.boundary_ids``: windows re-read an overlap before the watermark and every step is idempotent.

Revision ID: 0002
Revises: 0001
Create Date: 2026-01-15
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from returns_sync.ledger.types import JsonDocument

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cursors") as batch:
        batch.drop_column("boundary_ids")


def downgrade() -> None:
    with op.batch_alter_table("cursors") as batch:
        batch.add_column(sa.Column("boundary_ids", JsonDocument(), nullable=False, server_default="[]"))
