"""Initial ledger schema: links, NetSuite records, returned lines, cursors, intents, quarantine, audit, webhooks.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from returns_sync.ledger.types import JsonDocument, Money, UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.String(64)
_SHORT = sa.String(32)

_PG_APPEND_ONLY_FN = "returns_sync_audit_log_append_only"


def _timestamps() -> list[sa.Column[Any]]:
    return [
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "return_links",
        sa.Column("store", _ID, nullable=False),
        sa.Column("loop_return_id", _ID, nullable=False),
        sa.Column("shopify_order_id", _ID),
        sa.Column("shopify_order_name", _ID),
        sa.Column("ns_customer_id", _SHORT),
        sa.Column("ns_sales_order_id", _SHORT),
        sa.Column("ns_return_authorization_id", _SHORT),
        sa.Column("ns_ra_tranid", _ID),
        sa.Column("exchange_order_name", _ID),
        sa.Column("exchange_ns_sales_order_id", _SHORT),
        sa.Column("loop_state_seen", _SHORT),
        sa.Column("ra_status_seen", _SHORT),
        sa.Column("ra_flag_synced", _ID),
        sa.Column("loop_processed_by_us_at", UTCDateTime()),
        sa.Column("loop_flagged_by_us_at", UTCDateTime()),
        sa.Column("loop_cancelled_by_us_at", UTCDateTime()),
        sa.Column("ra_closed_by_us_at", UTCDateTime()),
        sa.Column("outcome", _SHORT),
        sa.Column("currency", sa.String(3)),
        *_timestamps(),
        sa.PrimaryKeyConstraint("store", "loop_return_id", name="pk_return_links"),
    )
    op.create_index("ix_return_links_ra", "return_links", ["store", "ns_return_authorization_id"])
    op.create_index("ix_return_links_so", "return_links", ["store", "ns_sales_order_id"])

    op.create_table(
        "netsuite_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("store", _ID, nullable=False),
        sa.Column("loop_return_id", _ID, nullable=False),
        sa.Column("role", _SHORT, nullable=False),
        sa.Column("record_type", _ID, nullable=False),
        sa.Column("ns_id", _SHORT, nullable=False),
        sa.Column("tranid", _ID),
        sa.Column("external_id", sa.String(128)),
        sa.Column("total", Money()),
        sa.Column("currency", sa.String(3)),
        sa.Column("created_by", _SHORT, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_netsuite_records"),
        sa.ForeignKeyConstraint(
            ["store", "loop_return_id"],
            ["return_links.store", "return_links.loop_return_id"],
            name="fk_netsuite_records_return",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("created_by IN ('us', 'shopify_connector', 'warehouse')", name="ck_netsuite_records_created_by"),
        sa.UniqueConstraint("store", "loop_return_id", "record_type", "ns_id", name="uq_netsuite_records_return_record"),
    )
    op.create_index(
        "uq_netsuite_records_record_type_external_id",
        "netsuite_records",
        ["record_type", "external_id"],
        unique=True,
        sqlite_where=sa.text("external_id IS NOT NULL"),
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )

    op.create_table(
        "returned_lines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("store", _ID, nullable=False),
        sa.Column("loop_return_id", _ID, nullable=False),
        sa.Column("ns_sales_order_id", _SHORT, nullable=False),
        sa.Column("so_line", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(255), nullable=False),
        sa.Column("ns_item_id", _SHORT),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("received_quantity", sa.Integer(), nullable=False),
        sa.Column("loop_line_item_ids", JsonDocument(), nullable=False),
        sa.Column("status", _SHORT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_returned_lines"),
        sa.ForeignKeyConstraint(
            ["store", "loop_return_id"],
            ["return_links.store", "return_links.loop_return_id"],
            name="fk_returned_lines_return",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("status IN ('open', 'received', 'closed', 'cancelled')", name="ck_returned_lines_status"),
        sa.CheckConstraint("quantity > 0", name="ck_returned_lines_quantity_positive"),
        sa.CheckConstraint(
            "received_quantity >= 0 AND received_quantity <= quantity", name="ck_returned_lines_received_within_quantity"
        ),
        sa.UniqueConstraint("store", "loop_return_id", "ns_sales_order_id", "so_line", name="uq_returned_lines_return_so_line"),
    )
    op.create_index("ix_returned_lines_so", "returned_lines", ["store", "ns_sales_order_id"])

    op.create_table(
        "cursors",
        sa.Column("store", _ID, nullable=False),
        sa.Column("sync", _ID, nullable=False),
        sa.Column("last_value", UTCDateTime()),
        sa.Column("boundary_ids", JsonDocument(), nullable=False),
        sa.Column("run_started_at", UTCDateTime()),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("store", "sync", name="pk_cursors"),
    )

    op.create_table(
        "posting_intents",
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("store", _ID, nullable=False),
        sa.Column("loop_return_id", _ID, nullable=False),
        sa.Column("sync", _ID, nullable=False),
        sa.Column("record_type", _ID, nullable=False),
        sa.Column("status", _SHORT, nullable=False),
        sa.Column("ns_id", _SHORT),
        sa.Column("request_digest", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        *_timestamps(),
        sa.PrimaryKeyConstraint("idempotency_key", name="pk_posting_intents"),
        sa.CheckConstraint("status IN ('pending', 'posted', 'failed', 'skipped')", name="ck_posting_intents_status"),
    )
    op.create_index("ix_posting_intents_store_status", "posting_intents", ["store", "status"])
    op.create_index("ix_posting_intents_return", "posting_intents", ["store", "loop_return_id"])

    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("store", _ID, nullable=False),
        sa.Column("sync", _ID, nullable=False),
        sa.Column("loop_return_id", _ID, nullable=False),
        sa.Column("rule", _ID, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("details", JsonDocument(), nullable=False),
        sa.Column("first_seen", UTCDateTime(), nullable=False),
        sa.Column("last_seen", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("released_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_quarantine"),
    )
    op.create_index(
        "uq_quarantine_open_entry",
        "quarantine",
        ["store", "sync", "loop_return_id"],
        unique=True,
        sqlite_where=sa.text("released_at IS NULL"),
        postgresql_where=sa.text("released_at IS NULL"),
    )
    op.create_index("ix_quarantine_store_sync", "quarantine", ["store", "sync", "released_at"])

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("store", _ID, nullable=False),
        sa.Column("sync", _ID),
        sa.Column("flow_run_id", _ID),
        sa.Column("loop_return_id", _ID),
        sa.Column("action", _ID, nullable=False),
        sa.Column("detail", JsonDocument(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_return", "audit_log", ["store", "loop_return_id"])
    op.create_index("ix_audit_log_at", "audit_log", ["store", "at"])
    _make_audit_log_append_only()

    op.create_table(
        "webhook_deliveries",
        sa.Column("source", _SHORT, nullable=False),
        sa.Column("delivery_id", sa.String(255), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source", "delivery_id", name="pk_webhook_deliveries"),
    )
    op.create_index("ix_webhook_deliveries_received_at", "webhook_deliveries", ["received_at"])


def _make_audit_log_append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION {_PG_APPEND_ONLY_FN}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            f"FOR EACH ROW EXECUTE FUNCTION {_PG_APPEND_ONLY_FN}()"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {_PG_APPEND_ONLY_FN}()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("audit_log")  # its triggers go with it
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {_PG_APPEND_ONLY_FN}()")
    op.drop_table("quarantine")
    op.drop_table("posting_intents")
    op.drop_table("cursors")
    op.drop_table("returned_lines")
    op.drop_table("netsuite_records")
    op.drop_table("return_links")
