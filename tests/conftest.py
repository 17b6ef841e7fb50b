"""Test-wide settings: no test may reach beyond localhost."""

from __future__ import annotations

import os

# Prefect must never phone home or pick up a user's profile during tests.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
