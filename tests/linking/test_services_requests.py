"""A request's way to the customer through the services: submit, approve, reject, cancel and
expire, with the history, notifications and refusals of each step."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Membership, Reseller, Role
from accounts.services import membership_set_role
from linking import services
from linking.checks import ItemSpec
from linking.checks.reasons import ChecksFailed
from linking.consent.services import consent_resolve
from linking.models import LinkRequest, Notification
from portal.errors import PortalError
from tests.conftest import cast_shared_by_the_module, consent_token_for, freeze, make_draft, submit
from tests.journeys import pending_consent
from tests.linking.service_helpers import BILLING, Status, decide, fresh, last_history

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()


def approve(cast, req, *, actor=None, reason="ok"):
    return services.link_request_approve(
        actor=actor or cast.approver, request_id=req.pk, reason=reason
    )


# --- submit ----------------------------------------------------------------------------------


def test_read_only_delegation_goes_straight_to_the_customer(cast, capture):
    draft = make_draft(cast)
    now = timezone.now()
    with capture() as callbacks, time_machine.travel(now, tick=False):
        req = submit(cast, draft)
    req.refresh_from_db()
    assert req.status == Status.PENDING_CONSENT
    assert req.submitted_at == now
    assert req.consent_email == cast.customer.contact_email
    assert req.consent_deadline == now + timedelta(days=7)
    assert req.approver is None
    notification = Notification.objects.get(request=req)
    assert notification.kind == Notification.Kind.CONSENT_REQUEST
    assert notification.to_email == cast.customer.contact_email
    assert notification.status == Notification.Status.QUEUED
    assert len(callbacks) == 1
    history = last_history(req)
    assert history.history_user == cast.initiator
    assert history.history_change_reason.startswith("submitted; the approval policy")
    item = req.items.get()
    assert item.is_open
    assert last_history(item).history_user == cast.initiator
    assert last_history(item).history_change_reason == "submitted"


def test_billing_request_waits_for_approval_and_tells_the_approvers(cast, capture):
    draft = make_draft(cast, specs=[BILLING])
    with capture():
        req = submit(cast, draft)
    assert req.status == Status.PENDING_APPROVAL
    assert req.consent_deadline is None
    notifications = Notification.objects.filter(request=req)
    assert {n.kind for n in notifications} == {Notification.Kind.APPROVAL_NEEDED}
    assert sorted(n.to_email for n in notifications) == sorted(
        [cast.admin.email, cast.approver.email]
    )
    history = last_history(req)
    assert (history.history_user, history.history_change_reason) == (
        cast.initiator,
        "submitted for approval",
    )


def test_always_policy_sends_read_only_delegation_for_approval(cast, capture):
    cast.reseller.approval_policy = Reseller.ApprovalPolicy.ALWAYS
    cast.reseller.save()
    with capture():
        req = submit(cast, make_draft(cast))
    assert req.status == Status.PENDING_APPROVAL


def test_never_policy_sends_billing_straight_to_the_customer(cast, capture):
    cast.reseller.approval_policy = Reseller.ApprovalPolicy.NEVER
    cast.reseller.save()
    with capture():
        req = submit(cast, make_draft(cast, specs=[BILLING]))
    assert req.status == Status.PENDING_CONSENT


def test_submit_with_problems_is_refused_with_every_reason(cast, capture):
    bad = ItemSpec(
        link_type="delegation",
        services=["ECS"],
        regions=["ap-southeast-1"],
        access_level="read_only",
        duration_days=0,
    )
    draft = make_draft(cast, customer=cast.customer2, specs=[bad])
    freeze(cast.customer2)
    with capture(), pytest.raises(ChecksFailed) as excinfo:
        submit(cast, draft)
    assert [r.code for r in excinfo.value.reasons] == ["LNK-V003", "LNK-V017"]
    assert excinfo.value.code == "LNK-V003"
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert not draft.items.filter(is_open=True).exists()
    assert not Notification.objects.exists()


def test_submit_of_a_submitted_request_is_refused(cast, capture):
    with capture():
        req = submit(cast, make_draft(cast))
    with pytest.raises(PortalError) as excinfo:
        submit(cast, req)
    assert excinfo.value.code == "LNK-S001"


def test_submit_of_someone_elses_draft_is_refused(cast):
    draft = make_draft(cast)
    with pytest.raises(PortalError) as excinfo:
        submit(cast, draft, actor=cast.admin)
    assert excinfo.value.code == "LNK-S002"


def test_submit_by_an_initiator_demoted_to_viewer_is_refused(cast):
    draft = make_draft(cast)
    membership = Membership.objects.get(user=cast.initiator, reseller=cast.reseller)
    membership_set_role(actor=cast.admin, membership_id=membership.pk, role=Role.VIEWER)
    with pytest.raises(PortalError) as excinfo:
        submit(cast, draft, actor=fresh(cast.initiator))
    assert excinfo.value.code == "LNK-V013"


def test_viewer_cannot_start_a_draft(cast):
    with pytest.raises(PortalError) as excinfo:
        services.link_request_create_draft(actor=cast.viewer, reseller=cast.reseller)
    assert excinfo.value.code == "LNK-V013"


# --- approve ---------------------------------------------------------------------------------


def test_approve_moves_to_consent_and_queues_the_consent_email(cast, capture):
    with capture():
        req = submit(cast, make_draft(cast, specs=[BILLING]))
        req = approve(cast, req, reason="  Contract signed  ")
    req.refresh_from_db()
    assert req.status == Status.PENDING_CONSENT
    assert req.approver == cast.approver
    assert req.decision_reason == "Contract signed"
    assert req.consent_deadline is not None
    consent = Notification.objects.get(request=req, kind=Notification.Kind.CONSENT_REQUEST)
    assert consent.to_email == cast.customer.contact_email
    history = last_history(req)
    assert history.history_user == cast.approver
    assert history.history_change_reason == "approved: Contract signed"
    assert history.approver == cast.approver


def test_approve_by_the_initiator_is_refused(cast, capture):
    with capture():
        req = submit(cast, make_draft(cast, specs=[BILLING], actor=cast.admin), actor=cast.admin)
    with pytest.raises(PortalError) as excinfo:
        approve(cast, req, actor=cast.admin)
    assert excinfo.value.code == "LNK-A001"


@pytest.mark.parametrize("who", ["viewer", "initiator", "outsider_admin"])
def test_approve_without_the_approver_role_is_refused(cast, capture, who):
    with capture():
        req = submit(cast, make_draft(cast, specs=[BILLING], actor=cast.admin), actor=cast.admin)
    with pytest.raises(PortalError) as excinfo:
        approve(cast, req, actor=getattr(cast, who))
    assert excinfo.value.code == "LNK-A002"
    req.refresh_from_db()
    assert req.status == Status.PENDING_APPROVAL


def test_approve_twice_is_refused(cast, capture):
    with capture():
        req = submit(cast, make_draft(cast, specs=[BILLING]))
        approve(cast, req)
    with pytest.raises(PortalError) as excinfo:
        approve(cast, req, actor=cast.admin)
    assert excinfo.value.code == "LNK-S001"


# --- reject ----------------------------------------------------------------------------------


def test_reject_needs_a_reason(cast, capture):
    with capture():
        req = submit(cast, make_draft(cast, specs=[BILLING]))
    with pytest.raises(PortalError) as excinfo:
        services.link_request_reject(actor=cast.approver, request_id=req.pk, reason="   ")
    assert excinfo.value.code == "LNK-A003"


def test_reject_closes_the_items_so_a_new_request_can_be_submitted(cast, capture):
    with capture():
        req = submit(cast, make_draft(cast, specs=[BILLING]))
        services.link_request_reject(
            actor=cast.approver, request_id=req.pk, reason="No contract yet"
        )
    req.refresh_from_db()
    assert req.status == Status.REJECTED
    assert req.decision_reason == "No contract yet"
    assert (last_history(req).history_user, last_history(req).history_change_reason) == (
        cast.approver,
        "rejected: No contract yet",
    )
    item = req.items.get()
    assert not item.is_open
    assert (last_history(item).history_user, last_history(item).history_change_reason) == (
        cast.approver,
        "rejected",
    )
    rejected = Notification.objects.get(request=req, kind=Notification.Kind.REQUEST_REJECTED)
    assert rejected.to_email == cast.initiator.email
    with capture():
        again = submit(cast, make_draft(cast, specs=[BILLING]))
    assert again.status == Status.PENDING_APPROVAL


def test_reject_by_the_initiator_is_refused(cast, capture):
    with capture():
        req = submit(cast, make_draft(cast, specs=[BILLING], actor=cast.admin), actor=cast.admin)
    with pytest.raises(PortalError) as excinfo:
        services.link_request_reject(actor=cast.admin, request_id=req.pk, reason="mine")
    assert excinfo.value.code == "LNK-A001"


# --- cancel ----------------------------------------------------------------------------------


def test_cancel_a_draft(cast):
    draft = make_draft(cast)
    req = services.link_request_cancel(actor=cast.initiator, request_id=draft.pk, reason="typo")
    assert req.status == Status.CANCELLED
    history = last_history(req)
    assert (history.history_user, history.history_change_reason) == (
        cast.initiator,
        "cancelled: typo",
    )


def test_cancel_a_request_waiting_for_approval_reopens_the_slot(cast, capture):
    with capture():
        req = submit(cast, make_draft(cast, specs=[BILLING]))
        services.link_request_cancel(actor=cast.admin, request_id=req.pk)
    req.refresh_from_db()
    assert req.status == Status.CANCELLED
    item = req.items.get()
    assert not item.is_open
    assert last_history(item).history_user == cast.admin
    assert last_history(item).history_change_reason == "cancelled"
    assert last_history(req).history_change_reason == "cancelled: no reason given"
    with capture():
        assert submit(cast, make_draft(cast, specs=[BILLING])).status == Status.PENDING_APPROVAL


def test_cancel_while_waiting_for_the_customer_kills_the_consent_link(cast, capture):
    with capture():
        req = pending_consent(cast)
        token = consent_token_for(req)
        assert consent_resolve(token) == req
        services.link_request_cancel(actor=cast.initiator, request_id=req.pk, reason="wrong one")
    req.refresh_from_db()
    assert req.status == Status.CANCELLED
    assert req.consent_token_hash == ""
    with pytest.raises(PortalError) as excinfo:
        consent_resolve(token)
    assert excinfo.value.code == "LNK-C004"


def test_cancel_a_completed_request_is_refused(cast, capture):
    with capture():
        req = pending_consent(cast)
        decide(req, consent_token_for(req), {"delegation": True})
    with pytest.raises(PortalError) as excinfo:
        services.link_request_cancel(actor=cast.initiator, request_id=req.pk)
    assert excinfo.value.code == "LNK-S001"


def test_cancel_by_a_viewer_is_refused(cast):
    draft = make_draft(cast)
    with pytest.raises(PortalError) as excinfo:
        services.link_request_cancel(actor=cast.viewer, request_id=draft.pk)
    assert excinfo.value.code == "LNK-V013"


# --- expire ----------------------------------------------------------------------------------


def test_expire_before_the_deadline_does_nothing(cast, capture):
    with capture():
        req = pending_consent(cast)
    with time_machine.travel(req.consent_deadline - timedelta(minutes=1), tick=False):
        assert services.link_request_expire(request_id=req.pk) is None
    req.refresh_from_db()
    assert req.status == Status.PENDING_CONSENT


def test_expire_after_the_deadline_closes_the_request(cast, capture):
    with capture():
        req = pending_consent(cast)
        token = consent_token_for(req)
    with time_machine.travel(req.consent_deadline + timedelta(seconds=1), tick=False):
        expired = services.link_request_expire(request_id=req.pk)
        assert expired.status == Status.EXPIRED
        with pytest.raises(PortalError) as excinfo:
            consent_resolve(token)
        assert excinfo.value.code == "LNK-C002"
    req.refresh_from_db()
    assert req.status == Status.EXPIRED
    history = last_history(req)
    assert history.history_user is None
    assert history.history_change_reason == "expired: the consent deadline passed"
    item = req.items.get()
    assert not item.is_open
    assert last_history(item).history_change_reason == "expired"
    assert last_history(item).history_user is None


def test_waiting_for_approval_expires_after_the_resellers_approval_days(cast, capture):
    with capture():
        req = submit(cast, make_draft(cast, specs=[BILLING]))
    assert req.approval_deadline == req.submitted_at + timedelta(days=cast.reseller.approval_days)
    with time_machine.travel(req.approval_deadline - timedelta(minutes=1), tick=False):
        assert services.link_request_expire(request_id=req.pk) is None
    with time_machine.travel(req.approval_deadline + timedelta(minutes=1), tick=False):
        expired = services.link_request_expire(request_id=req.pk)
    assert expired.status == LinkRequest.Status.EXPIRED
    assert not expired.items.filter(is_open=True).exists()
