"""run_all's subflows run without a heartbeat thread, under settings built once per base, not once per run."""

from __future__ import annotations

from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, get_current_settings, temporary_settings

from returns_sync.flows.subflow_settings import subflows_without_heartbeat


def test_inside_the_heartbeat_is_off_and_outside_it_is_as_before() -> None:
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: 30}):
        with subflows_without_heartbeat():
            assert PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value() is None
        assert PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value() == 30


def test_the_same_base_gives_the_same_settings_object_every_run() -> None:
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: 30}):
        with subflows_without_heartbeat() as first:
            pass
        with subflows_without_heartbeat() as second:
            pass
    assert first is second


def test_a_different_base_keeps_its_own_changes() -> None:
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:1/api"}), subflows_without_heartbeat() as one:
        assert get_current_settings().api.url == "http://127.0.0.1:1/api"
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:2/api"}), subflows_without_heartbeat() as other:
        assert get_current_settings().api.url == "http://127.0.0.1:2/api"
        assert PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value() is None
    assert one is not other
