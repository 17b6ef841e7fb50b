"""The label's tracking on the RA, against the Loop and NetSuite emulators on real sockets: ra_sync's batch task run
with ``.fn()`` for returns read from Loop, as a webhook-started run or the schedule reads them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from returns_sandbox.seed.world import ReturnCase
from returns_sandbox.testing import Sandbox
from returns_sync.blocks import StoreSettings
from returns_sync.blocks.connection_info import store_settings_from_connection_info
from returns_sync.connectors.errors import PermanentApiError
from returns_sync.connectors.netsuite import NetSuiteClient
from returns_sync.domain.shipment_tracking import read_date
from returns_sync.ledger import Ledger
from returns_sync.tasks import runtime as runtime_module
from returns_sync.tasks.return_authorizations import post_return_authorizations

STORE = "north"
TRACKING, EXPECTED = "custbody_loop_tracking_number", "custbody_loop_expected_date"
# How far the emulators' clock runs ahead of now: a test moves it to make a later carrier scan.
_AHEAD = [timedelta(0)]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    sandbox = Sandbox(clock=lambda: datetime.now(UTC) + _AHEAD[0])
    sandbox.seed_demo(seed=11, returns=31)
    sandbox.start()
    yield sandbox
    sandbox.close()


@pytest.fixture
def settings(sandbox: Sandbox, ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> Iterator[StoreSettings]:
    """The store's settings as the task loads them, this test's ledger; the RA PATCHes are recorded."""
    settings = store_settings_from_connection_info(sandbox.connection_info(), STORE)
    runtime_module.use_store_settings(settings)
    monkeypatch.setattr(runtime_module, "ledger_for", lambda url=None: ledger)
    yield settings
    runtime_module.use_store_settings(None, store=STORE)
    _AHEAD[0] = timedelta(0)


@pytest.fixture
def patches(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    sent: list[tuple[str, dict[str, Any]]] = []
    update = NetSuiteClient.update_record

    def recording(self: NetSuiteClient, record_type: str, record_id: str | int, body: dict[str, Any], **kw: Any) -> None:
        sent.append((str(record_id), dict(body)))
        update(self, record_type, record_id, body, **kw)

    monkeypatch.setattr(NetSuiteClient, "update_record", recording)
    return sent


def _open_returns(sandbox: Sandbox) -> list[ReturnCase]:
    """North returns that get an RA and whose goods come back, not yet touched by another test."""
    assert sandbox.world is not None
    return [
        c
        for c in sandbox.world.returns
        if c.store == STORE
        and c.expected.quarantine_rule is None
        and c.expected.ra_lines
        and c.lifecycle.warehouse is not None
        and c.loop_return["state"] == "open"
        and sandbox.return_authorization_id(c.return_id) is None
    ]


def _read(settings: StoreSettings, return_id: str) -> Any:
    with settings.get_loop_client() as loop:
        return loop.get_return(return_id)


def _ra_fields(sandbox: Sandbox, return_id: str) -> tuple[str | None, date | None]:
    ra_id = sandbox.return_authorization_id(return_id)
    assert ra_id is not None
    record = sandbox.netsuite.get_record("returnAuthorization", ra_id)
    return record.get(TRACKING), read_date(record.get(EXPECTED))


def test_a_label_before_the_ra_rides_on_the_create_and_a_scan_patches_it_once(
    sandbox: Sandbox, settings: StoreSettings, patches: list[tuple[str, dict[str, Any]]]
) -> None:
    case = _open_returns(sandbox)[0]
    rid = case.return_id
    # The label is bought before the RA exists: nothing in NetSuite to touch yet; Loop sends label.created.
    assert sandbox.loop.update_label(rid, "pre_transit", tracking_number="9400111899220000000001") == "label.created"
    loop_return = _read(settings, rid)
    assert loop_return.tracking_number == "9400111899220000000001"
    day = read_date(loop_return.label_updated_at)
    assert day is not None

    first = post_return_authorizations.fn(STORE, [loop_return], batch=1)
    assert first.counts["RA created"] == 1
    assert _ra_fields(sandbox, rid) == ("9400111899220000000001", day + timedelta(days=settings.return_transit_days))
    assert patches == []  # carried by the create, no second request

    again = post_return_authorizations.fn(STORE, [_read(settings, rid)], batch=1)
    assert again.counts["already had an RA"] == 1 and "tracking recorded on the RA" not in again.counts
    assert patches == []

    # The carrier scans the parcel: label.updated, the same number, a new date.
    _AHEAD[0] = timedelta(days=2)
    assert sandbox.loop.update_label(rid, "in_transit") == "label.updated"
    scanned = _read(settings, rid)
    scan_day = read_date(scanned.label_updated_at)
    assert scan_day is not None and scan_day > day
    result = post_return_authorizations.fn(STORE, [scanned], batch=1)
    assert result.counts["tracking recorded on the RA"] == 1
    ra_id = str(sandbox.return_authorization_id(rid))
    assert patches == [(ra_id, {EXPECTED: (scan_day + timedelta(days=settings.return_transit_days)).isoformat()})]
    assert _ra_fields(sandbox, rid)[1] == scan_day + timedelta(days=settings.return_transit_days)

    # A redelivery of the same event, or the scheduled run reading the same return: nothing is sent.
    post_return_authorizations.fn(STORE, [_read(settings, rid)], batch=1)
    assert len(patches) == 1


def test_an_ra_made_without_tracking_gets_it_from_the_next_run(
    sandbox: Sandbox, settings: StoreSettings, patches: list[tuple[str, dict[str, Any]]]
) -> None:
    case = _open_returns(sandbox)[0]
    rid = case.return_id
    sandbox.loop.render_fields(rid, {"tracking_number": None, "label_status": "N/A"})  # no label yet
    created = post_return_authorizations.fn(STORE, [_read(settings, rid)], batch=1)
    assert created.counts["RA created"] == 1
    assert _ra_fields(sandbox, rid) == (None, None)

    assert sandbox.loop.update_label(rid, "in_transit", tracking_number="1Z999AA10123456784", carrier="UPS") == "label.created"
    labelled = _read(settings, rid)
    day = read_date(labelled.label_updated_at)
    assert day is not None
    result = post_return_authorizations.fn(STORE, [labelled], batch=1)
    assert result.counts["tracking recorded on the RA"] == 1
    assert _ra_fields(sandbox, rid) == ("1Z999AA10123456784", day + timedelta(days=settings.return_transit_days))
    post_return_authorizations.fn(STORE, [_read(settings, rid)], batch=1)
    assert len(patches) == 1


def test_a_store_that_turned_the_fields_off_writes_nothing(
    sandbox: Sandbox, settings: StoreSettings, patches: list[tuple[str, dict[str, Any]]]
) -> None:
    settings.ra_tracking_number_field = None
    settings.ra_expected_date_field = None
    case = _open_returns(sandbox)[0]
    sandbox.loop.update_label(case.return_id, "in_transit", tracking_number="9400111899220000000099")
    post_return_authorizations.fn(STORE, [_read(settings, case.return_id)], batch=1)
    assert _ra_fields(sandbox, case.return_id) == (None, None)
    assert patches == []


def test_a_refused_patch_is_an_error_of_the_run_not_a_quarantine(
    sandbox: Sandbox, settings: StoreSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = _open_returns(sandbox)[0]
    rid = case.return_id
    sandbox.loop.render_fields(rid, {"tracking_number": None})
    post_return_authorizations.fn(STORE, [_read(settings, rid)], batch=1)

    def refuse(self: NetSuiteClient, record_type: str, record_id: str | int, body: dict[str, Any], **kw: Any) -> None:
        raise PermanentApiError("You do not have permission to edit this field.", vendor="netsuite", status_code=403)

    monkeypatch.setattr(NetSuiteClient, "update_record", refuse)
    sandbox.loop.update_label(rid, "in_transit", tracking_number="9400111899220000000123")
    result = post_return_authorizations.fn(STORE, [_read(settings, rid)], batch=1)
    assert [rid_ for rid_, _ in result.errors] == [rid]
    assert "refused the tracking" in result.errors[0][1]
    assert result.quarantined == []
    assert _ra_fields(sandbox, rid) == (None, None)
