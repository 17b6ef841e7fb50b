"""``returns-sync chaos``: the comparison's counts on made-up end states, and a small real run that must come out clean."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from returns_bench.chaos.compare import compare
from returns_bench.chaos.plan import ChaosPlan
from returns_bench.chaos.snapshot import NetSuiteDocument, StateSnapshot

RA = NetSuiteDocument("RtnAuth", "B", Decimal("31.64"), ((7, Decimal("-1.00"), Decimal("28.00"), Decimal("-28.00"), "F"),))
CM = NetSuiteDocument("CustCred", None, Decimal("31.64"), ())
NOTE_RA = "NetSuite Return Authorization RMA12 (internal id 812)"
NOTE_CM = "NetSuite Credit Memo CM7 (internal id 913)"
NOTE_RA_AND_CM = f"{NOTE_RA}; {NOTE_CM}"


def _snapshot(**changes: object) -> StateSnapshot:
    snapshot = StateSnapshot(
        documents={"loop-north-1-ra": RA, "loop-north-1-cm": CM},
        external_id_counts=Counter({"loop-north-1-ra": 1, "loop-north-1-cm": 1}),
        ras_per_return=Counter({"1": 1}),
        loop={"1": ("closed", False), "2": ("open", False)},
        loop_notes={"1": [NOTE_RA_AND_CM]},
        quarantine={"2": "sku_unknown"},
        quarantine_reasons={"2": "SKU NOPE-1 is not a NetSuite item"},
        intents={"loop-north-1-ra": "posted", "loop-north-1-cm": "posted"},
        ledger_records={"loop-north-1-ra": ("ra", "returnAuthorization", Decimal("31.64"))},
        linked_returns={"1"},
    )
    for name, value in changes.items():
        setattr(snapshot, name, value)
    return snapshot


class TestCompare:
    def test_identical_runs_count_nothing(self) -> None:
        assert compare(_snapshot(), _snapshot()).as_dict() == {
            "duplicates": 0,
            "missing": 0,
            "mismatched": 0,
            "lost": 0,
            "examples": {},
        }

    def test_a_record_twice_and_a_record_named_in_two_notes_are_duplicates(self) -> None:
        faulted = _snapshot(
            external_id_counts=Counter({"loop-north-1-ra": 2, "loop-north-1-cm": 1}),
            loop_notes={"1": [NOTE_RA_AND_CM, NOTE_CM]},
        )
        counts = compare(_snapshot(), faulted)
        assert (counts.duplicates, counts.missing, counts.mismatched, counts.lost) == (2, 0, 0, 0), counts.examples
        assert "Credit Memo CM7 (internal id 913) named 2 times" in counts.examples["duplicates"][1]

    def test_records_split_over_more_notes_with_other_numbers_count_nothing(self) -> None:
        # A killed run leaves one record pending alone; the other run's NetSuite numbered its records differently.
        faulted = _snapshot(
            loop_notes={"1": ["NetSuite Return Authorization RMA3 (internal id 40)", "NetSuite Credit Memo CM1 (internal id 41)"]}
        )
        assert compare(_snapshot(), faulted).clean

    def test_a_kind_of_record_not_named_is_missing_and_one_named_only_here_is_mismatched(self) -> None:
        faulted = _snapshot(loop_notes={"1": [NOTE_RA, "NetSuite Cash Refund CR2 (internal id 77)"]})
        counts = compare(_snapshot(), faulted)
        assert (counts.duplicates, counts.missing, counts.mismatched) == (0, 1, 1), counts.examples
        assert counts.examples["missing"] == ["Loop return 1: no note names its Credit Memo"]

    def test_a_record_absent_is_missing_and_one_changed_is_mismatched(self) -> None:
        faulted = _snapshot(
            documents={"loop-north-1-ra": NetSuiteDocument("RtnAuth", "H", RA.total, RA.lines)},
            loop={"1": ("open", False), "2": ("open", False)},
        )
        counts = compare(_snapshot(), faulted)
        assert (counts.missing, counts.mismatched) == (1, 2), counts.examples

    def test_a_return_without_trace_and_a_malformed_one_not_held_back_are_lost(self) -> None:
        faulted = _snapshot(
            quarantine={},
            quarantine_reasons={},
            linked_returns=set(),
            ledger_records={},
            malformed={"99"},
            intents={"loop-north-1-ra": "pending"},
        )
        counts = compare(_held_back(_snapshot()), faulted)
        # return 2 (only quarantined in the clean run) has no trace; 1 keeps a NetSuite record but no ledger trace
        assert counts.lost == 4, counts.examples  # returns 1 and 2, malformed 99, the pending intent
        assert any("malformed Loop return 99" in line and "faulted run" in line for line in counts.examples["lost"])

    def test_a_malformed_return_quarantined_alike_in_both_runs_counts_nothing(self) -> None:
        assert compare(_held_back(_snapshot()), _held_back(_snapshot())).clean

    def test_a_malformed_return_the_clean_run_did_not_hold_back_is_not_excused(self) -> None:
        # The clean run is the reference only where it is right: a malformed return it let through (no
        # quarantine, no post) is lost there, and the faulted run's quarantine then differs from it.
        clean = _snapshot(malformed={"99"})
        counts = compare(clean, _held_back(_snapshot()))
        assert (counts.mismatched, counts.lost) == (1, 1), counts.examples
        assert "clean run" in counts.examples["lost"][0]

    def test_a_malformed_return_held_back_under_another_rule_or_without_a_reason_counts(self) -> None:
        other_rule = _held_back(_snapshot())
        other_rule.quarantine["99"] = "sku_unknown"
        assert compare(_held_back(_snapshot()), other_rule).mismatched == 1
        no_reason = _held_back(_snapshot())
        no_reason.quarantine_reasons["99"] = " "
        assert compare(_held_back(_snapshot()), no_reason).lost == 1

    def test_a_malformed_return_posted_in_both_runs_is_mismatched(self) -> None:
        posted = {"loop-north-99-ra": RA}
        clean = _held_back(_snapshot())
        faulted = _held_back(_snapshot())
        clean.documents = {**clean.documents, **posted}
        faulted.documents = {**faulted.documents, **posted}
        assert compare(clean, faulted).mismatched == 1


def _held_back(snapshot: StateSnapshot) -> StateSnapshot:
    """``snapshot`` with planted malformed return 99 quarantined as unreadable, as the product does it."""
    snapshot.malformed = {"99"}
    snapshot.quarantine = {**snapshot.quarantine, "99": "loop_return_unreadable"}
    snapshot.quarantine_reasons = {**snapshot.quarantine_reasons, "99": "refunds: expected a list, got null"}
    return snapshot


@pytest.mark.flow
@pytest.mark.slow
def test_a_small_chaos_run_converges_to_the_clean_run(prefect_harness: None, tmp_path: Path) -> None:
    """Kills, races, lost answers, 429/503s, throttling, triple webhooks and malformed returns: the clean run's end state.

    One malformed return in fifty would plant none among 31; one in six plants five, one of each kind.
    """
    from prefect.settings import PREFECT_API_URL

    from returns_bench.chaos.cli import run_chaos

    # A world this small makes about a hundred NetSuite writes: a tenth of them lose their answer, so some surely do.
    plan = ChaosPlan(returns=31, malformed_every=6, kills_per_pass=1, netsuite_timeout=5.0, netsuite_p_timeout_after_commit=0.1)
    report = run_chaos(plan, workdir=tmp_path, prefect_api_url=str(PREFECT_API_URL.value()), say=print)
    faulted = report["faulted_run"]
    assert (report["duplicates"], report["missing"], report["mismatched"], report["lost"]) == (0, 0, 0, 0), report["examples"]
    ok, total = report["clean_run"]["verified_as_seed_expects"].split("/")
    assert ok == total and int(total) >= 31
    # The faults really happened, so the zeros above mean something.
    assert faulted["kills"] >= 1
    injected = faulted["injected"]["netsuite"]
    assert injected.get("p_429", 0) > 0 and injected.get("p_503", 0) > 0 and injected.get("timeout_after_commit", 0) > 0
    assert faulted["webhook_deliveries"] > 0 and faulted["webhook_runs"] > 0
    assert faulted["netsuite_records"] == report["clean_run"]["netsuite_records"] > 0
    for run in (report["clean_run"], faulted):
        assert run["malformed_planted"] == run["malformed_quarantined"] == 5


def test_returns_sync_chaos_hands_its_options_to_the_harness() -> None:
    from typer.testing import CliRunner

    from returns_sync.cli.app import app

    result = CliRunner().invoke(app, ["chaos", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for option in ("--returns", "--seed", "--json", "--malformed-every", "--kills-per-pass", "--workers"):
        assert option in result.output
