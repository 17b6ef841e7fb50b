"""Plain, immutable snapshots of ledger rows that callers keep after the transaction has ended."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

__all__ = [
    "AuditEntry",
    "CreatedBy",
    "IntentStatus",
    "LineStatus",
    "NetSuiteRecord",
    "PostingIntent",
    "QuarantineEntry",
    "ReturnLink",
    "ReturnedLine",
    "WriteBack",
    "WriteBackStatus",
    "WriteBackTarget",
    "snapshot",
]


class CreatedBy(StrEnum):
    US = "us"
    SHOPIFY_CONNECTOR = "shopify_connector"
    WAREHOUSE = "warehouse"


class LineStatus(StrEnum):
    OPEN = "open"
    RECEIVED = "received"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class IntentStatus(StrEnum):
    """``pending``: begun, outcome unknown (look the externalId up before retrying); ``posted``: created;
    ``failed``: NetSuite refused it, nothing was created; ``skipped``: deliberately not posted."""

    PENDING = "pending"
    POSTED = "posted"
    FAILED = "failed"
    SKIPPED = "skipped"


class WriteBackTarget(StrEnum):
    """Where a NetSuite number is written back."""

    LOOP_NOTE = "loop_note"
    SHOPIFY_ORDER_TAG = "shopify_order_tag"
    SHOPIFY_RESTOCK = "shopify_restock"


class WriteBackStatus(StrEnum):
    """``pending``: begun, maybe sent (look for it before sending again); ``written``: in place."""

    PENDING = "pending"
    WRITTEN = "written"


@dataclass(frozen=True)
class WriteBack:
    store: str
    target: WriteBackTarget
    record_key: str
    loop_return_id: str
    status: WriteBackStatus
    content: str
    attempts: int = 0
    last_error: str | None = None
    updated_at: datetime | None = None  # when it was begun, or last claimed, renewed or released

    def __post_init__(self) -> None:
        # Rows hold plain text; callers compare against the enums.
        object.__setattr__(self, "target", WriteBackTarget(self.target))
        object.__setattr__(self, "status", WriteBackStatus(self.status))


@dataclass(frozen=True)
class ReturnLink:
    store: str
    loop_return_id: str
    shopify_order_id: str | None = None
    shopify_order_name: str | None = None
    ns_customer_id: str | None = None
    ns_sales_order_id: str | None = None
    ns_return_authorization_id: str | None = None
    ns_ra_tranid: str | None = None
    exchange_order_name: str | None = None
    exchange_ns_sales_order_id: str | None = None
    loop_state_seen: str | None = None
    ra_status_seen: str | None = None
    ra_flag_synced: str | None = None
    loop_processed_by_us_at: datetime | None = None
    loop_flagged_by_us_at: datetime | None = None
    loop_cancelled_by_us_at: datetime | None = None
    ra_closed_by_us_at: datetime | None = None
    refund_wait_checked_at: datetime | None = None
    outcome: str | None = None
    currency: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class NetSuiteRecord:
    store: str
    loop_return_id: str
    role: str  # a RecordRole value (returns_sync.domain.netsuite)
    record_type: str
    ns_id: str
    tranid: str | None = None
    external_id: str | None = None
    total: Decimal | None = None
    currency: str | None = None
    created_by: str = CreatedBy.US
    created_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True)
class ReturnedLine:
    """Units of one SKU a return holds on one SO line. Build these to pass to ``set_returned_lines``."""

    so_line: int
    sku: str
    quantity: int
    ns_item_id: str | None = None
    received_quantity: int = 0
    loop_line_item_ids: list[str] = field(default_factory=list)
    status: str = LineStatus.OPEN
    store: str | None = None
    loop_return_id: str | None = None
    ns_sales_order_id: str | None = None


@dataclass(frozen=True)
class PostingIntent:
    idempotency_key: str
    store: str
    loop_return_id: str
    sync: str
    record_type: str
    status: str
    request_digest: str
    ns_id: str | None = None
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def is_posted(self) -> bool:
        return self.status == IntentStatus.POSTED


@dataclass(frozen=True)
class QuarantineEntry:
    store: str
    sync: str
    loop_return_id: str
    rule: str
    reason: str
    details: dict[str, Any]
    first_seen: datetime
    last_seen: datetime
    attempts: int
    released_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    store: str
    action: str
    detail: dict[str, Any]
    sync: str | None = None
    flow_run_id: str | None = None
    loop_return_id: str | None = None


if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_T = TypeVar("_T", bound="DataclassInstance")


def snapshot(cls: type[_T], row: Any) -> _T:
    """Copy the columns of ORM ``row`` that ``cls`` declares into a new ``cls`` (JSON values deep-copied)."""
    values = {f.name: getattr(row, f.name) for f in dataclasses.fields(cls)}
    return cls(**{k: copy.deepcopy(v) if isinstance(v, (list, dict)) else v for k, v in values.items()})
