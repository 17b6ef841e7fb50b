"""The pins Prefect 3.8's server needs are part of what a production install resolves, not only of uv.lock.

``pip install returns-sync`` on a worker ignores the lock: without the pins in the package's own
requirements it takes SQLAlchemy 2.1, whose bulk DML breaks Prefect's scheduler (no scheduled run is
ever created), and FastAPI 0.151, which answers the Prefect client's null limits with 422.
"""

from __future__ import annotations

from importlib.metadata import requires

import pytest
from packaging.requirements import Requirement


def _requirement(name: str) -> Requirement:
    found = [
        Requirement(line)
        for line in requires("returns-sync") or []
        if Requirement(line).name.lower() == name and not Requirement(line).marker
    ]
    assert len(found) == 1, f"returns-sync must declare {name} exactly once"
    return found[0]


@pytest.mark.parametrize(
    ("package", "works", "breaks"),
    [("sqlalchemy", "2.0.58", "2.1.0"), ("fastapi", "0.150.0", "0.151.0")],
)
def test_a_production_install_cannot_resolve_a_version_that_breaks_prefects_server(package: str, works: str, breaks: str) -> None:
    specifier = _requirement(package).specifier
    assert specifier.contains(works)
    assert not specifier.contains(breaks)
