"""Dialect-aware ``INSERT … ON CONFLICT`` so concurrent writers race safely on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

__all__ = ["insert_ignore"]


def insert_ignore(
    session: Session,
    table: FromClause,
    values: Mapping[str, Any],
    *,
    conflict_columns: Sequence[str],
    conflict_where: ColumnElement[bool] | None = None,
) -> bool:
    """Insert ``values`` unless a row with the same conflict key exists.

    Args:
        session: The session whose transaction the insert joins.
        table: Target table (an ORM class's ``__table__``, which SQLAlchemy types as a ``FromClause``).
        values: Column values (Python side; column defaults are not applied by Core, pass them).
        conflict_columns: Columns of the unique index that defines "the same row".
        conflict_where: The partial index's predicate when the unique index is partial.

    Returns:
        True if a row was inserted, False if one already existed.
    """
    assert isinstance(table, Table), f"insert_ignore needs a table, not {table!r}"
    name = session.get_bind().dialect.name
    if name == "postgresql":
        stmt: Any = postgresql.insert(table)
    elif name == "sqlite":
        stmt = sqlite.insert(table)
    else:  # pragma: no cover - the ledger supports exactly these two
        raise NotImplementedError(f"the ledger does not support the {name} dialect")
    stmt = (
        stmt.values(**values)
        .on_conflict_do_nothing(index_elements=list(conflict_columns), index_where=conflict_where)
        # rowcount is not reliable here (psycopg reports -1); a returned row is. Needs SQLite >= 3.35.
        .returning(*(table.c[name] for name in conflict_columns))
    )
    return session.execute(stmt).first() is not None
