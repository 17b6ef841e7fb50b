"""NetSuite preflight of the store's tax engine setting against how the account computes tax.

The probe is the SuiteTax statement the syncs send (``SALES_ORDER_TAX_DETAILS``, with ``1 = 0``): SuiteQL's
``transactiontaxdetail`` exists only where the SuiteTax feature is on, and answers "Record ... was not found"
elsewhere (docs/sandbox/FIDELITY.md, "SuiteTax"). Read-only: nothing is created or changed.
"""

from __future__ import annotations

from returns_sync.blocks.store import StoreSettings
from returns_sync.connectors.errors import ApiError
from returns_sync.connectors.netsuite import NetSuiteClient
from returns_sync.domain.tax import TaxEngine
from returns_sync.service.doctor.check import Check, System
from returns_sync.tasks.suiteql_statements import SALES_ORDER_TAX_DETAILS, StatementFields

__all__ = ["account_tax_engine", "check_tax_engine"]

NAME = "tax engine"
_TABLE = "transactiontaxdetail"


def account_tax_engine(ns: NetSuiteClient) -> TaxEngine:
    """SuiteTax when the tax detail table answers, legacy when NetSuite says it does not exist.

    Raises:
        ApiError: NetSuite refused the probe for another reason (permissions, an outage): nothing can be told.
    """
    try:
        list(ns.suiteql(SALES_ORDER_TAX_DETAILS.probe(StatementFields(tax_engine=TaxEngine.SUITETAX))))
    except ApiError as exc:
        text = str(exc).lower()
        if _TABLE in text and "not found" in text:
            return TaxEngine.LEGACY
        raise
    return TaxEngine.SUITETAX


def check_tax_engine(ns: NetSuiteClient, settings: StoreSettings) -> Check:
    """The store's ``netsuite_tax_engine`` is the account's: else every line's rate is read from the wrong place."""
    account = account_tax_engine(ns)
    configured = settings.netsuite_tax_engine
    if account is configured:
        how = "SuiteTax (tax details)" if account is TaxEngine.SUITETAX else "legacy tax codes on lines"
        return Check.passed(System.NETSUITE, NAME, f"the account computes tax with {how}, as the store's setting says")
    if account is TaxEngine.SUITETAX:
        detail = (
            "the account has SuiteTax on, but the store's netsuite_tax_engine is legacy: sales order lines carry no "
            "tax code there, so every taxed return would wait in quarantine"
        )
    else:
        detail = (
            "the store's netsuite_tax_engine is suitetax, but the account has no SuiteTax (its tax detail table does "
            "not exist): the sync would fail reading every batch's sales orders"
        )
    return Check.failed(
        System.NETSUITE, NAME, detail, f"Set netsuite_tax_engine to {account.value} in the store's settings block."
    )
