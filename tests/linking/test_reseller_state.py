"""A reseller suspended or closed, or a link type taken out of its program: every later step
refuses (approval, consent, activation, verification, amend and renewal), its live links are
suspended with their permissions, both sides are told, and only platform staff resume them."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Reseller
from linking import services
from linking.models import Link, Notification, VerificationRun
from linking.outbox.delivery import notification_deliver
from linking.services.amend import can_renew
from portal.errors import PortalError
from tests.conftest import cast_shared_by_the_module, consent_token_for, login, make_draft, submit
from tests.journeys import active_link, pending_consent
from tests.linking.test_customer_state import has_read, has_view
from tests.linking.test_revocation import BILLING, fresh

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

Status = Link.Status


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    def run():
        return django_capture_on_commit_callbacks(execute=False)

    return run


def set_reseller(cast, status, reason="Breach of the program"):
    return services.reseller_set_status(
        actor=cast.staff, reseller_id=cast.reseller.pk, status=status, reason=reason
    )


def drop_from_program(reseller, link_type):
    Reseller.objects.filter(pk=reseller.pk).update(**{f"allow_{link_type}": False})


def accept_all(req, token):
    return services.consent_decide(
        token=token, decisions={item.pk: (True, "") for item in req.items.all()}
    )


# --- every later step asks again ---------------------------------------------------------------


@pytest.mark.parametrize("status", ["suspended", "closed"])
def test_a_request_waiting_for_the_customer_cannot_be_accepted_once_the_reseller_stops(
    cast, run_on_commit, status
):
    with run_on_commit():
        req = pending_consent(cast)
        token = consent_token_for(req)
        set_reseller(cast, status)
        with pytest.raises(PortalError) as refused:
            accept_all(req, token)
    assert refused.value.code == "LNK-P003"
    assert not Link.objects.filter(reseller=cast.reseller).exists()
    req.refresh_from_db()
    assert req.status == "pending_consent"


def test_the_customer_may_still_decline_once_the_reseller_is_suspended(cast, run_on_commit):
    with run_on_commit():
        req = pending_consent(cast)
        token = consent_token_for(req)
        set_reseller(cast, "suspended")
        services.consent_decide(
            token=token, decisions={item.pk: (False, "no") for item in req.items.all()}
        )
    req.refresh_from_db()
    assert req.status == "declined"


def test_a_type_taken_out_of_the_program_cannot_be_accepted(cast, run_on_commit):
    with run_on_commit():
        req = pending_consent(cast)
        token = consent_token_for(req)
    drop_from_program(cast.reseller, "delegation")
    with pytest.raises(PortalError) as refused:
        accept_all(req, token)
    assert refused.value.code == "LNK-P004"


def test_approval_is_refused_once_the_reseller_is_suspended(cast, run_on_commit):
    with run_on_commit():
        req = submit(cast, make_draft(cast, specs=[BILLING]))
    assert req.status == "pending_approval"
    set_reseller(cast, "suspended")
    with pytest.raises(PortalError) as refused:
        services.link_request_approve(actor=cast.approver, request_id=req.pk, reason="ok")
    assert refused.value.code == "LNK-P003"


def test_an_accepted_link_is_not_activated_once_the_reseller_is_suspended(cast, run_on_commit):
    with run_on_commit():
        req = pending_consent(cast)
        accept_all(req, consent_token_for(req))
    link = Link.objects.get(reseller=cast.reseller)
    assert link.status == Status.ACTIVATING
    # Suspended between the customer's decision and the activation task.
    Reseller.objects.filter(pk=cast.reseller.pk).update(status="suspended")
    with run_on_commit():
        services.link_activate(link_id=link.pk)
    link.refresh_from_db()
    assert (link.status, link.suspended_for) == (Status.SUSPENDED, "reseller")
    assert link.status_reason.startswith("LNK-P003")
    assert not has_view(cast.viewer, cast.customer)
    req.refresh_from_db()
    assert (req.failure_stage, req.failure_code) == ("activation", "LNK-P003")


def test_amend_and_renew_are_refused_once_the_type_leaves_the_program(cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
    drop_from_program(cast.reseller, "delegation")
    link.refresh_from_db()
    for start in (services.link_amend_start, services.link_renew_start):
        with pytest.raises(PortalError) as refused:
            start(actor=cast.initiator, link_id=link.pk)
        assert refused.value.code == "LNK-P004"
    assert can_renew(link, actor=cast.initiator).code == "LNK-P004"


def test_verification_shows_the_program_check_failing_and_skips_automatic_runs(cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
    drop_from_program(cast.reseller, "delegation")
    assert (
        services.link_verify(link_id=link.pk, trigger=VerificationRun.Trigger.RETRY, attempt=2)
        is None
    )
    run = services.link_verify(
        link_id=link.pk, trigger=VerificationRun.Trigger.MANUAL, actor=cast.viewer
    )
    program = next(check for check in run.checks if check["name"] == "program")
    assert (program["passed"], program["code"]) == (False, "LNK-P004")


# --- suspending the reseller suspends its links ---------------------------------------------------


@pytest.mark.parametrize("status", ["suspended", "closed"])
def test_suspending_or_closing_a_reseller_suspends_its_live_links(cast, run_on_commit, status):
    with run_on_commit():
        delegation = active_link(cast)
        billing = active_link(cast, [BILLING])
    assert has_read(cast.initiator, cast.customer)
    with run_on_commit():
        set_reseller(cast, status)
    label = Reseller.Status(status).label.lower()
    for link in (delegation, billing):
        link.refresh_from_db()
        assert (link.status, link.suspended_for) == (Status.SUSPENDED, "reseller")
        assert link.status_reason == f"partner program {label}: Breach of the program"
        row = link.history.first()
        assert (row.status, row.history_user) == (Status.SUSPENDED, cast.staff)
    for user in (cast.admin, cast.initiator, cast.approver, cast.viewer):
        assert not has_view(user, cast.customer)
        assert not fresh(user).has_perm("linking.bill_customeraccount", cast.customer)
    notices = Notification.objects.filter(kind=Notification.Kind.PARTNER_SUSPENDED)
    assert sorted((n.link_id, n.to_email, n.context["audience"]) for n in notices) == sorted(
        (link.pk, email, audience)
        for link in (delegation, billing)
        for email, audience in (
            (cast.customer.contact_email, "customer"),
            (cast.admin.email, "reseller"),
        )
    )
    mail.outbox.clear()
    for notification in notices:
        notification_deliver(notification_id=notification.pk)
    to_customer = [m for m in mail.outbox if m.to == [cast.customer.contact_email]]
    to_admin = [m for m in mail.outbox if m.to == [cast.admin.email]]
    assert len(to_customer) == len(to_admin) == 2
    assert all("access to your account is suspended" in m.subject for m in to_customer)
    assert all(f"your partner program is {label}" in m.subject for m in to_admin)
    assert all("Breach of the program" in m.body for m in mail.outbox)
    assert all(
        reverse("linking:link-detail", args=[delegation.pk]) not in m.body for m in to_customer
    )


def test_the_same_status_again_changes_nothing(cast, run_on_commit):
    with run_on_commit():
        active_link(cast)
        set_reseller(cast, "suspended")
    count = Notification.objects.count()
    set_reseller(cast, "suspended")
    assert Notification.objects.count() == count


def test_reactivating_the_reseller_resumes_nothing_until_staff_resume_each_link(
    cast, run_on_commit
):
    with run_on_commit():
        link = active_link(cast)
        set_reseller(cast, "suspended")
        set_reseller(cast, "active", reason="Program restored")
    link.refresh_from_db()
    assert link.status == Status.SUSPENDED
    assert not has_read(cast.initiator, cast.customer)
    with run_on_commit() as callbacks:
        services.link_resume(actor=cast.staff, link_id=link.pk, reason="checked")
    link.refresh_from_db()
    assert (link.status, link.suspended_for, link.status_reason) == (Status.ACTIVE, "", "")
    assert has_read(cast.initiator, cast.customer)
    assert len(callbacks) >= 1  # the re-verification, among the deliveries
    resumed = Notification.objects.filter(kind=Notification.Kind.LINK_RESUMED, link=link)
    assert {n.context["audience"] for n in resumed} == {"customer", "reseller"}


def test_resume_is_refused_while_the_reseller_is_still_suspended(cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
        set_reseller(cast, "suspended")
    with pytest.raises(PortalError) as refused:
        services.link_resume(actor=cast.staff, link_id=link.pk)
    assert refused.value.code == "LNK-P003"
    with pytest.raises(PortalError) as refused:
        services.link_resume(actor=cast.admin, link_id=link.pk)
    assert refused.value.code == "LNK-V013"


def test_the_customer_active_again_does_not_resume_a_link_its_reseller_suspended(
    cast, run_on_commit
):
    with run_on_commit():
        link = active_link(cast)
        services.customer_set_status(
            actor=cast.staff, customer_id=cast.customer.pk, status="frozen"
        )
        set_reseller(cast, "suspended")
        set_reseller(cast, "active")
        services.customer_set_status(
            actor=cast.staff, customer_id=cast.customer.pk, status="active"
        )
    link.refresh_from_db()
    assert (link.status, link.suspended_for) == (Status.SUSPENDED, "reseller")
    assert not has_read(cast.initiator, cast.customer)


def test_a_revoking_billing_link_resumes_as_revoking(cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast, [BILLING])
        services.link_revoke(
            actor=cast.approver, link_id=link.pk, reason="ended", confirm_reference=link.reference
        )
        set_reseller(cast, "suspended")
        set_reseller(cast, "active")
        services.link_resume(actor=cast.staff, link_id=link.pk)
    link.refresh_from_db()
    assert link.status == Status.REVOKING


def test_the_admin_changes_a_resellers_status_through_the_service(client, cast, run_on_commit):
    with run_on_commit():
        link = active_link(cast)
    login(client, cast.staff)
    url = reverse("admin:accounts_reseller_change", args=[cast.reseller.pk])
    response = client.get(url)
    form = response.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and not isinstance(value, list)
    }
    data.update(
        {
            "status": "suspended",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        }
    )
    with run_on_commit():
        client.post(url, data)
    cast.reseller.refresh_from_db()
    link.refresh_from_db()
    assert cast.reseller.status == "suspended"
    assert (link.status, link.suspended_for) == (Status.SUSPENDED, "reseller")
