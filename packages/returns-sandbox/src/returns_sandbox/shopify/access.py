"""Access scopes per token and protected customer data: what a document may touch, checked before it runs.

Every Admin API object is gated by a read scope (``Order`` by ``read_orders``, ``Location`` by
``read_locations`` since 2024-07, ...) and every mutation by a write scope; a write scope grants the
read one too. Without it Shopify answers HTTP 200 with an ``ACCESS_DENIED`` error such as
``Access denied for orders field. Required access: `read_orders` access scope.``
(https://shopify.dev/docs/api/usage/access-scopes ; the wording and ``extensions.requiredAccess`` as
seen in clients' captured answers). Two later relaxations are kept: ``InventoryItem`` is readable with
``read_products`` (https://shopify.dev/changelog/inventoryitem-queryable-and-updatable-with-products-scopes)
and ``Location.id`` with ``read_inventory``
(https://shopify.dev/changelog/location-id-queryable-with-inventory-scopes).

Customer name, email, phone and address fields are protected customer data: an app needs Shopify's
approval for each (https://shopify.dev/docs/apps/launch/protected-customer-data). Shopify's docs show
an unapproved field redacted to null beside an error; the sandbox is stricter and refuses the whole
query with that error (``This app is not approved to access the Customer object. ...``), so a client
that selects PII it was not approved for fails loudly in tests instead of reading nulls in production.

The check walks the document before execution and reports every denied field (its subtree is not
visited again); any denial means no ``data`` at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import VariableValues, get_argument_values

from returns_sandbox.shopify.constants import gid_type

__all__ = ["ALL_ACCESS_SCOPES", "PROTECTED_CUSTOMER_FIELDS", "AccessGrant", "access_errors", "effective_scopes"]

ACCESS_SCOPES_DOCS = "https://shopify.dev/api/usage/access-scopes"
PROTECTED_DATA_DOCS = "https://shopify.dev/docs/apps/launch/protected-customer-data"
# The four protected customer fields an app is approved for one by one.
PROTECTED_CUSTOMER_FIELDS = ("name", "email", "phone", "address")

# Object type -> the read scopes that open it (any one will do).
_READ_SCOPES: dict[str, tuple[str, ...]] = {
    "Order": ("read_orders",),
    "LineItem": ("read_orders",),
    "OrderTransaction": ("read_orders",),
    "Refund": ("read_orders",),
    "RefundLineItem": ("read_orders",),
    "Return": ("read_returns",),
    "ReturnLineItem": ("read_returns",),
    "ReturnLineItemType": ("read_returns",),
    "ExchangeLineItem": ("read_returns",),
    "Customer": ("read_customers",),
    "Product": ("read_products",),
    "ProductVariant": ("read_products",),
    "InventoryItem": ("read_inventory", "read_products"),
    "InventoryLevel": ("read_inventory",),
    "InventoryAdjustmentGroup": ("read_inventory",),
    "Location": ("read_locations",),
    "GiftCard": ("read_gift_cards",),
    # GiftCardTransaction "Requires `read_gift_card_transactions` access scope" (shopify.dev, GiftCardDebitTransaction).
    "GiftCardTransaction": ("read_gift_card_transactions",),
    "GiftCardCreditTransaction": ("read_gift_card_transactions",),
    "GiftCardDebitTransaction": ("read_gift_card_transactions",),
}
# Fields readable with other scopes than their type.
_FIELD_SCOPES: dict[tuple[str, str], tuple[str, ...]] = {("Location", "id"): ("read_locations", "read_inventory")}
_MUTATION_SCOPES: dict[str, tuple[str, ...]] = {
    "refundCreate": ("write_orders",),
    "orderUpdate": ("write_orders",),
    "inventoryAdjustQuantities": ("write_inventory",),
}
_TAGGABLE_SCOPES: dict[str, tuple[str, ...]] = {
    "Order": ("write_orders",),
    "Customer": ("write_customers",),
    "Product": ("write_products",),
}
# (type, field) -> the protected customer field it exposes.
_PROTECTED: dict[tuple[str, str], str] = {
    ("Customer", "firstName"): "name",
    ("Customer", "lastName"): "name",
    ("Customer", "displayName"): "name",
    ("Customer", "email"): "email",
    ("Order", "email"): "email",
}

# Every scope the sandbox checks (tests that are about something else grant them all).
ALL_ACCESS_SCOPES = tuple(
    sorted(
        {
            s
            for scopes in (
                *_READ_SCOPES.values(),
                *_FIELD_SCOPES.values(),
                *_MUTATION_SCOPES.values(),
                *_TAGGABLE_SCOPES.values(),
            )
            for s in scopes
        }
    )
)


def effective_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """``scopes`` plus the read scope each write scope implies."""
    granted = set(scopes)
    granted |= {"read_" + s.removeprefix("write_") for s in granted if s.startswith("write_")}
    return frozenset(granted)


@dataclass(frozen=True)
class AccessGrant:
    """What one access token may read and write, and which protected customer fields it was approved for."""

    scopes: frozenset[str] = field(default_factory=frozenset)
    protected_customer_fields: frozenset[str] = field(default_factory=frozenset)

    def holds(self, needed: tuple[str, ...]) -> bool:
        return any(scope in effective_scopes(self.scopes) for scope in needed)


def access_errors(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: VariableValues,
    grant: AccessGrant,
) -> list[dict[str, Any]]:
    """Shopify's ``ACCESS_DENIED`` errors for everything in ``operation`` that ``grant`` does not open."""
    check = _Check(schema, document, variables, grant)
    root = schema.mutation_type if operation.operation == OperationType.MUTATION else schema.query_type
    assert root is not None
    check.selection(root, operation.selection_set, [])
    return check.errors


