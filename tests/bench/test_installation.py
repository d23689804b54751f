"""The benchmark app is development and benchmark tooling: production settings never load it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

PROBE = """
import json

import django

django.setup()
from django.apps import apps
from django.core.management import get_commands
from django.urls import Resolver404, resolve

try:
    resolve("/bench/floor/requests/")
    floor = True
except Resolver404:
    floor = False
bench_commands = sorted(
    name for name in get_commands() if name.startswith("bench_") or name == "generate_scale_data"
)
print(json.dumps({
    "installed": apps.is_installed("portal.bench"),
    "commands": {name: get_commands()[name] for name in bench_commands},
    "floor": floor,
}))
"""

COMMANDS = dict.fromkeys(
    (
        "bench_batch",
        "bench_cloud_sync",
        "bench_consent_delivery",
        "bench_expiry_sweep",
        "bench_pages",
        "bench_reverify",
        "generate_scale_data",
    ),
    "portal.bench",
)


def probe(tmp_path, settings_module: str, debug: str) -> dict:
    """What a fresh process with these settings installs, offers and resolves."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        DJANGO_DEBUG=debug,
        DJANGO_SECRET_KEY="a-secret-key-of-the-installation-test-0123456789-abcdefghij",
        PORTAL_VAR_DIR=str(tmp_path),
    )
    result = subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_do_not_install_the_benchmark_app(tmp_path):
    found = probe(tmp_path, "portal.settings", debug="0")
    assert found == {"installed": False, "commands": {}, "floor": False}


@pytest.mark.parametrize(
    ("settings_module", "debug", "floor"),
    [("portal.settings", "1", False), ("portal.bench.settings", "0", True)],
    ids=["development", "benchmark"],
)
def test_development_and_benchmark_settings_install_it(tmp_path, settings_module, debug, floor):
    found = probe(tmp_path, settings_module, debug=debug)
    # The floor views are mounted by the benchmark's URLconf only, never the portal's.
    assert found == {"installed": True, "commands": COMMANDS, "floor": floor}
