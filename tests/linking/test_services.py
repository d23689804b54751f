from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Membership, Reseller, Role, User
from accounts.services import membership_set_role
from linking import services
from linking.checks import ItemSpec
from linking.checks.reasons import ChecksFailed
from linking.consent.services import consent_code_send, consent_needs_code, consent_resolve
from linking.models import (
    ConsentRecord,
    CustomerAccount,
    Link,
    LinkRequest,
    Notification,
    RequestItem,
)
from portal.errors import PortalError
from tests.conftest import (
    consent_code_for,
    consent_token_for,
    emailed_code,
    freeze,
    make_draft,
    read_only_delegation,
    submit,
)
from tests.journeys import activate, active_link, pending_consent

Status = LinkRequest.Status
BILLING = ItemSpec(link_type="billing")
PROVISIONING = ItemSpec(link_type="provisioning", services=["ECS"], regions=["ap-southeast-1"])


def manage_delegation(services_=("ECS",)) -> ItemSpec:
    return ItemSpec(
        link_type="delegation",
        services=list(services_),
        regions=["ap-southeast-1", "eu-west-101"],
        access_level="manage",
        duration_days=30,
    )


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    """Services run with their after-commit tasks captured, not published."""

    def run():
        return django_capture_on_commit_callbacks(execute=False)

    return run


def approve(cast, req, *, actor=None, reason="ok"):
    return services.link_request_approve(
        actor=actor or cast.approver, request_id=req.pk, reason=reason
    )


def decide(req, token, accept: dict[str, bool], **kwargs):
    decisions = {
        item.pk: (accept[item.link_type], "" if accept[item.link_type] else "Not now")
        for item in req.items.all()
    }
    if "code" not in kwargs and consent_needs_code(req, decisions):
        # The customer asks for the code on the page and types the one e-mailed.
        consent_code_send(token=token, client="127.0.0.1")
        kwargs["code"] = emailed_code()
    return services.consent_decide(token=token, decisions=decisions, **kwargs)


def other_billing_request(cast, customer) -> LinkRequest:
    """The other reseller's billing request for the customer, approved and sent for consent."""
    req = services.link_request_create_draft(actor=cast.outsider, reseller=cast.other)
    services.link_request_set_types(actor=cast.outsider, request_id=req.pk, link_types=["billing"])
    services.link_request_set_customer(
        actor=cast.outsider, request_id=req.pk, account_id=customer.account_id
    )
    services.link_request_submit(actor=cast.outsider, request_id=req.pk)
    return services.link_request_approve(actor=cast.outsider_admin, request_id=req.pk)


def fresh(user) -> User:
    # guardian and Django cache permissions on the user instance.
    return User.objects.get(pk=user.pk)


def last_history(obj):
    return obj.history.first()


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


# --- consent ---------------------------------------------------------------------------------


def test_customer_accepts_and_the_worker_activates_the_link(cast, capture):
    with capture():
        req = pending_consent(cast)
        token = consent_token_for(req)
    with capture() as callbacks:
        req, receipt = decide(
            req, token, {"delegation": True}, ip_address="192.0.2.7", user_agent="Firefox"
        )
    assert len(callbacks) == 3  # the link's activation and two e-mails
    req.refresh_from_db()
    assert req.status == Status.COMPLETED
    assert req.consent_token_hash == ""
    assert last_history(req).history_user is None
    assert last_history(req).history_change_reason == (
        f"customer accepted (customer contact {cast.customer.contact_email})"
    )
    item = req.items.get()
    assert item.decision == RequestItem.Decision.ACCEPTED
    assert not item.is_open
    assert last_history(item).history_change_reason.startswith("accepted by customer contact")
    record = ConsentRecord.objects.get()
    assert (record.item, record.decision, record.receipt_reference) == (item, "accepted", receipt)
    assert record.ip_address == "192.0.2.7"
    assert record.scope["services"] == ["ECS", "OBS"]
    kinds = dict(
        Notification.objects.filter(request=req)
        .exclude(kind="consent_request")
        .values_list("kind", "to_email")
    )
    assert kinds == {
        "consent_receipt": cast.customer.contact_email,
        "customer_decided": cast.initiator.email,
    }
    link = Link.objects.get()
    assert (link.status, link.source_item, link.access_level) == ("activating", item, "read_only")
    assert link.ends_at - link.starts_at == timedelta(days=90)
    assert last_history(link).history_user is None
    assert last_history(link).history_change_reason == f"accepted in {req.reference}"

    with capture():
        activate(cast, link.pk)
    link.refresh_from_db()
    assert link.status == Link.Status.ACTIVE
    assert link.activated_at is not None
    assert (
        last_history(link).history_change_reason == "activated: proven in the cloud, grants applied"
    )
    # The initiator and the customer are both told, once each.
    active = Notification.objects.filter(kind=Notification.Kind.LINK_ACTIVE, link=link)
    assert sorted(active.values_list("to_email", "context__audience")) == sorted(
        [(cast.initiator.email, None), (cast.customer.contact_email, "customer")]
    )


