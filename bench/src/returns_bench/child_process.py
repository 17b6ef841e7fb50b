"""Wait for a server the bench started in a child process to answer its health check."""

from __future__ import annotations

import subprocess
import time

__all__ = ["wait_until_healthy"]


def wait_until_healthy(process: subprocess.Popen[bytes], health_url: str, *, what: str, timeout_s: float) -> None:
    """Return once ``health_url`` answers 200; raise if ``process`` ends first or ``timeout_s`` passes."""
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} ended with {process.returncode} before it answered")
        try:
            if httpx.get(health_url, timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer within {timeout_s:g} s")
