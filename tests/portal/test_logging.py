"""No consent, withdrawal or receipt token reaches any log: every logger, every handler."""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse

from linking import services
from linking.models import Link
from portal.logconfig import redact
from tests.journeys import pending_consent_with_token
from tests.linking.test_consent_views import _answers

pytestmark = pytest.mark.django_db


class Everything(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(logging.Formatter("%(name)s %(message)s").format(record))


@pytest.fixture
def all_log_output():
    """Everything any configured handler writes, and every record reaching the root logger,
    as text; the streams of the handlers are restored afterwards."""
    root = logging.getLogger()
    loggers = [root, *logging.Logger.manager.loggerDict.values()]
    streams: list[tuple[logging.StreamHandler, object, io.StringIO]] = []
    for logger in loggers:
        for handler in getattr(logger, "handlers", []):
            if isinstance(handler, logging.StreamHandler) and not any(
                handler is h for h, _, _ in streams
            ):
                buffer = io.StringIO()
                streams.append((handler, handler.setStream(buffer), buffer))
    everything = Everything()
    root.addHandler(everything)
    level = root.level
    root.setLevel(logging.DEBUG)

    def output() -> str:
        return "\n".join([*everything.lines, *(buffer.getvalue() for _, _, buffer in streams)])

    try:
        yield output
    finally:
        root.setLevel(level)
        root.removeHandler(everything)
        for handler, stream, _ in streams:
            handler.setStream(stream)


def secrets_of(*tokens: str) -> list[str]:
    return [
        part for token in tokens for part in {token, *re.split(r"[:.]", token)} if len(part) > 6
    ]


def test_posts_refused_by_the_csrf_check_log_no_token(cast, all_log_output):
    req, token = pending_consent_with_token(
        cast, customer=cast.customer, ticket=f"INC-{cast.customer.pk}"
    )
    link_req, accepted = pending_consent_with_token(
        cast, customer=cast.customer2, ticket=f"INC-{cast.customer2.pk}"
    )
    consent = reverse("consent:page", args=[token])

    # No cookie at all (blocked, expired, or an attacker's form).
    without_cookie = Client(enforce_csrf_checks=True)
    assert without_cookie.post(consent, _answers(req, "accept")).status_code == 403
    # A cookie but no token in the form.
    with_cookie = Client(enforce_csrf_checks=True)
    assert with_cookie.get(consent).status_code == 200
    assert with_cookie.post(consent, _answers(req, "accept")).status_code == 403

    # A real decision, then a withdrawal link refused without a cookie.
    browser = Client()
    assert browser.post(reverse("consent:page", args=[accepted]), _answers(link_req, "accept"))
    link = Link.objects.filter(customer=link_req.customer).latest("id")
    withdrawal = services.link_issue_withdrawal_token(link_id=link.pk)
    withdraw = reverse("consent:withdraw", args=[withdrawal])
    assert without_cookie.post(withdraw, {"confirm": "on"}).status_code == 403
    receipt = reverse("consent:receipt", args=[f"{accepted}x"])
    without_cookie.post(receipt)

    text = all_log_output()
    assert "Forbidden (CSRF cookie not set.): /consent/[redacted]/" in text
    assert "/consent/withdraw/[redacted]/" in text
    assert "/consent/receipt/[redacted]/" in text
    for secret in secrets_of(token, accepted, withdrawal):
        assert secret not in text


def test_a_logger_of_its_own_with_a_handler_of_its_own_writes_no_token(all_log_output):
    # Like gunicorn's error log or a library's logger: not propagating, not configured by us.
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("tests.portal.own-logger")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        logger.warning("Error handling request %s", "/consent/abcdef123456:sig/")
        logger.warning("POST /consent/withdraw/abcdef123456:sig/ HTTP/1.1")
        logger.warning("%(r)s", {"r": "GET /consent/receipt/abcdef123456:sig/download/ HTTP/1.1"})
        try:
            raise ValueError("no page at /consent/abcdef123456:sig/")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    written = stream.getvalue()
    assert "ValueError: no page at /consent/[redacted]/" in written
    assert "/consent/receipt/[redacted]/download/" in written
    assert "abcdef123456" not in written


def test_redact_leaves_other_paths_alone():
    assert redact("/consent/withdraw/") == "/consent/withdraw/"
    assert redact("/requests/12/") == "/requests/12/"
    assert redact("GET /consent/abc?x=1") == "GET /consent/[redacted]?x=1"


CELERY_PROCESS = """
import logging, sys
from portal.celery import app
from celery.utils.log import get_task_logger

app.log.setup(loglevel="INFO", logfile=sys.argv[1])
logging.getLogger("celery.worker.strategy").warning("Received /consent/celery-token-1/")
get_task_logger("linking.tasks").warning("task saw /consent/withdraw/celery-token-2/")
own = logging.getLogger("a.library")
own.propagate = False
own.addHandler(logging.FileHandler(sys.argv[1]))
own.warning("GET /consent/receipt/celery-token-3/download/")
"""


def test_a_celery_process_logs_no_token(tmp_path, settings):
    # Celery replaces the root logger's handlers with its own, as a worker or beat does.
    logfile = tmp_path / "celery.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings_test"}
    subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
        [sys.executable, "-c", CELERY_PROCESS, str(logfile)],
        env=env,
        cwd=settings.BASE_DIR,
        check=True,
        timeout=60,
    )
    written = logfile.read_text()
    assert written.count("[redacted]") == 3, written
    assert "celery-token" not in written


def test_redact_hides_invitation_tokens_in_paths_and_login_next():
    token = "ab" * 32
    assert redact(f"GET /accounts/invitations/{token}/") == (
        "GET /accounts/invitations/[redacted]/"
    )
    quoted = f"/accounts/login/?next=%2Faccounts%2Finvitations%2F{token}%2F"
    assert token not in redact(quoted)
    assert redact("/accounts/invitations/") == "/accounts/invitations/"
