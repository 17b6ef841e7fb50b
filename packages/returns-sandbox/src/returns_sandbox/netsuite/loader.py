"""Load the seeded ``World`` into the NetSuite emulator: setup records, items, customers and billed Sales Orders."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from returns_sandbox.netsuite.approval import set_approval_subsidiaries
from returns_sandbox.netsuite.bodies import finalize_lines
from returns_sandbox.netsuite.constants import (
    ACCOUNT_ROLE_ALIASES,
    ACCOUNT_ROLES,
    CURRENCY_NAMES,
    ITEM_RECORD_TYPES,
    RECORD_SPECS,
    SPECIAL_ITEMS,
)
from returns_sandbox.netsuite.schema import add_custom_field
from returns_sandbox.netsuite.status import so_status
from returns_sandbox.netsuite.tax import code_for_rate
from returns_sandbox.seed.world import Order, World

if TYPE_CHECKING:
    from returns_sandbox.netsuite.models import NetSuiteBackend

__all__ = ["build_sales_order", "load_world", "resolve_account_roles", "sales_order_external_id", "special_item", "store_info"]


def _text(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def sales_order_external_id(order: Order) -> str:
    """The externalId the Shopify connector gives the Sales Order of a Shopify order."""
    return f"shopify-{order.store}-{order.shopify_id}"


def resolve_account_roles(accounts: dict[str, int]) -> dict[str, int]:
    """Account id per role: the world's ids (any spelling in ``ACCOUNT_ROLE_ALIASES``), defaults for the rest."""
    given = {ACCOUNT_ROLE_ALIASES.get(role, role): int(account) for role, account in accounts.items()}
    used = set(given.values())
    resolved: dict[str, int] = {}
    for role in ACCOUNT_ROLES:
        if role.role in given:
            resolved[role.role] = given[role.role]
            continue
        candidate = role.default_id
        while candidate in used:
            candidate += 100
        used.add(candidate)
        resolved[role.role] = candidate
    for role_name, account in given.items():
        resolved.setdefault(role_name, account)
    return resolved


