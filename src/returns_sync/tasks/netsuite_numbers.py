"""A NetSuite record's number (tranid), as people know it: from the ledger, else read once from NetSuite."""

from __future__ import annotations

from returns_sync.domain.netsuite import RecordRole, RecordType
from returns_sync.ledger import NetSuiteRecord
from returns_sync.tasks.runtime import SyncRuntime

__all__ = ["netsuite_number"]


def netsuite_number(runtime: SyncRuntime, record: NetSuiteRecord, record_type: RecordType) -> str | None:
    """The record's number: from the ledger, else read once from NetSuite and kept in the ledger."""
    if record.tranid:
        return record.tranid
    body = runtime.netsuite.get_record(record_type, record.ns_id, expand_sub_resources=False, fields=["tranId"])
    tranid = body.get("tranId")
    if not tranid:
        return None
    with runtime.ledger.session() as repo:
        repo.record_netsuite_record(
            store=record.store,
            loop_return_id=record.loop_return_id,
            role=RecordRole(record.role),
            record_type=record_type,
            ns_id=record.ns_id,
            tranid=str(tranid),
        )
    return str(tranid)
