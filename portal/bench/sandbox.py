"""The sandbox cloud as a subprocess of a benchmark: its own temporary database and token."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from linking.cloud.sandbox.control import SandboxControl

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_sandbox(timeout: float = 60) -> Iterator[tuple[str, SandboxControl]]:
    """Start the sandbox on a free loopback port; yield its URL and control client; stop it."""
    port = _free_port()
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as directory:
        env = {
            **os.environ,
            "SANDBOX_DATABASE_URL": f"sqlite:///{Path(directory) / 'sandbox.sqlite3'}",
            "SANDBOX_CONTROL_TOKEN": token,
            "SANDBOX_SECRET_KEY": secrets.token_hex(32),
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)
        log_path = Path(directory) / "sandbox.log"
        with open(log_path, "w") as log:
            process = subprocess.Popen(  # noqa: S603 - our own module
                [sys.executable, "-m", "linking.cloud.sandbox", "serve", "--port", str(port)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            url = f"http://127.0.0.1:{port}"
            control = SandboxControl(url, token, timeout=300)
            try:
                deadline = time.monotonic() + timeout
                while True:
                    if process.poll() is not None:
                        raise RuntimeError(f"The sandbox exited: {log_path.read_text()}")
                    try:
                        control.health()
                        break
                    except OSError:
                        if time.monotonic() > deadline:
                            raise RuntimeError("The sandbox did not answer in time.") from None
                        time.sleep(0.2)
                yield url, control
            finally:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
