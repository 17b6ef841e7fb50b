"""Add ``write_backs``: which NetSuite numbers were written to Loop notes and Shopify orders, so none is written twice.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from returns_sync.ledger.types import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "write_backs",
        sa.Column("store", sa.String(64), nullable=False),
        sa.Column("target", sa.String(32), nullable=False),
        sa.Column("record_key", sa.String(128), nullable=False),
        sa.Column("loop_return_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("store", "target", "record_key", name="pk_write_backs"),
        sa.CheckConstraint("status IN ('pending', 'written')", name="ck_write_backs_status"),
    )
    op.create_index("ix_write_backs_store_status", "write_backs", ["store", "target", "status"])


def downgrade() -> None:
    op.drop_index("ix_write_backs_store_status", table_name="write_backs")
    op.drop_table("write_backs")
