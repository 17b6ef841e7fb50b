"""Loop and Shopify preflight: the Loop key lists and reads returns; Shopify serves the pinned version and the scopes cover ours.

Read-only: Loop list and detail GETs, Shopify GraphQL queries.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from returns_sync.blocks.store import StoreSettings
from returns_sync.connectors.errors import ApiError, AuthenticationError
from returns_sync.connectors.loop import LoopClient
from returns_sync.connectors.shopify import ShopifyClient
from returns_sync.connectors.shopify_graphql import ACCESS_SCOPES_QUERY, REQUIRED_ACCESS_SCOPES, SHOP_QUERY
from returns_sync.service.doctor.check import Check, System

__all__ = ["check_loop", "check_shopify_scopes", "check_shopify_version"]

# Far enough back to find a return in any store that has them, short enough to stay one or two requests.
_LOOP_LOOKBACK = timedelta(days=30)
_LOOP_FIX = (
    "Create a Loop API key with the Returns scope (Loop admin > Tools & integrations > Developers) and save it in the "
    "store's Loop credentials block."
)


def check_loop(loop: LoopClient, settings: StoreSettings, *, now: datetime | None = None) -> list[Check]:
    """The key can list returns and read one return's details."""
    end = now or datetime.now(UTC)
    first = None
    try:
        for page in loop.iter_return_pages(updated_from=end - _LOOP_LOOKBACK, updated_to=end, page_size=10):
            first = page[0]
            break
    except AuthenticationError as exc:
        return [
            Check.failed(System.LOOP, "list returns", f"Loop refused the key: {exc}", _LOOP_FIX),
            Check.skipped(System.LOOP, "read return details", "the key cannot list returns"),
        ]
    except ApiError as exc:
        return [
            Check.failed(System.LOOP, "list returns", f"Loop did not list returns: {exc}", "Check the Loop base_url and key."),
            Check.skipped(System.LOOP, "read return details", "listing failed"),
        ]
    listed = Check.passed(System.LOOP, "list returns", f"listed returns updated in the last {_LOOP_LOOKBACK.days} days")
    if first is None:
        return [
            listed,
            Check.warned(
                System.LOOP,
                "read return details",
                f"no return changed in the last {_LOOP_LOOKBACK.days} days, so no detail could be read",
                "Run doctor again once the store has a return.",
            ),
        ]
    try:
        loop.get_return(first.id)
    except ApiError as exc:
        return [
            listed,
            Check.failed(System.LOOP, "read return details", f"Loop refused details of return {first.id}: {exc}", _LOOP_FIX),
        ]
    return [listed, Check.passed(System.LOOP, "read return details", f"read return {first.id}")]


def check_shopify_version(shopify: ShopifyClient, settings: StoreSettings) -> Check:
    """Shopify answers the pinned Admin API version itself (not a newer one it falls forward to, nor a 404)."""
    name = "API version"
    pinned = settings.shopify_credentials.api_version
    fix = (
        f"Set the Shopify credentials' api_version to a supported stable version (Shopify's release calendar: "
        f"https://shopify.dev/docs/api/usage/versioning); {pinned} is not served to {settings.shop_domain}."
    )
    try:
        shopify.execute(SHOP_QUERY)
    except AuthenticationError as exc:
        return Check.failed(
            System.SHOPIFY,
            name,
            f"Shopify refused the access token: {exc}",
            "Save the custom app's Admin API access token (shpat_...) in the Shopify credentials block.",
        )
    except ApiError as exc:
        if exc.status_code == 404:
            return Check.failed(System.SHOPIFY, name, f"Shopify has no Admin API version {pinned} (404)", fix)
        return Check.failed(System.SHOPIFY, name, f"Shopify did not answer: {exc}", "Check the shop domain and base_url.")
    served = shopify.served_api_version
    if served and served != pinned:
        return Check.failed(
            System.SHOPIFY,
            name,
            f"{pinned} is retired: Shopify answered with {served} instead",
            fix.replace("not served", "retired"),
        )
    return Check.passed(System.SHOPIFY, name, f"Shopify serves {pinned}")


def check_shopify_scopes(shopify: ShopifyClient, settings: StoreSettings) -> Check:
    """The installation's granted scopes include every scope the syncs read with (a write scope covers its read)."""
    name = "access scopes"
    try:
        data = shopify.execute(ACCESS_SCOPES_QUERY)
    except ApiError as exc:
        return Check.failed(System.SHOPIFY, name, f"could not read the granted scopes: {exc}", "Fix the API version row first.")
    granted = {scope["handle"] for scope in data["currentAppInstallation"]["accessScopes"]}
    missing = [
        scope for scope in REQUIRED_ACCESS_SCOPES if scope not in granted and scope.replace("read_", "write_", 1) not in granted
    ]
    if missing:
        needs = "; ".join(f"{scope} ({REQUIRED_ACCESS_SCOPES[scope]})" for scope in missing)
        return Check.failed(
            System.SHOPIFY,
            name,
            f"the token lacks {needs}; granted: {', '.join(sorted(granted)) or 'none'}",
            f"In the custom app's Admin API access scopes, grant {', '.join(missing)}, reinstall the app and save the new token.",
        )
    return Check.passed(System.SHOPIFY, name, f"granted {', '.join(sorted(granted))} covers {', '.join(REQUIRED_ACCESS_SCOPES)}")
