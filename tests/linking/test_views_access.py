"""Who reaches the linking pages: anonymous is sent to the login, an outsider gets a 404, a
wrong role a 403, and a change refuses GET. The shared helpers are in view_helpers.py."""

import pytest
from django.urls import reverse

from tests.conftest import cast_shared_by_the_module, login, make_draft
from tests.linking.view_helpers import Status, codes_in, linked, pending_approval, url, wizard

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()


@pytest.mark.parametrize(
    "name", ["request-list", "approval-queue", "link-list", "customer-list", "account-check"]
)
def test_anonymous_is_sent_to_login(client, cast, name):
    response = client.get(url(name))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_anonymous_is_sent_to_login_from_object_pages(client, cast):
    req = make_draft(cast)
    for target in [
        url("request-detail", req.pk),
        wizard(req, 1),
        url("request-cancel", req.pk),
    ]:
        response = client.get(target)
        assert response.status_code == 302, target
        assert reverse("accounts:login") in response["Location"]
    for name in ["request-submit", "request-approve", "request-reject", "request-cancel"]:
        response = client.post(url(name, req.pk))
        assert response.status_code == 302
    assert client.post(url("request-new")).status_code == 302
    req.refresh_from_db()
    assert req.status == Status.DRAFT


def test_outsider_gets_404_on_the_first_resellers_objects(client, cast):
    draft = make_draft(cast)
    link = linked(cast, customer=cast.customer2)
    login(client, cast.outsider)
    for target in [
        url("request-detail", draft.pk),
        wizard(draft, 1),
        url("request-cancel", draft.pk),
        url("link-detail", link.pk),
        url("customer-detail", cast.customer2.pk),
    ]:
        assert client.get(target).status_code == 404, target
    assert client.post(url("request-submit", draft.pk)).status_code == 404
    assert client.post(url("request-cancel", draft.pk)).status_code == 404
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_outsider_admin_gets_404_when_approving_or_rejecting(client, cast):
    req = pending_approval(cast)
    login(client, cast.outsider_admin)
    assert client.post(url("request-approve", req.pk)).status_code == 404
    assert client.post(url("request-reject", req.pk), {"reason": "no"}).status_code == 404
    req.refresh_from_db()
    assert req.status == Status.PENDING_APPROVAL


def test_outsider_sees_none_of_the_first_resellers_rows(client, cast):
    make_draft(cast, ticket="INC-SECRET")
    linked(cast, customer=cast.customer2)
    login(client, cast.outsider)
    for name in ["request-list", "link-list", "customer-list", "approval-queue"]:
        body = client.get(url(name)).content.decode()
        assert "INC-SECRET" not in body
        assert "Globex" not in body


def test_viewer_cannot_start_edit_submit_or_cancel(client, cast):
    req = make_draft(cast)
    login(client, cast.viewer)
    assert client.post(url("request-new")).status_code == 403
    assert client.get(wizard(req, 1)).status_code == 403
    assert client.get(url("account-check"), {"account_id": "1"}).status_code == 403
    assert client.post(url("request-submit", req.pk)).status_code == 403
    assert client.get(url("request-cancel", req.pk)).status_code == 403
    assert client.post(url("request-cancel", req.pk)).status_code == 403
    req.refresh_from_db()
    assert req.status == Status.DRAFT


def test_viewer_and_initiator_cannot_approve_or_reject(client, cast):
    req = pending_approval(cast)
    for user in [cast.viewer, cast.initiator]:
        login(client, user)
        assert client.post(url("request-approve", req.pk)).status_code == 403
        assert client.post(url("request-reject", req.pk), {"reason": "x"}).status_code == 403
    req.refresh_from_db()
    assert req.status == Status.PENDING_APPROVAL


def test_changes_refuse_get(client, cast):
    req = pending_approval(cast)
    login(client, cast.admin)
    for name in ["request-submit", "request-approve", "request-reject"]:
        assert client.get(url(name, req.pk)).status_code == 405
    assert client.get(url("request-new")).status_code == 405


def test_another_initiator_cannot_edit_someone_elses_draft(client, cast):
    req = make_draft(cast)
    login(client, cast.admin)
    assert client.get(wizard(req, 1)).status_code == 403
    response = client.post(url("request-submit", req.pk), follow=True)
    assert "LNK-S002" in codes_in(response)
    req.refresh_from_db()
    assert req.status == Status.DRAFT
