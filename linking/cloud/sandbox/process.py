"""The sandbox cloud started as a child process on a free loopback port, with a database and a
control token of its own: what the benchmarks and the tests talk to. Needs no Django setup."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from linking.cloud.sandbox.control import SandboxControl

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SandboxProcess:
    url: str
    control: SandboxControl
    process: subprocess.Popen
    log: IO[str]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def start_sandbox(
    directory: Path, *, timeout: float = 60, control_timeout: float = 60
) -> SandboxProcess:
    """Start the sandbox with its database and log in `directory` and wait until it answers;
    RuntimeError (with its log) when it exits or does not answer within `timeout` seconds."""
    port = free_port()
    token = secrets.token_hex(16)
    env = {
        **os.environ,
        "SANDBOX_DATABASE_URL": f"sqlite:///{directory / 'sandbox.sqlite3'}",
        "SANDBOX_CONTROL_TOKEN": token,
        "SANDBOX_SECRET_KEY": secrets.token_hex(32),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log_path = directory / "sandbox.log"
    log = open(log_path, "w")  # noqa: SIM115 - open while the process runs, closed by stop()
    process = subprocess.Popen(  # noqa: S603 - our own module
        [sys.executable, "-m", "linking.cloud.sandbox", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    sandbox = SandboxProcess(url, SandboxControl(url, token, timeout=control_timeout), process, log)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            log.close()
            raise RuntimeError(f"The sandbox exited: {log_path.read_text()}")
        try:
            sandbox.control.health()
            return sandbox
        except OSError:
            if time.monotonic() > deadline:
                sandbox.stop()
                raise RuntimeError(
                    f"The sandbox did not answer within {timeout:.0f} seconds."
                ) from None
            time.sleep(0.2)
