"""Money and time columns: exact Decimals and aware UTC datetimes on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from returns_sync.ledger import Ledger


def _record(repo, ns_id: str, total) -> None:
    repo.record_netsuite_record(
        store="acme", loop_return_id="r1", role="cm", record_type="creditMemo", ns_id=ns_id, total=total, currency="USD"
    )


class TestMoneyRoundTrip:
    @pytest.mark.parametrize(
        "amount",
        [
            Decimal("48.60"),
            Decimal("0.1"),
            Decimal("-5.00"),
            Decimal("0.0001"),
            # 18 significant digits: a float keeps only ~15-17, so this fails if the value ever passes through one.
            Decimal("99999999999999.9999"),
            Decimal("12345678901234.5678"),
            Decimal("-12345678901234.5671"),
        ],
    )
    def test_decimal_comes_back_exactly(self, ledger: Ledger, amount: Decimal) -> None:
        with ledger.session() as repo:
            _record(repo, "1", amount)
        with ledger.session() as repo:
            (stored,) = repo.netsuite_records("acme", "r1")
        assert isinstance(stored.total, Decimal)
        assert stored.total == amount
        assert stored.total.as_tuple().exponent == -4  # NUMERIC(18, 4) scale

    def test_sqlite_stores_exact_text_not_a_float(self, sqlite_url: str) -> None:
        ledger = Ledger(sqlite_url)
        ledger.migrate()
        with ledger.session() as repo:
            _record(repo, "1", Decimal("12345678901234.5678"))
        with ledger.engine.connect() as connection:
            raw, kind = connection.execute(text("SELECT total, typeof(total) FROM netsuite_records")).one()
        assert (raw, kind) == ("12345678901234.5678", "text")
        ledger.dispose()

    @pytest.mark.postgres
    def test_postgres_column_is_numeric_18_4(self, pg_url) -> None:
        ledger = Ledger(pg_url)
        ledger.migrate()
        with ledger.engine.connect() as connection:
            precision, scale = connection.execute(
                text(
                    "SELECT numeric_precision, numeric_scale FROM information_schema.columns "
                    "WHERE table_name = 'netsuite_records' AND column_name = 'total'"
                )
            ).one()
        ledger.dispose()
        assert (precision, scale) == (18, 4)

    def test_float_is_refused(self, ledger: Ledger) -> None:
        with pytest.raises(StatementError, match="never a float"), ledger.session() as repo:
            _record(repo, "1", 48.6)

    def test_out_of_range_is_refused_on_both_databases(self, ledger: Ledger) -> None:
        with pytest.raises(StatementError, match=r"out of range for NUMERIC\(18,4\)"), ledger.session() as repo:
            _record(repo, "1", Decimal("100000000000000"))

    def test_more_than_four_decimals_round_half_up_to_the_column_scale(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            _record(repo, "1", Decimal("1.00005"))
            _record(repo, "2", Decimal("1.00015"))
        with ledger.session() as repo:
            totals = [r.total for r in repo.netsuite_records("acme", "r1")]
        assert totals == [Decimal("1.0001"), Decimal("1.0002")]

    def test_money_in_json_details_is_kept_as_exact_text(self, ledger: Ledger) -> None:
        with ledger.session() as repo:
            repo.quarantine(
                store="acme",
                sync="refund_sync",
                loop_return_id="r1",
                rule="total_mismatch",
                reason="totals differ",
                details={"expected": Decimal("48.60"), "actual": Decimal("0.1")},
            )
        with ledger.session() as repo:
            (entry,) = repo.open_quarantine("acme")
        assert entry.details == {"expected": "48.60", "actual": "0.1"}


class TestTimestamps:
    def test_aware_datetimes_come_back_in_utc(self, ledger: Ledger) -> None:
        eastern = timezone(timedelta(hours=-5))
        moment = datetime(2025, 3, 1, 7, 30, 15, 123456, tzinfo=eastern)
        with ledger.session() as repo:
            repo.upsert_link("acme", "r1", loop_processed_by_us_at=moment)
        with ledger.session() as repo:
            link = repo.get_link("acme", "r1")
        assert link.loop_processed_by_us_at == moment
        assert link.loop_processed_by_us_at.tzinfo is UTC
        assert link.loop_processed_by_us_at.hour == 12
        assert link.created_at.tzinfo is UTC

    def test_naive_datetime_is_refused(self, ledger: Ledger) -> None:
        with pytest.raises(StatementError, match="naive datetime refused"), ledger.session() as repo:
            repo.upsert_link("acme", "r1", loop_processed_by_us_at=datetime(2025, 3, 1, 7, 30))
