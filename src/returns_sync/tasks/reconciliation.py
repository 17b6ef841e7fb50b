"""Read Loop, Shopify and NetSuite for one store and reconcile them: the reconciliation report's one task.

Every read is batched: Loop's list endpoint by page, Shopify through ``nodes(ids:)`` 50 at a time, NetSuite through
the named SuiteQL statements with ``IN`` lists of 1,000 (``tasks/netsuite_lookup``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from prefect import task

from returns_sync.connectors.errors import PermanentApiError
from returns_sync.connectors.netsuite import suiteql_list
from returns_sync.connectors.shopify_balances import read_gift_cards, read_refund_totals
from returns_sync.domain.external_id import ExternalId
from returns_sync.domain.loop import LoopReturn
from returns_sync.domain.netsuite import RecordRole, RecordType
from returns_sync.domain.three_way import (
    GiftCardFact,
    LoopFact,
    NetSuiteDoc,
    RaFact,
    ReconciliationInput,
    ReconciliationReport,
    ReconciliationRules,
    reconcile_store,
)
from returns_sync.tasks import netsuite_lookup as lookup
from returns_sync.tasks import suiteql_statements as sql
from returns_sync.tasks.netsuite_lookup import RaState
from returns_sync.tasks.retry import RETRY_OPTIONS
from returns_sync.tasks.runtime import SyncRuntime, open_runtime, utcnow
from returns_sync.tasks.suiteql_statements import StatementFields

__all__ = ["DEFAULT_LOOKBACK", "build_reconciliation_report", "read_reconciliation_input"]

DEFAULT_LOOKBACK = timedelta(days=90)
_GIFT_CARD_GATEWAY = "gift_card"
_MONEY_OUTCOMES = ("refund_processed", "gift_card_processed")


def _loop_fact(ret: LoopReturn) -> LoopFact:
    processed = [moment for key in _MONEY_OUTCOMES if (moment := ret.processed(key)) is not None]
    return LoopFact(
        return_id=str(ret.id),
        state=str(ret.state),
        currency=ret.currency,
        lines=len(ret.line_items),
        refund=ret.refund,
        refund_to_gift_card=sum((p.amount for p in ret.refunds if p.gateway == _GIFT_CARD_GATEWAY), Decimal(0)),
        store_credit=ret.gift_card,
        money_processed_at=min(processed) if processed else None,
        shopify_refund_ids=tuple(dict.fromkeys(p.provider_refund_id for p in ret.refunds if p.provider_refund_id)),
        gift_card_id=ret.gift_card_id,
    )


def _loop_returns(runtime: SyncRuntime, since: datetime, until: datetime) -> list[LoopReturn]:
    found: dict[str, LoopReturn] = {}
    for page in runtime.loop.iter_return_pages(updated_from=since, updated_to=until):
        found.update((str(r.id), r) for r in page)
    return list(found.values())


def _our_ras(runtime: SyncRuntime) -> list[RaState]:
    s = runtime.settings
    fields = StatementFields(loop_id_field=s.ra_loop_id_field, flag_field=s.ra_flag_field)
    pattern = suiteql_list([ExternalId.like_pattern(runtime.store, RecordRole.RA)])[1:-1]
    rows = runtime.netsuite.suiteql(sql.RETURN_AUTHORIZATIONS_BY_EXTERNAL_ID(fields, f"t.externalid LIKE {pattern}"))
    headers = [row for row in rows if (ours := ExternalId.parse_or_none(row.get("externalid"))) and ours.store == runtime.store]
    return lookup.return_authorization_states(runtime.netsuite, headers, s.netsuite_time_zone)


def _in_window(runtime: SyncRuntime, ras: list[RaState], listed: list[LoopReturn], start: datetime) -> list[RaState]:
    """The RAs the report compares: those of listed returns, and the ones changed in the window whose return Loop did
    not list (each looked up once: Loop lists by update time, an RA can change without its return). ``listed`` gains the
    returns found that way; an RA older than the window whose return is not listed is out of scope."""
    known = {str(r.id) for r in listed}
    kept: list[RaState] = []
    for ra in ras:
        rid = ra.loop_return_id
        if rid is None or rid in known:
            kept.append(ra)
            continue
        if ra.last_modified is not None and ra.last_modified < start:
            continue
        kept.append(ra)
        try:
            listed.append(runtime.loop.get_return(rid))
            known.add(rid)
        except PermanentApiError as exc:
            if exc.code != "NOT_FOUND":
                raise  # only "Loop does not know it" makes the RA an orphan
    return kept


def _documents(runtime: SyncRuntime, ras: list[RaState], loop: list[LoopFact]) -> list[NetSuiteDoc]:
    s = runtime.settings
    by_ra = {ra.id: ra for ra in ras}
    docs: list[NetSuiteDoc] = []
    for ra_id, children in lookup.find_children(runtime.netsuite, by_ra).items():
        rid = by_ra[ra_id].loop_return_id or ""
        docs += [
            NetSuiteDoc(c.id, c.record_type, c.tranid, rid, c.total, c.ours is not None)
            for c in children
            if c.record_type is not RecordType.ITEM_RECEIPT
        ]
    crefs = [ExternalId(runtime.store, f.return_id, RecordRole.CREF) for f in loop if f.money_processed_at]
    for ours, record in lookup.find_by_external_ids(runtime.netsuite, crefs).items():
        docs.append(NetSuiteDoc(record.id, record.record_type, record.tranid, ours.loop_return_id, record.total, True))
    # The Shopify connector's own refund documents for the same refunds: a second money document if ours exists too.
    refund_owner = {refund_id: f.return_id for f in loop for refund_id in f.shopify_refund_ids}
    known = {d.id for d in docs}
    for refund_id, record in lookup.find_connector_refunds(
        runtime.netsuite, refund_owner, refund_id_field=s.shopify_refund_id_field
    ).items():
        if record.id not in known:
            docs.append(NetSuiteDoc(record.id, record.record_type, record.tranid, refund_owner[refund_id], record.total, False))
    return docs


def _liability_postings(runtime: SyncRuntime) -> list[tuple[date, Decimal]]:
    account = runtime.settings.store_credit_liability_account
    if account is None:
        return []
    # One account serves every subsidiary: keep the store's (a main-line fact; transaction.subsidiary is NOT_EXPOSED).
    match = f"tal.account = {int(account)}"
    if runtime.settings.subsidiary_id:
        match += f" AND ml.subsidiary = {int(runtime.settings.subsidiary_id)}"
    rows = runtime.netsuite.suiteql(sql.STORE_CREDIT_LIABILITY_POSTINGS(StatementFields(), match))
    return [
        (date.fromisoformat(row["trandate"][:10]), Decimal(row.get("credit") or 0) - Decimal(row.get("debit") or 0))
        for row in rows
        if row.get("trandate")
    ]


@task(name="read Loop, Shopify and NetSuite for reconciliation", task_run_name="reconcile · {store} · read", **RETRY_OPTIONS)
def read_reconciliation_input(store: str, since: datetime | None = None) -> ReconciliationInput:
    """Everything the report compares, read from the three systems and the ledger's quarantine.

    Example:
        >>> read_reconciliation_input.fn("north")  # doctest: +SKIP
    """
    now = utcnow()
    start = since or now - DEFAULT_LOOKBACK
    with open_runtime(store) as runtime:
        loop_returns = _loop_returns(runtime, start, now)
        ras = _in_window(runtime, _our_ras(runtime), loop_returns, start)
        loop = [_loop_fact(r) for r in loop_returns]
        refund_ids = [refund_id for f in loop for refund_id in f.shopify_refund_ids]
        cards = read_gift_cards(runtime.shopify, [f.gift_card_id for f in loop if f.gift_card_id])
        with runtime.ledger.session() as repo:
            quarantine = {e.loop_return_id: f"{e.rule}: {e.reason}" for e in repo.open_quarantine(store)}
        return ReconciliationInput(
            store=store,
            currency=loop[0].currency if loop else "USD",
            loop=tuple(loop),
            shopify_refunds=read_refund_totals(runtime.shopify, refund_ids),
            return_authorizations=tuple(
                RaFact(ra.id, ra.tranid, ra.loop_return_id, ra.status, ra.last_modified) for ra in ras if ra.loop_return_id
            ),
            documents=tuple(_documents(runtime, ras, loop)),
            quarantine=quarantine,
            gift_cards={
                card_id: GiftCardFact(
                    card_id, card.initial_value, card.balance, tuple((d.processed_at.date(), d.amount) for d in card.debits)
                )
                for card_id, card in cards.items()
            },
            liability_postings=tuple(_liability_postings(runtime)),
            liability_account=runtime.settings.store_credit_liability_account,
        )


def build_reconciliation_report(data: ReconciliationInput, store: str) -> ReconciliationReport:
    """Compare under the store's tolerance and stuck-RA threshold (settings read again: the input carries none)."""
    from returns_sync.tasks.runtime import load_settings

    settings = load_settings(store)
    rules = ReconciliationRules(
        now=datetime.now(UTC), amount_tolerance=settings.amount_tolerance, stuck_after_days=settings.stuck_after_days
    )
    return reconcile_store(data, rules)
