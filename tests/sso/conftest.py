"""A real OpenID provider for the single sign-on tests: the `oidc-provider` package (node),
installed from tests/oidc/package-lock.json with `npm ci` when missing and started once per
test session on a free loopback port: `openid_provider` sends its users back to the test
client's callback (http://testserver), `live_openid_provider` to the live server's, for the
browser tests. Only the browser tests pay for the live server (and a database emptied after
each test instead of rolled back)."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from accounts.sso import oidc, services

OIDC_DIR = Path(__file__).resolve().parent.parent / "oidc"
CLIENT_ID = "portal"
CLIENT_SECRET = "s3cr3t-Client-Value-42"
TEST_CLIENT_BASE = "http://testserver"
CALLBACK = "/accounts/sso/callback/"


@dataclass
class OpenIdProvider:
    issuer: str
    process: subprocess.Popen


def _install() -> None:
    if (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is missing: the single sign-on tests need Node.js (see docs/sso.md)")
    subprocess.run(  # noqa: S603
        [npm, "ci", "--no-audit", "--no-fund"], cwd=OIDC_DIR, check=True, timeout=300
    )


@pytest.fixture(scope="session")
def openid_provider():
    yield from _provider(f"{TEST_CLIENT_BASE}{CALLBACK}")


@pytest.fixture(scope="session")
def live_openid_provider(live_server):
    yield from _provider(f"{live_server.url}{CALLBACK}")


def _provider(redirect_uri: str):
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: the single sign-on tests need Node.js (see docs/sso.md)")
    _install()
    env = {
        **os.environ,
        "PORT": "0",
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "REDIRECT_URIS": redirect_uri,
    }
    process = subprocess.Popen(  # noqa: S603
        [node, "provider.mjs"],
        cwd=OIDC_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    ready: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("READY "):
                ready.append(line.split()[1])
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=30)
    if not ready:
        process.kill()
        pytest.fail("the OpenID provider did not start")
    provider = OpenIdProvider(issuer=f"http://127.0.0.1:{ready[0]}", process=process)
    try:
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def configure(cast, openid_provider, *, issuer=None, domains=("northwind.example",), **extra):
    """The reseller's provider saved through the service, as its admin's page does."""
    discovery = oidc.discover(issuer or openid_provider.issuer)
    return services.identity_provider_save(
        actor=cast.admin,
        reseller=cast.reseller,
        discovery=discovery,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        domains=list(domains),
        **extra,
    )


_FORM = re.compile(r'<form[^>]*action="(?P<action>[^"]+)"[^>]*>(?P<body>.*?)</form>', re.S)


def sign_in_at_provider(authorize_url: str, login: str, *, abort: bool = False) -> str:
    """Go through the provider's pages as a person would (login form, consent) and return
    where it sends the browser back: the portal's callback with a code, or with an error."""
    session = requests.Session()
    response = session.get(authorize_url, allow_redirects=False, timeout=10)
    for _ in range(20):
        if response.is_redirect:
            location = urljoin(response.url, response.headers["Location"])
            if CALLBACK in location:
                return location
            response = session.get(location, allow_redirects=False, timeout=10)
            continue
        page = response.text
        match = _FORM.search(page)
        assert match, page[:500]
        action = urljoin(response.url, html.unescape(match["action"]))
        if abort:
            abort_url = re.search(r'href="([^"]*abort[^"]*)"', page)
            assert abort_url, page[:500]
            response = session.get(
                urljoin(response.url, html.unescape(abort_url[1])), allow_redirects=False
            )
            continue
        if 'value="login"' in match["body"]:
            data = {"prompt": "login", "login": login, "password": "any"}
        else:
            data = {"prompt": "consent"}
        response = session.post(action, data=data, allow_redirects=False, timeout=10)
    raise AssertionError("the provider never sent the browser back")
