"""The layering rules of DESIGN.md §3, checked on the source: who may import whom, and what stays out of start-up.

The sandbox (packages/returns-sandbox) and the bench (bench/) are separate workspace packages: the
product reaches them only from its dev entry points, lazily and behind a clear-message guard; the
sandbox imports nothing of the product; the bench never imports the product's CLI.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "returns_sync"
SANDBOX_PACKAGE = REPO / "packages" / "returns-sandbox" / "src" / "returns_sandbox"
BENCH_PACKAGE = REPO / "bench" / "src" / "returns_bench"
LAYERS = ["domain", "connectors", "blocks", "ledger", "quality", "tasks", "flows", "service", "cli"]
# A layer may import these of ours (besides itself).
ALLOWED = {
    "domain": set(),
    "connectors": {"domain"},
    "ledger": {"domain"},  # the shared vocabulary (RecordRole); domain itself imports nothing of ours
    "blocks": {"domain", "connectors"},
    "quality": {"domain"},
    "tasks": {"domain", "connectors", "blocks", "ledger", "quality"},
    "flows": {"domain", "tasks"},
    "service": {"domain", "connectors", "blocks", "ledger", "tasks", "flows"},
    "cli": {"domain", "connectors", "blocks", "ledger", "quality", "tasks", "flows", "service"},
}
# The only product modules that may import the dev-only packages, and the guard each import must sit in.
DEV_ENTRY_POINTS = {
    "cli/demo.py": {"returns_sandbox": "sandbox_required"},
    "cli/sandbox_cmd.py": {"returns_sandbox": "sandbox_required"},
    "cli/bench_cmd.py": {"returns_bench": "bench_required"},
    "cli/chaos_cmd.py": {"returns_bench": "bench_required"},
}
DEV_PACKAGES = ("returns_sandbox", "returns_bench")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _top(module: str) -> str:
    return module.split(".")[0]


def _placed_imports(path: Path) -> list[tuple[str, bool, set[str]]]:
    """Every absolute import of ``path``: (module, inside a function?, names of the context managers called around it)."""
    found: list[tuple[str, bool, set[str]]] = []

    def visit(node: ast.AST, in_function: bool, guards: frozenset[str]) -> None:
        if isinstance(node, ast.Import):
            found.extend((alias.name, in_function, set(guards)) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, in_function, set(guards)))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            in_function = True
        if isinstance(node, (ast.With, ast.AsyncWith)):
            called = {
                item.context_expr.func.id
                for item in node.items
                if isinstance(item.context_expr, ast.Call) and isinstance(item.context_expr.func, ast.Name)
            }
            guards = guards | called
        for child in ast.iter_child_nodes(node):
            visit(child, in_function, guards)

    visit(ast.parse(path.read_text(), filename=str(path)), False, frozenset())
    return found


def _ours(modules: set[str]) -> set[str]:
    return {m.split(".")[1] for m in modules if m.startswith("returns_sync.") and len(m.split(".")) > 1}


@pytest.mark.parametrize("layer", LAYERS)
def test_layer_imports_only_what_it_may(layer):
    offenders = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        relative = str(path.relative_to(PACKAGE))
        bad = _ours(_imports(path)) - {layer} - ALLOWED[layer]
        if bad:
            offenders.append(f"{relative} imports {sorted(bad)}")
    assert offenders == []


@pytest.mark.parametrize("layer", ["domain", "connectors", "ledger", "quality"])
def test_no_prefect_below_blocks(layer):
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in (PACKAGE / layer).rglob("*.py")
        if any(m.split(".")[0] == "prefect" for m in _imports(p))
    ]
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


def test_only_the_dev_entry_points_import_the_sandbox_or_the_bench_lazily_and_guarded():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = str(path.relative_to(PACKAGE))
        for module, in_function, guards in _placed_imports(path):
            package = _top(module)
            if package not in DEV_PACKAGES:
                continue
            guard = DEV_ENTRY_POINTS.get(relative, {}).get(package)
            if guard is None:
                offenders.append(f"{relative} imports {module} (only {', '.join(DEV_ENTRY_POINTS)} may)")
            elif not in_function:
                offenders.append(f"{relative} imports {module} at module level (import it inside the command)")
            elif guard not in guards:
                offenders.append(f"{relative} imports {module} outside `with {guard}(...)`")
    assert offenders == []


def test_each_dev_entry_point_does_import_its_package():
    """Keeps the test above honest: the scan finds the guarded imports where they are."""
    for relative, packages in DEV_ENTRY_POINTS.items():
        imported = {_top(module) for module, _, _ in _placed_imports(PACKAGE / relative)}
        assert set(packages) <= imported, relative


def test_the_sandbox_imports_nothing_of_the_product():
    offenders = [
        f"{p.relative_to(SANDBOX_PACKAGE)} imports {m}"
        for p in sorted(SANDBOX_PACKAGE.rglob("*.py"))
        for m in _imports(p)
        if _top(m) in ("returns_sync", "returns_bench")
    ]
    assert offenders == []


def test_the_bench_never_imports_the_product_cli():
    offenders = [
        f"{p.relative_to(BENCH_PACKAGE)} imports {m}"
        for p in sorted(BENCH_PACKAGE.rglob("*.py"))
        for m in _imports(p)
        if m == "returns_sync.cli" or m.startswith("returns_sync.cli.")
    ]
    assert offenders == []


def test_cli_start_up_does_not_import_the_sandbox_or_the_bench():
    code = "import sys, returns_sync.cli.app; print(sorted(m for m in ('returns_sandbox', 'returns_bench') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