def test_customer_declines_everything(cast, capture):
    with capture():
        req = pending_consent(cast)
        decide(req, consent_token_for(req), {"delegation": False})
    req.refresh_from_db()
    assert req.status == Status.DECLINED
    item = req.items.get()
    assert (item.decision, item.decline_reason) == ("declined", "Not now")
    assert not Link.objects.exists()
    assert ConsentRecord.objects.get().decision == "declined"


def test_customer_accepts_some_items_and_declines_others(cast, capture):
    with capture():
        req = pending_consent(cast, [PROVISIONING, read_only_delegation(cast)])
        assert req.approver == cast.approver
        decide(req, consent_token_for(req), {"provisioning": False, "delegation": True})
    req.refresh_from_db()
    assert req.status == Status.COMPLETED
    decisions = dict(req.items.values_list("link_type", "decision"))
    assert decisions == {"provisioning": "declined", "delegation": "accepted"}
    assert list(Link.objects.values_list("link_type", flat=True)) == ["delegation"]
    assert ConsentRecord.objects.count() == 2
    assert len(set(ConsentRecord.objects.values_list("receipt_reference", flat=True))) == 1


def test_customer_must_decide_every_item(cast, capture):
    with capture():
        req = pending_consent(cast, [PROVISIONING, read_only_delegation(cast)])
        token = consent_token_for(req)
    item = req.items.get(link_type="delegation")
    with pytest.raises(PortalError) as excinfo:
        services.consent_decide(token=token, decisions={item.pk: (True, "")})
    assert excinfo.value.code == "LNK-C006"
    assert not ConsentRecord.objects.exists()


def test_manage_over_a_sensitive_service_needs_the_emailed_code(cast, capture):
    with capture():
        req = pending_consent(cast, [manage_delegation(["ECS", "IAM"])])
        token = consent_token_for(req)
    with pytest.raises(PortalError) as excinfo:
        decide(req, token, {"delegation": True}, code="123456")
    assert excinfo.value.code == "CUS-C002"
    with capture():
        req, _ = decide(req, token, {"delegation": True}, code=consent_code_for(req, token))
    assert req.status == Status.COMPLETED


def test_a_consent_link_works_once(cast, capture):
    with capture():
        req = pending_consent(cast)
        token = consent_token_for(req)
        decide(req, token, {"delegation": True})
    with pytest.raises(PortalError) as excinfo:
        decide(req, token, {"delegation": True})
    assert excinfo.value.code == "LNK-C008"  # used, and the decision is recorded
    assert ConsentRecord.objects.count() == 1


def test_a_forged_consent_link_is_unknown(cast):
    with pytest.raises(PortalError) as excinfo:
        consent_resolve("not-a-token")
    assert excinfo.value.code == "LNK-C001"


def test_accepted_item_amends_the_existing_revoked_link(cast, capture):
    with capture():
        link = active_link(cast)
    with capture():
        services.link_revoke(
            actor=cast.approver, link_id=link.pk, reason="ended", confirm_reference=link.reference
        )
    with capture():
        req = pending_consent(cast, [manage_delegation()])
        decide(req, consent_token_for(req), {"delegation": True})
    assert Link.objects.count() == 1
    amended = Link.objects.get()
    assert amended.pk == link.pk
    assert amended.status == Link.Status.ACTIVATING
    assert amended.access_level == "manage"
    assert amended.regions == ["ap-southeast-1", "eu-west-101"]
    assert amended.source_item == req.items.get()
    assert last_history(amended).history_change_reason == f"amended by {req.reference}"


def test_billing_accepted_after_another_reseller_became_billing_partner_is_not_activated(
    cast, capture
):
    with capture():
        ours = pending_consent(cast, [BILLING])
        theirs = other_billing_request(cast, cast.customer)
        our_token = consent_token_for(ours)
        their_token = consent_token_for(theirs)
        decide(theirs, their_token, {"billing": True})
        ours, _ = decide(ours, our_token, {"billing": True})
    ours.refresh_from_db()
    assert ours.status == Status.COMPLETED
    assert (ours.failure_stage, ours.failure_code) == ("activation", "LNK-P002")
    assert last_history(ours).history_change_reason == "billing item could not be activated"
    assert list(Link.objects.values_list("reseller", flat=True)) == [cast.other.pk]


