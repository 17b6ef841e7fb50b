"""The ledger's tables as SQLAlchemy 2 declarative models; the Alembic revisions create the same schema."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from returns_sync.ledger.types import JsonDocument, Money, UTCDateTime, utcnow

__all__ = [
    "VERSION_TABLE",
    "AuditLogRow",
    "Base",
    "CursorRow",
    "NetSuiteRecordRow",
    "PostingIntentRow",
    "QuarantineRow",
    "ReturnLinkRow",
    "ReturnedLineRow",
    "WebhookDeliveryRow",
    "WriteBackRow",
]

# Alembic's bookkeeping table. Not the default "alembic_version": merchants may point the ledger at
# the PostgreSQL database their Prefect server already migrates with that name.
VERSION_TABLE = "returns_sync_schema_version"

_NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_ID = String(64)  # Loop, Shopify and NetSuite ids are strings on the wire; 64 covers gids and UUIDs.
_SHORT = String(32)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=_NAMING)


class _Timestamps:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)


class ReturnLinkRow(_Timestamps, Base):
    """One Loop return and every id it is linked to in Shopify and NetSuite, plus what we last did."""

    __tablename__ = "return_links"

    store: Mapped[str] = mapped_column(_ID, primary_key=True)
    loop_return_id: Mapped[str] = mapped_column(_ID, primary_key=True)
    shopify_order_id: Mapped[str | None] = mapped_column(_ID)
    shopify_order_name: Mapped[str | None] = mapped_column(_ID)
    ns_customer_id: Mapped[str | None] = mapped_column(_SHORT)
    ns_sales_order_id: Mapped[str | None] = mapped_column(_SHORT)
    ns_return_authorization_id: Mapped[str | None] = mapped_column(_SHORT)
    ns_ra_tranid: Mapped[str | None] = mapped_column(_ID)
    exchange_order_name: Mapped[str | None] = mapped_column(_ID)
    exchange_ns_sales_order_id: Mapped[str | None] = mapped_column(_SHORT)
    loop_state_seen: Mapped[str | None] = mapped_column(_SHORT)
    ra_status_seen: Mapped[str | None] = mapped_column(_SHORT)
    ra_flag_synced: Mapped[str | None] = mapped_column(_ID)
    loop_processed_by_us_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    loop_flagged_by_us_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    loop_cancelled_by_us_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ra_closed_by_us_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When refund_sync last found the return waiting (for a receipt, an invoice ...); see tasks/cursors.py.
    refund_wait_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(_SHORT)
    currency: Mapped[str | None] = mapped_column(String(3))

    __table_args__ = (
        Index("ix_return_links_ra", "store", "ns_return_authorization_id"),
        Index("ix_return_links_so", "store", "ns_sales_order_id"),
    )


class NetSuiteRecordRow(Base):
    """A NetSuite record created or linked for a return (RA, IR, credit memo, refunds, deposit, ...)."""

    __tablename__ = "netsuite_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    store: Mapped[str] = mapped_column(_ID, nullable=False)
    loop_return_id: Mapped[str] = mapped_column(_ID, nullable=False)
    role: Mapped[str] = mapped_column(_SHORT, nullable=False)
    record_type: Mapped[str] = mapped_column(_ID, nullable=False)
    ns_id: Mapped[str] = mapped_column(_SHORT, nullable=False)
    tranid: Mapped[str | None] = mapped_column(_ID)
    external_id: Mapped[str | None] = mapped_column(String(128))
    total: Mapped[Decimal | None] = mapped_column(Money())
    currency: Mapped[str | None] = mapped_column(String(3))
    created_by: Mapped[str] = mapped_column(_SHORT, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    __table_args__ = (
        ForeignKeyConstraint(
            ["store", "loop_return_id"],
            ["return_links.store", "return_links.loop_return_id"],
            ondelete="CASCADE",
            name="fk_netsuite_records_return",
        ),
        CheckConstraint("created_by IN ('us', 'shopify_connector', 'warehouse')", name="created_by"),
        UniqueConstraint("store", "loop_return_id", "record_type", "ns_id", name="uq_netsuite_records_return_record"),
        Index(
            "uq_netsuite_records_record_type_external_id",
            "record_type",
            "external_id",
            unique=True,
            sqlite_where=text("external_id IS NOT NULL"),
            postgresql_where=text("external_id IS NOT NULL"),
        ),
    )


class ReturnedLineRow(Base):
    """What one return holds on one original Sales Order line (units of one SKU, grouped)."""

    __tablename__ = "returned_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    store: Mapped[str] = mapped_column(_ID, nullable=False)
    loop_return_id: Mapped[str] = mapped_column(_ID, nullable=False)
    ns_sales_order_id: Mapped[str] = mapped_column(_SHORT, nullable=False)
    so_line: Mapped[int] = mapped_column(Integer, nullable=False)
    sku: Mapped[str] = mapped_column(String(255), nullable=False)
    ns_item_id: Mapped[str | None] = mapped_column(_SHORT)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    received_quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    loop_line_item_ids: Mapped[list[str]] = mapped_column(JsonDocument(), nullable=False, default=list)
    status: Mapped[str] = mapped_column(_SHORT, nullable=False, default="open")

    __table_args__ = (
        ForeignKeyConstraint(
            ["store", "loop_return_id"],
            ["return_links.store", "return_links.loop_return_id"],
            ondelete="CASCADE",
            name="fk_returned_lines_return",
        ),
        CheckConstraint("status IN ('open', 'received', 'closed', 'cancelled')", name="status"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("received_quantity >= 0 AND received_quantity <= quantity", name="received_within_quantity"),
        UniqueConstraint("store", "loop_return_id", "ns_sales_order_id", "so_line", name="uq_returned_lines_return_so_line"),
        Index("ix_returned_lines_so", "store", "ns_sales_order_id"),
    )


class CursorRow(Base):
    """The incremental watermark of one (store, sync)."""

    __tablename__ = "cursors"

    store: Mapped[str] = mapped_column(_ID, primary_key=True)
    sync: Mapped[str] = mapped_column(_ID, primary_key=True)
    last_value: Mapped[datetime | None] = mapped_column(UTCDateTime())
    run_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)


class PostingIntentRow(_Timestamps, Base):
    """A NetSuite create we are about to make, keyed by its externalId, so a rerun never duplicates it."""

    __tablename__ = "posting_intents"

    idempotency_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    store: Mapped[str] = mapped_column(_ID, nullable=False)
    loop_return_id: Mapped[str] = mapped_column(_ID, nullable=False)
    sync: Mapped[str] = mapped_column(_ID, nullable=False)
    record_type: Mapped[str] = mapped_column(_ID, nullable=False)
    status: Mapped[str] = mapped_column(_SHORT, nullable=False, default="pending")
    ns_id: Mapped[str | None] = mapped_column(_SHORT)
    request_digest: Mapped[str] = mapped_column(String(64), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'posted', 'failed', 'skipped')", name="status"),
        Index("ix_posting_intents_store_status", "store", "status"),
        Index("ix_posting_intents_return", "store", "loop_return_id"),
    )


class QuarantineRow(Base):
    """A return a sync refused to post, with the rule it failed; released entries are kept as history."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    store: Mapped[str] = mapped_column(_ID, nullable=False)
    sync: Mapped[str] = mapped_column(_ID, nullable=False)
    loop_return_id: Mapped[str] = mapped_column(_ID, nullable=False)
    rule: Mapped[str] = mapped_column(_ID, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(JsonDocument(), nullable=False, default=dict)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index(
            "uq_quarantine_open_entry",
            "store",
            "sync",
            "loop_return_id",
            unique=True,
            sqlite_where=text("released_at IS NULL"),
            postgresql_where=text("released_at IS NULL"),
        ),
        Index("ix_quarantine_store_sync", "store", "sync", "released_at"),
    )


