"""NetSuite preflight of the store's mapping: every configured custom field, item, location, subsidiary and account.

Custom fields are probed by selecting them (``WHERE 1 = 0``): an unknown field answers NetSuite's "not found"
error. Whether a custom field is inactive is not checked: SuiteQL's custom-field metadata tables are not part of
what this project could confirm from public sources (see docs/DEPLOY.md, "Preflight"). Items, locations,
subsidiaries and accounts are read by id with their ``isinactive`` flag.
"""

from __future__ import annotations

from dataclasses import dataclass

from returns_sync.blocks.store import StoreSettings
from returns_sync.connectors.errors import ApiError
from returns_sync.connectors.netsuite import NetSuiteClient, suiteql_list
from returns_sync.service.doctor.check import Check, System
from returns_sync.tasks.suiteql_statements import field_id

__all__ = ["check_custom_fields", "check_referenced_records"]

NS = System.NETSUITE
_SPECIAL_ITEMS = (
    "handling_fee_item",
    "store_credit_item",
    "bonus_item",
    "price_adjustment_item",
    "gift_card_payment_item",
    "shipping_item",
)


@dataclass(frozen=True)
class _Table:
    """A list record SuiteQL reads by id: its table, the column that names a row, and where it lives in the UI."""

    table: str
    label: str
    noun: str
    where_in_ui: str


_ITEM = _Table("item", "itemid", "item", "Lists > Accounting > Items")
_LOCATION = _Table("location", "name", "location", "Setup > Company > Locations")
_SUBSIDIARY = _Table("subsidiary", "name", "subsidiary", "Setup > Company > Subsidiaries")
_ACCOUNT = _Table("account", "accountsearchdisplayname", "account", "Lists > Accounting > Accounts")


def check_custom_fields(ns: NetSuiteClient, settings: StoreSettings) -> list[Check]:
    """Each configured field id can be selected from the record it belongs on."""
    fields = [
        (
            "so_shopify_order_id_field",
            settings.so_shopify_order_id_field,
            "transaction",
            "Transaction Body Field on sales orders",
        ),
        ("ra_loop_id_field", settings.ra_loop_id_field, "transaction", "Transaction Body Field on return authorizations"),
        (
            "shopify_refund_id_field",
            settings.shopify_refund_id_field,
            "transaction",
            "Transaction Body Field on cash refunds and credit memos",
        ),
        ("ra_flag_field", settings.ra_flag_field, "transaction", "check box Transaction Body Field on return authorizations"),
        (
            "ra_tracking_number_field",
            settings.ra_tracking_number_field,
            "transaction",
            "free-form text Transaction Body Field on return authorizations",
        ),
        (
            "ra_expected_date_field",
            settings.ra_expected_date_field,
            "transaction",
            "date Transaction Body Field on return authorizations",
        ),
        ("sku_field", settings.sku_field, "item", "Item Field (or a standard item field such as itemid)"),
    ]
    checks = []
    for setting, field, table, kind in fields:
        name = f"field {setting}"
        if field is None:
            checks.append(Check.passed(NS, name, "not configured (feature off)"))
            continue
        try:
            list(ns.suiteql(f"SELECT x.{field_id(field)} FROM {table} x WHERE 1 = 0"))
        except ApiError as exc:
            checks.append(
                Check.failed(
                    NS,
                    name,
                    f"{table}.{field} cannot be read: {exc}",
                    f"Set {setting} to the id of an existing {kind}, or create {field} "
                    "(Customization > Lists, Records & Fields) and give the token's role access to it.",
                )
            )
        else:
            checks.append(Check.passed(NS, name, f"{table}.{field} exists and the token's role can read it"))
    return checks


def check_referenced_records(ns: NetSuiteClient, settings: StoreSettings) -> list[Check]:
    """Each configured item, location, subsidiary and account exists and is active."""
    wanted: list[tuple[str, _Table, int | None]] = [(name, _ITEM, getattr(settings, name)) for name in _SPECIAL_ITEMS]
    wanted += [
        ("main_location_id", _LOCATION, settings.main_location_id),
        ("damaged_location_id", _LOCATION, settings.damaged_location_id),
    ]
    wanted += [
        (f"disposition_locations[{disposition}]", _LOCATION, location)
        for disposition, location in sorted(settings.disposition_locations.items())
    ]
    wanted += [
        ("subsidiary_id", _SUBSIDIARY, settings.subsidiary_id),
        ("upsell_deposit_account", _ACCOUNT, settings.upsell_deposit_account),
    ]
    rows: dict[str, dict[int, dict[str, str]]] = {}
    for table in (_ITEM, _LOCATION, _SUBSIDIARY, _ACCOUNT):
        ids = sorted({record_id for _, t, record_id in wanted if t is table and record_id is not None})
        if ids:
            query = (
                f"SELECT x.id, x.{table.label} AS label, x.isinactive FROM {table.table} x "
                f"WHERE x.id IN {suiteql_list(ids)} ORDER BY x.id"
            )
            rows[table.table] = {int(row["id"]): row for row in ns.suiteql(query)}
    return [_record_check(setting, table, record_id, rows.get(table.table, {})) for setting, table, record_id in wanted]


def _record_check(setting: str, table: _Table, record_id: int | None, found: dict[int, dict[str, str]]) -> Check:
    name = f"{table.noun} {setting}"
    if record_id is None:
        return Check.passed(NS, name, "not configured")
    row = found.get(record_id)
    if row is None:
        return Check.failed(
            NS,
            name,
            f"{setting} = {record_id}: no {table.noun} has internal id {record_id}",
            f"Set {setting} to the internal id of an existing {table.noun} ({table.where_in_ui}).",
        )
    label = row.get("label") or str(record_id)
    if row.get("isinactive") == "T":
        return Check.failed(
            NS,
            name,
            f"{setting} = {record_id} ({label}) is inactive",
            f"Reactivate {table.noun} {label} in {table.where_in_ui}, or set {setting} to an active one.",
        )
    return Check.passed(NS, name, f"{record_id} ({label}) exists and is active")
