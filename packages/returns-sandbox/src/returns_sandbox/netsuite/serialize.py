"""Canonical records as REST JSON: references with refName and links, statuses as ``{id, refName}``, paged collections."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from returns_sandbox.netsuite.constants import DATETIME_FIELDS, NUMBER_FIELDS, RECORD_SPECS, REF_TARGETS, status_label
from returns_sandbox.netsuite.records import RecordStore

__all__ = ["collection_envelope", "paging_links", "render_line", "render_record", "render_sublist"]

_INT_FIELDS = frozenset({"line", "orderLine"})


def _value(store: RecordStore, base: str, name: str, value: Any) -> Any:
    if name in REF_TARGETS and not isinstance(value, dict):
        target = REF_TARGETS[name]
        if target is None:
            return {"id": str(value)}
        ref_type = store.ref_type(target, value)
        ref: dict[str, Any] = {"id": str(value)}
        ref_name = store.ref_name("transaction" if target in ("salesOrder", "transaction") else target, value)
        if ref_name is not None:
            ref["refName"] = ref_name
        ref["links"] = [{"rel": "self", "href": f"{base}/{ref_type}/{value}"}]
        return ref
    if name in _INT_FIELDS:
        return int(value)
    if name in NUMBER_FIELDS:
        return float(Decimal(str(value)))
    if name in DATETIME_FIELDS and isinstance(value, str) and " " in value:
        return value.replace(" ", "T") + "Z"
    return value


def render_line(store: RecordStore, base: str, href: str, line: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"links": [{"rel": "self", "href": href}]}
    for name, value in line.items():
        if value is None or name.startswith("_"):
            continue
        out[name] = _value(store, base, name, value)
    return out


def render_sublist(store: RecordStore, base: str, record: dict[str, Any], sublist: str, *, expand: bool) -> dict[str, Any]:
    href = f"{base}/{record['recordType']}/{record['id']}/{sublist}"
    if not expand:
        return {"links": [{"rel": "self", "href": href}]}
    lines = record.get(sublist) or []
    items = [render_line(store, base, f"{href}/{line.get('line', index)}", line) for index, line in enumerate(lines, start=1)]
    return {
        "links": [{"rel": "self", "href": href}],
        "count": len(items),
        "hasMore": False,
        "items": items,
        "offset": 0,
        "totalResults": len(items),
    }


def render_record(
    store: RecordStore, base: str, record: dict[str, Any], *, fields: set[str] | None = None, expand: bool = False
) -> dict[str, Any]:
    """The GET body of one record.

    Args:
        store: for reference names and link targets.
        base: ``<scheme>://<host>/services/rest/record/v1``.
        record: the canonical record.
        fields: lower-cased body field names to keep (``fields=`` parameter), None for all.
        expand: ``expandSubResources=true``: inline the sublists' lines.
    """
    spec = RECORD_SPECS[record["recordType"]]
    out: dict[str, Any] = {"links": [{"rel": "self", "href": f"{base}/{spec.name}/{record['id']}"}]}

    def wanted(name: str) -> bool:
        return fields is None or name.lower() in fields

    for name, value in record.items():
        if name in ("recordType", "id") or name.startswith("_") or value is None or not wanted(name):
            continue
        if name in spec.sublists:
            out[name] = render_sublist(store, base, record, name, expand=expand)
        elif name == "status":
            shown = {"id": value, "refName": status_label(spec.type_code or "", value)}
            out["status"] = shown
            if spec.name in ("returnAuthorization", "salesOrder") and wanted("orderStatus"):
                out["orderStatus"] = dict(shown)
        else:
            out[name] = _value(store, base, name, value)
    out["id"] = str(record["id"])
    return out


def paging_links(url: str, params: dict[str, Any], *, limit: int, offset: int, total: int) -> list[dict[str, str]]:
    """``self``/``first``/``prev``/``next``/``last`` links of a paged collection; ``params`` are the other query parameters."""

    def href(at: int) -> str:
        return f"{url}?{urlencode({**params, 'limit': limit, 'offset': at})}"

    last = max((total - 1) // limit * limit, 0) if total else 0
    links = [{"rel": "self", "href": href(offset)}, {"rel": "first", "href": href(0)}]
    if offset > 0:
        links.append({"rel": "prev", "href": href(max(offset - limit, 0))})
    if offset + limit < total:
        links.append({"rel": "next", "href": href(offset + limit)})
    links.append({"rel": "last", "href": href(last)})
    return links


def collection_envelope(
    items: list[dict[str, Any]], *, url: str, params: dict[str, Any], limit: int, offset: int, total: int
) -> dict[str, Any]:
    """NetSuite's collection body (record lists and SuiteQL pages)."""
    return {
        "links": paging_links(url, params, limit=limit, offset=offset, total=total),
        "count": len(items),
        "hasMore": offset + len(items) < total,
        "items": items,
        "offset": offset,
        "totalResults": total,
    }
