"""Fixtures shared by modules of the linking tests: the verification tests' linked customers,
proven in the sandbox cloud, and the outbox tests' mail server that fails on demand."""

import pytest

from linking.cloud.huawei import forget_cached_credentials
from linking.models import Link
from tests.conftest import make_draft, submit
from tests.journeys import active_link, connect_reseller
from tests.linking.outbox_helpers import FailingBackend
from tests.linking.verification_helpers import READ_ONLY


@pytest.fixture
def fresh_credentials():
    """No cloud keys cached by an earlier test, nor left for a later one."""
    forget_cached_credentials()
    yield
    forget_cached_credentials()


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    def run():
        return django_capture_on_commit_callbacks(execute=False)

    return run


@pytest.fixture
def linked(cast, cloud, capture):
    """A connected reseller; `linked(spec)` makes an active link of it, proven in the cloud."""
    connect_reseller(cast, cloud)

    def make(spec=READ_ONLY, customer=None):
        with capture():
            link = active_link(cast, [spec], customer=customer, cloud=cloud)
        assert link.status == Link.Status.ACTIVE
        return link

    return make


@pytest.fixture
def smtp_fails(settings, monkeypatch):
    def fail_with(error: Exception):
        settings.EMAIL_BACKEND = f"{FailingBackend.__module__}.FailingBackend"
        monkeypatch.setattr(FailingBackend, "error", error)

    return fail_with


@pytest.fixture
def smtp_works(settings):
    def work():
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    return work


@pytest.fixture
def consent_request(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        req = submit(cast, make_draft(cast))
    return req
