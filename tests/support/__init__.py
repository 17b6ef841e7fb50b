"""Test helpers shared across the suite (independent reference implementations, fixtures' building blocks)."""
