"""The Shopify credentials block: shop domain, Admin API access token, API version."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prefect.blocks.abstract import CredentialsBlock
from pydantic import ConfigDict, Field, SecretStr, field_validator, model_validator

from returns_sync.blocks._urls import check_base_url
from returns_sync.connectors.shopify_graphql import API_VERSION_PATTERN, DEFAULT_API_VERSION, MIN_API_VERSION

if TYPE_CHECKING:
    from returns_sync.connectors.shopify import ShopifyClient

__all__ = ["ShopifyCredentials", "normalise_shop_domain"]

_MYSHOPIFY = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")


def normalise_shop_domain(value: str) -> str:
    """``https://Acme.myshopify.com/admin`` -> ``acme.myshopify.com``."""
    domain = value.strip().lower()
    domain = re.sub(r"^https?://", "", domain)
    return domain.split("/", 1)[0]


@dataclass(frozen=True, repr=False)
class _ShopifySecrets:
    access_token: str


class ShopifyCredentials(CredentialsBlock):
    """Shopify Admin API access token of one shop, for order, refund and exchange-order look-ups.

    Use a custom app's Admin API access token (``shpat_...``) with read access to orders. The shop
    domain is the permanent ``<shop>.myshopify.com`` name, not the storefront's own domain.

    Example:
        Load stored Shopify credentials and query the Admin GraphQL API:
        ```python
        from returns_sync.blocks import ShopifyCredentials

        shopify_credentials = ShopifyCredentials.load("BLOCK_NAME")
        with shopify_credentials.get_client() as shopify:
            ...
        ```
    """

    _block_type_name = "Shopify Credentials"
    _block_type_slug = "returns-sync-shopify-credentials"
    _documentation_url = "https://shopify.dev/docs/api/admin-graphql"  # type: ignore[assignment]  # Prefect types it HttpUrl; pydantic takes the str
    _description = "Shopify shop domain and Admin API access token for the returns-sync flows."

    # A validation error must not echo the input: it holds the secrets.
    model_config = ConfigDict(hide_input_in_errors=True)

    shop_domain: str = Field(
        title="Shop domain",
        description="The shop's permanent domain, e.g. acme.myshopify.com.",
    )
    access_token: SecretStr = Field(title="Access token", description="Admin API access token of a custom app.")
    api_version: str = Field(
        default=DEFAULT_API_VERSION,
        title="API version",
        description=(
            f"Admin API version (YYYY-MM, a quarterly stable release, {MIN_API_VERSION} or later). The default is the newest "
            "stable version; Shopify keeps each about a year, then answers with the oldest one it still serves."
        ),
    )
    base_url: str | None = Field(
        default=None,
        title="Base URL",
        description="API root without /admin; empty means https://<shop domain> (set it for the sandbox).",
    )
    timeout: float = Field(
        default=30.0,
        gt=0,
        le=600,
        description="Seconds to wait for Shopify before a request counts as timed out.",
    )

    @field_validator("shop_domain", mode="before")
    @classmethod
    def _normalise_shop_domain(cls, value: object) -> object:
        return normalise_shop_domain(value) if isinstance(value, str) else value

    @field_validator("api_version")
    @classmethod
    def _check_api_version(cls, value: str) -> str:
        value = value.strip()
        if not API_VERSION_PATTERN.match(value):
            raise ValueError(
                f"api_version must be a quarterly release like {DEFAULT_API_VERSION} (YYYY-01/04/07/10), got {value!r}"
            )
        # The connector sends @idempotent and changeFromQuantity, which exist from 2026-01; an older version would be
        # answered by a newer one anyway (Shopify falls forward), so the setting would not say what runs.
        if value < MIN_API_VERSION:
            raise ValueError(f"api_version {value} is older than {MIN_API_VERSION}, the oldest this connector supports")
        return value

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str | None) -> str | None:
        return check_base_url(value) if value else None

    @model_validator(mode="after")
    def _check_domain_and_token(self) -> ShopifyCredentials:
        if not self.shop_domain:
            raise ValueError("shop_domain must not be empty")
        if self.base_url is None and not _MYSHOPIFY.match(self.shop_domain):
            raise ValueError(
                f"shop_domain must be the shop's <name>.myshopify.com domain, got {self.shop_domain!r} "
                "(set base_url to point elsewhere, e.g. at the sandbox)"
            )
        if not self._reveal().access_token.strip():
            raise ValueError("access_token must not be empty")
        return self

    @property
    def api_base_url(self) -> str:
        """``base_url`` if set, else ``https://<shop_domain>``."""
        return self.base_url or f"https://{self.shop_domain}"

    def _reveal(self) -> _ShopifySecrets:
        # The one place the secret is unwrapped; keep it that way so a review finds every use.
        return _ShopifySecrets(access_token=self.access_token.get_secret_value())

    def get_client(self) -> ShopifyClient:
        """Build a Shopify Admin GraphQL client for this shop.

        Returns:
            A ``ShopifyClient``; use it as a context manager so its connections are closed.
        """
        from returns_sync.connectors.shopify import ShopifyClient

        return ShopifyClient.from_credentials(
            base_url=self.api_base_url,
            access_token=self._reveal().access_token,
            api_version=self.api_version,
            timeout=self.timeout,
        )
