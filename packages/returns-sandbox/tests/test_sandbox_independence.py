"""The sandbox is a separate package: nothing in it (nor in its tests) imports returns-sync, the product it emulates for."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((PACKAGE_ROOT / "src" / "returns_sandbox").rglob("*.py")) + sorted((PACKAGE_ROOT / "tests").rglob("*.py"))
PRODUCT = "returns_sync"


def _imported_modules(path: Path) -> set[str]:
    """Modules ``path`` imports: import statements, plus importlib.import_module / __import__ with a literal name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if called in ("import_module", "__import__"):
                found.add(node.args[0].value)
    return found


def test_the_scan_sees_the_sources() -> None:
    assert len(SOURCES) > 50 and any(path.name == "hub.py" for path in SOURCES)


def test_imports_nothing_of_the_product() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE_ROOT)} imports {module}"
        for path in SOURCES
        for module in sorted(_imported_modules(path))
        if module == PRODUCT or module.startswith(PRODUCT + ".")
    ]
    assert offenders == []
