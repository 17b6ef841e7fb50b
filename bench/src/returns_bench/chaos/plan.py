"""What a chaos run injects, with the issue's defaults, and the sandbox fault settings that follow from it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["ChaosPlan"]


@dataclass(frozen=True)
class ChaosPlan:
    """The knobs of ``returns-sync chaos``; the defaults are the ones issue 11 asks for.

    ``malformed_every``: one planted malformed return per this many seeded returns (0: none).
    ``kills_per_pass``: SIGKILLs per sync pass, each at a random moment of the pass.
    ``workers``: sync processes racing on every pass.
    ``netsuite_timeout``: the product's NetSuite read timeout in the faulted run; a lost answer
    (``p_timeout_after_commit``) costs this long, so it is short here (the default is minutes).
    """

    returns: int = 1000
    seed: int = 7
    malformed_every: int = 50
    netsuite_p_429: float = 0.10
    netsuite_p_503: float = 0.05
    netsuite_p_timeout_after_commit: float = 0.02
    loop_p_429: float = 0.05
    shopify_drain_every_s: float = 20.0
    webhook_copies: int = 3
    kills_per_pass: int = 2
    workers: int = 2
    max_attempts_per_pass: int = 6
    netsuite_timeout: float = 10.0
    max_passes: int = 4

    def fault_settings(self) -> dict[str, dict[str, Any]]:
        """Per API, the ``FaultSettings`` changes of the faulted run (seeded, so a rerun rolls the same dice)."""
        return {
            "netsuite": {
                "p_429": self.netsuite_p_429,
                "p_503": self.netsuite_p_503,
                "p_timeout_after_commit": self.netsuite_p_timeout_after_commit,
                # The answer is withheld a little longer than the client waits for it.
                "hang_seconds": self.netsuite_timeout + 2,
                "seed": self.seed * 31 + 1,
            },
            "loop": {"p_429": self.loop_p_429, "seed": self.seed * 31 + 2},
            "shopify": {},
        }

    def malformed_count(self) -> int:
        return self.returns // self.malformed_every if self.malformed_every > 0 else 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
