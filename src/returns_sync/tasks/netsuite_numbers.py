"""A NetSuite record's number (tranid), as people know it: from the ledger, else read from NetSuite and kept there.

Numbers are read for many records at once where a read is made anyway (``numbers_missing`` and
``remember_numbers``), and once per record (``netsuite_number``) only for a record those reads missed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.netsuite import RecordRole, RecordType
from returns_sync.domain.netsuite_numbers import NOTED_ROLES
from returns_sync.ledger import NetSuiteRecord
from returns_sync.tasks.netsuite_lookup import ChildRecord
from returns_sync.tasks.runtime import SyncRuntime

__all__ = ["netsuite_number", "noted_type", "numbers_missing", "remember_numbers"]


def noted_type(record: NetSuiteRecord) -> RecordType | None:
    """The record's type if it is one a Loop note names (``NOTED_ROLES``), else None."""
    try:
        role, record_type = RecordRole(record.role), RecordType(record.record_type)
    except ValueError:
        return None
    return record_type if role in NOTED_ROLES else None


def numbers_missing(runtime: SyncRuntime, return_ids: Iterable[str]) -> dict[ExternalId, NetSuiteRecord]:
    """The noted records of these returns whose number the ledger lacks, by externalId (ours only)."""
    with runtime.ledger.session() as repo:
        return {
            external_id: record
            for rid in dict.fromkeys(return_ids)
            for record in repo.netsuite_records(runtime.store, rid)
            if not record.tranid
            and noted_type(record) is not None
            and (external_id := ExternalId.parse_or_none(record.external_id)) is not None
        }


def remember_numbers(
    runtime: SyncRuntime, missing: Mapping[ExternalId, NetSuiteRecord], found: Mapping[ExternalId, ChildRecord]
) -> None:
    """Keep in the ledger the numbers ``found`` for the ``missing`` records: the same NetSuite record only."""
    for external_id, record in missing.items():
        child = found.get(external_id)
        if child is not None and child.tranid and str(child.id) == record.ns_id:
            _keep_number(runtime, record, child.tranid)


def netsuite_number(runtime: SyncRuntime, record: NetSuiteRecord, record_type: RecordType) -> str | None:
    """The record's number: from the ledger, else read once from NetSuite and kept in the ledger."""
    if record.tranid:
        return record.tranid
    body = runtime.netsuite.get_record(record_type, record.ns_id, expand_sub_resources=False, fields=["tranId"])
    tranid = body.get("tranId")
    if not tranid:
        return None
    _keep_number(runtime, record, str(tranid))
    return str(tranid)


def _keep_number(runtime: SyncRuntime, record: NetSuiteRecord, tranid: str) -> None:
    with runtime.ledger.session() as repo:
        repo.record_netsuite_record(
            store=record.store,
            loop_return_id=record.loop_return_id,
            role=RecordRole(record.role),
            record_type=record.record_type,
            ns_id=record.ns_id,
            tranid=tranid,
        )
