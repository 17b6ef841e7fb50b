"""The per-account NetSuite limit shared by every worker: a Prefect global concurrency limit, taken per request."""

from __future__ import annotations

import threading
import time
import uuid
from contextlib import nullcontext

import pytest

from returns_sync.blocks import NetSuiteCredentials
from returns_sync.blocks.account_limit import account_limit_name, account_limit_slot
from returns_sync.connectors.errors import ConfigurationError


@pytest.mark.parametrize(
    ("account", "name"),
    [("1234567", "netsuite-1234567"), ("1234567_SB1", "netsuite-1234567-sb1"), (" 1234567_rp ", "netsuite-1234567-rp")],
)
def test_the_limit_is_named_after_the_account_host(account: str, name: str) -> None:
    assert account_limit_name(account) == name


def test_off_by_default_so_a_single_process_makes_no_prefect_call_per_request(netsuite_credentials: NetSuiteCredentials) -> None:
    assert netsuite_credentials.limit_across_workers is False
    with netsuite_credentials.get_client() as client:
        assert client._sender._account_slot is nullcontext


def test_on_the_client_takes_a_slot_of_the_accounts_limit(monkeypatch: pytest.MonkeyPatch, netsuite_credentials) -> None:
    taken: list[tuple[str, bool]] = []

    def fake_concurrency(name: str, **options: object) -> nullcontext[None]:
        taken.append((name, bool(options["strict"])))
        return nullcontext()

    monkeypatch.setattr("returns_sync.blocks.account_limit.concurrency", fake_concurrency)
    shared = netsuite_credentials.model_copy(update={"limit_across_workers": True})
    with shared.get_client() as client, client._sender._account_slot():
        pass
    assert taken == [("netsuite-1234567-sb1", True)]


@pytest.mark.slow
def test_a_missing_limit_stops_with_the_command_that_creates_it(prefect_api: None) -> None:
    account = f"{uuid.uuid4().int % 10**7}_SB1"
    with pytest.raises(ConfigurationError) as raised, account_limit_slot(account)():
        pytest.fail("a slot of a limit that does not exist was granted")
    assert f"prefect gcl create {account_limit_name(account)} --limit" in str(raised.value)


@pytest.mark.slow
def test_the_servers_limit_caps_holders_in_every_thread(prefect_api: None) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    account = f"{uuid.uuid4().int % 10**7}"
    with get_client(sync_client=True) as client:
        client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=account_limit_name(account), limit=2))
    slot = account_limit_slot(account)
    holding = 0
    peak = 0
    lock = threading.Lock()

    def request() -> None:
        nonlocal holding, peak
        with slot():
            with lock:
                holding += 1
                peak = max(peak, holding)
            time.sleep(0.2)
            with lock:
                holding -= 1

    threads = [threading.Thread(target=request) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak == 2