def load_world(backend: NetSuiteBackend, world: World) -> None:
    """Create everything the Shopify connector and the accountants would already have in the account (see module doc)."""
    store = backend.store
    conn = backend.conn
    store.set_meta("account_id", world.account.account_id)
    currencies: dict[str, int] = {}
    for spec in world.stores:
        currencies.setdefault(spec.currency.upper(), spec.ns_currency_id)
    for order in world.orders:
        symbol = (order.ns_currency or order.currency).upper()
        if symbol not in currencies:
            currencies[symbol] = max([*currencies.values(), 0]) + 1
    for symbol, currency_id in currencies.items():
        # A currency's name is what BUILTIN.DF and refName show; the ISO code is only its symbol (docs/sandbox/FIDELITY.md).
        name = CURRENCY_NAMES.get(symbol, f"{symbol} Currency")
        conn.execute("INSERT OR REPLACE INTO currency (id, symbol, name) VALUES (?, ?, ?)", (currency_id, symbol, name))
    for spec in world.stores:
        conn.execute(
            "INSERT OR REPLACE INTO subsidiary (id, name, currency) VALUES (?, ?, ?)",
            (spec.ns_subsidiary_id, spec.ns_subsidiary_name, spec.ns_currency_id),
        )
        conn.execute(
            "INSERT OR REPLACE INTO location (id, name, subsidiary) VALUES (?, ?, ?)",
            (spec.ns_location_id, f"{spec.name} Warehouse", spec.ns_subsidiary_id),
        )
        conn.execute(
            "INSERT OR REPLACE INTO location (id, name, subsidiary) VALUES (?, ?, ?)",
            (spec.ns_damaged_location_id, f"{spec.name} Damaged Goods", spec.ns_subsidiary_id),
        )
    roles = resolve_account_roles(world.accounts)
    known = {role.role: role for role in ACCOUNT_ROLES}
    for role, account_id in roles.items():
        info = known.get(role)
        number, name, kind = (
            (info.number, info.name, info.accttype) if info else (str(account_id), role.replace("_", " ").title(), "Expense")
        )
        conn.execute(
            "INSERT OR REPLACE INTO account (id, acctnumber, accountsearchdisplayname, accttype) VALUES (?, ?, ?, ?)",
            (account_id, number, f"{number} {name}", kind),
        )
        conn.execute("INSERT OR REPLACE INTO _account_role (role, account) VALUES (?, ?)", (role, account_id))
    # "Default Return Authorization Status" = Pending Approval for the stores whose seed asks for it.
    set_approval_subsidiaries(store, [spec.ns_subsidiary_id for spec in world.stores if spec.ns_ra_approval_required])
    # What later lifecycle operations need from the world, kept so they work after a restart on the same file.
    store.set_meta(
        "stores",
        json.dumps(
            {
                spec.key: {"location": spec.ns_location_id, "subsidiary": spec.ns_subsidiary_id, "shop_domain": spec.shop_domain}
                for spec in world.stores
            }
        ),
    )
    store.set_meta("special_items", json.dumps(world.special_items))
    for field_id in world.account.custom_fields:
        add_custom_field(conn, field_id)
    backend.add_consumer(world.account.consumer_key, world.account.consumer_secret)
    for spec in world.stores:
        backend.add_token(spec.ns_token_id, spec.ns_token_secret, label=spec.key)

    first_order = min((o.created_at for o in world.orders), default=world.now)
    setup_time = _text(first_order - timedelta(days=30))
    for item in world.catalog:
        if item.ns_id <= 0:
            continue  # a Shopify-only variant: NetSuite has no item for it
        record: dict[str, Any] = {
            "recordType": ITEM_RECORD_TYPES.get(item.item_type, "inventoryItem"),
            "id": item.ns_id,
            "itemId": item.itemid,
            "displayName": item.display_name,
            "upcCode": item.upccode,
            "isInactive": item.is_inactive,
            "basePrice": str(item.price),
            "averageCost": str(item.cost),
            "incomeAccount": roles["income"],
            "createdDate": setup_time,
            "lastModifiedDate": setup_time,
        }
        if record["recordType"] == "inventoryItem":
            record.update(assetAccount=roles["inventory"], cogsAccount=roles["cogs"])
        if item.custitem_shopify_sku is not None and "custitem_shopify_sku" in store.columns("item"):
            record["custitem_shopify_sku"] = item.custitem_shopify_sku
        store.save({k: v for k, v in record.items() if v is not None})
    for role, item_id in world.special_items.items():
        name, account_role = SPECIAL_ITEMS.get(role, (role.replace("_", " ").title(), "income"))
        store.save(
            {
                "recordType": "otherChargeItem",
                "id": item_id,
                "itemId": name,
                "displayName": name,
                "isInactive": False,
                "incomeAccount": roles.get(account_role, roles["income"]),
                "createdDate": setup_time,
                "lastModifiedDate": setup_time,
            }
        )
    for customer in world.customers:
        spec = world.store(customer.store)
        store.save(
            {
                "recordType": "customer",
                "id": customer.ns_id,
                "entityId": f"{customer.first_name} {customer.last_name}",
                "firstName": customer.first_name,
                "lastName": customer.last_name,
                "email": customer.email,
                "externalId": f"shopify-{customer.store}-customer-{customer.shopify_id}",
                "subsidiary": spec.ns_subsidiary_id,
                "currency": spec.ns_currency_id,
                "isInactive": False,
                "isPerson": True,
                "dateCreated": setup_time,
                "lastModifiedDate": setup_time,
            }
        )
    synced = [order for order in world.orders if order.ns_so_id is not None]
    orders = []
    for order in synced:  # every world id first, so generated ids (invoices, payments) cannot collide with them
        so = build_sales_order(backend, world, order, so_id=order.ns_so_id, fulfilled=True)  # type: ignore[arg-type]
        store.save(so)
        orders.append((order, so))
    for order, so in sorted(orders, key=lambda pair: pair[0].created_at):
        if not so["item"]:
            continue  # no line of the order maps to a NetSuite item: nothing was fulfilled or billed
        with backend.clock_at(order.created_at):
            _bill(backend, order, so)
    store.set_meta("seeded", "1")


def store_info(backend: NetSuiteBackend, store_key: str) -> dict[str, Any]:
    """The loaded world's NetSuite ids of one store (``location``, ``subsidiary``, ``shop_domain``); empty if unknown."""
    return json.loads(backend.store.meta("stores") or "{}").get(store_key, {})


def special_item(backend: NetSuiteBackend, role: str) -> int | None:
    """The internal id of the loaded world's special item for ``role`` (``shipping``, ``price_adjustment``, ...)."""
    found = json.loads(backend.store.meta("special_items") or "{}").get(role)
    return None if found is None else int(found)


