"""Run every preflight check of one store and collect the rows; no failure stops the others."""

from __future__ import annotations

from collections.abc import Callable

from returns_sync.blocks.store import StoreSettings
from returns_sync.connectors.errors import ApiError
from returns_sync.service.doctor import netsuite_access, netsuite_setup, netsuite_tax, partners
from returns_sync.service.doctor.check import Check, Outcome, System

__all__ = ["run_doctor"]

_NETSUITE_GROUPS: tuple[tuple[str, Callable[..., Check | list[Check]]], ...] = (
    ("user time zone", netsuite_access.check_time_zone),
    ("SuiteQL statements", netsuite_access.check_statements),
    ("custom fields", netsuite_setup.check_custom_fields),
    ("configured records", netsuite_setup.check_referenced_records),
    ("RA approval", netsuite_access.check_return_approval),
    (netsuite_tax.NAME, netsuite_tax.check_tax_engine),
)


def _as_list(result: Check | list[Check]) -> list[Check]:
    return result if isinstance(result, list) else [result]


def _guarded(system: System, name: str, run: Callable[[], Check | list[Check]]) -> list[Check]:
    """A group that breaks unexpectedly becomes one failed row naming the error; the other groups still run."""
    try:
        return _as_list(run())
    except (ApiError, ValueError, KeyError) as exc:
        # ApiError's text never holds headers or bodies of requests, so no secret reaches the table.
        return [Check.failed(system, name, f"{type(exc).__name__}: {exc}", "Fix the error above and run doctor again.")]


def run_doctor(settings: StoreSettings) -> list[Check]:
    """Every check of ``settings``' store, NetSuite first, then Loop and Shopify; read-only throughout."""
    checks: list[Check] = []
    with settings.get_netsuite_client() as ns:
        login = netsuite_access.check_login(ns, settings)
        checks.append(login)
        for name, group in _NETSUITE_GROUPS:
            if login.outcome is Outcome.FAIL:
                checks.append(Check.skipped(System.NETSUITE, name, "NetSuite login failed"))
            else:
                checks += _guarded(System.NETSUITE, name, lambda group=group: group(ns, settings))  # type: ignore[misc]
    with settings.get_loop_client() as loop:
        checks += _guarded(System.LOOP, "Loop returns", lambda: partners.check_loop(loop, settings))
    with settings.get_shopify_client() as shopify:
        version = _guarded(System.SHOPIFY, "API version", lambda: partners.check_shopify_version(shopify, settings))
        checks += version
        if any(check.outcome is Outcome.FAIL for check in version):
            checks.append(Check.skipped(System.SHOPIFY, "access scopes", "the API version check failed"))
        else:
            checks += _guarded(System.SHOPIFY, "access scopes", lambda: partners.check_shopify_scopes(shopify, settings))
    return checks
