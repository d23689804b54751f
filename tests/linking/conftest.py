"""Fixtures shared by modules of the linking tests: the verification tests' linked customers,
proven in the sandbox cloud."""

import pytest

from linking.cloud.huawei import forget_cached_credentials
from linking.models import Link
from tests.journeys import active_link, connect_reseller
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
