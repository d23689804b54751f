"""Approving, rejecting and cancelling a request on its pages, and the confirmation of every
change saying what actually happened."""

import pytest

from linking import services
from tests.conftest import cast_shared_by_the_module, login, make_draft, submit
from tests.linking.view_helpers import BILLING, Status, pending_approval, url

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()


# --- approve, reject, cancel ------------------------------------------------------------------


def test_approval_by_the_initiator_is_refused_with_lnk_a001(client, cast):
    # The admin may both initiate and approve, but never the same request.
    req = submit(cast, make_draft(cast, actor=cast.admin, specs=BILLING), actor=cast.admin)
    login(client, cast.admin)
    detail = client.get(url("request-detail", req.pk)).content.decode()
    assert ">Approve<" not in detail
    response = client.post(url("request-approve", req.pk), follow=True)
    assert "LNK-A001" in response.content.decode()
    req.refresh_from_db()
    assert req.status == Status.PENDING_APPROVAL


def test_reject_without_a_reason_shows_lnk_a003(client, cast):
    req = pending_approval(cast)
    login(client, cast.approver)
    response = client.post(url("request-reject", req.pk), {"reason": "  "}, follow=True)
    assert "LNK-A003" in response.content.decode()
    req.refresh_from_db()
    assert req.status == Status.PENDING_APPROVAL


def test_reject_with_a_reason_closes_the_request(client, cast):
    req = pending_approval(cast)
    login(client, cast.approver)
    client.post(url("request-reject", req.pk), {"reason": "Wrong customer"})
    req.refresh_from_db()
    assert req.status == Status.REJECTED
    assert req.decision_reason == "Wrong customer"
    detail = client.get(url("request-detail", req.pk)).content.decode()
    assert "Wrong customer" in detail


@pytest.mark.parametrize("action", ["request-approve", "request-reject"])
def test_a_reason_too_long_to_keep_is_refused_and_nothing_is_decided(client, cast, action):
    req = pending_approval(cast)
    login(client, cast.approver)
    response = client.post(url(action, req.pk), {"reason": "x" * 2001}, follow=True)
    assert "LNK-A005" in response.content.decode()
    req.refresh_from_db()
    assert req.status == Status.PENDING_APPROVAL
    assert req.decision_reason == ""


def test_approving_twice_says_why_and_changes_nothing(client, cast):
    req = pending_approval(cast)
    login(client, cast.approver)
    client.post(url("request-approve", req.pk))
    response = client.post(url("request-approve", req.pk), follow=True)
    assert "LNK-S001" in response.content.decode()


def test_cancel_page_says_what_stops_and_post_cancels(client, cast):
    req = submit(cast, make_draft(cast))
    login(client, cast.initiator)
    page = client.get(url("request-cancel", req.pk))
    assert page.status_code == 200
    body = page.content.decode()
    assert "stops working" in body
    assert "data-confirm" in body
    response = client.post(url("request-cancel", req.pk), {"reason": "customer changed mind"})
    assert response["Location"] == url("request-detail", req.pk)
    req.refresh_from_db()
    assert req.status == Status.CANCELLED


def test_cancel_with_a_reason_too_long_to_keep_says_why_and_cancels_nothing(client, cast):
    req = submit(cast, make_draft(cast))
    before = req.status
    login(client, cast.initiator)
    response = client.post(url("request-cancel", req.pk), {"reason": "x" * 2001})
    assert "LNK-A005" in response.content.decode()
    req.refresh_from_db()
    assert req.status == before != Status.CANCELLED


def test_cancelling_a_closed_request_shows_the_code(client, cast):
    req = submit(cast, make_draft(cast))
    services.link_request_cancel(actor=cast.initiator, request_id=req.pk)
    login(client, cast.initiator)
    response = client.post(url("request-cancel", req.pk), follow=True)
    assert "LNK-S001" in response.content.decode()


# --- every confirmation says what actually happened ---------------------------------------------


def flashed(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_submitting_a_narrowing_says_it_applies_and_nobody_was_asked(client, cast):
    from tests.journeys import active_link
    from tests.linking.test_amend import amend

    link = active_link(cast)
    req = amend(cast, link, services=["ECS"])
    login(client, cast.initiator)
    response = client.post(url("request-submit", req.pk), follow=True)
    message = flashed(response)
    assert f"narrower scope of {link.reference} applies now" in message
    assert "customer was not asked" in message
    assert "has been asked" not in message


def test_submitting_says_who_was_asked(client, cast):
    login(client, cast.initiator)
    to_customer = make_draft(cast)
    message = flashed(client.post(url("request-submit", to_customer.pk), follow=True))
    assert f"consent e-mail to {cast.customer.contact_email} is on its way" in message
    to_approvers = make_draft(cast, customer=cast.customer2, specs=BILLING)
    message = flashed(client.post(url("request-submit", to_approvers.pk), follow=True))
    assert "waits for approval; 2 approvers have been e-mailed" in message


def test_approving_says_the_consent_e_mail_is_on_its_way(client, cast):
    req = pending_approval(cast)
    login(client, cast.approver)
    message = flashed(client.post(url("request-approve", req.pk), {"reason": "ok"}, follow=True))
    assert f"{req.reference} was approved; the consent e-mail to" in message


def test_revoking_a_billing_link_says_billing_runs_to_the_month_end(client, cast):
    from tests.journeys import active_link

    link = active_link(cast, BILLING)
    login(client, cast.approver)
    response = client.post(
        url("link-revoke", link.pk),
        {"reason": "Contract ended", "confirm_reference": link.reference},
        follow=True,
    )
    message = flashed(response)
    assert "billing ends on" in message
    assert "access ended now" not in message
    assert "the customer and your team are being told" in message


def test_cancelling_a_request_waiting_for_the_customer_says_the_link_is_dead(client, cast):
    req = submit(cast, make_draft(cast))
    login(client, cast.initiator)
    response = client.post(url("request-cancel", req.pk), {"reason": "wrong"}, follow=True)
    assert "the link in the consent e-mail no longer works" in flashed(response)
