"""Changing the scope of an active link: narrowing applies at once, widening needs consent, the
link keeps one row; and the amend/renew pages (anonymous, outsider, wrong role, happy path)."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import get_perms

from accounts.models import ResellerRoleGroup, Role, User
from linking import services
from linking.checks import ItemSpec
from linking.checks.reasons import ChecksFailed
from linking.models import Link, LinkRequest, Notification, RequestItem
from linking.services.requests import link_request_dry_run
from portal.errors import PortalError
from tests.conftest import (
    cast_shared_by_the_module,
    login,
    make_draft,
    read_only_delegation,
    submit,
)
from tests.journeys import accept, activate, active_link

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

Status = LinkRequest.Status


def revoke(cast, link):
    return services.link_revoke(
        actor=cast.approver, link_id=link.pk, reason="ended", confirm_reference=link.reference
    )


def manage_delegation(services_=("ECS", "OBS")) -> ItemSpec:
    return ItemSpec(
        link_type="delegation",
        services=list(services_),
        regions=["ap-southeast-1", "eu-west-101"],
        access_level="manage",
        duration_days=90,
    )


def amend(cast, link, **changes) -> LinkRequest:
    """A change of scope of `link` with `changes` applied to the pre-filled item."""
    req = services.link_amend_start(actor=cast.initiator, link_id=link.pk)
    item = req.items.get()
    spec = ItemSpec.from_item(item)
    for name, value in changes.items():
        setattr(spec, name, value)
    services.link_request_set_scope(
        actor=cast.initiator, request_id=req.pk, scopes={item.link_type: spec}
    )
    req.refresh_from_db()
    return req


def group_perms(cast, role) -> set[str]:
    group = ResellerRoleGroup.objects.get(reseller=cast.reseller, role=role).group
    return set(get_perms(group, cast.customer))


def fresh(user) -> User:
    # guardian and Django cache permissions on the user instance.
    return User.objects.get(pk=user.pk)


def codes(reasons) -> list[str]:
    return [r.code for r in reasons]


# --- starting a change of scope --------------------------------------------------------------


def test_amend_starts_a_draft_pre_filled_from_the_link(cast, capture):
    with capture():
        link = active_link(cast, [manage_delegation()])
    with time_machine.travel(link.ends_at - timedelta(days=40, hours=3), tick=False):
        req = services.link_amend_start(actor=cast.initiator, link_id=link.pk)
    assert req.status == Status.DRAFT
    assert req.purpose == LinkRequest.Purpose.AMEND
    assert req.amends_link == link
    assert req.customer == cast.customer
    assert req.account_id_input == cast.customer.account_id
    assert req.wizard_step == 3
    assert req.purpose_title == f"Change of scope of {link.reference}"
    item = req.items.get()
    assert item.link_type == "delegation"
    assert item.services == ["ECS", "OBS"]
    assert item.regions == ["ap-southeast-1", "eu-west-101"]
    assert item.access_level == "manage"
    # The days left, a started day counting as one.
    assert item.duration_days == 41
    assert (
        req.history.first().history_change_reason == f"change of scope of {link.reference} started"
    )


def test_a_change_of_scope_keeps_the_links_type_and_customer(cast, capture):
    with capture():
        link = active_link(cast)
    req = services.link_amend_start(actor=cast.initiator, link_id=link.pk)
    with pytest.raises(PortalError) as error:
        services.link_request_set_types(
            actor=cast.initiator, request_id=req.pk, link_types=["billing", "delegation"]
        )
    assert error.value.code == "LNK-S001"
    with pytest.raises(PortalError) as error:
        services.link_request_set_customer(
            actor=cast.initiator, request_id=req.pk, account_id=cast.customer2.account_id
        )
    assert error.value.code == "LNK-S001"
    assert [i.link_type for i in req.items.all()] == ["delegation"]


def test_amend_of_a_billing_link_is_refused(cast, capture):
    with capture():
        link = active_link(cast, [ItemSpec(link_type="billing")])
    with pytest.raises(PortalError) as error:
        services.link_amend_start(actor=cast.initiator, link_id=link.pk)
    assert error.value.code == "LNK-L001"


def test_amend_of_a_link_that_is_not_active_is_refused(cast, capture):
    with capture():
        link = active_link(cast)
    with (
        time_machine.travel(link.ends_at + timedelta(minutes=1), tick=False),
        pytest.raises(PortalError) as error,
    ):
        services.link_amend_start(actor=cast.initiator, link_id=link.pk)
    assert error.value.code == "LNK-L001"
    assert "expired" in error.value.message
    assert not LinkRequest.objects.filter(purpose="amend").exists()


def test_amend_by_a_viewer_is_refused(cast, capture):
    with capture():
        link = active_link(cast)
    with pytest.raises(PortalError) as error:
        services.link_amend_start(actor=cast.viewer, link_id=link.pk)
    assert error.value.code == "LNK-V013"


# --- narrowing -------------------------------------------------------------------------------


def test_narrowing_takes_effect_at_once_without_consent(cast, capture):
    with capture():
        link = active_link(cast, [manage_delegation()])
    assert group_perms(cast, Role.INITIATOR) >= {
        "delegate_read_customeraccount",
        "delegate_manage_customeraccount",
    }
    assert fresh(cast.initiator).has_perm("linking.delegate_manage_customeraccount", cast.customer)
    notices_before = Notification.objects.count()
    with capture():
        req = amend(
            cast, link, services=["ECS"], regions=["ap-southeast-1"], access_level="read_only"
        )
        req = submit(cast, req)

    req.refresh_from_db()
    assert req.status == Status.COMPLETED
    assert req.history.first().history_change_reason == "narrowing applies without consent"
    item = req.items.get()
    assert item.decision == RequestItem.Decision.ACCEPTED
    assert item.is_open is False
    assert item.history.first().history_change_reason == "narrowing applies without consent"
    # No consent e-mail, no approval: nothing new is asked of anyone.
    assert Notification.objects.count() == notices_before
    assert Link.objects.count() == 1
    narrowed = Link.objects.get()
    assert narrowed.pk == link.pk
    assert narrowed.status == Link.Status.ACTIVE
    assert narrowed.services == ["ECS"]
    assert narrowed.regions == ["ap-southeast-1"]
    assert narrowed.access_level == "read_only"
    assert narrowed.ends_at == link.ends_at
    # The consent that granted the wider scope still covers this one.
    assert narrowed.source_item_id == link.source_item_id
    row = narrowed.history.first()
    assert row.history_change_reason == f"scope narrowed by {req.reference}"
    assert row.history_user == cast.initiator
    # manage → read-only: the manage permission is gone, read stays.
    perms = group_perms(cast, Role.INITIATOR)
    assert "delegate_manage_customeraccount" not in perms
    assert "delegate_read_customeraccount" in perms
    initiator = fresh(cast.initiator)
    assert not initiator.has_perm("linking.delegate_manage_customeraccount", cast.customer)
    assert initiator.has_perm("linking.delegate_read_customeraccount", cast.customer)
    assert fresh(cast.viewer).has_perm("linking.view_customeraccount", cast.customer)


def test_narrowing_the_duration_brings_the_end_forward(cast, capture):
    with capture():
        link = active_link(cast)
    now = timezone.now().replace(microsecond=0)
    with capture(), time_machine.travel(now, tick=False):
        req = submit(cast, amend(cast, link, duration_days=10))
    assert req.status == Status.COMPLETED
    link.refresh_from_db()
    assert link.ends_at == now + timedelta(days=10)
    assert link.services == ["ECS", "OBS"]


def test_a_narrowed_manage_delegation_applies_at_once_without_an_approver(cast, capture):
    # Still manage after the change, so the policy would ask a second person for a new request;
    # a narrowing asks nobody, so it neither waits for approval nor is refused for the lack of
    # an approver (LNK-A004).
    from accounts.models import Membership
    from accounts.services import membership_set_role

    with capture():
        link = active_link(cast, [manage_delegation()])
    notices_before = Notification.objects.count()
    req = amend(cast, link, services=["ECS"])
    with capture():
        assert submit(cast, req).status == Status.COMPLETED
    assert Notification.objects.count() == notices_before
    link.refresh_from_db()
    assert (link.services, link.access_level) == (["ECS"], "manage")

    membership = Membership.objects.get(user=cast.approver, reseller=cast.reseller)
    membership_set_role(actor=cast.admin, membership_id=membership.pk, role=Role.VIEWER)
    cast.admin.is_active = False
    cast.admin.save(update_fields=["is_active"])
    req = amend(cast, link, regions=["ap-southeast-1"])
    assert codes(link_request_dry_run(actor=cast.initiator, req=req)) == []
    with capture():
        assert submit(cast, req).status == Status.COMPLETED
    link.refresh_from_db()
    assert link.regions == ["ap-southeast-1"]


def test_identical_scope_is_refused_as_nothing_changed(cast, capture):
    with capture():
        link = active_link(cast)
    req = amend(cast, link)
    with pytest.raises(PortalError) as error:
        submit(cast, req)
    assert error.value.code == "LNK-L003"
    req.refresh_from_db()
    assert req.status == Status.DRAFT
    assert not req.items.get().is_open


def test_amend_of_a_link_revoked_after_the_draft_is_refused_on_submit(cast, capture):
    with capture():
        link = active_link(cast)
    req = amend(cast, link, services=["ECS"])
    with capture():
        revoke(cast, link)
    with pytest.raises(PortalError) as error:
        submit(cast, req)
    assert error.value.code == "LNK-L001"


# --- widening --------------------------------------------------------------------------------


def test_widening_needs_the_customers_consent_and_amends_the_same_row(cast, capture):
    spec = read_only_delegation(cast)
    spec.services = ["ECS"]
    with capture():
        link = active_link(cast, [spec])
    with capture():
        req = submit(cast, amend(cast, link, services=["ECS", "OBS"]))
    # Read-only, non-sensitive: the policy sends it straight to the customer.
    assert req.status == Status.PENDING_CONSENT
    assert Notification.objects.filter(request=req, kind="consent_request").count() == 1
    link.refresh_from_db()
    assert link.services == ["ECS"]
    assert link.status == Link.Status.ACTIVE

    with capture():
        accept(cast, req)
        activate(cast, link.pk)
    assert Link.objects.count() == 1
    link.refresh_from_db()
    assert link.status == Link.Status.ACTIVE
    assert link.services == ["ECS", "OBS"]
    assert link.source_item == req.items.get()
    reasons = list(link.history.values_list("history_change_reason", flat=True))
    assert f"amended by {req.reference}" in reasons
    scopes = list(
        link.history.order_by("history_date", "history_id").values_list("services", flat=True)
    )
    assert ["ECS"] in scopes
    assert scopes[-1] == ["ECS", "OBS"]


def test_widening_to_manage_goes_through_approval_then_consent(cast, capture):
    with capture():
        link = active_link(cast)
    assert "delegate_manage_customeraccount" not in group_perms(cast, Role.INITIATOR)
    with capture():
        req = submit(cast, amend(cast, link, access_level="manage"))
    assert req.status == Status.PENDING_APPROVAL
    with capture():
        req = services.link_request_approve(actor=cast.approver, request_id=req.pk, reason="ok")
    assert req.status == Status.PENDING_CONSENT
    link.refresh_from_db()
    assert link.access_level == "read_only"
    assert "delegate_manage_customeraccount" not in group_perms(cast, Role.INITIATOR)
    with capture():
        accept(cast, req)
        activate(cast, link.pk)
    link.refresh_from_db()
    assert link.access_level == "manage"
    assert "delegate_manage_customeraccount" in group_perms(cast, Role.INITIATOR)


def test_a_longer_duration_is_widening(cast, capture):
    with capture():
        link = active_link(cast)
    with capture():
        req = submit(cast, amend(cast, link, duration_days=200))
    assert req.status == Status.PENDING_CONSENT
    link.refresh_from_db()
    assert link.ends_at - link.starts_at == timedelta(days=90)


# --- checks ----------------------------------------------------------------------------------


def test_the_amended_link_does_not_count_as_already_existing(cast, capture):
    with capture():
        link = active_link(cast)
    req = amend(cast, link, services=["ECS", "OBS"], regions=["ap-southeast-1", "eu-west-101"])
    assert "LNK-V011" not in codes(link_request_dry_run(actor=cast.initiator, req=req))
    # A new request for the same type still does, from the customer step on.
    with pytest.raises(ChecksFailed) as refused:
        make_draft(cast)
    assert "LNK-V011" in codes(refused.value.reasons)


def test_a_second_change_of_scope_is_blocked_by_the_open_one(cast, capture):
    with capture():
        link = active_link(cast)
    with capture():
        first = submit(cast, amend(cast, link, regions=["ap-southeast-1", "eu-west-101"]))
    assert first.status == Status.PENDING_CONSENT
    second = amend(cast, link, services=["ECS"])
    found = codes(link_request_dry_run(actor=cast.initiator, req=second))
    assert "LNK-V012" in found
    assert "LNK-V011" not in found
    with pytest.raises(ChecksFailed):
        submit(cast, second)
    link.refresh_from_db()
    assert link.services == ["ECS", "OBS"]


# --- pages -----------------------------------------------------------------------------------


def url(name, *args):
    return reverse(f"linking:{name}", args=args)


@pytest.mark.parametrize("name", ["link-amend", "link-renew"])
def test_anonymous_is_sent_to_login(client, cast, capture, name):
    with capture():
        link = active_link(cast)
    response = client.post(url(name, link.pk))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
    assert not LinkRequest.objects.filter(purpose__in=["amend", "renew"]).exists()


@pytest.mark.parametrize("name", ["link-amend", "link-renew"])
def test_outsider_gets_404(client, cast, capture, name):
    with capture():
        link = active_link(cast)
    response = login(client, cast.outsider).post(url(name, link.pk))
    assert response.status_code == 404
    assert not LinkRequest.objects.filter(purpose__in=["amend", "renew"]).exists()


@pytest.mark.parametrize("name", ["link-amend", "link-renew"])
def test_viewer_gets_403(client, cast, capture, name):
    with capture():
        link = active_link(cast)
    response = login(client, cast.viewer).post(url(name, link.pk))
    assert response.status_code == 403
    assert not LinkRequest.objects.filter(purpose__in=["amend", "renew"]).exists()


def test_get_is_not_allowed(client, cast, capture):
    with capture():
        link = active_link(cast)
    assert login(client, cast.initiator).get(url("link-amend", link.pk)).status_code == 405


def test_amend_page_opens_the_wizard_at_the_scope(client, cast, capture):
    with capture():
        link = active_link(cast)
    login(client, cast.initiator)
    response = client.post(url("link-amend", link.pk))
    req = LinkRequest.objects.get(purpose="amend")
    assert response.status_code == 302
    assert response["Location"] == url("request-wizard", req.pk, 3)
    page = client.get(response["Location"]).content.decode()
    assert f"Change of scope of {link.reference}" in page
    assert 'value="OBS" ' in page or 'value="OBS"' in page
    # Type and customer come from the link: the first steps lead back to the scope.
    for step in (1, 2):
        assert client.get(url("request-wizard", req.pk, step))["Location"] == url(
            "request-wizard", req.pk, 3
        )
    detail = client.get(url("request-detail", req.pk)).content.decode()
    assert f"Change of scope of {link.reference}" in detail


def test_renew_page_opens_the_wizard_at_the_scope(client, cast, capture):
    with capture():
        link = active_link(cast)
    response = login(client, cast.admin).post(url("link-renew", link.pk))
    req = LinkRequest.objects.get(purpose="renew")
    assert response["Location"] == url("request-wizard", req.pk, 3)
    assert f"Renewal of {link.reference}" in client.get(response["Location"]).content.decode()


def test_amend_page_of_a_revoked_link_says_why(client, cast, capture):
    with capture():
        link = active_link(cast)
    with capture():
        revoke(cast, link)
    login(client, cast.initiator)
    response = client.post(url("link-amend", link.pk), follow=True)
    assert response.redirect_chain[-1][0] == url("link-detail", link.pk)
    assert "LNK-L001" in response.content.decode()
    assert not LinkRequest.objects.filter(purpose="amend").exists()


def test_link_page_offers_amend_and_renew_to_initiators_only(client, cast, capture):
    with capture():
        link = active_link(cast)
    page = login(client, cast.initiator).get(url("link-detail", link.pk)).content.decode()
    assert url("link-amend", link.pk) in page
    assert url("link-renew", link.pk) in page
    page = login(client, cast.viewer).get(url("link-detail", link.pk)).content.decode()
    assert url("link-amend", link.pk) not in page
