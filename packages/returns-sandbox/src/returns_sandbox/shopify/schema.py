"""The executable GraphQL schema per API version: SDL from ``schema.graphql``, Shopify's scalars, our resolvers."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from graphql import FloatValueNode, GraphQLError, GraphQLSchema, IntValueNode, StringValueNode, build_schema

from returns_sandbox.shopify.constants import API_VERSIONS, CURRENCY_CODES, IDEMPOTENT_FROM
from returns_sandbox.shopify.mutations import bind_mutations
from returns_sandbox.shopify.resolvers import bind_queries

__all__ = ["SDL_PATH", "schema_for", "serialize_decimal"]

SDL_PATH = Path(__file__).with_name("schema.graphql")
_IDEMPOTENT_SDL = '"""Makes a retried mutation return its first result instead of running again (2026-01+)."""\ndirective @idempotent(key: String!) on FIELD\n'


def serialize_decimal(value: Any) -> str:
    """Shopify renders Decimal as a string with at least one decimal: ``25.0``, ``19.99``, ``0.0``."""
    text = format(Decimal(value).normalize(), "f")
    return text if "." in text else f"{text}.0"


def _parse_decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise GraphQLError(f"invalid decimal {value!r}")
    try:
        result = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation as exc:
        raise GraphQLError(f"invalid decimal {value!r}") from exc
    if not result.is_finite():
        raise GraphQLError(f"invalid decimal {value!r}")
    return result


def _parse_decimal_literal(node: Any, _variables: Any = None) -> Decimal:
    if isinstance(node, (StringValueNode, IntValueNode, FloatValueNode)):
        return _parse_decimal(node.value)
    raise GraphQLError("Decimal and Money values must be strings or numbers")


def _parse_string_literal(node: Any, _variables: Any = None) -> str:
    if isinstance(node, StringValueNode):
        return node.value
    raise GraphQLError("expected a string")


def _parse_string(value: Any) -> str:
    if not isinstance(value, str):
        raise GraphQLError(f"expected a string, got {value!r}")
    return value


def _scalar(schema: GraphQLSchema, name: str, serialize: Any, parse_value: Any, parse_literal: Any) -> None:
    """graphql-core 3.3 reads ``coerce_*``; older code paths read ``serialize``/``parse_*``: set both."""
    scalar: Any = schema.type_map[name]
    scalar.serialize = scalar.coerce_output_value = serialize
    scalar.parse_value = scalar.coerce_input_value = parse_value
    scalar.parse_literal = parse_literal
    scalar.coerce_input_literal = None


@lru_cache(maxsize=len(API_VERSIONS))
def schema_for(api_version: str) -> GraphQLSchema:
    """The schema served at ``api_version`` (the directive ``@idempotent`` exists from 2026-01). Stateless, so it is cached."""
    sdl = SDL_PATH.read_text()
    sdl += "\nenum CurrencyCode { " + " ".join(CURRENCY_CODES) + " }\n"
    if api_version >= IDEMPOTENT_FROM:
        sdl += _IDEMPOTENT_SDL
    schema = build_schema(sdl)
    for name in ("Decimal", "Money"):
        _scalar(schema, name, serialize_decimal, _parse_decimal, _parse_decimal_literal)
    for name in ("DateTime", "URL"):
        _scalar(schema, name, str, _parse_string, _parse_string_literal)
    _scalar(schema, "UnsignedInt64", lambda v: str(int(v)), lambda v: int(v), lambda node, _v=None: int(node.value))
    bind_queries(schema)
    bind_mutations(schema)
    return schema
