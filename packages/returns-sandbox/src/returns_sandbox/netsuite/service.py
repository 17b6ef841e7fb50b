"""The record service's operations (get, list, create, update, upsert, delete, transform) on canonical records, no HTTP."""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from returns_sandbox.netsuite import errors
from returns_sandbox.netsuite.approval import PENDING_APPROVAL, ra_requires_approval
from returns_sandbox.netsuite.bodies import Changes, finalize_lines, merge_lines, normalize_body
from returns_sandbox.netsuite.constants import MAX_PAGE_SIZE, RECORD_SPECS, RecordSpec, canonical_record_type
from returns_sandbox.netsuite.filters import compile_filter
from returns_sandbox.netsuite.journals import prepare_journal
from returns_sandbox.netsuite.payments import (
    apply_credit_memo,
    apply_deposit,
    credit_memo_amounts,
    invoice_amounts,
    prepare_payment,
    undo_payment,
)
from returns_sandbox.netsuite.records import RecordStore
from returns_sandbox.netsuite.status import ra_status, so_status, undo_source_effects
from returns_sandbox.netsuite.transforms import TRANSFORMS, build
from returns_sandbox.netsuite.values import custom_value_text, dec

__all__ = ["RecordService"]

_TRANSFORMED_LINE_FIELDS = ("quantity", "item", "orderLine")


