"""The three-way comparison on hand-made facts: one planted discrepancy of each kind, found exactly, nothing else."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest

from returns_sync.domain.netsuite import RaStatus, RecordType
from returns_sync.domain.three_way import (
    FindingKind,
    GiftCardFact,
    LoopFact,
    NetSuiteDoc,
    RaFact,
    ReconciliationInput,
    ReconciliationRules,
    reconcile_store,
)

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
DAY = timedelta(days=1)
RULES = ReconciliationRules(now=NOW, amount_tolerance=D("0.01"), stuck_after_days=14)


def loop(
    rid: str, *, state: str = "closed", refund: str = "0", credit: str = "0", paid: bool = True, **extra: object
) -> LoopFact:
    return LoopFact(
        return_id=rid,
        state=state,
        currency="USD",
        lines=1,
        refund=D(refund),
        refund_to_gift_card=D(str(extra.pop("to_card", "0"))),
        store_credit=D(credit),
        money_processed_at=NOW - 3 * DAY if paid else None,
        shopify_refund_ids=tuple(extra.pop("refunds", ())),  # type: ignore[arg-type]
        gift_card_id=extra.pop("card", None),  # type: ignore[arg-type]
    )


def ra(rid: str, ra_id: int, status: RaStatus = RaStatus.REFUNDED, age_days: int = 1) -> RaFact:
    return RaFact(ra_id, f"RMA{ra_id}", rid, status, NOW - age_days * DAY)


def doc(rid: str, doc_id: int, record_type: RecordType, total: str, ours: bool = True) -> NetSuiteDoc:
    return NetSuiteDoc(doc_id, record_type, f"T{doc_id}", rid, D(total), ours)


def clean_world() -> dict[str, object]:
    """Five returns that agree everywhere: two refunds, two store credits, one still in transit."""
    return dict(
        loop=[
            loop("r1", refund="48.60", refunds=["s1"]),
            loop("r2", refund="43.60", refunds=["s2"], to_card="10.00"),
            loop("c1", credit="53.60", card="g1"),
            loop("c2", credit="20.00", card="g2"),
            loop("o1", state="open", paid=False),
        ],
        shopify={"s1": D("48.60"), "s2": D("43.60")},
        ras=[ra("r1", 101), ra("r2", 102), ra("c1", 103), ra("c2", 104), ra("o1", 105, RaStatus.PENDING_RECEIPT)],
        docs=[
            doc("r1", 201, RecordType.CASH_REFUND, "48.60"),
            doc("r2", 202, RecordType.CASH_REFUND, "33.60"),
            doc("c1", 203, RecordType.CREDIT_MEMO, "0.00"),
            doc("c2", 204, RecordType.CREDIT_MEMO, "0.00"),
        ],
        quarantine={},
        cards={
            "g1": GiftCardFact("g1", D("53.60"), D("53.60")),
            "g2": GiftCardFact("g2", D("20.00"), D("5.00"), ((date(2026, 12, 2), D("15.00")),)),
        },
        # issued 53.60 + 20.00 + 10.00 back on a card; 15.00 redeemed and booked by the Shopify connector's sale
        gl=[(date(2026, 11, 30), D("83.60")), (date(2026, 12, 2), D("-15.00"))],
    )


def build(world: dict[str, object]) -> ReconciliationInput:
    return ReconciliationInput(
        store="north",
        currency="USD",
        loop=tuple(world["loop"]),  # type: ignore[arg-type]
        shopify_refunds=world["shopify"],  # type: ignore[arg-type]
        return_authorizations=tuple(world["ras"]),  # type: ignore[arg-type]
        documents=tuple(world["docs"]),  # type: ignore[arg-type]
        quarantine=world["quarantine"],  # type: ignore[arg-type]
        gift_cards=world["cards"],  # type: ignore[arg-type]
        liability_postings=tuple(world["gl"]),  # type: ignore[arg-type]
        liability_account=238,
    )


def test_a_world_that_agrees_has_no_findings_and_a_zero_liability_difference() -> None:
    report = reconcile_store(build(clean_world()), RULES)

    assert report.findings == ()
    assert report.liability.outstanding == D("53.60") + D("5.00") + D("10.00")
    assert report.liability.difference == 0


def test_every_planted_discrepancy_is_found_once_and_nothing_else() -> None:
    world = clean_world()
    loop_facts: list[LoopFact] = world["loop"]  # type: ignore[assignment]
    loop_facts += [
        loop("m1", state="open", paid=False),  # missing RA
        loop("q1", state="open", paid=False),  # quarantined: no RA, but its reason says why
        loop("u1", refund="25.00", refunds=["s3"]),  # refunded in Loop and Shopify, nothing booked
        loop("s1x", state="open", paid=False),  # stuck RA
    ]
    world["shopify"] = {**world["shopify"], "s3": D("25.00")}  # type: ignore[dict-item]
    world["ras"] += [ra("u1", 106, RaStatus.PENDING_RECEIPT), ra("s1x", 107, RaStatus.PENDING_REFUND, age_days=20)]  # type: ignore[operator]
    world["docs"] += [doc("c1", 205, RecordType.CREDIT_MEMO, "0.00", ours=False)]  # type: ignore[operator]  # duplicate CM
    world["docs"] = [d if d.id != 201 else doc("r1", 201, RecordType.CASH_REFUND, "50.60") for d in world["docs"]]  # type: ignore[attr-defined]
    world["quarantine"] = {"q1": "sku_mapping: SKU HAT-X matches no NetSuite item"}
    world["cards"]["g1"] = GiftCardFact("g1", D("53.60"), D("43.60"), ((date(2026, 12, 3), D("10.00")),))  # type: ignore[index]

    report = reconcile_store(build(world), RULES)

    found = sorted((f.kind, f.loop_return_id) for f in report.findings)
    assert found == sorted(
        [
            (FindingKind.MISSING_IN_NETSUITE, "m1"),
            (FindingKind.QUARANTINED, "q1"),
            (FindingKind.UNBOOKED_REFUND, "u1"),
            (FindingKind.STUCK_RETURN_AUTHORIZATION, "s1x"),
            (FindingKind.DUPLICATE, "c1"),
            (FindingKind.AMOUNT_DRIFT, "r1"),
            (FindingKind.LIABILITY_DIFFERENCE, None),
        ]
    )
    [drift] = report.of(FindingKind.AMOUNT_DRIFT)
    assert drift.amount == D("2.00") and drift.day == (NOW - 3 * DAY).date()
    [difference] = report.of(FindingKind.LIABILITY_DIFFERENCE)
    assert difference.amount == D("10.00")  # redeemed in Shopify, still carried by the GL
    assert "sku_mapping" in report.of(FindingKind.QUARANTINED)[0].what


@pytest.mark.parametrize(
    ("shopify_amount", "kind"),
    [(None, FindingKind.MISSING_IN_SHOPIFY), (D("48.58"), FindingKind.AMOUNT_DRIFT), (D("48.61"), None)],
)
def test_shopify_side_missing_or_drifting_beyond_the_tolerance(shopify_amount: D | None, kind: FindingKind | None) -> None:
    world = clean_world()
    world["shopify"] = {"s2": D("43.60")} | ({"s1": shopify_amount} if shopify_amount is not None else {})

    report = reconcile_store(build(world), RULES)

    assert [(f.kind, f.loop_return_id) for f in report.findings] == ([(kind, "r1")] if kind else [])


def test_an_ra_naming_a_return_loop_does_not_list_is_missing_in_loop() -> None:
    world = clean_world()
    world["ras"] += [ra("gone", 199, RaStatus.PENDING_RECEIPT)]  # type: ignore[operator]

    assert [(f.kind, f.loop_return_id) for f in reconcile_store(build(world), RULES).findings] == [
        (FindingKind.MISSING_IN_LOOP, "gone")
    ]


def test_a_pending_refund_ra_younger_than_the_threshold_is_not_stuck() -> None:
    world = clean_world()
    world["ras"] = [r if r.id != 105 else ra("o1", 105, RaStatus.PENDING_REFUND, age_days=13) for r in world["ras"]]  # type: ignore[attr-defined]

    assert reconcile_store(build(world), RULES).findings == ()


def test_liability_over_time_follows_issues_and_redemptions_and_the_gl() -> None:
    report = reconcile_store(build(clean_world()), RULES)

    assert report.liability_over_time[-1][1:] == (D("68.60"), D("68.60"))
    assert [day for day, _, _ in report.liability_over_time] == sorted({day for day, _, _ in report.liability_over_time})
