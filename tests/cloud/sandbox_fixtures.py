"""The sandbox cloud as a real subprocess, for tests that call it through the SDK."""

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from linking.cloud.sandbox.control import SandboxControl
from linking.cloud.sandbox.process import ROOT, SandboxProcess, free_port, start_sandbox

_free_port = free_port

__all__ = ["ROOT", "SandboxCloud", "_free_port", "session_sandbox"]


@dataclass
class SandboxCloud:
    url: str
    control: SandboxControl


class _Running:
    """The session's sandbox process, started on first use (a fixture, or a journey that
    completes a customer's cloud side) and stopped when the session ends."""

    cloud: SandboxCloud | None = None
    process: SandboxProcess | None = None


def session_sandbox(directory: Path | None = None) -> SandboxCloud:
    """The sandbox cloud of this test session, started if it is not running yet."""
    if _Running.cloud is not None:
        return _Running.cloud
    directory = directory or Path(tempfile.mkdtemp(prefix="sandbox-"))
    try:
        process = start_sandbox(directory)
    except RuntimeError as error:
        pytest.fail(str(error))
    _Running.cloud, _Running.process = SandboxCloud(process.url, process.control), process
    return _Running.cloud


def pytest_unconfigure(config):
    if _Running.process is not None:
        _Running.process.stop()
    _Running.cloud = _Running.process = None


@pytest.fixture(scope="session")
def sandbox_cloud(tmp_path_factory):
    return session_sandbox(tmp_path_factory.mktemp("sandbox"))


@pytest.fixture
def cloud(sandbox_cloud):
    """The sandbox, emptied before the test."""
    sandbox_cloud.control.reset()
    return sandbox_cloud
