"""Shopify-only sandbox knobs that are not faults: throttle status code and webhook retry timing."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from returns_sandbox.shopify.constants import WEBHOOK_BASE_DELAY, WEBHOOK_MAX_RETRIES, WEBHOOK_TIMEOUT

__all__ = ["ShopifySandboxSettings"]


@dataclass
class ShopifySandboxSettings:
    """Changed at run time through ``/_sandbox/shopify/settings`` or directly on ``backend.settings``.

    ``throttle_status_code``: HTTP status of a THROTTLED GraphQL answer (200 as most clients see, or 429).
    ``webhook_base_delay``: seconds before the first retry of a failed delivery; each retry doubles it.
    """

    throttle_status_code: int = 200
    webhook_base_delay: float = WEBHOOK_BASE_DELAY
    webhook_max_retries: int = WEBHOOK_MAX_RETRIES
    webhook_timeout: float = WEBHOOK_TIMEOUT

    def update(self, **changes: Any) -> None:
        """Apply ``changes`` (from JSON), converting types; unknown names or a bad status raise ``ValueError``."""
        known = {f.name for f in fields(self)}
        candidate = dict(asdict(self))
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown Shopify sandbox setting {name!r}; known: {', '.join(sorted(known))}")
            candidate[name] = type(candidate[name])(value)
        if candidate["throttle_status_code"] not in (200, 429):
            raise ValueError("throttle_status_code must be 200 or 429")
        if candidate["webhook_base_delay"] < 0 or candidate["webhook_max_retries"] < 0:
            raise ValueError("webhook retry settings must not be negative")
        for name, value in candidate.items():  # only a fully valid change is applied
            setattr(self, name, value)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
