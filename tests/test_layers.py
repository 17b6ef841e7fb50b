"""The layering rules of DESIGN.md §3, checked on the source: who may import whom, and what stays out of start-up."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "returns_sync"
LAYERS = ["domain", "connectors", "blocks", "ledger", "quality", "tasks", "flows", "cli"]
# A layer may import these of ours (besides itself).
ALLOWED = {
    "domain": set(),
    "connectors": {"domain"},
    "ledger": {"domain"},  # the shared vocabulary (RecordRole); domain itself imports nothing of ours
    "blocks": {"domain", "connectors"},
    "quality": {"domain"},
    "tasks": {"domain", "connectors", "blocks", "ledger", "quality"},
    "flows": {"domain", "tasks"},
    "cli": {"domain", "connectors", "blocks", "ledger", "quality", "tasks", "flows", "sandbox"},
}
# Only these entry points may start the sandbox (demo, sandbox up, test/bench helpers).
SANDBOX_USERS = {"cli/demo.py", "cli/sandbox_cmd.py", "cli/sandbox_settings.py", "cli/bench_cmd.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _ours(modules: set[str]) -> set[str]:
    return {m.split(".")[1] for m in modules if m.startswith("returns_sync.") and len(m.split(".")) > 1}


@pytest.mark.parametrize("layer", LAYERS)
def test_layer_imports_only_what_it_may(layer):
    offenders = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        relative = str(path.relative_to(PACKAGE))
        used = _ours(_imports(path)) - {layer}
        allowed = ALLOWED[layer] - ({"sandbox"} if relative not in SANDBOX_USERS else set())
        bad = used - allowed
        if bad:
            offenders.append(f"{relative} imports {sorted(bad)}")
    assert offenders == []


@pytest.mark.parametrize("layer", ["domain", "connectors", "ledger", "quality"])
def test_no_prefect_below_blocks(layer):
    offenders = [str(p.relative_to(PACKAGE)) for p in (PACKAGE / layer).rglob("*.py") if any(m.split(".")[0] == "prefect" for m in _imports(p))]
    assert offenders == []


def test_cli_start_up_does_not_import_prefect_or_great_expectations():
    code = "import sys, returns_sync.cli.app as a; print(sorted(m for m in ('prefect', 'great_expectations', 'sqlalchemy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_domain_and_connectors_import_without_prefect():
    code = (
        "import sys, returns_sync.domain.posting, returns_sync.connectors.netsuite, returns_sync.connectors.loop, "
        "returns_sync.connectors.shopify; print('prefect' in sys.modules, 'great_expectations' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False False"
