"""Return authorization approval: the account preference that makes new RAs wait for someone to approve them.

NetSuite's preference is Setup > Accounting > Preferences > Accounting Preferences > Order Management >
Returns > "Default Return Authorization Status": Pending Approval or Pending Receipt (Oracle, "Preferences for
Customer Returns", https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_N1305008.html).
A Pending Approval (A) RA cannot be received or refunded: the transform is refused as from any other wrong status.
A client approves with ``orderStatus`` B, on the create or by a later PATCH (Oracle's REST tutorial for the same
field on sales orders: https://github.com/oracle-devrel/netsuite.devo.build, "Approve Your Sales Order Use Case").

NetSuite's preference is account-wide. The demo runs two stores as two subsidiaries of one account, so the
emulator scopes it to subsidiaries (a documented simplification: docs/netsuite.md). It lives in the account's
storage-only ``_meta`` table, not in any SuiteQL table: a real account does not expose accounting preferences
to SuiteQL either.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from returns_sandbox.netsuite.records import RecordStore

__all__ = ["PENDING_APPROVAL", "approval_subsidiaries", "ra_requires_approval", "set_approval_subsidiaries"]

PENDING_APPROVAL = "A"
_META_KEY = "ra_approval_subsidiaries"


def approval_subsidiaries(store: RecordStore) -> frozenset[int]:
    """Subsidiaries whose new return authorizations start Pending Approval."""
    raw = store.meta(_META_KEY)
    return frozenset(int(x) for x in json.loads(raw)) if raw else frozenset()


def set_approval_subsidiaries(store: RecordStore, subsidiaries: Iterable[int]) -> None:
    """Set the preference to Pending Approval for ``subsidiaries`` and Pending Receipt everywhere else."""
    store.set_meta(_META_KEY, json.dumps(sorted({int(x) for x in subsidiaries})))


def ra_requires_approval(store: RecordStore, subsidiary: Any) -> bool:
    """Does a new RA of ``subsidiary`` start Pending Approval?"""
    return subsidiary is not None and int(subsidiary) in approval_subsidiaries(store)
