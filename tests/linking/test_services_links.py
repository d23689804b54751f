"""The customer's decision and the links it makes, through the services: consent, activation,
the permissions a live link grants, and what the database itself refuses."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from linking import services
from linking.checks import ItemSpec
from linking.consent.services import consent_resolve
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
    cast_shared_by_the_module,
    consent_code_for,
    consent_token_for,
    make_draft,
    read_only_delegation,
    submit,
)
from tests.journeys import activate, active_link, pending_consent
from tests.linking.service_helpers import BILLING, Status, decide, fresh, last_history

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

PROVISIONING = ItemSpec(link_type="provisioning", services=["ECS"], regions=["ap-southeast-1"])


def manage_delegation(services_=("ECS",)) -> ItemSpec:
    return ItemSpec(
        link_type="delegation",
        services=list(services_),
        regions=["ap-southeast-1", "eu-west-101"],
        access_level="manage",
        duration_days=30,
    )


def other_billing_request(cast, customer) -> LinkRequest:
    """The other reseller's billing request for the customer, approved and sent for consent."""
    req = services.link_request_create_draft(actor=cast.outsider, reseller=cast.other)
    services.link_request_set_types(actor=cast.outsider, request_id=req.pk, link_types=["billing"])
    services.link_request_set_customer(
        actor=cast.outsider, request_id=req.pk, account_id=customer.account_id
    )
    services.link_request_submit(actor=cast.outsider, request_id=req.pk)
    return services.link_request_approve(actor=cast.outsider_admin, request_id=req.pk)


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
