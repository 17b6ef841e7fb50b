"""The run lock's wait setting, and how a skipped run reads in its artifact and summary."""

from __future__ import annotations

import pytest

from returns_sync.domain.syncs import SyncName
from returns_sync.tasks.exclusive_run import DEFAULT_RUN_LOCK_WAIT, RUN_LOCK_WAIT_ENV, run_lock_name, run_lock_wait
from returns_sync.tasks.reporting import render_markdown, summarise
from returns_sync.tasks.results import BatchResult


class TestWait:
    def test_default_and_override(self, monkeypatch) -> None:
        monkeypatch.delenv(RUN_LOCK_WAIT_ENV, raising=False)
        assert run_lock_wait() == DEFAULT_RUN_LOCK_WAIT
        monkeypatch.setenv(RUN_LOCK_WAIT_ENV, "2.5")
        assert run_lock_wait() == 2.5
        monkeypatch.setenv(RUN_LOCK_WAIT_ENV, "0")
        assert run_lock_wait() == 0

    @pytest.mark.parametrize("raw", ["soon", "-1", "nan"])
    def test_a_wait_that_is_not_seconds_is_refused_by_name(self, monkeypatch, raw) -> None:
        monkeypatch.setenv(RUN_LOCK_WAIT_ENV, raw)
        with pytest.raises(ValueError, match=RUN_LOCK_WAIT_ENV):
            run_lock_wait()

    def test_one_lock_per_sync_and_store(self) -> None:
        names = {run_lock_name(store, sync) for store in ("north", "south") for sync in SyncName.syncs()}
        assert len(names) == 2 * len(SyncName.syncs())
        assert run_lock_name("north", SyncName.RA_SYNC) == "run:ra_sync:north"


def test_a_skipped_run_says_why_in_its_artifact_and_summary() -> None:
    result = BatchResult(sync=SyncName.RA_SYNC, store="north")
    result.skipped = "another run of ra_sync holds store north (waited 15 s)"
    markdown = render_markdown(result)
    assert "**Skipped:** another run of ra_sync holds store north (waited 15 s). Nothing was read or posted." in markdown
    assert "nothing to do" not in markdown
    assert summarise(result)["skipped"] == result.skipped
    assert summarise(BatchResult(sync=SyncName.RA_SYNC, store="north"))["skipped"] is None
