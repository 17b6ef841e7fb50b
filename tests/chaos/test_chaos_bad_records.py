"""Bad records and refused credentials, end to end on the sandbox: a return Loop renders oddly, ids that are no
Loop ids, and a NetSuite token taken away in the middle of a run."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from chaos_world import ChaosWorld, completed

from returns_sync.flows.ra_sync import ra_sync
from returns_sync.tasks.failures import CREDENTIALS_REFUSED

pytestmark = [pytest.mark.flow, pytest.mark.slow]


def _plain_returns(world: ChaosWorld, store: str, count: int) -> list[str]:
    """Returns of ``store`` that get an RA of their own and no quarantine (alone on their order)."""
    cases = [c for c in world.world.returns if c.store == store]
    orders = [c.loop_return["provider_order_id"] for c in cases]
    plain = [
        c
        for c in cases
        if c.expected.ra_lines
        and not c.expected.quarantine_rule
        and orders.count(c.loop_return["provider_order_id"]) == 1
        and c.loop_return["state"] in ("open", "review", "closed")
    ]
    plain.sort(key=lambda c: (c.loop_return["created_at"], int(c.return_id)))
    return [c.return_id for c in plain[:count]]


def _bad_shapes(world: ChaosWorld, ids: list[str]) -> dict[str, dict[str, Any]]:
    """One odd rendering per return: a null list, a NaN price, a date that is no date, a state Loop never documented."""
    lines = world.sandbox.loop.get_return(ids[1])["line_items"]
    nan_lines = [{**lines[0], "price": "NaN"}, *lines[1:]]
    return {
        ids[0]: {"refunds": None},
        ids[1]: {"line_items": nan_lines},
        ids[2]: {"created_at": "not a date"},
        ids[3]: {"state": "archived"},
    }


@dataclass
class Malformed:
    world: ChaosWorld
    shapes: dict[str, dict[str, Any]]
    first: dict[str, Any] = field(default_factory=dict)
    first_quarantine: dict[str, Any] = field(default_factory=dict)
    cursor_after_first: Any = None
    ras_after_first: dict[str, int] = field(default_factory=dict)  # north return id -> RAs in NetSuite
    later: list[dict[str, Any]] = field(default_factory=list)
    later_quarantine: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="class")
def malformed(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Malformed]:
    """North: four returns Loop renders in shapes the sync cannot read; later Loop renders them properly again."""
    world = ChaosWorld(tmp_path_factory.mktemp("malformed"))
    try:
        loop = world.sandbox.loop
        shapes = _bad_shapes(world, _plain_returns(world, "north", 4))
        originals = {rid: loop.get_return(rid) for rid in shapes}
        for rid, fields in shapes.items():
            loop.render_fields(rid, fields)
        outcome = Malformed(world, shapes)
        outcome.first = world.run_pass()
        outcome.first_quarantine = world.quarantine()
        north = [c.return_id for c in world.world.returns if c.store == "north"]
        outcome.ras_after_first = {rid: len(world.return_authorizations(rid)) for rid in north}
        with world.ledger().session() as repo:
            outcome.cursor_after_first = repo.get_cursor("north", "ra_sync")
        for rid, fields in shapes.items():
            loop.render_fields(rid, {name: originals[rid][name] for name in fields})
        outcome.later = world.lifecycle()
        outcome.later_quarantine = world.quarantine()
        yield outcome
    finally:
        world.close()


class TestAMalformedReturnIsHeldAndTheRestGoesOn:
    def test_every_run_completes(self, malformed: Malformed) -> None:
        assert completed(malformed.first) == {"north": "COMPLETED", "south": "COMPLETED"}, {
            store: state.message for store, state in malformed.first.items()
        }

    def test_each_malformed_return_is_quarantined_with_its_field_and_reason(self, malformed: Malformed) -> None:
        held = {rid: malformed.first_quarantine[rid] for rid in malformed.shapes}
        assert {entry.rule for entry in held.values()} == {"loop_return_shape"}
        ids = list(malformed.shapes)
        assert held[ids[0]].reason == f"Loop return {ids[0]} cannot be read: refunds is null, expected a list"
        assert "line_items[0].price is 'NaN'" in held[ids[1]].reason
        assert "created_at is 'not a date', expected a date and time" in held[ids[2]].reason
        assert "state is 'archived'" in held[ids[3]].reason

    def test_the_other_returns_of_the_page_posted_and_the_cursor_moved(self, malformed: Malformed) -> None:
        ras = malformed.ras_after_first
        assert len([rid for rid, count in ras.items() if count and rid not in malformed.shapes]) >= 10
        assert [ras[rid] for rid in malformed.shapes] == [0, 0, 0, 0]
        assert malformed.cursor_after_first is not None and malformed.cursor_after_first.last_value is not None

    def test_once_loop_renders_them_properly_they_are_released_and_everything_ends_as_expected(
        self, malformed: Malformed
    ) -> None:
        assert all(completed(states) == {"north": "COMPLETED", "south": "COMPLETED"} for states in malformed.later)
        assert not set(malformed.shapes) & set(malformed.later_quarantine)
        malformed.world.assert_matches_expectations()
        assert malformed.world.repeated_external_ids() == []


class TestIdsThatAreNoLoopIds:
    def test_a_rerun_with_a_bad_id_still_posts_the_good_one(self, make_world: Any) -> None:
        world = make_world(returns=31)
        apps = world.sandbox.apps()
        queries = QueryLog(apps["loop"].app)
        apps["loop"].app = queries
        [good] = _plain_returns(world, "north", 1)
        state = world.run_flow(ra_sync, "north", return_ids=["abc", "12; DROP", good])
        assert state.is_completed(), state.message
        summary = state.result()
        assert summary["counts"]["ids refused (not a Loop return id)"] == 2
        assert [ra[1] for ra in world.return_authorizations(good)] == [f"loop-north-{good}-ra"]
        assert queries.seen and not [q for q in queries.seen if "abc" in q or "DROP" in q]  # never sent to Loop


class QueryLog:
    """ASGI wrapper: the query string of every request that reached the emulator."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.seen.append(scope.get("query_string", b"").decode("latin-1"))
        await self.app(scope, receive, send)


