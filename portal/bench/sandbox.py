"""The sandbox cloud as a subprocess of a benchmark: its own temporary database and token."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from linking.cloud.sandbox.control import SandboxControl
from linking.cloud.sandbox.process import start_sandbox


@contextlib.contextmanager
def running_sandbox(timeout: float = 60) -> Iterator[tuple[str, SandboxControl]]:
    """Start the sandbox on a free loopback port; yield its URL and control client; stop it."""
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as directory:
        sandbox = start_sandbox(Path(directory), timeout=timeout, control_timeout=300)
        try:
            yield sandbox.url, sandbox.control
        finally:
            sandbox.stop()
