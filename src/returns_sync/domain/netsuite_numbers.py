"""NetSuite numbers shown where people work: which records are named, and the words that name them."""

from __future__ import annotations

from returns_sync.domain.netsuite import RecordRole, RecordType

__all__ = [
    "BACK_TO_STOCK",
    "NOTED_ROLES",
    "RECORD_LABELS",
    "loop_note_text",
    "record_key",
    "restock_operation_id",
    "shopify_rma_note_line",
    "shopify_rma_tag",
]

# Records a person in Loop asks about: the RA, each receipt, and the documents that refund or settle.
# Deposits and payments for upsells are money in, not the return's refund; close_ra is no record of its own.
NOTED_ROLES = frozenset(
    {
        RecordRole.RA,
        RecordRole.IR,
        RecordRole.CM,
        RecordRole.CR,
        RecordRole.CREF,
        RecordRole.DEPAPP,
        RecordRole.FEE,
        RecordRole.CONNECTOR_REFUND,
    }
)

RECORD_LABELS: dict[RecordType, str] = {
    RecordType.RETURN_AUTHORIZATION: "Return Authorization",
    RecordType.ITEM_RECEIPT: "Item Receipt",
    RecordType.CREDIT_MEMO: "Credit Memo",
    RecordType.CASH_REFUND: "Cash Refund",
    RecordType.CUSTOMER_REFUND: "Customer Refund",
    RecordType.DEPOSIT_APPLICATION: "Deposit Application",
    RecordType.JOURNAL_ENTRY: "Journal Entry",
    RecordType.CUSTOMER_DEPOSIT: "Customer Deposit",
    RecordType.CUSTOMER_PAYMENT: "Customer Payment",
    RecordType.CASH_SALE: "Cash Sale",
    RecordType.INVOICE: "Invoice",
    RecordType.SALES_ORDER: "Sales Order",
}


def record_key(record_type: RecordType, ns_id: str) -> str:
    """One NetSuite record, as the ledger keys its write-backs (internal ids are unique per record type).

    Example:
        >>> record_key(RecordType.CREDIT_MEMO, "913")
        'creditMemo:913'
    """
    return f"{record_type.value}:{ns_id}"


def loop_note_text(record_type: RecordType, tranid: str, ns_id: str) -> str:
    """The Loop note naming one NetSuite record; short, because Loop takes notes under 255 characters.

    Example:
        >>> loop_note_text(RecordType.RETURN_AUTHORIZATION, "RMA1042", "812")
        'NetSuite Return Authorization RMA1042 (internal id 812)'
    """
    return f"NetSuite {RECORD_LABELS[record_type]} {tranid} (internal id {ns_id})"


def shopify_rma_tag(tranid: str) -> str:
    """The order tag naming the RA (Shopify tags are short labels; the note line says more).

    Example:
        >>> shopify_rma_tag("RMA1042")
        'NetSuite RMA1042'
    """
    return f"NetSuite {tranid}"


def shopify_rma_note_line(tranid: str, loop_return_id: str) -> str:
    """The line appended to the Shopify order note for one RA.

    Example:
        >>> shopify_rma_note_line("RMA1042", "7001")
        'NetSuite Return Authorization RMA1042 for Loop return 7001'
    """
    return f"NetSuite Return Authorization {tranid} for Loop return {loop_return_id}"


# Loop disposition outcomes that put a unit back on the shelf; anything else (dispose, donate, return to
# vendor, or none recorded yet) is not sellable stock, so it is never added to Shopify.
BACK_TO_STOCK = frozenset({"restock"})


def restock_operation_id(store: str, loop_return_id: str, loop_line_item_id: str) -> str:
    """Names one unit's restock for good; Shopify's ``@idempotent`` key is derived from it.

    Example:
        >>> restock_operation_id("north", "7001", "3")
        'loop-north-7001-restock-3'
    """
    return f"loop-{store}-{loop_return_id}-restock-{loop_line_item_id}"
