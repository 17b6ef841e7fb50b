"""Calculated query cost and the per-shop leaky bucket of the Admin GraphQL API.

Cost rules (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits): scalars and enums
cost 0, an object 1, interfaces and unions the most expensive of their possible selections, a
connection is "sized by `first` and `last` arguments", a mutation field 10 whatever it selects. How a
connection is sized is in Shopify's engineering write-up: "two points plus the number of returned
objects" (https://shopify.engineering/rate-limiting-graphql-apis-calculating-query-complexity), so a
connection costs 2 plus ``first``/``last`` times the cost of one node. A plain list of objects is sized
the same way when the query bounds it (``Order.refunds(first: 10)`` costs ten refunds, ``nodes(ids:)``
one node per id) but without the connection's 2; an unbounded one (``LineItem.taxLines``) costs one
element, the only size the document states (Shopify publishes no rule for it). The requested cost is
computed from the document before execution; the actual cost walks the returned data with the same
rules (a connection or a bounded list counts what it returned; an object that came back null still
costs 1, the lookup ran). The bucket is debited the requested cost and then refunded down to the
actual cost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
)
from graphql.execution.values import VariableValues, get_argument_values

from returns_sandbox.shopify.constants import CONNECTION_BASE_COST, MAX_PAGE_SIZE, MUTATION_COST
from returns_sandbox.shopify.errors import connection_size_error

__all__ = ["LeakyBucket", "actual_cost", "requested_cost"]

_STATIC = object()  # "no data": compute the requested (worst-case) cost


class LeakyBucket:
    """``maximumAvailable`` points refilled at ``restoreRate`` per second of ``clock`` time."""

    def __init__(self, maximum: float, restore_rate: float, clock: Callable[[], datetime]) -> None:
        self.maximum = float(maximum)
        self.restore_rate = float(restore_rate)
        self._clock = clock
        self._available = float(maximum)
        self._last = clock()
        self._lock = threading.Lock()
        # Points kept by the API since the bucket was made (debits less refunds): the bench divides it
        # by ``restore_rate`` for the least time the calls could have taken at Shopify's limit.
        self.points_spent = 0.0

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, (now - self._last).total_seconds())
        self._available = min(self.maximum, self._available + elapsed * self.restore_rate)
        self._last = now

    def try_debit(self, cost: float) -> bool:
        """Take ``cost`` points if they are there; ``False`` (and nothing taken) when the request must be throttled."""
        with self._lock:
            self._refill()
            if cost > self._available:
                return False
            self._available -= cost
            self.points_spent += cost
            return True

    def credit(self, points: float) -> None:
        """Give back the difference between requested and actual cost."""
        with self._lock:
            self._refill()
            self._available = min(self.maximum, self._available + points)
            self.points_spent -= points

    def set_available(self, points: float) -> None:
        """Force the level (tests and the bench drain the bucket this way)."""
        with self._lock:
            self._refill()
            self._available = max(0.0, min(self.maximum, float(points)))

    def status(self) -> dict[str, Any]:
        """``throttleStatus`` as Shopify renders it: floats for the limits, an integer for what is left."""
        with self._lock:
            self._refill()
            return {
                "maximumAvailable": self.maximum,
                "currentlyAvailable": int(self._available),
                "restoreRate": self.restore_rate,
            }


def requested_cost(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: VariableValues
) -> tuple[int, list[GraphQLError]]:
    """Worst-case cost of ``operation`` and the errors found on connection sizes (missing/too large ``first``)."""
    calc = _Calculator(schema, document, variables)
    root = _root_type(schema, operation)
    cost = calc.selection(root, operation.selection_set, _STATIC)
    if operation.operation == OperationType.MUTATION:
        cost = MUTATION_COST * _count_mutation_fields(calc, root, operation.selection_set)
    return cost, calc.errors


def actual_cost(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: VariableValues, data: Any
) -> int:
    """Cost of what the execution actually returned (mutations: the same 10 per field)."""
    calc = _Calculator(schema, document, variables)
    root = _root_type(schema, operation)
    if operation.operation == OperationType.MUTATION:
        return MUTATION_COST * _count_mutation_fields(calc, root, operation.selection_set)
    return calc.selection(root, operation.selection_set, data if isinstance(data, dict) else {})


def _root_type(schema: GraphQLSchema, operation: OperationDefinitionNode) -> GraphQLObjectType:
    root = schema.mutation_type if operation.operation == OperationType.MUTATION else schema.query_type
    assert root is not None
    return root


def _count_mutation_fields(calc: _Calculator, root: GraphQLObjectType, selection_set: SelectionSetNode) -> int:
    return sum(1 for node in calc.collect(root, selection_set) if not node.name.value.startswith("__"))


def _is_connection(type_: Any) -> bool:
    return isinstance(type_, GraphQLObjectType) and type_.name.endswith("Connection") and "pageInfo" in type_.fields


class _Calculator:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: VariableValues) -> None:
        self.schema = schema
        self.variables = variables
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.errors: list[GraphQLError] = []

    def selection(self, parent: Any, selection_set: SelectionSetNode | None, data: Any) -> int:
        if selection_set is None:
            return 0
        if is_abstract_type(parent):
            return max((self._fields(t, selection_set, data) for t in self.schema.get_possible_types(parent)), default=0)
        return self._fields(parent, selection_set, data)

    def _fields(self, obj_type: GraphQLObjectType, selection_set: SelectionSetNode, data: Any) -> int:
        return sum(self._field(obj_type, node, data) for node in self.collect(obj_type, selection_set))

    def collect(self, obj_type: GraphQLObjectType, selection_set: SelectionSetNode) -> list[FieldNode]:
        """The fields selected on ``obj_type``, fragments that apply to it flattened in."""
        out: list[FieldNode] = []
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                out.append(sel)
            elif isinstance(sel, InlineFragmentNode):
                if sel.type_condition is None or self._applies(sel.type_condition.name.value, obj_type):
                    out.extend(self.collect(obj_type, sel.selection_set))
            elif isinstance(sel, FragmentSpreadNode):
                fragment = self.fragments.get(sel.name.value)
                if fragment is not None and self._applies(fragment.type_condition.name.value, obj_type):
                    out.extend(self.collect(obj_type, fragment.selection_set))
        return out

    def _applies(self, condition: str, obj_type: GraphQLObjectType) -> bool:
        cond = self.schema.get_type(condition)
        if cond is obj_type:
            return True
        return bool(cond is not None and is_abstract_type(cond) and self.schema.is_sub_type(cond, obj_type))

    def _field(self, obj_type: GraphQLObjectType, node: FieldNode, data: Any) -> int:
        name = node.name.value
        field_def = obj_type.fields.get(name)
        if name.startswith("__") or field_def is None:
            return 0
        named = get_named_type(field_def.type)
        if is_leaf_type(named):
            return 0
        static = data is _STATIC
        value = None if static else (data.get(node.alias.value if node.alias else name) if isinstance(data, dict) else None)
        if _is_connection(named):
            if static:
                size = self._page_size(field_def, node)
                return CONNECTION_BASE_COST + size * self._node(named, node.selection_set, _STATIC)
            if value is None:
                return 0
            return CONNECTION_BASE_COST + sum(
                self._node(named, node.selection_set, item) for item in self._returned_nodes(named, node.selection_set, value)
            )
        bound = self._list_bound(field_def, node) if is_list_type(get_nullable_type(field_def.type)) else None
        if static:
            one = 1 + self.selection(named, node.selection_set, _STATIC)
            return one * bound if bound is not None else one
        if value is None:
            return 1
        if isinstance(value, list):
            costs = [1 + self.selection(named, node.selection_set, item) for item in value]
            return sum(costs) if bound is not None else max(costs, default=1)
        return 1 + self.selection(named, node.selection_set, value)

    def _list_bound(self, field_def: Any, node: FieldNode) -> int | None:
        """How many elements a plain list field asks for: ``first``/``last``, one per id of ``nodes(ids:)``, else ``None``."""
        if not any(name in field_def.args for name in ("first", "last", "ids")):
            return None
        try:
            args = get_argument_values(field_def, node, self.variables)
        except GraphQLError:
            return None  # the connection check or validation reports bad arguments
        if isinstance(args.get("ids"), list):
            return len(args["ids"])
        size = args.get("first") if args.get("first") is not None else args.get("last")
        if size is None:
            return None
        if size > MAX_PAGE_SIZE:
            self.errors.append(GraphQLError(connection_size_error("too_large", size), [node]))
            return 0
        return max(0, size)

    def _node(self, conn: GraphQLObjectType, selection_set: SelectionSetNode | None, item: Any) -> int:
        """Cost of one node of a connection, selected through ``nodes`` or ``edges { node }``."""
        if selection_set is None:
            return 0
        node_type = get_named_type(conn.fields["nodes"].type)
        edge_type = get_named_type(conn.fields["edges"].type)
        costs = []
        for sub in self.collect(conn, selection_set):
            if sub.name.value == "nodes":
                costs.append(1 + self.selection(node_type, sub.selection_set, item))
            elif sub.name.value == "edges" and sub.selection_set is not None:
                for edge_field in self.collect(edge_type, sub.selection_set):
                    if edge_field.name.value == "node":
                        costs.append(1 + self.selection(node_type, edge_field.selection_set, item))
        return max(costs, default=0)

    def _returned_nodes(
        self, conn: GraphQLObjectType, selection_set: SelectionSetNode | None, value: dict[str, Any]
    ) -> list[Any]:
        if selection_set is None:
            return []
        edge_type = get_named_type(conn.fields["edges"].type)
        for sub in self.collect(conn, selection_set):
            key = sub.alias.value if sub.alias else sub.name.value
            if sub.name.value == "nodes" and isinstance(value.get(key), list):
                return value[key]
            if sub.name.value == "edges" and isinstance(value.get(key), list) and sub.selection_set is not None:
                for edge_field in self.collect(edge_type, sub.selection_set):
                    if edge_field.name.value == "node":
                        node_key = edge_field.alias.value if edge_field.alias else "node"
                        return [edge.get(node_key) for edge in value[key] if isinstance(edge, dict)]
                return value[key]
        return []

    def _page_size(self, field_def: Any, node: FieldNode) -> int:
        try:
            args = get_argument_values(field_def, node, self.variables)
        except GraphQLError as exc:
            self.errors.append(exc)
            return 0
        first, last = args.get("first"), args.get("last")
        problem = None
        if first is None and last is None:
            problem = connection_size_error("missing")
        elif first is not None and last is not None:
            problem = connection_size_error("both")
        size = first if first is not None else (last or 0)
        if problem is None and size < 0:
            problem = connection_size_error("negative")
        elif problem is None and size > MAX_PAGE_SIZE:
            problem = connection_size_error("too_large", size)
        if problem:
            self.errors.append(GraphQLError(problem, [node]))
            return 0
        return size
