"""The customer session, in exact answers: a contact signed in to the centre for side A's
accounts reads its own pages (200), never side B's objects (404, links, requests and receipts
alike), is nobody on the operators' pages (login), and nobody else is a customer."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from linking.centre.views import customer_session_start
from tests.security.world import World


@pytest.fixture
def cast():
    pytest.fail("the tests of this module share one cast: take `shared_world` instead of `cast`")


def customer_client(world: World) -> Client:
    visitor = next(v for v in world.visitors if v.is_customer)
    client = Client()
    session = client.session
    customer_session_start(
        session, email=visitor.customer_email, accounts=list(visitor.customer_accounts)
    )
    session.save()
    return client


def own_and_other(world: World) -> list[tuple[str, str, str]]:
    """(what, side A's URL, side B's URL) for every centre page about one object."""
    rows = []
    for what, name, arg in (
        ("link", "customer:withdraw", lambda s: s.link.pk),
        ("request", "customer:decide", lambda s: s.requests["pending_consent"].pk),
        ("receipt", "customer:receipt-download", lambda s: s.receipt_reference),
    ):
        rows.append((what, reverse(name, args=[arg(world.a)]), reverse(name, args=[arg(world.b)])))
    return rows


def test_a_customer_reads_their_own_centre_pages(shared_world):
    client = customer_client(shared_world)
    home = client.get(reverse("customer:home"))
    assert home.status_code == 200
    page = home.content.decode()
    assert f'id="link-{shared_world.a.link.pk}"' in page
    assert f'id="link-{shared_world.b.link.pk}"' not in page
    for what, own, _ in own_and_other(shared_world):
        assert client.get(own).status_code == 200, what


def test_a_customer_gets_a_404_for_another_accounts_objects(shared_world):
    client = customer_client(shared_world)
    for what, _, other in own_and_other(shared_world):
        assert client.get(other).status_code == 404, what
        if "receipt" not in other:
            assert client.post(other, {}).status_code == 404, what


def test_a_customer_is_sent_to_the_login_on_operator_pages(shared_world):
    client = customer_client(shared_world)
    login = reverse(settings.LOGIN_URL)
    for url in (
        reverse("portal:dashboard"),
        reverse("linking:link-detail", args=[shared_world.a.link.pk]),
        reverse("linking:request-detail", args=[shared_world.a.requests["pending_consent"].pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.url.split("?")[0] == login, url


@pytest.mark.parametrize("who", ["anonymous", "admin", "staff"])
def test_nobody_else_is_a_customer_on_the_centre_pages(shared_world, who):
    visitor = next(v for v in shared_world.visitors if v.name == who)
    client = Client()
    if visitor.user is not None:
        client.force_login(visitor.user)
    for _, own, _ in own_and_other(shared_world):
        response = client.get(own)
        assert response.status_code == 200 and b"CUS-S004" in response.content, own
    assert b"CUS-S004" in client.get(reverse("customer:home")).content
