"""ra_sync's batch task, run with ``.fn()`` over the fakes: one RA per return, none twice, even across a crash."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import SHIRT, STORE
from fakes import TAX_8, FakeNetSuite, FakeShopify, loop_return

from returns_sync.blocks import StoreSettings
from returns_sync.domain.loop import LoopReturn
from returns_sync.ledger import IntentStatus, Ledger
from returns_sync.tasks import runtime as runtime_module
from returns_sync.tasks.return_authorizations import post_return_authorizations

SO_ID = 5001


class ProcessDied(BaseException):
    """The worker dies mid-create: no ``except Exception`` runs, nothing after it is recorded."""


@pytest.fixture
def task_env(
    monkeypatch: pytest.MonkeyPatch, store_settings: StoreSettings, ledger: Ledger, netsuite: FakeNetSuite, shopify: FakeShopify
) -> Iterator[FakeNetSuite]:
    """What ``open_runtime`` loads inside a task: these settings, this ledger, the fakes as clients; order #1001 in NetSuite."""
    runtime_module.use_store_settings(store_settings)
    monkeypatch.setattr(runtime_module, "ledger_for", lambda url=None: ledger)
    monkeypatch.setattr(StoreSettings, "get_netsuite_client", lambda self: netsuite)
    monkeypatch.setattr(StoreSettings, "get_shopify_client", lambda self: shopify)
    netsuite.add_order_1001(SO_ID)
    netsuite.add_line(SO_ID, 1, item=SHIRT, quantity=-2, rate="50.00", taxcode=TAX_8)
    netsuite.items.append({"id": str(SHIRT), "itemid": "SHIRT", "isinactive": "F"})
    yield netsuite
    runtime_module.use_store_settings(None, store=STORE)


def _returns() -> list[LoopReturn]:
    return [
        loop_return("7001", created_at="2025-03-01T10:00:00Z"),
        loop_return("7002", created_at="2025-03-01T11:00:00Z"),  # the order's second shirt
        loop_return("7003", shopify_order_id="404", order="#404", created_at="2025-03-01T12:00:00Z"),
    ]


def _ras(netsuite: FakeNetSuite) -> list[str]:
    return sorted(t["externalid"] for t in netsuite.transactions if t["type"] == "RtnAuth")


def test_one_ra_per_return_linked_to_its_order_and_the_unmatched_one_quarantined(task_env: FakeNetSuite, ledger: Ledger) -> None:
    result = post_return_authorizations.fn(STORE, _returns(), batch=1)
    assert _ras(task_env) == ["loop-north-7001-ra", "loop-north-7002-ra"]
    assert [(c.from_type, c.from_id) for c in task_env.creates] == [("salesOrder", str(SO_ID))] * 2
    assert result.counts["RA created"] == 2
    assert [(q.loop_return_id, q.rule) for q in result.quarantined] == [("7003", "order_not_in_netsuite")]
    with ledger.session() as repo:
        links = {rid: repo.get_link(STORE, rid) for rid in ("7001", "7002")}
        assert repo.returned_quantity_by_so_line(STORE, SO_ID) == {1: 2}
        assert [e.loop_return_id for e in repo.open_quarantine(STORE, "ra_sync")] == ["7003"]
    assert {rid: link.ns_sales_order_id for rid, link in links.items()} == {"7001": str(SO_ID), "7002": str(SO_ID)}


def test_a_second_run_creates_nothing(task_env: FakeNetSuite) -> None:
    post_return_authorizations.fn(STORE, _returns(), batch=1)
    again = post_return_authorizations.fn(STORE, _returns(), batch=1)
    assert len(task_env.creates) == 2
    assert again.counts["already had an RA"] == 2 and "RA created" not in again.counts


def test_a_crash_after_netsuite_committed_is_linked_by_the_rerun_not_created_again(
    task_env: FakeNetSuite, ledger: Ledger
) -> None:
    task_env.faults.append(("after", ProcessDied()))
    with pytest.raises(ProcessDied):
        post_return_authorizations.fn(STORE, _returns(), batch=1)
    assert _ras(task_env) == ["loop-north-7001-ra"]

    rerun = post_return_authorizations.fn(STORE, _returns(), batch=1)
    assert _ras(task_env) == ["loop-north-7001-ra", "loop-north-7002-ra"]
    assert [c.body["externalId"] for c in task_env.creates] == ["loop-north-7001-ra", "loop-north-7002-ra"]
    assert (rerun.counts["found in NetSuite after an interrupted run"], rerun.counts["RA created"]) == (1, 1)
    with ledger.session() as repo:
        assert repo.get_intent("loop-north-7001-ra").status == IntentStatus.POSTED
        assert repo.returned_quantity_by_so_line(STORE, SO_ID) == {1: 2}


def test_a_dry_run_plans_and_posts_nothing(task_env: FakeNetSuite, ledger: Ledger) -> None:
    result = post_return_authorizations.fn(STORE, _returns(), batch=1, dry_run=True)
    assert task_env.creates == []
    assert [(p["loop_return_id"], p["external_id"], p["total"]) for p in result.planned] == [
        ("7001", "loop-north-7001-ra", "48.60"),
        ("7002", "loop-north-7002-ra", "48.60"),
    ]
    with ledger.session() as repo:
        assert repo.open_quarantine(STORE) == [] and repo.get_link(STORE, "7001") is None
