"""Only public addresses are called: refused at registration and again at delivery (a name
may resolve elsewhere by then), unless the operator allows their network."""

from __future__ import annotations

import pytest

from linking.webhooks.addresses import Target, check_url
from linking.webhooks.delivery import post, webhook_deliver
from linking.webhooks.models import WebhookDelivery, WebhookEndpoint
from linking.webhooks.services import webhook_emit
from portal.errors import PortalError
from tests.webhooks.conftest import register

pytestmark = pytest.mark.django_db

NOT_PUBLIC = [
    "https://127.0.0.1/hooks",
    "https://127.8.9.10:8443/hooks",
    "https://10.1.2.3/hooks",
    "https://172.16.0.1/hooks",
    "https://192.168.1.1/hooks",
    "https://100.64.0.1/hooks",  # shared address space (carrier NAT)
    "https://169.254.169.254/latest/meta-data/",  # the clouds' metadata service
    "https://[::1]/hooks",
    "https://[::ffff:127.0.0.1]/hooks",  # IPv4 written inside IPv6
    "https://[fd00:ec2::254]/hooks",  # a cloud's IPv6 metadata service (unique local)
    "https://[fe80::1]/hooks",
    "https://224.0.0.1/hooks",  # multicast
    "https://240.0.0.1/hooks",  # reserved
    "https://0.0.0.0/hooks",
    "https://localhost/hooks",  # a name that resolves to loopback
]


@pytest.mark.parametrize("url", NOT_PUBLIC)
def test_an_address_that_is_not_public_is_refused(url, settings):
    settings.PORTAL_WEBHOOK_ALLOWED_NETWORKS = []
    with pytest.raises(PortalError) as refused:
        check_url(url)
    assert refused.value.code == "WHK-U002"


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://93.184.215.14/hooks", "WHK-U001"),
        ("https://user:secret@93.184.215.14/hooks", "WHK-U001"),
        ("https:///hooks", "WHK-U001"),
        ("https://93.184.215.14:99999/", "WHK-U001"),
        ("hooks.example.com", "WHK-U001"),
        ("https://nothing.invalid/hooks", "WHK-U003"),
        ("http://93.184.215.14/hooks", "WHK-U004"),  # public, but without TLS
    ],
)
def test_a_url_that_is_no_usable_address_is_refused_with_its_code(url, code):
    with pytest.raises(PortalError) as refused:
        check_url(url)
    assert refused.value.code == code


def test_a_public_https_address_is_accepted_with_the_address_to_connect_to():
    target = check_url("https://93.184.215.14:8443/hooks?x=1")
    assert target == Target("https", "93.184.215.14", 8443, "/hooks?x=1", ("93.184.215.14",))
    assert target.host_header == "93.184.215.14:8443"


def test_an_allowed_network_may_be_called_even_over_plain_http(settings):
    settings.PORTAL_WEBHOOK_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    assert check_url("http://10.20.1.2/hooks").addresses == ("10.20.1.2",)
    with pytest.raises(PortalError) as refused:
        check_url("http://10.21.1.2/hooks")
    assert refused.value.code == "WHK-U002"


REFUSED_EVERYWHERE = [
    "https://127.0.0.1/hooks",
    "https://10.1.2.3/hooks",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/hooks",
    "https://localhost/hooks",
]


@pytest.mark.parametrize("url", REFUSED_EVERYWHERE)
def test_registration_refuses_an_address_that_is_not_public(cast, settings, url):
    settings.PORTAL_WEBHOOK_ALLOWED_NETWORKS = []
    with pytest.raises(PortalError) as refused:
        register(cast, None, url=url)
    assert refused.value.code == "WHK-U002"
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("url", REFUSED_EVERYWHERE)
def test_delivery_refuses_an_address_that_is_no_longer_allowed(cast, settings, url):
    # Registered while the operator allowed every network; by the delivery nothing is allowed
    # (as a name may, by then, resolve to an internal address).
    settings.PORTAL_WEBHOOK_ALLOWED_NETWORKS = ["0.0.0.0/0", "::/0"]
    register(cast, None, url=url)
    (delivery,) = webhook_emit(cast.reseller, "link.active", ("link", 1), {})
    settings.PORTAL_WEBHOOK_ALLOWED_NETWORKS = []
    assert webhook_deliver(delivery_id=delivery.pk).outcome == "retrying"
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("WHK-U002") and delivery.attempts == 1


def test_delivery_checks_the_address_again_and_sends_nothing_where_it_is_refused(
    cast, receiver, settings
):
    register(cast, receiver)
    (delivery,) = webhook_emit(cast.reseller, "link.active", ("link", 1), {})
    # The network is no longer allowed (as a name may now resolve to an internal address).
    settings.PORTAL_WEBHOOK_ALLOWED_NETWORKS = []
    assert webhook_deliver(delivery_id=delivery.pk).outcome == "retrying"
    assert receiver.received == []
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.RETRYING
    assert delivery.last_error.startswith("WHK-U002")
    assert delivery.last_status_code is None


def test_delivery_connects_to_the_checked_address_and_names_the_host(receiver):
    # A name that resolves nowhere: the connection goes to the address the check found, and
    # the request still names the host (as TLS checks the certificate against it).
    target = Target("http", "hooks.example.test", receiver.port, "/in", ("127.0.0.1",))
    attempt = post(target, b"{}", {"Content-Type": "application/json"})
    assert attempt.status_code == 200
    (got,) = receiver.received
    assert got.headers["Host"] == f"hooks.example.test:{receiver.port}"


def test_delivery_tries_the_next_checked_address_when_one_refuses(receiver):
    # The receiver listens on 127.0.0.1 only: 127.0.0.2 refuses, the name's next address answers.
    one = Target("http", "hooks.example.test", receiver.port, "/in", ("127.0.0.2",))
    assert post(one, b"{}", {}).error == "could not connect to 127.0.0.2"
    both = Target("http", "hooks.example.test", receiver.port, "/in", ("127.0.0.2", "127.0.0.1"))
    assert post(both, b"{}", {}).status_code == 200
    assert len(receiver.received) == 1
