"""``python -m returns_bench``: the same command as ``returns-sync bench``."""

from __future__ import annotations

from returns_bench.cli import main

if __name__ == "__main__":
    main()
