"""The receipt sends the customer to the sandbox cloud's console only when the reseller's
connection is the sandbox this installation runs (a local run), never for Huawei Cloud."""

import pytest
from django.core import mail

from linking.models import Notification
from linking.outbox.delivery import notification_deliver
from tests.cloud.connection_setup import save_connection
from tests.conftest import read_only_delegation
from tests.linking.test_receipt_setup import BILLING, _decide_all

pytestmark = pytest.mark.django_db

SANDBOX = "http://127.0.0.1:8010"


def test_a_sandbox_connection_links_the_receipt_to_the_sandbox_console(client, cast, settings):
    settings.SANDBOX_URL = SANDBOX
    save_connection(cast, url=SANDBOX)
    _, _, url = _decide_all(cast, [BILLING, read_only_delegation(cast)], client)

    page = client.get(url).content.decode()

    assert 'id="sandbox-console"' in page
    assert f'href="{SANDBOX}/console/"' in page
    # One link to the agency form, for the delegation (billing has its invitation link).
    assert page.count(f'href="{SANDBOX}/console/agencies/new/"') == 1


@pytest.mark.parametrize("sandbox", ["", SANDBOX])
def test_a_huawei_cloud_connection_never_links_to_a_sandbox(client, cast, settings, sandbox):
    settings.SANDBOX_URL = sandbox
    save_connection(cast)  # Huawei Cloud's endpoints
    _, _, url = _decide_all(cast, [read_only_delegation(cast)], client)

    page = client.get(url).content.decode()

    assert "sandbox" not in page.lower()
    assert "/console/agencies/new/" not in page


def test_without_a_sandbox_configured_a_loopback_endpoint_is_not_taken_for_one(
    client, cast, settings
):
    settings.SANDBOX_URL = ""
    save_connection(cast, url=SANDBOX)
    _, _, url = _decide_all(cast, [read_only_delegation(cast)], client)
    assert 'id="sandbox-console"' not in client.get(url).content.decode()


def _deliver_receipt():
    notification = Notification.objects.filter(kind="consent_receipt").latest("id")
    assert notification_deliver(notification_id=notification.pk) == "sent"
    message = mail.outbox[-1]
    return message.body, message.alternatives[0][0]


def test_a_sandbox_connection_links_the_receipt_e_mail_to_the_sandbox_console(
    client, cast, settings
):
    settings.SANDBOX_URL = SANDBOX
    save_connection(cast, url=SANDBOX)
    _decide_all(cast, [BILLING, read_only_delegation(cast)], client)

    text, html = _deliver_receipt()

    assert f"instead of Huawei Cloud's:\n{SANDBOX}/console/\n" in text
    assert 'id="sandbox-console"' in html
    assert f'href="{SANDBOX}/console/"' in html


@pytest.mark.parametrize("sandbox", ["", SANDBOX])
def test_a_huawei_cloud_connection_never_links_the_receipt_e_mail_to_a_sandbox(
    client, cast, settings, sandbox
):
    settings.SANDBOX_URL = sandbox
    save_connection(cast)  # Huawei Cloud's endpoints
    _decide_all(cast, [read_only_delegation(cast)], client)

    text, html = _deliver_receipt()

    assert "What to do in Huawei Cloud" in text  # the steps are there, for the real cloud
    assert "sandbox" not in text.lower() and "sandbox" not in html.lower()
    assert SANDBOX not in text and SANDBOX not in html
