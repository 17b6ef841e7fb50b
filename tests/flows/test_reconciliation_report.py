"""The reconciliation report against the sandbox: a synced store, then one discrepancy of each kind planted by hand.

The report must find exactly the planted ones on top of what it found before (the seed's own quarantined returns),
and its store-credit liability must equal sums computed here straight from the emulators' databases.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from returns_sync.domain.three_way import FindingKind, ReconciliationReport

STORE = "north"
REDEEMED = Decimal("7.25")


@dataclass
class Planted:
    sandbox: Any
    before: ReconciliationReport
    after: ReconciliationReport
    expected: set[tuple[FindingKind, str | None]]
    credit_return: str
    gift_card: str
    shop_id: int


def _ns_rows(sandbox: Any, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with sandbox.netsuite.lock:
        return list(sandbox.netsuite.conn.execute(sql, params).fetchall())


def _ns_write(sandbox: Any, sql: str, *params: object) -> None:
    with sandbox.netsuite.lock:
        sandbox.netsuite.conn.execute(sql, params)
        sandbox.netsuite.conn.commit()


def _ra_of(sandbox: Any, rid: str) -> tuple[int, str]:
    [(ra_id, status)] = _ns_rows(sandbox, 'SELECT id, status FROM "transaction" WHERE externalid = ?', f"loop-{STORE}-{rid}-ra")
    return int(ra_id), status


def _our_ras(sandbox: Any) -> dict[str, tuple[int, str]]:
    rows = _ns_rows(
        sandbox,
        "SELECT externalid, id, status FROM \"transaction\" WHERE type = 'RtnAuth' AND externalid LIKE ?",
        f"loop-{STORE}-%",
    )
    return {ext.split("-")[2]: (int(ra_id), status) for ext, ra_id, status in rows}


def _children(sandbox: Any, ra_id: int) -> list[str]:
    return [t for (t,) in _ns_rows(sandbox, 'SELECT type FROM "transaction" WHERE createdfrom = ?', ra_id)]


def _wait_for(check: Any, what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def planted(prefect_api: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Planted]:
    from returns_sandbox.testing import Sandbox, make_return
    from returns_sync.blocks.connection_info import store_settings_from_connection_info
    from returns_sync.flows.reconciliation_report import reconciliation_report
    from returns_sync.flows.run_all import run_all
    from returns_sync.tasks.runtime import LEDGERS, ledger_for, use_store_settings

    home = tmp_path_factory.mktemp("reconciliation")
    previous = os.environ.get("RETURNS_SYNC_LEDGER_URL")
    os.environ["RETURNS_SYNC_LEDGER_URL"] = f"sqlite:///{home / 'ledger.db'}"
    LEDGERS.reset()
    sandbox = Sandbox(data_dir=home / "sandbox")
    try:
        world = sandbox.seed_demo(seed=11, returns=60)
        sandbox.start()
        info = sandbox.connection_info()
        use_store_settings(store_settings_from_connection_info(info, STORE))
        assert run_all(store=STORE, return_state=True).is_completed()
        before = reconciliation_report(store=STORE)

        ras = _our_ras(sandbox)
        loop_json = {rid: sandbox.loop.get_return(rid) for rid in ras}
        touched: set[str] = {f.loop_return_id for f in before.findings if f.loop_return_id}
        untouched = sorted(rid for rid in ras if rid not in touched)

        def pick(test: Any) -> str:
            rid = next(r for r in untouched if test(r))
            untouched.remove(rid)
            return rid

        # 1. Missing RA: a new return Loop has, which NetSuite never saw.
        shop_id = next(s.loop_shop_id for s in world.stores if s.key == STORE)
        donor = loop_json[untouched[0]]
        missing = str(int(max(ras)) + 1000)
        new_return = make_return(
            int(missing),
            created_at=datetime.now(UTC),
            order_name=donor["order_name"],
            provider_order_id=donor["provider_order_id"],
        )
        sandbox.loop.add_return(shop_id, new_return, emit=False)
        # 2. Duplicate credit memo: the Shopify connector's refund sync books the refund we already booked.
        refunded = pick(lambda r: "CashRfnd" in _children(sandbox, ras[r][0]))
        refund_body = loop_json[refunded]
        order = next(o for o in world.orders if o.shopify_id == int(refund_body["provider_order_id"]))
        sandbox.netsuite.post_connector_refund(
            order=order,
            shopify_refund_id=str(refund_body["refunds"][0]["provider_refund_id"]),
            amount=Decimal(str(refund_body["refund"])),
            kind="creditMemo",
        )
        # 3. Drifted amount: a cash refund whose total someone edited by 2.00.
        drifted = pick(lambda r: "CashRfnd" in _children(sandbox, ras[r][0]))
        _ns_write(
            sandbox,
            'UPDATE "transaction" SET foreigntotal = foreigntotal + 2 WHERE externalid = ?',
            f"loop-{STORE}-{drifted}-cr",
        )
        # 5. Unbooked: Loop issues store credit (a Shopify gift card) before the goods are back; NetSuite has nothing yet.
        credit = pick(lambda r: ras[r][1] == "B" and Decimal(str(loop_json[r].get("gift_card") or 0)) > 0)
        # 4. Stuck RA: NetSuite has shown it pending refund for 30 days; nobody refunded in Loop or NetSuite.
        stuck = pick(lambda r: ras[r][1] == "B" and loop_json[r]["state"] == "open" and not _children(sandbox, ras[r][0]))
        old = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S")
        _ns_write(sandbox, "UPDATE \"transaction\" SET status = 'F', lastmodifieddate = ? WHERE id = ?", old, ras[stuck][0])
        sandbox.loop.process_in_admin(credit)
        card = _wait_for(lambda: sandbox.loop.get_return(credit).get("gift_card_id"), "Loop to issue the gift card")
        # 6. Liability difference: the customer spends part of the card; the GL never hears of the credit.
        shop_domain = info["stores"][STORE]["shopify"]["shop_domain"]
        sandbox.shopify.debit_gift_card(shop_domain, int(card), amount=REDEEMED)
        # 7. Quarantine: a return the ledger holds back.
        held = pick(lambda r: True)
        with ledger_for().session() as repo:
            repo.quarantine(store=STORE, sync="ra_sync", loop_return_id=held, rule="sku_unknown", reason="planted for the test")

        after = reconciliation_report(store=STORE)
        expected = {
            (FindingKind.MISSING_IN_NETSUITE, missing),
            (FindingKind.DUPLICATE, refunded),
            (FindingKind.AMOUNT_DRIFT, drifted),
            (FindingKind.STUCK_RETURN_AUTHORIZATION, stuck),
            (FindingKind.UNBOOKED_REFUND, credit),
            (FindingKind.QUARANTINED, held),
            (FindingKind.LIABILITY_DIFFERENCE, None),
        }
        yield Planted(sandbox, before, after, expected, credit, str(card), shop_id)
    finally:
        sandbox.close()
        use_store_settings(None, store=STORE)
        LEDGERS.reset()
        if previous is None:
            os.environ.pop("RETURNS_SYNC_LEDGER_URL", None)
        else:
            os.environ["RETURNS_SYNC_LEDGER_URL"] = previous


def _keys(report: ReconciliationReport) -> set[tuple[FindingKind, str | None]]:
    return {(f.kind, f.loop_return_id) for f in report.findings}


def test_before_planting_the_report_shows_only_the_seeds_quarantined_returns(planted: Planted) -> None:
    assert planted.before.findings, "the seed quarantines some returns on purpose"
    assert {f.kind for f in planted.before.findings} == {FindingKind.QUARANTINED}


def test_the_report_finds_exactly_the_planted_discrepancies(planted: Planted) -> None:
    assert _keys(planted.after) - _keys(planted.before) == planted.expected
    assert _keys(planted.before) <= _keys(planted.after)
    assert len(planted.after.findings) == len(planted.before.findings) + len(planted.expected)


def test_the_drift_is_the_two_dollars_planted(planted: Planted) -> None:
    [drift] = planted.after.of(FindingKind.AMOUNT_DRIFT)
    assert drift.amount == Decimal("2.00")


def test_the_liability_equals_sums_taken_straight_from_the_emulators(planted: Planted) -> None:
    sandbox = planted.sandbox
    issued = Decimal(0)
    for body in sandbox.loop.shop_returns(planted.shop_id):
        done = body.get("outcomes_processed_at") or {}
        if not (done.get("refund_processed") or done.get("gift_card_processed")):
            continue  # Loop has not issued anything for it yet
        issued += Decimal(str(body.get("gift_card") or 0))
        # A refund Loop put back on a gift card (a split payment's gift-card part) is issued credit too, on any
        # return, with or without store credit of its own.
        issued += sum(
            (Decimal(str(part["amount"])) for part in body.get("refunds") or [] if part.get("gateway") == "gift_card"),
            Decimal(0),
        )
    shop_domain = sandbox.connection_info()["stores"][STORE]["shopify"]["shop_domain"]
    card = sandbox.shopify.gift_card_row(shop_domain, int(planted.gift_card))
    redeemed = Decimal(card["initial_value"]) - Decimal(card["balance"])
    # The store's subsidiary only: the account is shared by every store of the NetSuite account.
    [(gl,)] = _ns_rows(
        sandbox,
        "SELECT COALESCE(SUM(tal.credit), 0) - COALESCE(SUM(tal.debit), 0) FROM transactionaccountingline tal "
        'JOIN transactionline ml ON ml."transaction" = tal."transaction" AND ml.mainline = \'T\' '
        "WHERE tal.account = ? AND tal.posting = 'T' AND ml.subsidiary = ?",
        sandbox.netsuite.account_for("gift_card_liability"),
        sandbox.connection_info()["stores"][STORE]["netsuite"]["subsidiary_id"],
    )
    liability = planted.after.liability
    assert redeemed == REDEEMED
    assert (liability.issued, liability.redeemed, liability.outstanding) == (issued, redeemed, issued - redeemed)
    assert liability.gl_balance == Decimal(str(gl))
    assert liability.difference == Decimal(str(gl)) - (issued - redeemed)
    [finding] = planted.after.of(FindingKind.LIABILITY_DIFFERENCE)
    assert finding.amount == liability.difference
    [line] = [x for x in liability.lines if x.loop_return_id == planted.credit_return]
    assert line.gift_card_id == planted.gift_card


def test_the_html_page_renders_offline_in_headless_chromium(planted: Planted, tmp_path: Path) -> None:
    if shutil.which("chromium") is None:
        message = "no chromium on this machine (apt-get install -y chromium; .ci/run installs it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {message}")
        pytest.skip(message)
    from returns_sync.tasks.reconciliation_html import render_reconciliation_html

    page = tmp_path / "report.html"
    page.write_text(render_reconciliation_html(planted.after), encoding="utf-8")
    text = page.read_text()
    # Nothing to fetch: no scripts, stylesheets or images by URL; the only URLs left are XML namespace names.
    assert not re.search(r"<script|<link|<img|src=|href=\"http", text)
    assert set(re.findall(r"https?://[^\"' ]+", text)) <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    common = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions"]
    dom = subprocess.run([*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, check=True).stdout
    assert dom.count("<svg") == 3
    for kind in FindingKind:
        assert f"<td>{kind}</td>" in dom  # the summary row, found or not
        assert (kind.heading in dom) == bool(planted.after.of(kind))
    for rid in (rid for _, rid in planted.expected if rid):
        assert rid in dom
    shot = tmp_path / "report.png"
    subprocess.run(
        [*common, f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri()], capture_output=True, timeout=120, check=True
    )
    assert shot.stat().st_size > 10_000
    keep = os.environ.get("RETURNS_SYNC_KEEP_SCREENSHOT")
    if keep:
        shutil.copyfile(shot, keep)
        shutil.copyfile(page, Path(keep).with_suffix(".html"))
