"""Add ``return_links.refund_wait_checked_at``: when refund_sync last found the return waiting.

A waiting return is then looked at again only when something about it changed, or after a bounded wait,
instead of being read from Loop and NetSuite on every run (issue 12).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from returns_sync.ledger.types import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("return_links") as batch:
        batch.add_column(sa.Column("refund_wait_checked_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("return_links") as batch:
        batch.drop_column("refund_wait_checked_at")
