"""The warm worker's threads each keep one Prefect client for their runs instead of building one per run."""

from __future__ import annotations

import threading

from prefect import flow
from prefect.client.orchestration import get_client
from prefect.context import SyncClientContext
from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

from returns_sync.service.warm_runs import keep_prefect_client_for_this_thread


@flow
def _client_of_a_run() -> int:
    return id(get_client(sync_client=True))


def _in_a_thread(work):
    out: list = []
    thread = threading.Thread(target=lambda: out.append(work()))
    thread.start()
    thread.join()
    return out[0]


def test_a_threads_runs_share_its_client_and_another_thread_has_its_own(prefect_api: None) -> None:
    def two_runs() -> tuple[int, int, int]:
        keep_prefect_client_for_this_thread()
        kept = id(SyncClientContext.get().client)
        first = _client_of_a_run()
        keep_prefect_client_for_this_thread()
        return kept, first, _client_of_a_run()

    kept, first, second = _in_a_thread(two_runs)
    assert first == second == kept
    other_kept, _, _ = _in_a_thread(two_runs)
    assert other_kept != kept


def test_without_it_each_run_builds_a_client(prefect_api: None) -> None:
    def two_runs() -> tuple[int, int]:
        return _client_of_a_run(), _client_of_a_run()

    first, second = _in_a_thread(two_runs)
    assert first != second


def test_a_different_api_url_gets_a_client_of_its_own(prefect_api: None) -> None:
    # The same test server under another name: a different URL to the client, a live API to check versions against.
    other_url = str(get_current_settings().api.url).replace("127.0.0.1", "localhost")

    def clients() -> tuple[object, object, str]:
        keep_prefect_client_for_this_thread()
        before = SyncClientContext.get().client
        with temporary_settings(updates={PREFECT_API_URL: other_url}):
            keep_prefect_client_for_this_thread()
            after = SyncClientContext.get().client
        return before, after, str(after.api_url)

    before, after, url = _in_a_thread(clients)
    assert before is not after
    assert url.startswith(other_url)
