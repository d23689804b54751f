"""The sandbox cloud as a real subprocess, for tests that call it through the SDK."""

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from linking.cloud.sandbox.control import SandboxControl

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class SandboxCloud:
    url: str
    control: SandboxControl


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Running:
    """The session's sandbox process, started on first use (a fixture, or a journey that
    completes a customer's cloud side) and stopped when the session ends."""

    cloud: SandboxCloud | None = None
    process: subprocess.Popen | None = None
    log = None


def session_sandbox(directory: Path | None = None) -> SandboxCloud:
    """The sandbox cloud of this test session, started if it is not running yet."""
    if _Running.cloud is not None:
        return _Running.cloud
    port = _free_port()
    directory = directory or Path(tempfile.mkdtemp(prefix="sandbox-"))
    token = secrets.token_hex(16)
    env = {
        **os.environ,
        "SANDBOX_DATABASE_URL": f"sqlite:///{directory / 'sandbox.sqlite3'}",
        "SANDBOX_CONTROL_TOKEN": token,
        "SANDBOX_SECRET_KEY": secrets.token_hex(32),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = open(directory / "sandbox.log", "w")  # noqa: SIM115 - open for the whole session
    process = subprocess.Popen(  # noqa: S603 - our own module
        [sys.executable, "-m", "linking.cloud.sandbox", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    control = SandboxControl(url, token)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            log.close()
            pytest.fail(f"The sandbox exited: {(directory / 'sandbox.log').read_text()}")
        try:
            control.health()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.terminate()
                pytest.fail("The sandbox did not answer within 60 seconds.")
            time.sleep(0.2)
    _Running.cloud, _Running.process, _Running.log = SandboxCloud(url, control), process, log
    return _Running.cloud


def pytest_unconfigure(config):
    process = _Running.process
    if process is None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if _Running.log is not None:
        _Running.log.close()
    _Running.cloud = _Running.process = _Running.log = None


@pytest.fixture(scope="session")
def sandbox_cloud(tmp_path_factory):
    return session_sandbox(tmp_path_factory.mktemp("sandbox"))


@pytest.fixture
def cloud(sandbox_cloud):
    """The sandbox, emptied before the test."""
    sandbox_cloud.control.reset()
    return sandbox_cloud