class RecordService:
    """NetSuite's record operations over a ``RecordStore``; the caller holds the lock and commits or rolls back."""

    def __init__(self, store: RecordStore, now: Callable[[], datetime]) -> None:
        self.store = store
        self.now = now

    # ---- addressing -----------------------------------------------------------------------------------
    @staticmethod
    def spec(name: str) -> RecordSpec:
        canonical = canonical_record_type(name)
        if canonical is None:
            raise errors.unknown_record_type(name)
        return RECORD_SPECS[canonical]

    def resolve(self, spec: RecordSpec, key: str | int) -> int:
        """Internal id of ``key`` (``"42"`` or ``"eid:loop-north-1-ra"``); 404 NONEXISTENT_ID when absent."""
        text = str(key)
        if text.lower().startswith("eid:"):
            found = self.store.find_external(spec, text[4:])
            if found is None:
                raise errors.not_found()
            return found
        if not text.isdigit() or not self.store.type_of_id(spec, int(text)):
            if spec.kind == "transaction" and text.isdigit() and self.store.is_transaction(int(text)):
                raise errors.wrong_transaction_type()
            raise errors.not_found()
        return int(text)

    def _stamp(self) -> tuple[str, str]:
        moment = self.now()
        return moment.strftime("%Y-%m-%d %H:%M:%S"), moment.date().isoformat()

    # ---- reads ----------------------------------------------------------------------------------------
    def get(self, spec: RecordSpec, key: str | int) -> dict[str, Any]:
        return self.store.require(spec, self.resolve(spec, key))

    def list(self, spec: RecordSpec, *, q: str | None, limit: int, offset: int) -> tuple[list[int], int]:
        """One page of ids (ascending) and the total matching ``q``."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise errors.invalid_parameter(
                f"The value of the limit query parameter must be between 1 and {MAX_PAGE_SIZE}.", query_param="limit"
            )
        if offset < 0:
            raise errors.invalid_parameter("The value of the offset query parameter must not be negative.", query_param="offset")
        ids = self.store.ids(spec)
        if q:
            table = {"transaction": "transaction", "customer": "customer", "item": "item"}.get(spec.kind)
            prefix = {"transaction": "custbody_", "customer": "custentity_", "item": "custitem_"}.get(spec.kind, "")
            custom = self.store.custom_fields(table, prefix) if table else set()
            predicate = compile_filter(spec, q, custom)
            ids = [rid for rid in ids if predicate(self.store.require(spec, rid))]
        return ids[offset : offset + limit], len(ids)

    # ---- writes ---------------------------------------------------------------------------------------
    def create(self, spec: RecordSpec, body: Any, *, strict: bool = True, external_id: str | None = None) -> int:
        if not spec.creatable:
            if spec.name == "itemReceipt":
                raise errors.user_error(
                    "Item receipts can only be created by transforming a return authorization "
                    "(POST /record/v1/returnAuthorization/{id}/!transform/itemReceipt)."
                )
            raise errors.NetSuiteError(405, "INVALID_OPERATION", f"The create operation is not supported for {spec.name}.")
        changes = normalize_body(self.store, spec, body, creating=True, strict=strict)
        if external_id is not None:
            body_eid = changes.body.get("externalId")
            if body_eid is not None and body_eid != external_id:
                raise errors.invalid_value("externalId", body_eid, "externalId")
            changes.body["externalId"] = external_id
        record: dict[str, Any] = {"recordType": spec.name}
        for sublist in spec.sublists:
            merged, _, _ = merge_lines([], changes.sublists.get(sublist, []), replace=False, sublist=sublist)
            record[sublist] = merged
        return self._insert(spec, record, changes, source=None)

    def transform(
        self, from_spec: RecordSpec, key: str | int, to_name: str, body: Any, *, strict: bool = True, replace: Iterable[str] = ()
    ) -> int:
        to_spec = self.spec(to_name)
        source = self.store.require(from_spec, self.resolve(from_spec, key))
        if (from_spec.name, to_spec.name) not in TRANSFORMS:
            raise errors.user_error(f"Transformation from {from_spec.name} to {to_spec.name} is not supported.")
        changes = normalize_body(self.store, to_spec, body if body is not None else {}, creating=True, strict=strict)
        if "createdFrom" in changes.body:
            raise errors.readonly_field("createdFrom", "createdFrom")
        record, updated_source = build(self.store, from_spec.name, source, to_spec.name, changes, replace="item" in set(replace))
        return self._insert(to_spec, record, changes, source=updated_source or source)

    def _insert(self, spec: RecordSpec, record: dict[str, Any], changes: Changes, *, source: dict[str, Any] | None) -> int:
        now_text, today = self._stamp()
        status_request = changes.body.pop("orderStatus", None)
        for name, value in changes.body.items():
            if value is None:
                record.pop(name, None)
            else:
                record[name] = value
        if status_request is not None:
            if spec.name not in ("returnAuthorization", "salesOrder") or status_request not in ("A", "B"):
                raise errors.invalid_value("orderStatus", status_request, "orderStatus")
            record["status"] = status_request
        external_id = record.get("externalId")
        if external_id is not None and self.store.find_external(spec, external_id) is not None:
            raise errors.duplicate_external_id(external_id)
        record["id"] = self.store.next_id(spec)
        if spec.kind == "transaction":
            self._transaction_defaults(spec, record, today)
            if spec.name == "returnAuthorization" and status_request is None:
                # The account's "Default Return Authorization Status" preference (approval.py).
                if ra_requires_approval(self.store, record.get("subsidiary")):
                    record["status"] = PENDING_APPROVAL
        else:
            self._entity_defaults(spec, record)
        if spec.kind == "customer":
            record.setdefault("dateCreated", now_text)
        else:
            record.setdefault("createdDate", now_text)
        record["lastModifiedDate"] = now_text
        if "apply" in changes.sublists and "apply" not in record:  # a transform builds only the item lines
            record["apply"], _, _ = merge_lines([], changes.sublists["apply"], replace=False, sublist="apply")
            for line in record["apply"]:
                line.pop("_changed", None)
        if spec.name in ("customerRefund", "customerPayment", "customerDeposit"):
            effects = prepare_payment(self.store, record)
        elif spec.name == "creditMemo" and record.get("apply"):
            effects = apply_credit_memo(self.store, record)
        elif spec.name == "depositApplication" and source is not None:
            effects = apply_deposit(self.store, record, source)
        else:
            effects = []
        self.store.save(record)
        if source is not None:
            source["lastModifiedDate"] = now_text
            self.store.save(source)
            for line in record.get("item") or []:
                if line.get("orderLine") is not None:
                    self.store.link(source, line["orderLine"], record, line["line"])
        for doc, doc_line, changed in effects:
            if changed:
                doc["lastModifiedDate"] = now_text
                self.store.save(doc)
            self.store.link(doc, doc_line, record, None)
        return int(record["id"])

    def _transaction_defaults(self, spec: RecordSpec, record: dict[str, Any], today: str) -> None:
        if spec.name == "journalEntry":
            prepare_journal(self.store, record)
            record.setdefault("tranDate", today)
            if record.get("tranId") is None:
                record["tranId"] = self._next_tranid(spec)
            for line in record.get("line") or []:
                line.pop("_changed", None)
            return
        entity = record.get(spec.entity_field)
        if entity is None:
            raise errors.missing_value("Customer", spec.entity_field)
        customer = self.store.load(RECORD_SPECS["customer"], entity) or {}
        record.setdefault("subsidiary", customer.get("subsidiary"))
        if record.get("currency") is None:
            record["currency"] = customer.get("currency")
        record.setdefault("tranDate", today)
        if record.get("tranId") is None:
            record["tranId"] = self._next_tranid(spec)
        if "item" in spec.sublists:
            if spec.name != "itemReceipt":
                finalize_lines(self.store, record)
            else:
                for line in record["item"]:
                    line.pop("_changed", None)
        for line in record.get("apply") or []:
            line.pop("_changed", None)
        currency = self.store.currency_symbol(record.get("currency"))
        defaults = {"salesOrder": "B", "returnAuthorization": "B", "cashSale": "B"}
        if spec.name in defaults:
            record.setdefault("status", defaults[spec.name])
        if spec.name in ("salesOrder", "returnAuthorization"):
            for line in record["item"]:
                line["isClosed"] = bool(line.get("isClosed", False))
                for field in (
                    ("quantityFulfilled", "quantityBilled")
                    if spec.name == "salesOrder"
                    else ("quantityReceived", "quantityBilled")
                ):
                    line.setdefault(field, "0")
        if spec.name == "creditMemo":
            record.setdefault("account", self.store.account_for("ar"))
            record.setdefault("applied", "0")
            credit_memo_amounts(record, currency)
        elif spec.name == "invoice":
            record.setdefault("account", self.store.account_for("ar"))
            record.setdefault("amountPaid", "0")
            invoice_amounts(record, currency)
        elif spec.name in ("cashRefund", "cashSale"):
            record.setdefault("account", self.store.account_for("undeposited_funds"))

    def _next_tranid(self, spec: RecordSpec) -> str:
        while True:
            candidate = f"{spec.tranid_prefix}{self.store.next_number(spec.tranid_prefix or spec.name, 1001)}"
            if self.store.row('SELECT 1 FROM "transaction" WHERE type = ? AND tranid = ?', (spec.type_code, candidate)) is None:
                return candidate

    def _entity_defaults(self, spec: RecordSpec, record: dict[str, Any]) -> None:
        if spec.kind == "customer":
            if record.get("entityId") is None:
                name = " ".join(x for x in (record.get("firstName"), record.get("lastName")) if x)
                record["entityId"] = name or record.get("companyName") or record.get("email") or f"Customer {record['id']}"
            if record.get("subsidiary") is None:
                first = self.store.row("SELECT id FROM subsidiary ORDER BY id LIMIT 1")
                record["subsidiary"] = None if first is None else int(first["id"])
            if record.get("currency") is None and record.get("subsidiary") is not None:
                found = self.store.row("SELECT currency FROM subsidiary WHERE id = ?", (record["subsidiary"],))
                record["currency"] = None if found is None else found["currency"]
            record.setdefault("isInactive", False)
        elif spec.kind == "item":
            if not record.get("itemId"):
                raise errors.missing_value("Item Name/Number", "itemId")
            record.setdefault("isInactive", False)
            record.setdefault("incomeAccount", self.store.account_for("income"))
            if spec.name == "inventoryItem":
                record.setdefault("assetAccount", self.store.account_for("inventory"))
                record.setdefault("cogsAccount", self.store.account_for("cogs"))
        elif spec.name == "giftCertificate":
            if not record.get("giftCertCode"):
                raise errors.missing_value("Gift Certificate Code", "giftCertCode")
            record.setdefault("amountRemaining", record.get("originalAmount", "0"))

    def update(self, spec: RecordSpec, key: str | int, body: Any, *, strict: bool = True, replace: Iterable[str] = ()) -> int:
        if not spec.writable:
            raise errors.NetSuiteError(405, "INVALID_OPERATION", f"The update operation is not supported for {spec.name}.")
        rid = self.resolve(spec, key)
        record = self.store.require(spec, rid)
        changes = normalize_body(self.store, spec, body, creating=False, strict=strict)
        if spec.name in ("customerRefund", "customerPayment", "customerDeposit") and (
            changes.sublists or {"payment", "customer", "salesOrder"} & set(changes.body)
        ):
            raise errors.user_error(
                f"The amounts and documents of a {spec.label.lower()} cannot be changed; delete it and create a new one."
            )
        if spec.name == "creditMemo" and "apply" in changes.sublists:
            # Kept simple on purpose: applications are made when the memo is created; re-applying is not emulated.
            raise errors.user_error("The emulator applies a credit memo only when it is created; create a new one instead.")
        new_eid = changes.body.get("externalId")
        if new_eid is not None and new_eid != record.get("externalId"):
            found = self.store.find_external(spec, new_eid)
            if found is not None and found != rid:
                raise errors.duplicate_external_id(new_eid)
        requested_status = changes.body.pop("orderStatus", None)
        for name, value in changes.body.items():
            if value is None:
                record.pop(name, None)
            else:
                record[name] = value
        if requested_status is not None:
            self._change_order_status(spec, record, requested_status)
        replace = set(replace)
        for sublist in spec.sublists:
            if sublist not in changes.sublists:
                continue
            merged, removed, touched = merge_lines(
                record.get(sublist) or [], changes.sublists.get(sublist, []), replace=sublist in replace, sublist=sublist
            )
            self._check_line_edits(spec, record, removed, touched)
            record[sublist] = merged
        if "item" in spec.sublists and spec.name != "itemReceipt":
            finalize_lines(self.store, record)
        for sublist in spec.sublists:
            for line in record.get(sublist) or []:
                line.pop("_changed", None)
        currency = self.store.currency_symbol(record.get("currency"))
        if spec.name == "returnAuthorization":
            record["status"] = ra_status(record)
        elif spec.name == "salesOrder":
            record["status"] = so_status(record)
        elif spec.name == "creditMemo":
            credit_memo_amounts(record, currency)
        elif spec.name == "invoice":
            invoice_amounts(record, currency)
        record["lastModifiedDate"] = self._stamp()[0]
        self.store.save(record)
        return rid

    def _change_order_status(self, spec: RecordSpec, record: dict[str, Any], letter: str) -> None:
        current = record.get("status")
        if spec.name not in ("returnAuthorization", "salesOrder"):
            raise errors.unknown_field("orderStatus", spec.name, "orderStatus")
        if letter == current:
            return
        if current == "A" and letter in ("B", "C"):
            record["status"] = letter if letter == "C" else "B"
            return
        raise errors.user_error(
            f"You cannot change the status of this {spec.label.lower()} from {current} to {letter}.", path="orderStatus"
        )

    @staticmethod
    def _check_line_edits(
        spec: RecordSpec,
        record: dict[str, Any],
        removed: builtins.list[dict[str, Any]],  # builtins': this class has a list() method
        touched: builtins.list[dict[str, Any]],
    ) -> None:
        for line in removed:
            if (
                dec(line.get("quantityReceived")) > 0
                or dec(line.get("quantityBilled")) > 0
                or dec(line.get("quantityFulfilled")) > 0
            ):
                raise errors.user_error(f"Line {line['line']} cannot be removed because other transactions depend on it.")
        for line in touched:
            changed = line.get("_changed", set())
            if (
                record.get("createdFrom") is not None
                and spec.name not in ("returnAuthorization",)
                and line.get("orderLine") is not None
            ):
                if changed & set(_TRANSFORMED_LINE_FIELDS):
                    raise errors.user_error(
                        f"Line {line['line']} was created from another transaction; its "
                        f"{sorted(changed & set(_TRANSFORMED_LINE_FIELDS))[0]} cannot be changed."
                    )
            floor = max(dec(line.get("quantityReceived")), dec(line.get("quantityBilled")), dec(line.get("quantityFulfilled")))
            if "quantity" in changed and dec(line.get("quantity")) < floor:
                raise errors.user_error(
                    f"The quantity of line {line['line']} cannot be less than the {floor} unit(s) "
                    f"already received, fulfilled or billed."
                )

    def upsert(
        self, spec: RecordSpec, key: str, body: Any, *, strict: bool = True, replace: Iterable[str] = ()
    ) -> tuple[int, bool]:
        """PUT ``eid:<externalId>``: update the record with that external id, or create it. Returns (id, created)."""
        if not key.lower().startswith("eid:"):
            raise errors.invalid_parameter("PUT is only supported with an external ID in the URL (eid:<externalId>).")
        external_id = key[4:]
        found = self.store.find_external(spec, external_id)
        if found is None:
            return self.create(spec, body, strict=strict, external_id=external_id), True
        if isinstance(body, dict) and body.get("externalId") not in (None, external_id):
            raise errors.invalid_value("externalId", body["externalId"], "externalId")
        return self.update(spec, found, body, strict=strict, replace=replace), False

    def delete(self, spec: RecordSpec, key: str | int) -> None:
        if not spec.writable:
            raise errors.NetSuiteError(405, "INVALID_OPERATION", f"The delete operation is not supported for {spec.name}.")
        rid = self.resolve(spec, key)
        record = self.store.require(spec, rid)
        if self.store.has_dependents(spec, rid):
            raise errors.dependent_records()
        now_text = self._stamp()[0]
        changed: list[dict[str, Any]] = undo_payment(self.store, record)
        if spec.kind == "transaction" and record.get("createdFrom") is not None:
            source_row = self.store.row('SELECT _body FROM "transaction" WHERE id = ?', (record["createdFrom"],))
            if source_row is not None:
                changed.append(undo_source_effects(record, json.loads(source_row["_body"])))
        self.store.delete(spec, rid)
        for doc in changed:
            doc["lastModifiedDate"] = now_text
            self.store.save(doc)

    # ---- helpers for lifecycle operations ------------------------------------------------------------
    def find_by_field(self, spec: RecordSpec, field: str, value: Any) -> builtins.list[int]:
        """Ids of ``spec`` records whose body ``field`` equals ``value`` (references compare by id, checkboxes as bools)."""
        table = {"transaction": "transaction", "customer": "customer", "item": "item"}.get(spec.kind)
        prefix = {"transaction": "custbody_", "customer": "custentity_", "item": "custitem_"}.get(spec.kind, "")
        if table and field.lower() in self.store.custom_fields(table, prefix):
            return self.store.ids_where(spec, field.lower(), custom_value_text(value))
        wanted = custom_value_text(value)
        return [rid for rid in self.store.ids(spec) if custom_value_text(self.store.require(spec, rid).get(field)) == wanted]
