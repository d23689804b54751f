"""Revoke by the reseller and withdrawal by the customer: who may, what the confirmation needs,
the permissions gone in the same transaction, the billing month end, both sides told, history."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.models import User
from linking import services
from linking.checks import ItemSpec
from linking.models import ConsentRecord, Link, Notification
from linking.outbox.delivery import notification_deliver
from linking.services.revocation import billing_month_end, can_revoke
from portal.errors import PortalError
from tests.conftest import (
    cast_shared_by_the_module,
    code_from_page,
    consent_token_for,
    login,
    make_draft,
    submit,
)
from tests.journeys import active_link

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

BILLING = ItemSpec(link_type="billing")
REVOKED = Link.Status.REVOKED


def fresh(user) -> User:
    # guardian and Django cache permissions on the user instance.
    return User.objects.get(pk=user.pk)


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    def run():
        return django_capture_on_commit_callbacks(execute=False)

    return run


def revoke(cast, link, *, actor=None, reason="Contract ended", confirm=None):
    return services.link_revoke(
        actor=actor or cast.approver,
        link_id=link.pk,
        reason=reason,
        confirm_reference=link.reference if confirm is None else confirm,
    )


def revoked_notices(link):
    return sorted(
        (n.to_email, n.context["audience"])
        for n in Notification.objects.filter(link=link, kind=Notification.Kind.LINK_REVOKED)
    )


# --- revoke by the reseller: the service ------------------------------------------------------


@pytest.mark.parametrize("who", ["approver", "admin"])
def test_revoke_by_an_approver_or_admin_removes_the_permissions_at_once(cast, run_on_commit, who):
    with run_on_commit():
        link = active_link(cast)
    customer = cast.customer
    assert fresh(cast.viewer).has_perm("linking.view_customeraccount", customer)
    assert fresh(cast.initiator).has_perm("linking.delegate_read_customeraccount", customer)
    with run_on_commit():
        link = revoke(cast, link, actor=getattr(cast, who))
    link.refresh_from_db()
    assert link.status == REVOKED
    assert link.revoked_by == getattr(cast, who)
    assert link.revoke_reason == "Contract ended"
    assert link.revoked_at is not None
    assert link.billing_ends_at is None
    for user in (cast.admin, cast.initiator, cast.approver, cast.viewer):
        assert not fresh(user).has_perm("linking.view_customeraccount", customer)
        assert not fresh(user).has_perm("linking.delegate_read_customeraccount", customer)
        assert not fresh(user).has_perm("linking.delegate_manage_customeraccount", customer)


@pytest.mark.parametrize("who", ["initiator", "viewer", "outsider_admin", "no_member"])
def test_revoke_without_the_approver_role_is_refused(cast, run_on_commit, who):
    with run_on_commit():
        link = active_link(cast)
    with pytest.raises(PortalError) as exc:
        revoke(cast, link, actor=getattr(cast, who))
    assert exc.value.code == "LNK-V013"
    link.refresh_from_db()
    assert link.status == Link.Status.ACTIVE
    assert fresh(cast.viewer).has_perm("linking.view_customeraccount", cast.customer)


def test_revoke_needs_a_reason(cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
    with pytest.raises(PortalError) as exc:
        revoke(cast, link, reason="   ")
    assert exc.value.code == "LNK-L002"
    assert Link.objects.get(pk=link.pk).status == Link.Status.ACTIVE


def test_revoke_needs_the_link_reference_typed(cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
    with pytest.raises(PortalError) as exc:
        revoke(cast, link, confirm="LK-999999")
    assert exc.value.code == "LNK-L004"
    assert link.reference in exc.value.message
    assert Link.objects.get(pk=link.pk).status == Link.Status.ACTIVE


def test_revoke_twice_is_a_clear_error_without_a_second_side_effect(cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
        revoke(cast, link)
    notices = Notification.objects.filter(kind=Notification.Kind.LINK_REVOKED).count()
    with pytest.raises(PortalError) as exc:
        revoke(cast, link, actor=cast.admin)
    assert exc.value.code == "LNK-L001"
    assert Notification.objects.filter(kind=Notification.Kind.LINK_REVOKED).count() == notices
    assert link.history.filter(status=REVOKED).count() == 1
    assert Link.objects.get(pk=link.pk).revoked_by == cast.approver


def test_revoke_records_who_and_why_in_the_history(cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
        revoke(cast, link, reason="Customer moved to another partner")
    row = link.history.first()
    assert row.status == REVOKED
    assert row.history_user == cast.approver
    assert "Customer moved to another partner" in row.history_change_reason
    assert cast.approver.email in row.history_change_reason


def test_revoke_tells_the_customer_and_the_initiator(cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
        revoke(cast, link)
    assert revoked_notices(link) == sorted(
        [(cast.customer.contact_email, "customer"), (cast.initiator.email, "reseller")]
    )
    for notification in Notification.objects.filter(kind=Notification.Kind.LINK_REVOKED):
        assert notification_deliver(notification_id=notification.pk) == "sent"
    by_to = {m.to[0]: m for m in mail.outbox[-2:]}
    customer_mail = by_to[cast.customer.contact_email]
    assert "has ended" in customer_mail.subject
    for message in by_to.values():
        assert cast.approver.email in message.body
        assert "Contract ended" in message.body
        assert "read-only access" in message.body
    assert "/links/" not in customer_mail.body


def test_revoke_without_an_active_initiator_tells_the_admins(cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
    User.objects.filter(pk=cast.initiator.pk).update(is_active=False)
    with run_on_commit():
        revoke(cast, link)
    assert (cast.admin.email, "reseller") in revoked_notices(link)
    assert (cast.initiator.email, "reseller") not in revoked_notices(link)


def test_viewer_keeps_view_while_another_active_link_grants_it(cast, run_on_commit):
    with run_on_commit():
        delegation = active_link(cast)
        active_link(cast, [BILLING])
    with run_on_commit():
        revoke(cast, delegation)
    assert fresh(cast.viewer).has_perm("linking.view_customeraccount", cast.customer)
    assert not fresh(cast.initiator).has_perm(
        "linking.delegate_read_customeraccount", cast.customer
    )
    assert fresh(cast.initiator).has_perm("linking.bill_customeraccount", cast.customer)


@time_machine.travel(datetime(2026, 11, 26, 10, 30, tzinfo=ZoneInfo("UTC")), tick=False)
def test_billing_revoke_ends_at_the_end_of_the_month(cast, run_on_commit, settings):
    assert settings.TIME_ZONE == "UTC"
    with run_on_commit():
        link = active_link(cast, [BILLING])
        revoke(cast, link)
    link.refresh_from_db()
    assert link.billing_ends_at == datetime(
        2026, 11, 30, 23, 59, 59, 999999, tzinfo=ZoneInfo("UTC")
    )
    # The association runs to the month's end: still the billing partner, still billing, in a
    # state of its own that every page shows the same way.
    assert link.status == Link.Status.REVOKING and link.revoked_at is not None
    assert link.is_live and can_revoke(link, actor=cast.approver).code == "LNK-L001"
    assert fresh(cast.initiator).has_perm("linking.bill_customeraccount", cast.customer)
    for notification in Notification.objects.filter(kind=Notification.Kind.LINK_REVOKED):
        notification_deliver(notification_id=notification.pk)
    for message in mail.outbox[-2:]:
        assert "2026-11-30 23:59" in message.body
    with pytest.raises(PortalError) as refused:
        revoke(cast, link)
    assert refused.value.code == "LNK-L001"

    with time_machine.travel(link.billing_ends_at + timedelta(seconds=1), tick=False):
        link.refresh_from_db()
        assert link.effective_status == Link.Status.REVOKED
        assert services.link_expire_due() == 1
    link.refresh_from_db()
    assert link.status == Link.Status.REVOKED
    assert link.history.first().history_change_reason.startswith("billing association ended")
    assert not fresh(cast.initiator).has_perm("linking.bill_customeraccount", cast.customer)


def test_month_end_is_taken_in_the_portals_time_zone(settings):
    settings.TIME_ZONE = "Asia/Singapore"
    # 2026-11-30 17:00 UTC is already 1 December in Singapore.
    end = billing_month_end(datetime(2026, 11, 30, 17, 0, tzinfo=ZoneInfo("UTC")))
    assert end == datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=ZoneInfo("Asia/Singapore"))
    assert billing_month_end(datetime(2028, 2, 10, tzinfo=ZoneInfo("UTC"))).day == 29


def test_a_suspended_link_can_be_revoked(cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
        services.customer_set_status(
            actor=cast.staff, customer_id=cast.customer.pk, status="frozen"
        )
        revoke(cast, link)
    assert Link.objects.get(pk=link.pk).status == REVOKED


# --- revoke by the reseller: the page ---------------------------------------------------------


def revoke_url(link):
    return reverse("linking:link-revoke", args=[link.pk])


def test_anonymous_is_sent_to_login_from_the_revoke_page(client, cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
    for response in (client.get(revoke_url(link)), client.post(revoke_url(link), {})):
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]


def test_outsider_gets_404_on_the_revoke_page(client, cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
    login(client, cast.outsider_admin)
    assert client.get(revoke_url(link)).status_code == 404
    response = client.post(revoke_url(link), {"reason": "x", "confirm_reference": link.reference})
    assert response.status_code == 404
    assert Link.objects.get(pk=link.pk).status == Link.Status.ACTIVE


@pytest.mark.parametrize("who", ["initiator", "viewer"])
def test_wrong_role_gets_403_on_the_revoke_page(client, cast, run_on_commit, who):
    with run_on_commit():
        link = active_link(cast)
    login(client, getattr(cast, who))
    assert client.get(revoke_url(link)).status_code == 403
    response = client.post(revoke_url(link), {"reason": "x", "confirm_reference": link.reference})
    assert response.status_code == 403
    assert Link.objects.get(pk=link.pk).status == Link.Status.ACTIVE


def test_revoke_with_a_reason_too_long_to_keep_says_why(client, cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
    login(client, cast.approver)
    data = {"reason": "x" * 2001, "confirm_reference": link.reference}
    response = client.post(revoke_url(link), data)
    assert "LNK-A005" in response.content.decode()
    assert Link.objects.get(pk=link.pk).status == Link.Status.ACTIVE


def test_revoke_page_shows_what_stops_working_and_changes_nothing(client, cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
    login(client, cast.approver)
    detail = client.get(reverse("linking:link-detail", args=[link.pk])).content.decode()
    assert revoke_url(link) in detail
    response = client.get(revoke_url(link))
    assert response.status_code == 200
    page = response.content.decode()
    assert "ECS, OBS" in page
    assert "stops seeing this customer" in page
    assert link.reference in page
    assert Link.objects.get(pk=link.pk).status == Link.Status.ACTIVE


def test_revoke_button_is_hidden_from_viewers(client, cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
    login(client, cast.viewer)
    detail = client.get(reverse("linking:link-detail", args=[link.pk])).content.decode()
    assert revoke_url(link) not in detail


def test_revoke_page_confirmation_mismatch_and_missing_reason(client, cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
    login(client, cast.approver)
    response = client.post(revoke_url(link), {"reason": "Ended", "confirm_reference": "LK-1"})
    assert response.status_code == 400
    assert "LNK-L004" in response.content.decode()
    response = client.post(revoke_url(link), {"reason": "", "confirm_reference": link.reference})
    assert response.status_code == 400
    assert "LNK-L002" in response.content.decode()
    assert Link.objects.get(pk=link.pk).status == Link.Status.ACTIVE


def test_revoke_page_revokes_and_redirects_to_the_link(client, cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
    login(client, cast.admin)
    with run_on_commit():
        response = client.post(
            revoke_url(link), {"reason": "Ended", "confirm_reference": link.reference.lower()}
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("linking:link-detail", args=[link.pk])
    assert Link.objects.get(pk=link.pk).status == REVOKED
    assert not fresh(cast.viewer).has_perm("linking.view_customeraccount", cast.customer)
    again = client.post(revoke_url(link), {"reason": "Ended", "confirm_reference": link.reference})
    assert again.status_code == 302
    page = client.get(again["Location"]).content.decode()
    assert "LNK-L001" in page


# --- withdrawal by the customer ---------------------------------------------------------------


def deliver_receipt(link) -> str:
    """Deliver the receipt e-mail the way the worker does; return the withdraw path in it."""
    notification = Notification.objects.filter(
        request=link.source_item.request, kind=Notification.Kind.CONSENT_RECEIPT
    ).latest("id")
    assert notification_deliver(notification_id=notification.pk) == "sent"
    message = mail.outbox[-1]
    match = re.search(r"http://testserver(/consent/withdraw/[^/\s]+/)", message.body)
    assert match, message.body
    html = message.alternatives[0][0]
    assert match.group(1) in html
    return match.group(1)


def test_receipt_carries_a_withdrawal_link_even_while_activating(cast, run_on_commit):
    with run_on_commit():
        req = submit(cast, make_draft(cast))
        token = consent_token_for(req)
        services.consent_decide(token=token, decisions={req.items.get().pk: (True, "")})
    link = Link.objects.get()
    assert link.status == Link.Status.ACTIVATING
    path = deliver_receipt(link)
    assert Link.objects.get().withdrawal_token_hash
    assert path.startswith("/consent/withdraw/")


def test_customer_withdraws_through_the_emailed_link(client, cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
    path = deliver_receipt(link)
    assert fresh(cast.viewer).has_perm("linking.view_customeraccount", cast.customer)

    page = client.get(path)
    assert page.status_code == 200
    body = page.content.decode()
    assert cast.reseller.name in body and "read-only access" in body
    assert Link.objects.get(pk=link.pk).status == Link.Status.ACTIVE
    assert not ConsentRecord.objects.filter(decision="withdrawn").exists()

    unconfirmed = client.post(path, {})
    assert unconfirmed.status_code == 400
    assert Link.objects.get(pk=link.pk).status == Link.Status.ACTIVE

    code = code_from_page(client, path, {"confirm": "1"})
    with run_on_commit():
        done = client.post(path, {"confirm": "1", "code": code}, HTTP_USER_AGENT="Mail client")
    assert done.status_code == 200
    link.refresh_from_db()
    assert link.status == REVOKED
    assert link.revoked_by is None
    assert link.revoke_reason == f"withdrawn by the customer ({cast.customer.contact_email})"
    assert link.withdrawal_token_hash == ""
    record = ConsentRecord.objects.get(decision="withdrawn")
    assert record.link == link
    assert record.request == link.source_item.request
    assert record.contact_email == cast.customer.contact_email
    assert record.ip_address == "127.0.0.1"
    assert record.user_agent == "Mail client"
    assert record.scope["services"] == ["ECS", "OBS"]
    assert record.receipt_reference.startswith("WD-")
    assert record.receipt_reference in done.content.decode()
    for user in (cast.admin, cast.initiator, cast.approver, cast.viewer):
        assert not fresh(user).has_perm("linking.view_customeraccount", cast.customer)
        assert not fresh(user).has_perm("linking.delegate_read_customeraccount", cast.customer)
    assert revoked_notices(link) == sorted(
        [(cast.customer.contact_email, "customer"), (cast.initiator.email, "reseller")]
    )
    row = link.history.first()
    assert row.status == REVOKED and row.history_user is None
    assert "withdrawn by the customer" in row.history_change_reason

    second = client.post(path, {"confirm": "1"})
    assert second.status_code == 410
    assert "LNK-C003" in second.content.decode()
    assert link.reference not in second.content.decode()
    assert client.get(path).status_code == 410
    assert ConsentRecord.objects.filter(decision="withdrawn").count() == 1


def test_tampered_withdrawal_link_is_not_found(client, cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
    path = deliver_receipt(link)
    token = path.rstrip("/").rsplit("/", 1)[1]
    tampered = reverse(
        "consent:withdraw", args=[token[:-2] + ("AA" if token[-2:] != "AA" else "BB")]
    )
    for response in (client.get(tampered), client.post(tampered, {"confirm": "1"})):
        assert response.status_code == 404
        assert "LNK-C001" in response.content.decode()
        assert cast.reseller.name not in response.content.decode()
    assert client.get(reverse("consent:withdraw", args=["x" * 2000])).status_code == 404
    assert Link.objects.get(pk=link.pk).status == Link.Status.ACTIVE


def test_a_consent_token_does_not_open_the_withdrawal_page(client, cast, run_on_commit):
    with run_on_commit():
        req = submit(cast, make_draft(cast))
    token = services.consent_issue_token(request_id=req.pk)
    assert client.get(reverse("consent:withdraw", args=[token])).status_code == 404


def test_a_newer_receipt_replaces_the_withdrawal_link(client, cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
    first = deliver_receipt(link)
    notification = Notification.objects.filter(kind=Notification.Kind.CONSENT_RECEIPT).get()
    # A newer receipt row (an amendment's); the same row delivered again keeps its link.
    Notification.objects.create(
        kind=notification.kind,
        to_email=notification.to_email,
        request=notification.request,
        context=notification.context,
    )
    second = deliver_receipt(link)
    assert first != second
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200


def test_withdrawal_link_of_a_link_the_reseller_revoked_is_gone(client, cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
    path = deliver_receipt(link)
    with run_on_commit():
        revoke(cast, link)
    response = client.post(path, {"confirm": "1"})
    assert response.status_code == 410
    assert not ConsentRecord.objects.filter(decision="withdrawn").exists()


@time_machine.travel(datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("UTC")), tick=False)
def test_customer_withdrawing_billing_sees_the_month_end(client, cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast, [BILLING])
    path = deliver_receipt(link)
    assert "2026-11-30" in client.get(path).content.decode()
    code = code_from_page(client, path, {"confirm": "1"})
    with run_on_commit():
        done = client.post(path, {"confirm": "1", "code": code})
    assert "2026-11-30" in done.content.decode()
    link.refresh_from_db()
    assert link.billing_ends_at == datetime(
        2026, 11, 30, 23, 59, 59, 999999, tzinfo=ZoneInfo("UTC")
    )
