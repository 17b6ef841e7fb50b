"""``python -m returns_bench.chaos``: the chaos command without the product's CLI."""

from returns_bench.chaos.cli import main

main()