# --- links -----------------------------------------------------------------------------------


def test_activation_is_idempotent(cast, capture):
    with capture():
        link = active_link(cast)
    history_rows = link.history.count()
    with capture() as callbacks:
        assert services.link_activate(link_id=link.pk) is None
    assert callbacks == []
    assert link.history.count() == history_rows
    # One "active" e-mail each to the initiator and to the customer, not two.
    assert Notification.objects.filter(kind=Notification.Kind.LINK_ACTIVE).count() == 2


def test_activation_waits_while_the_account_is_frozen(cast, capture):
    with capture():
        req = pending_consent(cast)
        decide(req, consent_token_for(req), {"delegation": True})
    CustomerAccount.objects.filter(pk=cast.customer.pk).update(status="frozen")
    link = activate(cast, Link.objects.get().pk)
    assert link.status == Link.Status.ACTIVATING
    assert link.status_reason.startswith("LNK-P001")
    req.refresh_from_db()
    assert (req.failure_stage, req.failure_code) == ("activation", "LNK-P001")
    assert not fresh(cast.viewer).has_perm("linking.view_customeraccount", cast.customer)


def test_read_only_delegation_grants_view_to_every_role_and_read_to_operators(cast, capture):
    with capture():
        active_link(cast)
    customer = cast.customer
    for user in (cast.admin, cast.initiator, cast.approver, cast.viewer):
        assert fresh(user).has_perm("linking.view_customeraccount", customer)
    for user in (cast.admin, cast.initiator):
        assert fresh(user).has_perm("linking.delegate_read_customeraccount", customer)
        assert not fresh(user).has_perm("linking.delegate_manage_customeraccount", customer)
        assert not fresh(user).has_perm("linking.bill_customeraccount", customer)
    for user in (cast.approver, cast.viewer):
        assert not fresh(user).has_perm("linking.delegate_read_customeraccount", customer)
    for user in (cast.outsider, cast.outsider_admin, cast.no_member):
        assert not fresh(user).has_perm("linking.view_customeraccount", customer)
        assert not fresh(user).has_perm("linking.delegate_read_customeraccount", customer)
    assert not fresh(cast.viewer).has_perm("linking.view_customeraccount", cast.customer2)


def test_manage_delegation_grants_manage_to_operators_only(cast, capture):
    with capture():
        active_link(cast, [manage_delegation()])
    for user in (cast.admin, cast.initiator):
        assert fresh(user).has_perm("linking.delegate_manage_customeraccount", cast.customer)
        assert fresh(user).has_perm("linking.delegate_read_customeraccount", cast.customer)
    for user in (cast.approver, cast.viewer, cast.outsider_admin):
        assert not fresh(user).has_perm("linking.delegate_manage_customeraccount", cast.customer)


def test_billing_link_grants_the_billing_permission(cast, capture):
    with capture():
        active_link(cast, [BILLING])
    for user in (cast.admin, cast.initiator):
        assert fresh(user).has_perm("linking.bill_customeraccount", cast.customer)
        assert not fresh(user).has_perm("linking.delegate_read_customeraccount", cast.customer)
    assert fresh(cast.viewer).has_perm("linking.view_customeraccount", cast.customer)
    assert not fresh(cast.viewer).has_perm("linking.bill_customeraccount", cast.customer)
    assert not fresh(cast.outsider_admin).has_perm("linking.bill_customeraccount", cast.customer)


# --- what the database holds -----------------------------------------------------------------


def test_database_holds_one_open_request_per_customer_and_type(cast, capture):
    # Both drafts chose the customer before either was submitted.
    other = make_draft(cast)
    with capture():
        req = submit(cast, make_draft(cast))
    item = other.items.get()
    item.is_open = True
    with pytest.raises(IntegrityError), transaction.atomic():
        item.save(update_fields=["is_open"])
    assert RequestItem.objects.filter(is_open=True).get().request == req


def test_database_holds_one_billing_partner_per_customer(cast, capture):
    with capture():
        active_link(cast, [BILLING])
    with pytest.raises(IntegrityError), transaction.atomic():
        Link.objects.create(
            reseller=cast.other, customer=cast.customer, link_type="billing", status="active"
        )
    Link.objects.create(
        reseller=cast.other, customer=cast.customer, link_type="billing", status="revoked"
    )
    assert Link.objects.filter(link_type="billing").count() == 2
