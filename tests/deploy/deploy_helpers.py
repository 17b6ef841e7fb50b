"""Helpers of the deployment tests: store settings with known webhook secrets, Loop-style bodies and signatures, a recording trigger."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from pathlib import Path
from typing import Any

from returns_sync.blocks import LoopCredentials, NetSuiteCredentials, ShopifyCredentials, StoreSettings
from returns_sync.domain.syncs import SyncName

REPO_ROOT = Path(__file__).resolve().parents[2]
NORTH_SECRET = "whsec-north-SECRET-1"
SOUTH_SECRET = "whsec-south-SECRET-2"
LOOP_KEY = "loop-key-SECRET-3"


def make_settings(store: str, webhook_secret: str | None) -> StoreSettings:
    """Settings for ``store`` whose only meaningful part here is the Loop webhook secret."""
    domain = f"{store}.myshopify.com"
    return StoreSettings(
        store=store,
        shop_domain=domain,
        loop_credentials=LoopCredentials(api_key=LOOP_KEY, webhook_secret=webhook_secret),
        netsuite_credentials=NetSuiteCredentials(
            account_id="1234567_SB1", consumer_key="ck", consumer_secret="cs", token_id="ti", token_secret="ts"
        ),
        shopify_credentials=ShopifyCredentials(shop_domain=domain, access_token="shpat_x"),
        main_location_id=1,
    )


def sign(body: bytes, secret: str) -> str:
    """``X-Loop-Signature`` as Loop computes it: base64(HMAC-SHA256(secret, raw body))."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def loop_body(return_id: str | int = 1001, trigger: str = "return.updated", **fields: Any) -> bytes:
    """A compact, PHP-style (``\\/``) webhook body like Loop's."""
    topic = "return.processing" if trigger == "return.processing.failed" else trigger.split(".")[0]
    payload: dict[str, Any] = {"topic": topic, "trigger": trigger, "shop_id": 41001}
    if trigger == "return.processing.failed":
        payload.update(return_id=return_id, return_state="open", message="Return failed to process", source="api")
    else:
        payload.update(id=return_id, state="open", label_url="https://labels.example/1.pdf")
    payload.update(fields)
    return json.dumps(payload, separators=(",", ":")).replace("/", "\\/").encode()


class RecordingTrigger:
    """A ``trigger`` that records its calls and lets a test wait for them."""

    def __init__(self, *, fail: bool = False) -> None:
        self.calls: list[tuple[str, list[str]]] = []
        self.syncs: list[tuple[SyncName, ...]] = []  # the syncs asked for, one entry per call
        self.fail = fail
        self._cond = threading.Condition()

    def __call__(self, store: str, return_ids: list[str], syncs: tuple[SyncName, ...]) -> None:
        with self._cond:
            self.calls.append((store, list(return_ids)))
            self.syncs.append(tuple(syncs))
            self._cond.notify_all()
        if self.fail:
            raise RuntimeError("Prefect API unreachable")

    def wait_for(self, count: int, timeout: float = 15.0) -> list[tuple[str, list[str]]]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.calls) >= count, timeout)
            return list(self.calls)
