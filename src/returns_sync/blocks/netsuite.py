"""The NetSuite credentials block: account id and Token-Based Authentication (OAuth 1.0a) keys."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prefect.blocks.abstract import CredentialsBlock
from pydantic import ConfigDict, Field, SecretStr, field_validator, model_validator

from returns_sync.blocks._urls import check_base_url

if TYPE_CHECKING:
    from returns_sync.connectors.netsuite import NetSuiteClient

__all__ = ["NetSuiteCredentials", "netsuite_base_url"]

_ACCOUNT_ID = re.compile(r"^\d+(_(SB|RP)\d*)?$")


def netsuite_base_url(account_id: str) -> str:
    """The account-specific REST root: ``1234567_SB1`` -> ``https://1234567-sb1.suitetalk.api.netsuite.com``."""
    return f"https://{account_id.lower().replace('_', '-')}.suitetalk.api.netsuite.com"


@dataclass(frozen=True, repr=False)
class _NetSuiteSecrets:
    consumer_key: str
    consumer_secret: str
    token_id: str
    token_secret: str


class NetSuiteCredentials(CredentialsBlock):
    """NetSuite account id and Token-Based Authentication keys for SuiteTalk REST and SuiteQL.

    Create an integration record with Token-Based Authentication (consumer key and secret) and an
    access token for a role with REST Web Services and the return, receipt, credit memo and refund
    permissions (token id and secret). The account id is the OAuth realm: production ``1234567``,
    sandbox ``1234567_SB1``, release preview ``1234567_RP``. It is stored in that upper-case form,
    because NetSuite refuses a lower-case realm; the REST host is derived from it.

    Example:
        Load stored NetSuite credentials and run a SuiteQL query:
        ```python
        from returns_sync.blocks import NetSuiteCredentials

        netsuite_credentials = NetSuiteCredentials.load("BLOCK_NAME")
        with netsuite_credentials.get_client(max_concurrency=4) as netsuite:
            ...
        ```
    """

    _block_type_name = "NetSuite Credentials"
    _block_type_slug = "returns-sync-netsuite-credentials"
    _documentation_url = "https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/article_0217043836.html"  # type: ignore[assignment]  # Prefect types it HttpUrl; pydantic takes the str
    _description = "NetSuite account id and Token-Based Authentication keys for the returns-sync flows."

    # A validation error must not echo the input: it holds the secrets.
    model_config = ConfigDict(hide_input_in_errors=True)

    account_id: str = Field(
        title="Account ID",
        description="NetSuite account id, e.g. 1234567 or 1234567_SB1 for a sandbox.",
    )
    consumer_key: SecretStr = Field(title="Consumer key", description="Consumer key of the integration record.")
    consumer_secret: SecretStr = Field(title="Consumer secret", description="Consumer secret of the integration record.")
    token_id: SecretStr = Field(title="Token ID", description="Token id of the access token.")
    token_secret: SecretStr = Field(title="Token secret", description="Token secret of the access token.")
    base_url: str | None = Field(
        default=None,
        title="Base URL",
        description="REST root without /services/rest; empty derives it from the account id (set it for the sandbox).",
    )
    limit_across_workers: bool = Field(
        default=False,
        title="One limit across workers",
        description=(
            "Every request holds a slot of the Prefect global concurrency limit netsuite-<account id> "
            "(e.g. netsuite-1234567-sb1), so all flows of all stores on all workers together stay under it. "
            "Create the limit first: prefect gcl create netsuite-<account id> --limit N. "
            "Off: the store's max_netsuite_concurrency holds per process only."
        ),
    )
    timeout: float = Field(
        default=60.0,
        gt=0,
        le=900,
        description="Seconds to wait for NetSuite before a request counts as timed out.",
    )

    @field_validator("account_id", mode="before")
    @classmethod
    def _normalise_account_id(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        # Accept the host form (1234567-sb1) and lower case; store the realm form NetSuite signs with.
        account = value.strip().upper().replace("-", "_")
        if not _ACCOUNT_ID.match(account):
            raise ValueError(
                f"account_id {value!r} is not a NetSuite account id: expected digits, optionally with "
                "_SB<n> (sandbox) or _RP<n> (release preview), e.g. 1234567 or 1234567_SB1"
            )
        return account

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str | None) -> str | None:
        return check_base_url(value) if value else None

    @model_validator(mode="after")
    def _check_secrets(self) -> NetSuiteCredentials:
        secrets = self._reveal()
        empty = [name for name, value in vars(secrets).items() if not value.strip()]
        if empty:
            raise ValueError(f"NetSuite token-based authentication needs all four keys; empty: {', '.join(empty)}")
        return self

    @property
    def realm(self) -> str:
        """The OAuth realm: the account id in upper case with an underscore (``1234567_SB1``)."""
        return self.account_id

    @property
    def api_base_url(self) -> str:
        """``base_url`` if set, else the account-specific host."""
        return self.base_url or netsuite_base_url(self.account_id)

    def _reveal(self) -> _NetSuiteSecrets:
        # The one place the secrets are unwrapped; keep it that way so a review finds every use.
        return _NetSuiteSecrets(
            consumer_key=self.consumer_key.get_secret_value(),
            consumer_secret=self.consumer_secret.get_secret_value(),
            token_id=self.token_id.get_secret_value(),
            token_secret=self.token_secret.get_secret_value(),
        )

    def get_client(self, max_concurrency: int = 4) -> NetSuiteClient:
        """Build a NetSuite client signing every request with these keys.

        Args:
            max_concurrency: Requests in flight at once in this process; NetSuite limits concurrency per account
                (``limit_across_workers`` adds the limit shared by every process).

        Returns:
            A ``NetSuiteClient``; use it as a context manager so its connections are closed.
        """
        from returns_sync.blocks.account_limit import account_limit_slot
        from returns_sync.connectors.netsuite import NetSuiteClient

        secrets = self._reveal()
        return NetSuiteClient.from_credentials(
            base_url=self.api_base_url,
            account_id=self.realm,
            consumer_key=secrets.consumer_key,
            consumer_secret=secrets.consumer_secret,
            token_id=secrets.token_id,
            token_secret=secrets.token_secret,
            timeout=self.timeout,
            max_concurrency=max_concurrency,
            account_slot=account_limit_slot(self.realm) if self.limit_across_workers else None,
        )
