"""``returns_sandbox.testing``: its public names exist, and ``demo_sandbox`` serves a seeded world and cleans up."""

from __future__ import annotations

import httpx

from returns_sandbox import testing


def test_every_public_name_exists() -> None:
    assert [name for name in testing.__all__ if not hasattr(testing, name)] == []
    # Sorted the way ruff's RUF022 sorts ``__all__``: CONSTANTS, then Classes, then functions.
    assert sorted(testing.__all__, key=_ruf022_order) == testing.__all__


def _ruf022_order(name: str) -> tuple[int, str]:
    return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)


def test_demo_sandbox_serves_the_seeded_stores_and_stops_on_exit() -> None:
    with testing.demo_sandbox(returns=24) as sandbox:
        info = sandbox.connection_info()
        north = info["stores"]["north"]
        response = httpx.get(
            f"{info['loop']['base_url']}/api/v1/warehouse/return/list", headers={"X-Authorization": north["loop"]["api_key"]}
        )
        assert response.status_code == 200
        assert set(info["stores"]) == {"north", "south", "east", "west"}
    assert sandbox.server is None


def test_sample_worlds_are_small_and_fixed() -> None:
    assert testing.netsuite_sample_world().account.account_id == testing.SAMPLE_ACCOUNT_ID
    assert len(testing.shopify_sample_world(order_count=3).orders) < 10
