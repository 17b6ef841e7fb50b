"""The hub's people and RA approval: the warehouse never receives an unapproved RA; who approves depends on the store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from returns_sandbox.hub import Sandbox
from returns_sandbox.seed import build_world
from returns_sandbox.seed.world import ReturnCase, World


def _world(*, sync_approves: bool) -> World:
    world = build_world(seed=7, returns=40, now=datetime(2025, 3, 1, 12, 0, tzinfo=UTC))
    stores = tuple(replace(s, approve_return_authorizations=sync_approves) if s.key == "north" else s for s in world.stores)
    return replace(world, stores=stores)


def _received_in_netsuite(world: World) -> ReturnCase:
    return next(
        c
        for c in world.returns
        if c.store == "north" and c.lifecycle.warehouse == "netsuite" and c.loop_return.get("state") == "open"
    )


def _pending_ra(sandbox: Sandbox, case: ReturnCase) -> int:
    """The RA a sync would create for ``case``, without orderStatus: Pending Approval under north's preference."""
    assert sandbox.world is not None
    order = next(o for o in sandbox.world.orders if o.shopify_id == int(case.loop_return["provider_order_id"]))
    assert order.ns_so_id is not None
    ra = sandbox.netsuite.transform_record(
        "salesOrder", order.ns_so_id, "returnAuthorization", {"custbody_loop_return_id": case.return_id}
    )
    assert sandbox.netsuite.is_pending_approval(ra)
    return ra


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    sandbox = Sandbox()
    yield sandbox
    sandbox.close()


def test_a_store_that_does_not_approve_relies_on_the_accountant(sandbox: Sandbox) -> None:
    world = _world(sync_approves=False)
    sandbox.load(world)
    case = _received_in_netsuite(world)
    ra = _pending_ra(sandbox, case)
    done = sandbox.advance()
    assert done["RA approved in NetSuite"] == 1 and done["received in NetSuite"] == 1
    assert sandbox.netsuite.get_record("returnAuthorization", ra)["status"] != "A"


def test_a_store_whose_sync_approves_is_left_to_it_and_the_warehouse_waits(sandbox: Sandbox) -> None:
    world = _world(sync_approves=True)
    sandbox.load(world)
    case = _received_in_netsuite(world)
    ra = _pending_ra(sandbox, case)
    done = sandbox.advance()
    assert "RA approved in NetSuite" not in done and "received in NetSuite" not in done
    assert sandbox.netsuite.is_pending_approval(ra)
    sandbox.netsuite.update_record("returnAuthorization", ra, {"orderStatus": "B"})  # what the sync does
    assert sandbox.advance()["received in NetSuite"] == 1
