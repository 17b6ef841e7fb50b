"""``returns-sync demo`` on a fresh Prefect home while two CPU-bound processes keep both cores busy.

This is the new user's first run on a machine doing something else: Prefect must create its database
under load (Prefect's own temporary server gives up after 20 s of that) and the demo must still pass,
with nothing but its own progress on the console.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parents[2]
BURN = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"
DEMO_TIMEOUT = 900


def test_the_first_demo_passes_on_a_busy_machine(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PREFECT_", "RETURNS_SYNC_"))}
    env["COLUMNS"] = "160"
    burners = [subprocess.Popen([sys.executable, "-c", BURN.format(seconds=DEMO_TIMEOUT)]) for _ in range(os.cpu_count() or 2)]
    started = time.monotonic()
    try:
        demo = subprocess.run(
            [sys.executable, "-m", "returns_sync.cli.app", "demo", "--returns", "40", "--home", str(tmp_path / "demo")],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=DEMO_TIMEOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    output = demo.stdout + demo.stderr
    elapsed = time.monotonic() - started
    assert demo.returncode == 0, f"after {elapsed:.0f} s:\n{output[-4000:]}"
    assert "first start: creating Prefect's database" in output
    assert "every return ended as the seed expects" in output
    assert "Traceback" not in output
    # Only the demo speaks: no third-party log line (GX's "Created temporary directory", say) between the bars.
    assert [line for line in output.splitlines() if " | INFO " in line or " | WARNING " in line] == []
    print(f"demo on a fresh Prefect home with {len(burners)} CPU burners: {elapsed:.0f} s")