class AuditLogRow(Base):
    """What a sync did, appended once; the database refuses updates and deletes (see the migration)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    store: Mapped[str] = mapped_column(_ID, nullable=False)
    sync: Mapped[str | None] = mapped_column(_ID)
    flow_run_id: Mapped[str | None] = mapped_column(_ID)
    loop_return_id: Mapped[str | None] = mapped_column(_ID)
    action: Mapped[str] = mapped_column(_ID, nullable=False)
    detail: Mapped[dict[str, Any]] = mapped_column(JsonDocument(), nullable=False, default=dict)

    __table_args__ = (Index("ix_audit_log_return", "store", "loop_return_id"), Index("ix_audit_log_at", "store", "at"))


class WebhookDeliveryRow(Base):
    """A webhook delivery already accepted, so a redelivery is recognised and ignored."""

    __tablename__ = "webhook_deliveries"

    source: Mapped[str] = mapped_column(_SHORT, primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    __table_args__ = (Index("ix_webhook_deliveries_received_at", "received_at"),)


class WriteBackRow(_Timestamps, Base):
    """A NetSuite number written back where people work (a Loop note, a Shopify tag or restock), once each."""

    __tablename__ = "write_backs"

    store: Mapped[str] = mapped_column(_ID, primary_key=True)
    target: Mapped[str] = mapped_column(_SHORT, primary_key=True)
    record_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    loop_return_id: Mapped[str] = mapped_column(_ID, nullable=False)
    status: Mapped[str] = mapped_column(_SHORT, nullable=False, default="pending")
    content: Mapped[str] = mapped_column(Text, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'written')", name="status"),
        Index("ix_write_backs_store_status", "store", "target", "status"),
    )
