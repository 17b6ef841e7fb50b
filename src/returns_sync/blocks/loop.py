"""The Loop Returns credentials block: API key, optional webhook secret, endpoint, timeout, list page size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from prefect.blocks.abstract import CredentialsBlock
from pydantic import ConfigDict, Field, SecretStr, field_validator, model_validator

from returns_sync.blocks._urls import check_base_url

if TYPE_CHECKING:
    from returns_sync.connectors.loop import LoopClient

__all__ = ["LOOP_API_BASE_URL", "LoopCredentials"]

LOOP_API_BASE_URL = "https://api.loopreturns.com"


@dataclass(frozen=True, repr=False)
class _LoopSecrets:
    api_key: str
    webhook_secret: str | None


class LoopCredentials(CredentialsBlock):
    """Loop Returns API key used to list returns and to process, flag, note or cancel them.

    Generate the key in Loop Admin under Returns Management > Tools & integrations > Developer
    Tools with the Returns read and write scopes. The webhook secret, shown on the same page,
    lets the webhook receiver check the ``X-Loop-Signature`` header.

    Example:
        Load stored Loop credentials and list returns:
        ```python
        from returns_sync.blocks import LoopCredentials

        loop_credentials = LoopCredentials.load("BLOCK_NAME")
        with loop_credentials.get_client() as loop:
            ...
        ```
    """

    _block_type_name = "Loop Credentials"
    _block_type_slug = "returns-sync-loop-credentials"
    _documentation_url = "https://docs.loopreturns.com/api-reference/getting-started"  # type: ignore[assignment]  # Prefect types it HttpUrl; pydantic takes the str
    _description = "Loop Returns API key (and webhook secret) for the returns-sync flows."

    # A validation error must not echo the input: it holds the secrets.
    model_config = ConfigDict(hide_input_in_errors=True)

    api_key: SecretStr = Field(
        title="API key",
        description="Loop API key from Developer Tools, with the Returns read and write scopes.",
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        title="Webhook secret",
        description="Shop-level webhook secret used to verify X-Loop-Signature on incoming webhooks.",
    )
    base_url: str = Field(
        default=LOOP_API_BASE_URL,
        title="Base URL",
        description="API root without /api/v1; override only to point at the returns-sync sandbox.",
    )
    timeout: float = Field(
        default=30.0,
        gt=0,
        le=600,
        description="Seconds to wait for Loop before a request counts as timed out.",
    )
    page_size: int = Field(
        default=250,
        ge=1,
        le=750,
        title="Page size",
        description="Returns per page of Loop's returns list (Loop allows up to 750).",
    )

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        return check_base_url(value)

    @model_validator(mode="after")
    def _check_secrets(self) -> LoopCredentials:
        if not self._reveal().api_key.strip():
            raise ValueError("api_key must not be empty")
        return self

    def _reveal(self) -> _LoopSecrets:
        # The one place the secrets are unwrapped; keep it that way so a review finds every use.
        return _LoopSecrets(
            api_key=self.api_key.get_secret_value(),
            webhook_secret=self.webhook_secret.get_secret_value() if self.webhook_secret else None,
        )

    def get_client(self) -> LoopClient:
        """Build a Loop client for ``base_url`` with this key and timeout.

        Returns:
            A ``LoopClient``; use it as a context manager so its connections are closed.
        """
        from returns_sync.connectors.loop import LoopClient

        return LoopClient.from_credentials(
            base_url=self.base_url, api_key=self._reveal().api_key, timeout=self.timeout, page_size=self.page_size
        )

    def verify_webhook(self, raw_body: bytes, signature_header: str | None) -> bool:
        """Check a webhook delivery's ``X-Loop-Signature`` against the raw body, in constant time.

        Returns:
            False when no webhook secret is configured, the header is missing, or it does not match.
        """
        from returns_sync.connectors.loop_webhooks import verify_loop_signature

        secret = self._reveal().webhook_secret
        if not secret:
            return False
        return verify_loop_signature(raw_body, signature_header, secret)
