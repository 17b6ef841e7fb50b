"""Deterministic demo data for the emulators: ``build_world`` makes the ``World`` every emulator loads its part of."""

from __future__ import annotations

from returns_sandbox.seed.demo import MIN_RETURNS_FOR_FULL_COVERAGE, build_world, describe_world
from returns_sandbox.seed.world import World

__all__ = ["MIN_RETURNS_FOR_FULL_COVERAGE", "World", "build_world", "describe_world"]
