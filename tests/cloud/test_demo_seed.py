"""`make run`'s demo cloud: the sandbox's `seed-demo` and the portal's `seed_demo` agree on the
demo partners' keys, so both demo resellers' connections work with nothing from outside."""

import os
import secrets
import subprocess
import sys
import time
from io import StringIO

import pytest
from django.core.management import call_command

from linking.cloud import demo, services
from linking.cloud.models import CloudConnection
from linking.cloud.sandbox.control import SandboxControl
from linking.cloud.tasks import cloud_connection_test_task
from tests.cloud.sandbox_fixtures import ROOT, _free_port

pytestmark = pytest.mark.django_db


def _sandbox(env, *args, **kwargs):
    command = [sys.executable, "-m", "linking.cloud.sandbox", *args]
    return subprocess.Popen(command, cwd=ROOT, env=env, text=True, **kwargs)  # noqa: S603


@pytest.fixture
def seeded_sandbox(tmp_path):
    env = {
        **os.environ,
        "SANDBOX_DATABASE_URL": f"sqlite:///{tmp_path / 'sandbox.sqlite3'}",
        "SANDBOX_CONTROL_TOKEN": secrets.token_hex(16),
        "SANDBOX_SECRET_KEY": secrets.token_hex(32),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    outputs = []
    for _ in range(2):
        seeding = _sandbox(env, "seed-demo", stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        outputs.append(seeding.communicate(timeout=120)[0])
        assert seeding.returncode == 0, outputs[-1]
    port = _free_port()
    server = _sandbox(env, "serve", "--port", str(port), stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    control = SandboxControl(url, env["SANDBOX_CONTROL_TOKEN"])
    deadline = time.monotonic() + 60
    while True:
        try:
            control.health()
            break
        except OSError:
            assert server.poll() is None and time.monotonic() < deadline, "no sandbox"
            time.sleep(0.2)
    yield url, outputs
    server.terminate()
    server.wait(timeout=10)


def test_both_demo_resellers_reach_the_seeded_sandbox(seeded_sandbox, settings):
    url, outputs = seeded_sandbox
    assert "16 objects created" in outputs[0] and "0 objects created" in outputs[1]
    assert demo.CONSOLE_PASSWORD in outputs[0] and "acme-retail" in outputs[0]
    settings.SANDBOX_URL = url
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    connections = list(CloudConnection.objects.select_related("reseller"))
    assert sorted(c.reseller.partner_id for c in connections) == ["P-100234", "P-200871"]
    for connection in connections:
        assert connection.history.count() == 1  # the second run changed nothing
        assert connection.invitation_url.startswith(f"{url}/console/invitations/")
        admin = connection.reseller.memberships.get(role="admin").user
        services.cloud_connection_request_test(actor=admin, reseller=connection.reseller)
        assert cloud_connection_test_task(connection.pk, connection.revision) == "ok"