def _customer_id(backend: NetSuiteBackend, world: World | None, order: Order) -> int:
    if world is not None:
        for customer in world.customers:
            if customer.store == order.store and customer.email.lower() == order.customer_email.lower():
                return customer.ns_id
    found = backend.store.row(
        "SELECT id FROM customer WHERE lower(email) = lower(?) ORDER BY id LIMIT 1", (order.customer_email,)
    )
    if found is None:
        raise ValueError(f"no NetSuite customer with e-mail {order.customer_email!r} for order {order.name}")
    return int(found["id"])


def build_sales_order(
    backend: NetSuiteBackend, world: World | None, order: Order, *, so_id: int, fulfilled: bool
) -> dict[str, Any]:
    """The canonical Sales Order the Shopify connector makes of ``order`` (not saved)."""
    store = backend.store
    info = store_info(backend, order.store)
    symbol = (order.ns_currency or order.currency).upper()
    currency = store.row("SELECT id FROM currency WHERE symbol = ?", (symbol,))
    customer_id = _customer_id(backend, world, order)
    customer = store.load(RECORD_SPECS["customer"], customer_id) or {}
    location = info.get("location")
    created = _text(order.created_at)
    lines: list[dict[str, Any]] = []
    for line in order.lines:
        if line.ns_item_id is None:
            continue  # the SKU is unknown to NetSuite: the connector could not map that line
        lines.append(
            {
                "line": line.ns_line,
                "item": line.ns_item_id,
                "quantity": str(line.quantity),
                "rate": str(line.unit_paid),
                # NetSuite computes the tax from the code's rate (tax.py); the Shopify connector sends only the code.
                "taxCode": code_for_rate(store, line.tax_rate) if line.tax_rate else None,
                "location": location,
                "description": line.title,
                "isClosed": False,
                "quantityFulfilled": str(line.quantity if fulfilled else 0),
                "quantityBilled": "0",
            }
        )
    shipping_item = special_item(backend, "shipping")
    if order.shipping > 0 and shipping_item is not None:
        lines.append(
            {
                "line": max((x["line"] for x in lines), default=0) + 1,
                "item": shipping_item,
                "quantity": "1",
                "rate": str(order.shipping),
                "taxCode": code_for_rate(store, order.lines[0].tax_rate) if order.shipping_tax and order.lines else None,
                "location": location,
                "description": "Shipping",
                "isClosed": False,
                "quantityFulfilled": "1" if fulfilled else "0",
                "quantityBilled": "0",
            }
        )
    so: dict[str, Any] = {
        "recordType": "salesOrder",
        "id": so_id,
        "tranDate": order.created_at.date().isoformat(),
        "entity": customer_id,
        "otherRefNum": order.name,
        "externalId": sales_order_external_id(order),
        "currency": int(currency["id"]) if currency else customer.get("currency"),
        "subsidiary": info.get("subsidiary") or customer.get("subsidiary"),
        "location": location,
        "memo": f"Shopify order {order.name}",
        "createdDate": created,
        "lastModifiedDate": created,
        "item": lines,
    }
    so["tranId"] = order.ns_tranid or f"SO{store.next_number('SO', 1001)}"
    custom = store.custom_fields("transaction", "custbody_")
    if "custbody_shopify_order_id" in custom:
        so["custbody_shopify_order_id"] = str(order.shopify_id)
    if "custbody_shopify_store" in custom and info.get("shop_domain"):
        so["custbody_shopify_store"] = info["shop_domain"]
    finalize_lines(store, so)
    so["status"] = "B"
    so["status"] = so_status(so)
    return so


def _bill(backend: NetSuiteBackend, order: Order, so: dict[str, Any]) -> None:
    service = backend.service
    spec = RECORD_SPECS["salesOrder"]
    if order.billing == "cash_sale":
        service.transform(spec, so["id"], "cashSale", {"memo": f"Shopify order {order.name}"})
        return
    invoice_id = service.transform(spec, so["id"], "invoice", {"memo": f"Shopify order {order.name}"})
    invoice = backend.store.require(RECORD_SPECS["invoice"], invoice_id)
    if Decimal(invoice["total"]) > 0:
        service.create(
            RECORD_SPECS["customerPayment"],
            {
                "customer": {"id": invoice["entity"]},
                "payment": invoice["total"],
                "memo": f"Shopify payment {order.name}",
                "apply": {"items": [{"doc": {"id": invoice_id}, "apply": True, "amount": invoice["total"]}]},
            },
        )