def _guarded_type(type_name: str) -> str:
    """A connection or edge is guarded by its node type: ``OrderConnection`` -> ``Order``."""
    for suffix in ("Connection", "Edge"):
        if type_name.endswith(suffix) and type_name[: -len(suffix)] in _READ_SCOPES:
            return type_name[: -len(suffix)]
    return type_name


def _required_text(needed: tuple[str, ...]) -> str:
    return " or ".join(f"`{scope}` access scope" for scope in needed)


class _Check:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: VariableValues, grant: AccessGrant) -> None:
        self.schema = schema
        self.variables = variables
        self.grant = grant
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.errors: list[dict[str, Any]] = []

    def selection(
        self, parent: Any, selection_set: SelectionSetNode | None, path: list[str], via: FieldNode | None = None
    ) -> None:
        if selection_set is None:
            return
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                self.field(parent, sel, path)
            elif isinstance(sel, (InlineFragmentNode, FragmentSpreadNode)):
                fragment = sel if isinstance(sel, InlineFragmentNode) else self.fragments.get(sel.name.value)
                if fragment is None:
                    continue
                condition = self.schema.get_type(fragment.type_condition.name.value) if fragment.type_condition else parent
                # A fragment on a guarded type under an open one (``node { ... on Order }``) needs that type's scope.
                needed = _READ_SCOPES.get(getattr(condition, "name", ""))
                if condition is not parent and needed and not self.grant.holds(needed) and via is not None:
                    self.deny_scope(via, path, needed)
                    return
                self.selection(condition, fragment.selection_set, path, via)

    def field(self, parent: Any, node: FieldNode, path: list[str]) -> None:
        name = node.name.value
        field_def = getattr(parent, "fields", {}).get(name)
        if name.startswith("__") or field_def is None:
            return
        here = path + [node.alias.value if node.alias else name]
        protected = _PROTECTED.get((parent.name, name))
        if protected and protected not in self.grant.protected_customer_fields:
            self.errors.append(
                self.located(
                    node,
                    here,
                    {
                        "message": f"This app is not approved to access the {parent.name} object. See {PROTECTED_DATA_DOCS} for more details.",
                        "extensions": {"code": "ACCESS_DENIED", "documentation": PROTECTED_DATA_DOCS},
                    },
                )
            )
            return
        needed = self.operation_scopes(parent, name, field_def, node)
        if needed and not self.grant.holds(needed):
            self.deny_scope(node, here, needed)
            return
        target = get_named_type(field_def.type)
        needed = _READ_SCOPES.get(_guarded_type(target.name))
        if needed and not self.grant.holds(needed) and not self.opened_field_by_field(target, node):
            self.deny_scope(node, here, needed)
            return
        self.selection(target, node.selection_set, here, node)

    def operation_scopes(self, parent: Any, name: str, field_def: Any, node: FieldNode) -> tuple[str, ...] | None:
        if parent is not self.schema.mutation_type:
            return None
        if name in ("tagsAdd", "tagsRemove"):
            try:
                node_id = get_argument_values(field_def, node, self.variables).get("id")
            except GraphQLError:
                return None
            return _TAGGABLE_SCOPES.get(gid_type(node_id) or "")
        return _MUTATION_SCOPES.get(name)

    def opened_field_by_field(self, target: Any, node: FieldNode) -> bool:
        """True when every field selected on ``target`` has a field-level scope the grant holds (``location { id }``)."""
        if node.selection_set is None:
            return False
        fields = [s for s in node.selection_set.selections if isinstance(s, FieldNode) and not s.name.value.startswith("__")]
        if len(fields) != len(node.selection_set.selections):
            return False
        return all(self.grant.holds(_FIELD_SCOPES.get((target.name, f.name.value), ())) for f in fields)

    def deny_scope(self, node: FieldNode, path: list[str], needed: tuple[str, ...]) -> None:
        required = _required_text(needed)
        self.errors.append(
            self.located(
                node,
                path,
                {
                    "message": f"Access denied for {node.name.value} field. Required access: {required}.",
                    "extensions": {
                        "code": "ACCESS_DENIED",
                        "documentation": ACCESS_SCOPES_DOCS,
                        "requiredAccess": f"{required}.",
                    },
                },
            )
        )

    @staticmethod
    def located(node: FieldNode, path: list[str], error: dict[str, Any]) -> dict[str, Any]:
        located: dict[str, Any] = {"message": error["message"]}
        if node.loc is not None:
            position = node.loc.source.get_location(node.loc.start)
            located["locations"] = [{"line": position.line, "column": position.column}]
        located["path"] = path
        located["extensions"] = error["extensions"]
        return located
