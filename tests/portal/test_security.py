"""Security headers, templates fit for the Content Security Policy, and the deployment check."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.conftest import PASSWORD, login

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def csp(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {
        part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
        for part in (p.strip() for p in header.split(";"))
        if part
    }


@pytest.mark.parametrize("page", ["login", "dashboard", "consent", "admin"])
def test_every_kind_of_page_carries_the_headers(client, cast, page):
    if page == "dashboard":
        login(client, cast.admin)
    if page == "admin":
        login(client, cast.staff)
    path = {
        "login": reverse("accounts:login"),
        "dashboard": reverse("portal:dashboard"),
        "consent": reverse("consent:page", args=["nothing-here"]),
        "admin": reverse("admin:index"),
    }[page]
    response = client.get(path)
    assert response.status_code in (200, 404)
    policy = csp(response)
    for directive, value in EXPECTED_CSP.items():
        assert policy[directive] == value, directive
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_production_settings_ask_for_https_everywhere():
    # The test settings switch these off for the test client; production (portal/settings/
    # without DJANGO_DEBUG) turns them on, and the deployment check below proves it.
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD,"
        " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.CSRF_COOKIE_HTTPONLY, s.SECURE_SSL_REDIRECT, s.X_FRAME_OPTIONS)"
    )
    out = _manage(["shell", "-v", "0", "-c", code])
    assert out.stdout.strip().splitlines()[-1].split() == [
        "31536000", "True", "True", "True", "True", "True", "True", "True", "DENY",
    ]  # fmt: skip


def test_hsts_header_is_sent_over_https(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    response = client.get(reverse("accounts:login"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_session_and_csrf_cookies_are_http_only(client, cast):
    response = client.get(reverse("accounts:login"))
    assert response.cookies["csrftoken"]["httponly"]
    response = client.post(
        reverse("accounts:login"), {"username": cast.admin.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.cookies["sessionid"]["httponly"]
    assert response.cookies["sessionid"]["samesite"] == "Lax"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", re.IGNORECASE)
HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def page_templates():
    # E-mails are not served to a browser, so the policy does not apply to them.
    return [p for p in TEMPLATES.rglob("*.html") if "emails" not in p.relative_to(TEMPLATES).parts]


def test_no_page_template_has_inline_script_style_or_handlers():
    offenders = []
    for path in page_templates():
        text = path.read_text()
        for name, pattern in [
            ("inline <script>", INLINE_SCRIPT),
            ("on*= handler", HANDLER),
            ("inline style", INLINE_STYLE),
            ("javascript: URL", JS_URL),
        ]:
            if pattern.search(text):
                offenders.append(f"{path.relative_to(TEMPLATES)}: {name}")
    assert offenders == []
    assert len(page_templates()) > 20


def test_the_scan_would_catch_what_it_looks_for():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/x.js"></script>')
    assert HANDLER.search('<button onclick="x()">')
    assert not HANDLER.search('<form data-confirm="Revoke?">')
    assert INLINE_STYLE.search('<div style="width: 1px">')
    assert JS_URL.search('<a href="javascript:void(0)">')


def test_htmx_is_told_not_to_inject_its_inline_style(client, cast):
    login(client, cast.admin)
    body = client.get(reverse("portal:dashboard")).content.decode()
    assert """<meta name="htmx-config" content='{"includeIndicatorStyles": false}'>""" in body


def _manage(args, **env):
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") or k == "DJANGO_PATH"
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="portal.example.com",
        **env,
    )
    return subprocess.run(  # noqa: S603 (this interpreter and manage.py, fixed arguments)
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_deployment_check_passes_with_production_settings():
    result = _manage(["check", "--deploy", "--fail-level", "WARNING"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deployment_check_fails_on_a_weak_setting():
    # The check is not vacuous: insecure cookies are reported.
    result = _manage(["check", "--deploy", "--fail-level", "WARNING"], DJANGO_SECURE_COOKIES="0")
    assert result.returncode != 0
    assert "security.W012" in result.stderr + result.stdout