def assert_only_the_seeds_bad_data_is_quarantined(world: ChaosWorld) -> None:
    """Returns held back are the seed's bad data (each with its expected rule), never for a refused credential."""
    expected = {c.return_id: c.expected.quarantine_rule for c in world.world.returns}
    held = world.quarantine()
    assert {rid: entry.rule for rid, entry in held.items()} == {rid: expected[rid] for rid in held}
    refused = ("login", "invalid api key", "access token", "refused store")
    assert not [e.reason for e in held.values() if any(word in e.reason.lower() for word in refused)]


class TakeTokenAway:
    """ASGI wrapper: after ``after`` NetSuite API requests, the store's token goes Inactive (the run is mid-way)."""

    def __init__(self, app: Any, netsuite: Any, token_id: str, *, after: int) -> None:
        self.app, self.netsuite, self.token_id, self.after = app, netsuite, token_id, after
        self.seen = 0
        self._lock = threading.Lock()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/_sandbox"):
            with self._lock:
                self.seen += 1
                if self.seen == self.after:
                    self.netsuite.set_token_inactive(self.token_id, True)
        await self.app(scope, receive, send)


class TestATokenTakenAwayMidRun:
    def test_the_run_fails_naming_the_credential_quarantines_nothing_and_recovers(self, make_world: Any) -> None:
        world = make_world(returns=31)
        token_id = world.settings["north"].netsuite_credentials.token_id.get_secret_value()
        apps = world.sandbox.apps()
        taker = TakeTokenAway(apps["netsuite"].app, world.sandbox.netsuite, token_id, after=12)
        apps["netsuite"].app = taker
        from returns_sync.flows.run_all import run_all

        state = world.run_flow(run_all, "north")
        assert taker.seen > 12, "the token must go away during the run, not before it"
        assert state.is_failed() and state.name == CREDENTIALS_REFUSED, state.message
        assert (
            "NetSuite refused store north's credentials (block netsuite-north, the netsuite_credentials of store-north)"
            in state.message
        )
        assert "INVALID_LOGIN" in state.message
        assert token_id not in state.message
        assert_only_the_seeds_bad_data_is_quarantined(world)

        world.sandbox.netsuite.set_token_inactive(token_id, False)  # someone fixed the token
        for states in world.lifecycle():
            assert completed(states) == {"north": "COMPLETED", "south": "COMPLETED"}
        world.assert_matches_expectations()
        assert world.repeated_external_ids() == []


class TestOtherRefusedCredentials:
    """Loop's 401 and Shopify's 401 stop the run the same way: named, and nothing quarantined for them."""

    def test_a_refused_loop_key_stops_the_run_naming_loop_credentials(self, make_world: Any) -> None:
        from pydantic import SecretStr

        from returns_sync.flows.run_all import run_all

        world = make_world(returns=31)
        good = world.settings["north"]
        world.settings["north"] = good.model_copy(
            update={"loop_credentials": good.loop_credentials.model_copy(update={"api_key": SecretStr("rotated-away")})}
        )
        before = world.transaction_count()
        state = world.run_flow(run_all, "north")
        assert state.is_failed() and state.name == CREDENTIALS_REFUSED, state.message
        assert "Loop refused store north's credentials (block loop-north, the loop_credentials of store-north)" in state.message
        assert "rotated-away" not in state.message
        assert world.quarantine() == {} and world.transaction_count() == before

    def test_a_refused_shopify_token_stops_the_run_naming_shopify_credentials(self, make_world: Any) -> None:
        from pydantic import SecretStr

        world = make_world(returns=31)
        for store, good in list(world.settings.items()):
            token = good.shopify_credentials.model_copy(update={"access_token": SecretStr("shpat_revoked")})
            world.settings[store] = good.model_copy(update={"shopify_credentials": token})
        states = world.lifecycle(max_passes=2)
        refused = {store: s for states_ in states for store, s in states_.items() if s.name == CREDENTIALS_REFUSED}
        assert refused, "an upsell exchange asks Shopify about its payment: the refused token must stop that run"
        for store, state in refused.items():
            assert (
                f"Shopify refused store {store}'s credentials (block shopify-{store}, the shopify_credentials of store-{store})"
                in state.message
            )
            assert "shpat_revoked" not in state.message
        assert_only_the_seeds_bad_data_is_quarantined(world)
