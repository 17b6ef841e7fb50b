"""Running again, single returns, dry runs, and flag-once-per-change, on the lifecycle's sandbox."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.flow, pytest.mark.slow, pytest.mark.usefixtures("lifecycle_blocks")]


def _loop_snapshot(sandbox):
    with sandbox.loop._lock:
        return sorted(
            (row["id"], row["state"], row["updated_at"])
            for row in sandbox.loop._db.execute("SELECT id, state, updated_at FROM returns")
        )


def test_a_second_run_creates_nothing_and_writes_nothing_to_loop(lifecycle):
    from returns_sync.flows.run_all import run_all

    before_ns, before_loop = lifecycle.transactions(), _loop_snapshot(lifecycle.sandbox)
    for store in lifecycle.stores:
        state = run_all(store=store, return_state=True)
        assert state.is_completed(), state.message
        for sync, summary in state.result().items():
            assert summary["created"] == 0, (store, sync, summary)
    after_ns = lifecycle.transactions()
    assert after_ns == before_ns
    assert _loop_snapshot(lifecycle.sandbox) == before_loop


def test_dry_run_plans_without_posting(lifecycle):
    from returns_sync.flows.ra_sync import ra_sync

    quarantined = next(iter(lifecycle.quarantined()))
    store = next(c.store for c in lifecycle.world.returns if c.return_id == quarantined)
    before = lifecycle.transactions()
    summary = ra_sync(store=store, return_ids=[quarantined], dry_run=True)
    assert summary["dry_run"] is True
    assert list(summary["quarantined"]) == [quarantined]  # still refused: the data did not change
    assert lifecycle.transactions() == before


def test_a_flag_set_in_netsuite_reaches_loop_once_per_change(lifecycle):
    """Reviewed in Loop while the NetSuite flag stays on: never flagged again (the reference connector's known pain)."""
    from returns_sync.flows.item_receipt_to_loop import item_receipt_to_loop

    sandbox = lifecycle.sandbox
    case = next(c for c in lifecycle.world.returns if c.lifecycle.flag_in_netsuite)
    store = lifecycle.world.store(case.store)
    ra_id = sandbox.return_authorization_id(case.return_id)
    assert sandbox.loop.get_return(case.return_id)["state"] == "review"
    sandbox.loop.review_done(case.return_id)  # a person reviewed it in Loop: back to open
    sandbox.netsuite.set_body_field("returnAuthorization", ra_id, store.ra_flag_field, True)  # touched, flag still on
    item_receipt_to_loop(store=case.store, return_ids=[case.return_id])
    assert sandbox.loop.get_return(case.return_id)["state"] == "open", "re-flagged although the flag did not change"
    sandbox.netsuite.set_body_field("returnAuthorization", ra_id, store.ra_flag_field, False)
    item_receipt_to_loop(store=case.store, return_ids=[case.return_id])
    sandbox.netsuite.set_body_field("returnAuthorization", ra_id, store.ra_flag_field, True)  # flagged again: a new change
    item_receipt_to_loop(store=case.store, return_ids=[case.return_id])
    assert sandbox.loop.get_return(case.return_id)["state"] == "review"


def test_rerun_one_return_after_fixing_its_data(lifecycle):
    """A return quarantined because its SKU matched two NetSuite items posts once the stale item is made inactive."""
    from returns_sync.flows.run_all import run_all

    sandbox, world = lifecycle.sandbox, lifecycle.world
    case = next(c for c in world.returns if c.expected.quarantine_rule == "sku_ambiguous" and c.loop_return["state"] == "open")
    sku = case.loop_return["line_items"][0]["sku"]
    stale = next(i for i in world.catalog if i.custitem_shopify_sku == sku and i.itemid != sku)
    assert sandbox.return_authorization_id(case.return_id) is None
    sandbox.netsuite.update_record("inventoryItem", stale.ns_id, {"isInactive": True})  # the merchant fixes the catalogue
    state = run_all(store=case.store, return_ids=[case.return_id], return_state=True)
    assert state.is_completed(), state.message
    assert sandbox.return_authorization_id(case.return_id) is not None
    assert case.return_id not in lifecycle.quarantined(), "released from quarantine once its data passed"


def test_the_netsuite_cursor_advances_with_the_users_los_angeles_preferences(lifecycle):
    """SuiteQL shows dates as "3/2/2025 2:00 am" in Los Angeles and reads TO_DATE there (NetSuite's defaults):
    the sync still reads lastmodifieddate, windows it, and moves its cursor forward from one run to the next."""
    preferences = lifecycle.sandbox.netsuite.preferences
    assert (preferences.time_zone, preferences.date_format) == ("America/Los_Angeles", "M/D/YYYY h:mm a")
    moved = []
    for store in lifecycle.stores:
        first = lifecycle.cursors_after_first[(store, "item_receipt_to_loop")]
        second = lifecycle.cursor(store, "item_receipt_to_loop")
        assert first.last_value is not None, f"{store}: the first run read no RA inside its window"
        assert second.last_value >= first.last_value
        moved.append(second.last_value > first.last_value)
    # The warehouse received returns between the runs, so at least one store's RAs changed in NetSuite.
    assert any(moved)


def test_a_sync_state_read_back_from_the_api_still_has_its_summary(lifecycle):
    """run_all and the CLI read a sync's summary from its state; under load Prefect may hand back the API's copy.

    Without persisted results that copy has no data and ``result()`` raises MissingResult (seen in CI on a
    busy machine, failing run_all); with them it loads the summary from result storage.
    """
    from prefect.client.orchestration import get_client

    from returns_sync.flows.ra_sync import ra_sync

    store = lifecycle.stores[0]
    state = ra_sync(store=store, return_state=True)
    assert state.is_completed(), state.message
    with get_client(sync_client=True) as client:
        stored = client.read_flow_run(state.state_details.flow_run_id).state
    assert stored is not None and stored.is_completed()
    assert stored.result() == state.result()


def test_a_webhook_run_runs_only_the_syncs_its_events_need_and_reads_loop_once(lifecycle, monkeypatch):
    """The receiver asks run_all for the syncs a burst's events can need; the others do not run at all, and the
    Loop-driven ones among them share one read of the returns from Loop."""
    from returns_sync.connectors.loop import LoopClient
    from returns_sync.domain.syncs import SyncName
    from returns_sync.flows.run_all import run_all

    read: list[str] = []
    get_return = LoopClient.get_return

    def counted(self, return_id):
        read.append(str(return_id))
        return get_return(self, return_id)

    monkeypatch.setattr(LoopClient, "get_return", counted)
    case = next(c for c in lifecycle.world.returns if lifecycle.sandbox.return_authorization_id(c.return_id) is not None)
    wanted = [SyncName.REFUND_SYNC, SyncName.RA_SYNC, SyncName.ITEM_RECEIPT_TO_NETSUITE]
    state = run_all(store=case.store, return_ids=[case.return_id], syncs=wanted, return_state=True)
    assert state.is_completed(), state.message
    assert list(state.result()) == [SyncName.RA_SYNC, SyncName.ITEM_RECEIPT_TO_NETSUITE, SyncName.REFUND_SYNC]
    assert read == [case.return_id]  # three Loop-driven syncs, one read


def test_a_batch_task_run_is_given_listed_returns_and_parses_them_itself(lifecycle, monkeypatch):
    """Issue 12: Prefect keeps a task run's parameters while its state events wait to be sent (the events worker keeps
    the emitting context); handed listed returns, a batch's task run keeps ~30 KB there, not ~400 KB of parsed ones."""
    from returns_sync.domain.listed_returns import ListedReturn
    from returns_sync.flows.ra_sync import ra_sync
    from returns_sync.tasks import return_authorizations

    given: list[type] = []
    parsed: list[type] = []
    post_batch = return_authorizations.post_batch

    def spying_post_batch(runtime, returns, result):
        parsed.extend(type(r) for r in returns)
        post_batch(runtime, returns, result)

    real_read = return_authorizations.read_returns

    def spying_read(returns):
        given.extend(type(r) for r in returns)
        return real_read(returns)

    monkeypatch.setattr(return_authorizations, "post_batch", spying_post_batch)
    monkeypatch.setattr(return_authorizations, "read_returns", spying_read)
    case = lifecycle.world.returns[0]
    ra_sync(store=case.store, return_ids=[case.return_id])
    assert given == [ListedReturn]
    assert [kind.__name__ for kind in parsed] == ["LoopReturn"]
