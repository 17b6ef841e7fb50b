"""Prefect settings for run_all's subflows (no heartbeat thread of their own), built once per process, not per run.

run_all's syncs run as subflows in its thread. A heartbeat thread of their own only adds up to a second of join at
each one's end (``_send_heartbeats``, prefect/flow_engine.py, Prefect 3.8.8: it sleeps in one-second steps), which a
webhook run's return waits for; run_all's own heartbeat still says the process is alive.

``prefect.settings.temporary_settings`` builds a new ``Settings`` on every entry, and pydantic-settings then reads
the environment, the ``.env`` files and the profiles file again for each nested model: about 0.3 s of CPU per
run_all in a profile of the warm webhook worker (py-spy, 12 one-return bursts, 5 December 2026), paid before the
first sync could start. The settings derived from a given base are the same every time, so they are kept.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from prefect.context import SettingsContext, get_settings_context
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, Settings

__all__ = ["subflows_without_heartbeat"]

_lock = threading.Lock()
# base settings -> the same without a flow heartbeat; keyed by identity, the base kept alive so its id is not reused
_derived: dict[int, tuple[Settings, Settings]] = {}
_KEEP_AT_MOST = 8  # a process sees one or two bases (its profile; a test's temporary settings)


def _without_heartbeat(base: Settings) -> Settings:
    with _lock:
        kept = _derived.get(id(base))
        if kept is not None and kept[0] is base:
            return kept[1]
    derived = base.copy_with_update(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})
    with _lock:
        if len(_derived) >= _KEEP_AT_MOST:
            _derived.clear()
        _derived[id(base)] = (base, derived)
    return derived


@contextmanager
def subflows_without_heartbeat() -> Iterator[Settings]:
    """The current settings with ``PREFECT_FLOWS_HEARTBEAT_FREQUENCY`` unset, as ``temporary_settings`` would enter them."""
    context = get_settings_context()
    settings = _without_heartbeat(context.settings)
    with SettingsContext(profile=context.profile, settings=settings):
        yield settings
