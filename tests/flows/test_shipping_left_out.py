"""POSTING.md's shipping row end to end: with StoreSettings.shipping_item empty, Loop's shipping refund is left off the
refund document and reported, and the return is never quarantined (issue 10)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

# The seed's minimum for every scenario: its refund_shipping returns are the ones this test is about.
RETURNS = 31
LEFT_OUT = "shipping refunds left out (no shipping item)"


@pytest.fixture(scope="module")
def without_shipping_item(
    prefect_api: None, own_ledger: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """A fresh sandbox and ledger; the stores with shipping refunds run twice with shipping_item cleared."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from returns_sandbox.testing import Sandbox
    from returns_sync.blocks.connection_info import store_settings_from_connection_info
    from returns_sync.flows.run_all import run_all
    from returns_sync.tasks.runtime import SETTINGS_CACHE

    sandbox = Sandbox(data_dir=Path(tmp_path_factory.mktemp("sandbox-no-shipping")))
    try:
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            world = sandbox.seed_demo(seed=11, returns=RETURNS)
            sandbox.start()
            cases = [c for c in world.returns if c.expected.scenario == "refund_shipping"]
            stores = sorted({c.store for c in cases})
            info = sandbox.connection_info()
            for store in stores:
                settings = store_settings_from_connection_info(info, store)
                assert settings.shipping_item is not None  # the seed configures one; the test takes it away
                settings.shipping_item = None
                settings.save(settings.block_name, overwrite=True)
            SETTINGS_CACHE.reset()
            runs: list[Any] = []
            for _ in range(2):  # the world moves on between the passes (goods arrive, Loop refunds)
                for store in stores:
                    state = run_all(store=store, return_state=True)
                    assert state.is_completed(), state.message
                    runs.append(state.result())
                sandbox.advance()
            yield {"sandbox": sandbox, "cases": cases, "runs": runs}
    finally:
        sandbox.close()


def _document(sandbox: Any, store: str, return_id: str) -> tuple[str, Decimal, list[int]] | None:
    """(type, total, item ids) of the return's cash refund or credit memo in NetSuite."""
    with sandbox.netsuite.lock:
        row = sandbox.netsuite.conn.execute(
            'SELECT id, type, foreigntotal FROM "transaction" WHERE externalid IN (?, ?)',
            (f"loop-{store}-{return_id}-cr", f"loop-{store}-{return_id}-cm"),
        ).fetchone()
        if row is None:
            return None
        items = sandbox.netsuite.conn.execute(
            'SELECT item FROM transactionline WHERE "transaction" = ? AND item IS NOT NULL', (row[0],)
        ).fetchall()
    return str(row[1]), abs(Decimal(str(row[2]))), [int(item[0]) for item in items]


def test_the_seed_has_shipping_refunds(without_shipping_item: dict[str, Any]) -> None:
    assert without_shipping_item["cases"], "the seed at its minimum size has refund_shipping returns"


def test_refund_document_leaves_shipping_out_and_is_never_quarantined(without_shipping_item: dict[str, Any]) -> None:
    sandbox = without_shipping_item["sandbox"]
    shipping_item = sandbox.world.special_items["shipping"]
    for case in without_shipping_item["cases"]:
        r = case.loop_return
        shipping = Decimal(r["refund_shipping_total"]) + Decimal(r["refund_shipping_tax_total"])
        assert shipping > 0
        document = _document(sandbox, case.store, case.return_id)
        assert document is not None, f"return {case.return_id} got no refund document"
        _type, total, items = document
        gift_card = sum((Decimal(p["amount"]) for p in r["refunds"] if p["gateway"] == "gift_card"), Decimal(0))
        assert total == Decimal(r["refund"]) - gift_card - shipping, case.return_id
        assert shipping_item not in items


def test_every_run_reports_what_was_left_out(without_shipping_item: dict[str, Any]) -> None:
    left_out = sum(run["refund_sync"]["counts"].get(LEFT_OUT, 0) for run in without_shipping_item["runs"])
    assert left_out >= len(without_shipping_item["cases"])
    quarantined = {rid for run in without_shipping_item["runs"] for rid in run["refund_sync"]["quarantined"]}
    assert not quarantined & {case.return_id for case in without_shipping_item["cases"]}
