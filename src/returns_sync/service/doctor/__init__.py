"""``returns-sync doctor``: a read-only preflight of one store's NetSuite, Loop and Shopify set-up, one row per check."""

from __future__ import annotations

from returns_sync.service.doctor.check import Check, Outcome, System, exit_code
from returns_sync.service.doctor.runner import run_doctor

__all__ = ["Check", "Outcome", "System", "exit_code", "run_doctor"]
