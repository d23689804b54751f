"""The authorization matrix for team-scoped links: a member outside a link's teams meets a 404
on the customer's delegated pages (as for another reseller's), a member inside and an admin
reach them; the API answers the same for a key whose maker is outside."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.services import api_key_create
from linking.models import Link
from tests.conftest import cast_shared_by_the_module
from tests.linking.test_teams import team_link, team_of

pytestmark = pytest.mark.django_db

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

# (URL name, method, who is outside the team but holds the role the URL asks for)
PAGES = [
    ("linking:link-detail", "get", "viewer"),
    ("linking:link-verify", "post", "viewer"),
    ("linking:link-amend", "post", "initiator"),
    ("linking:link-renew", "post", "initiator"),
    ("linking:link-revoke", "get", "approver"),
    ("linking:link-revoke", "post", "approver"),
    ("linking:customer-detail", "get", "viewer"),
]


@pytest.fixture
def scoped(cast, django_capture_on_commit_callbacks):
    """An active delegation whose only team holds a new viewer (`inside`): the cast's viewer,
    initiator and approver are outside it."""
    from accounts.services import membership_add
    from tests.factories import UserFactory

    inside = UserFactory(email="inside@northwind.example")
    membership_add(
        actor=None, reseller=cast.reseller, email=inside.email, role="viewer", check_actor=False
    )
    team = team_of(cast, "Cloud ops", inside)
    link = team_link(cast, [team], django_capture_on_commit_callbacks)
    assert link.status == Link.Status.ACTIVE
    return link, inside


def _url(name, link):
    pk = link.customer_id if name == "linking:customer-detail" else link.pk
    return reverse(name, args=[pk])


@pytest.mark.parametrize(("name", "method", "role"), PAGES)
def test_a_member_outside_the_team_gets_a_404(client, cast, scoped, name, method, role):
    link, _inside = scoped
    client.force_login(getattr(cast, role))
    response = getattr(client, method)(_url(name, link))
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["linking:link-detail", "linking:customer-detail"])
def test_a_member_inside_the_team_and_an_admin_reach_the_pages(client, cast, scoped, name):
    link, inside = scoped
    for user in (inside, cast.admin):
        client.force_login(user)
        assert client.get(_url(name, link)).status_code == 200


def test_the_lists_leave_out_what_the_member_cannot_open(client, cast, scoped):
    link, inside = scoped
    client.force_login(cast.viewer)
    assert link.reference.encode() not in client.get(reverse("linking:link-list")).content
    customers = client.get(reverse("linking:customer-list")).content
    assert link.customer.display_name.encode() not in customers
    client.force_login(inside)
    assert link.reference.encode() in client.get(reverse("linking:link-list")).content


def test_the_api_answers_404_to_a_key_whose_maker_is_outside(client, cast, scoped):
    link, _inside = scoped
    _key, whole = api_key_create(
        actor=cast.admin, reseller=cast.reseller, name="CRM", role="viewer"
    )
    url = reverse("api:link-detail", args=[link.pk])
    # The key's role is not admin: it sees what its maker sees as a member of the teams.
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {whole}")
    assert response.status_code == 404
    listed = client.get(reverse("api:link-list"), HTTP_AUTHORIZATION=f"Bearer {whole}").json()
    assert link.pk not in [row["id"] for row in listed["results"]]
