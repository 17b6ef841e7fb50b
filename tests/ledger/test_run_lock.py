"""The ledger's named lock: exclusive across threads and processes on SQLite and PostgreSQL, gone with its holder."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy.engine import URL

from returns_sync.ledger import Ledger

NAME = "run:ra_sync:north"

# A separate process takes the lock, says so, and holds it until its stdin closes (or it is killed).
HOLDER = """
import sys
from returns_sync.ledger import Ledger
ledger = Ledger(sys.argv[1])
with ledger.hold_lock(sys.argv[2], wait=0) as held:
    print("held" if held else "busy", flush=True)
    sys.stdin.read()
"""


def url_of(ledger: Ledger) -> str:
    url = ledger.engine.url
    return url.render_as_string(hide_password=False) if isinstance(url, URL) else str(url)


def start_holder(ledger: Ledger, name: str = NAME) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url_of(ledger), name],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    assert line == "held", line + (process.stderr.read() if process.stderr and process.poll() is not None else "")
    return process


class TestNamedLock:
    def test_a_second_holder_in_the_same_process_is_refused_until_the_first_lets_go(self, ledger) -> None:
        with ledger.hold_lock(NAME, wait=0) as first, ledger.hold_lock(NAME, wait=0.3) as second:
            assert (first, second) == (True, False)
        with ledger.hold_lock(NAME, wait=0) as again:
            assert again is True

    def test_other_names_are_independent(self, ledger) -> None:
        with ledger.hold_lock(NAME, wait=0) as first, ledger.hold_lock("run:ra_sync:south", wait=0) as other:
            assert (first, other) == (True, True)

    def test_a_waiter_gets_the_lock_when_it_is_released_within_its_wait(self, ledger) -> None:
        release = threading.Event()
        taken = threading.Event()

        def hold() -> None:
            with ledger.hold_lock(NAME, wait=0) as held:
                assert held
                taken.set()
                release.wait(10)

        holder = threading.Thread(target=hold)
        holder.start()
        assert taken.wait(10)
        threading.Timer(0.5, release.set).start()
        started = time.monotonic()
        with ledger.hold_lock(NAME, wait=10) as held:
            assert held is True
        assert 0.3 < time.monotonic() - started < 10
        holder.join(10)

    def test_another_process_holding_it_excludes_this_one_and_its_death_frees_it(self, ledger) -> None:
        holder = start_holder(ledger)
        try:
            with ledger.hold_lock(NAME, wait=0.5) as held:
                assert held is False
        finally:
            holder.kill()  # no clean release: the database / kernel must drop it with the process
            holder.wait(30)
        with ledger.hold_lock(NAME, wait=10) as held:
            assert held is True

    def test_a_process_cannot_take_it_while_this_one_holds_it(self, ledger) -> None:
        with ledger.hold_lock(NAME, wait=0) as held:
            assert held
            process = subprocess.run(
                [sys.executable, "-c", HOLDER, url_of(ledger), NAME], input="", capture_output=True, text=True, timeout=60
            )
            assert process.stdout.strip() == "busy", process.stderr

    @pytest.mark.postgres
    def test_postgres_leaves_no_lock_on_the_pooled_connection(self, pg_url) -> None:
        ledger = Ledger(pg_url)
        try:
            with ledger.hold_lock(NAME, wait=0):
                pass
            with ledger.engine.connect() as connection:
                count = connection.exec_driver_sql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").scalar()
            assert count == 0
        finally:
            ledger.dispose()


def test_an_in_memory_ledger_locks_within_the_process() -> None:
    ledger = Ledger("sqlite://")
    with ledger.hold_lock(NAME, wait=0) as first, Ledger("sqlite:///:memory:").hold_lock(NAME, wait=0.2) as second:
        assert (first, second) == (True, False)
