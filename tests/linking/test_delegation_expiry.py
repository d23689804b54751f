"""Time-bound delegation: expiry by the sweep and at read time, reminders 30, 7 and 1 days
before the end (each once), and renewals that always go through the customer's consent."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from guardian.shortcuts import get_perms

from accounts.models import Reseller, ResellerRoleGroup, Role, User
from linking import services, tasks
from linking.checks import ItemSpec
from linking.checks.reasons import ChecksFailed
from linking.models import Link, LinkRequest, Notification
from linking.outbox.delivery import notification_deliver
from linking.services.requests import link_request_dry_run
from portal.emails import absolute_url
from tests.conftest import cast_shared_by_the_module, make_draft, read_only_delegation, submit
from tests.journeys import accept, activate, active_link, to_the_customer

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

Status = LinkRequest.Status
EXPIRING = Notification.Kind.LINK_EXPIRING
EXPIRED = Notification.Kind.LINK_EXPIRED


def manage_sensitive(days=90) -> ItemSpec:
    return ItemSpec(
        link_type="delegation",
        services=["ECS", "IAM"],
        regions=["ap-southeast-1"],
        access_level="manage",
        duration_days=days,
    )


def read_only(cast, days=90) -> ItemSpec:
    spec = read_only_delegation(cast)
    spec.duration_days = days
    return spec


def group_perms(cast, role) -> set[str]:
    group = ResellerRoleGroup.objects.get(reseller=cast.reseller, role=role).group
    return set(get_perms(group, cast.customer))


def fresh(user) -> User:
    return User.objects.get(pk=user.pk)


def notices(link, kind, audience="reseller") -> list[Notification]:
    """The link's notices of `kind` to one side: the reseller's carry no audience or say so."""
    rows = Notification.objects.filter(link=link, kind=kind).order_by("id")
    if audience == "customer":
        return [n for n in rows if n.context.get("audience") == "customer"]
    if audience == "reseller":
        return [n for n in rows if n.context.get("audience") != "customer"]
    return list(rows)


def renew(cast, link, actor=None) -> LinkRequest:
    req = services.link_renew_start(actor=actor or cast.initiator, link_id=link.pk)
    services.link_request_set_details(
        actor=actor or cast.initiator,
        request_id=req.pk,
        ticket_reference="INC-2002",
        note_to_customer="Renewal as agreed.",
        consent_days=7,
    )
    req.refresh_from_db()
    return req


# --- expiry by the sweep ----------------------------------------------------------------------


def test_the_sweep_expires_a_delegation_past_its_end(cast, capture):
    with capture():
        link = active_link(cast, [read_only(cast)])
    assert "delegate_read_customeraccount" in group_perms(cast, Role.INITIATOR)
    assert fresh(cast.viewer).has_perm("linking.view_customeraccount", cast.customer)
    with time_machine.travel(link.ends_at - timedelta(minutes=1), tick=False):
        assert services.link_expire_due() == 0
    with capture(), time_machine.travel(link.ends_at + timedelta(minutes=1), tick=False):
        assert services.link_expire_due() == 1
        assert services.link_expire_due() == 0

    link.refresh_from_db()
    assert link.status == Link.Status.EXPIRED
    row = link.history.first()
    assert row.history_user is None
    assert row.history_change_reason == f"delegation ended on {link.ends_at:%Y-%m-%d}"
    assert group_perms(cast, Role.INITIATOR) == set()
    assert group_perms(cast, Role.VIEWER) == set()
    assert not fresh(cast.initiator).has_perm(
        "linking.delegate_read_customeraccount", cast.customer
    )
    assert not fresh(cast.viewer).has_perm("linking.view_customeraccount", cast.customer)
    [notice] = notices(link, EXPIRED)
    [to_customer] = notices(link, EXPIRED, audience="customer")
    assert notice.to_email == cast.initiator.email
    # The customer hears it too, with what to delete in the cloud (tests/linking/test_cleanup.py).
    assert (to_customer.to_email, to_customer.context["audience"]) == (
        cast.customer.contact_email,
        "customer",
    )
    assert link.cleanup_status == "pending"


def test_expiry_keeps_the_grants_of_the_resellers_other_links(cast, capture):
    spec = ItemSpec(link_type="provisioning", services=["ECS"], regions=["ap-southeast-1"])
    with capture():
        req = to_the_customer(cast, submit(cast, make_draft(cast, specs=[spec, read_only(cast)])))
        accept(cast, req)
        for link in Link.objects.all():
            activate(cast, link.pk)
    delegation = Link.objects.get(link_type="delegation")
    with capture(), time_machine.travel(delegation.ends_at + timedelta(minutes=1), tick=False):
        assert services.link_expire_due() == 1
    assert group_perms(cast, Role.INITIATOR) == {
        "view_customeraccount",
        "provision_customeraccount",
    }
    assert Link.objects.get(link_type="provisioning").status == Link.Status.ACTIVE


def test_the_expiry_notice_goes_to_the_admins_when_the_initiator_has_left(cast, capture):
    from accounts.models import Membership

    with capture():
        link = active_link(cast, [read_only(cast)])
    Membership.objects.filter(user=cast.initiator).delete()
    with capture(), time_machine.travel(link.ends_at + timedelta(minutes=1), tick=False):
        services.link_expire_due()
    to_reseller = [n for n in notices(link, EXPIRED) if n.context.get("audience") != "customer"]
    assert [n.to_email for n in to_reseller] == [cast.admin.email]


def test_the_expiry_email_says_when_and_links_to_the_renewal(cast, capture):
    with capture():
        link = active_link(cast, [read_only(cast)])
    with capture(), time_machine.travel(link.ends_at + timedelta(minutes=1), tick=False):
        services.link_expire_due()
    [notice] = notices(link, EXPIRED)
    mail.outbox.clear()
    assert notification_deliver(notification_id=notice.pk) == "sent"
    [message] = mail.outbox
    assert link.reference in message.subject
    assert f"{link.ends_at:%Y}" in message.body
    assert f"/links/{link.pk}/" in message.body
    assert "expired" in message.alternatives[0][0]


def test_the_sweep_task_expires_due_links(cast, capture):
    with capture():
        link = active_link(cast, [read_only(cast, days=1)])
    with capture(), time_machine.travel(link.ends_at + timedelta(hours=1), tick=False):
        assert tasks.link_expire_sweep_task() == 1
    link.refresh_from_db()
    assert link.status == Link.Status.EXPIRED


# --- expiry at read time ----------------------------------------------------------------------


def test_a_link_past_its_end_reads_as_expired_before_the_sweep(cast, capture):
    with capture():
        link = active_link(cast, [read_only(cast)])
    assert link.effective_status == Link.Status.ACTIVE
    with time_machine.travel(link.ends_at + timedelta(minutes=1), tick=False):
        link.refresh_from_db()
        assert link.status == Link.Status.ACTIVE
        assert link.effective_status == Link.Status.EXPIRED
        assert link.get_effective_status_display() == "Expired"
        # A new request for the same type is not blocked by the lapsed link.
        req = make_draft(cast)
        reasons = link_request_dry_run(actor=cast.initiator, req=req)
        assert "LNK-V011" not in [r.code for r in reasons]
        assert reasons == []
        # And any re-sync of the grants drops what it gave.
        services.link_sync_grants(
            actor=None, reseller_id=cast.reseller.pk, customer_id=cast.customer.pk, reason="test"
        )
    assert "delegate_read_customeraccount" not in group_perms(cast, Role.INITIATOR)


def test_a_link_before_its_end_still_blocks_a_new_request(cast, capture):
    with capture():
        link = active_link(cast, [read_only(cast)])
    with (
        time_machine.travel(link.ends_at - timedelta(minutes=1), tick=False),
        pytest.raises(ChecksFailed) as refused,
    ):
        make_draft(cast)
    assert "LNK-V011" in [r.code for r in refused.value.reasons]


# --- reminders --------------------------------------------------------------------------------


def test_reminders_go_out_30_7_and_1_days_before_the_end_once_each(cast, capture):
    with capture():
        link = active_link(cast, [read_only(cast)])
    end = link.ends_at
    moments = [
        (end - timedelta(days=31), 0, 0),
        (end - timedelta(days=30), 1, 1),
        (end - timedelta(days=29), 0, 1),
        (end - timedelta(days=7), 1, 2),
        (end - timedelta(days=3), 0, 2),
        (end - timedelta(days=1), 1, 3),
        (end - timedelta(hours=1), 0, 3),
    ]
    for moment, sent, stage in moments:
        with capture(), time_machine.travel(moment, tick=False):
            assert services.link_expiry_remind_due() == sent, moment
        link.refresh_from_db()
        assert link.expiry_reminders_sent == stage
    reminders = notices(link, EXPIRING)
    assert [n.context["stage"] for n in reminders] == [1, 2, 3]
    assert [n.context["days_left"] for n in reminders] == [30, 7, 1]
    assert {n.to_email for n in reminders} == {cast.initiator.email}
    assert link.history.first().history_change_reason.startswith(
        f"reminded: ends on {end:%Y-%m-%d}"
    )
    # The customer's contact gets each stage once too, counted by the same flag: the reruns
    # above wrote nothing for either side.
    to_customer = notices(link, EXPIRING, "customer")
    assert [n.context["stage"] for n in to_customer] == [1, 2, 3]
    assert {n.to_email for n in to_customer} == {cast.customer.contact_email}


def test_a_late_sweep_sends_only_the_latest_due_reminder(cast, capture):
    with capture():
        link = active_link(cast, [read_only(cast)])
    with capture(), time_machine.travel(link.ends_at - timedelta(hours=12), tick=False):
        assert services.link_expiry_remind_due() == 1
        assert services.link_expiry_remind_due() == 0
    [reminder] = notices(link, EXPIRING)
    assert reminder.context["stage"] == 3
    link.refresh_from_db()
    assert link.expiry_reminders_sent == 3
    assert [n.context["stage"] for n in notices(link, EXPIRING, "customer")] == [3]


def test_a_short_delegation_gets_no_reminder_from_before_it_started(cast, capture):
    with capture():
        link = active_link(cast, [read_only(cast, days=10)])
    with capture():
        assert services.link_expiry_remind_due() == 0
    with capture(), time_machine.travel(link.ends_at - timedelta(days=7), tick=False):
        assert services.link_expiry_remind_due() == 1
    assert [n.context["stage"] for n in notices(link, EXPIRING)] == [2]
    assert [n.context["stage"] for n in notices(link, EXPIRING, "customer")] == [2]


def test_the_reminder_email_gives_the_end_date_and_the_way_to_renew(cast, capture):
    with capture():
        link = active_link(cast, [read_only(cast)])
    with capture(), time_machine.travel(link.ends_at - timedelta(days=7), tick=False):
        services.link_expiry_remind_due()
        [reminder] = notices(link, EXPIRING)
        mail.outbox.clear()
        assert notification_deliver(notification_id=reminder.pk) == "sent"
    [message] = mail.outbox
    assert "7 days" in message.subject
    assert reminder.context["ends_on"] in message.body
    assert "renew" in message.body.lower()
    assert f"/links/{link.pk}/" in message.body


def test_the_customer_reminder_says_when_what_and_how_to_end_it_sooner(cast, capture):
    with capture():
        link = active_link(cast, [read_only(cast)])
    with capture(), time_machine.travel(link.ends_at - timedelta(days=7), tick=False):
        services.link_expiry_remind_due()
        [reminder] = notices(link, EXPIRING, "customer")
        mail.outbox.clear()
        assert notification_deliver(notification_id=reminder.pk) == "sent"
    [message] = mail.outbox
    assert message.to == [cast.customer.contact_email]
    assert message.subject == (
        f"Access of {cast.reseller.name} to your cloud account ends in 7 days ({link.reference})"
    )
    body = message.body
    assert reminder.context["ends_on"] in body and "in 7 days" in body
    assert cast.customer.label in body and cast.reseller.partner_id in body
    assert "renewal request, which you can accept or decline" in body
    # The centre and the centre's withdrawal of this link; never an operator's page.
    assert f"/customer/links/{link.pk}/withdraw/" in body
    assert reverse("customer:home") + "\n" in body
    assert absolute_url(reverse("linking:link-detail", args=[link.pk])) not in body
    html = message.alternatives[0][0]
    assert f"/customer/links/{link.pk}/withdraw/" in html and "End it sooner" in html


def test_the_customer_is_reminded_at_the_directory_contact_address(cast, capture):
    with capture():
        link = active_link(cast, [read_only(cast)])
    cast.customer.contact_email = "new-contact@example.com"
    cast.customer.save(update_fields=["contact_email"])
    with capture(), time_machine.travel(link.ends_at - timedelta(days=1), tick=False):
        assert services.link_expiry_remind_due() == 1
    [reminder] = notices(link, EXPIRING, "customer")
    assert reminder.to_email == "new-contact@example.com"


def test_a_revoked_link_reminds_nobody(cast, capture):
    with capture():
        link = active_link(cast, [read_only(cast)])
        services.link_revoke(
            actor=cast.approver, link_id=link.pk, reason="done", confirm_reference=link.reference
        )
    with capture(), time_machine.travel(link.ends_at - timedelta(days=1), tick=False):
        assert services.link_expiry_remind_due() == 0
    assert notices(link, EXPIRING, "all") == []


def test_the_reminder_task_sends_due_reminders(cast, capture):
    with capture():
        link = active_link(cast, [read_only(cast)])
    with capture(), time_machine.travel(link.ends_at - timedelta(days=30), tick=False):
        assert tasks.link_expiry_remind_sweep_task() == 1


# --- renewal ----------------------------------------------------------------------------------


def test_renewal_is_pre_filled_with_the_scope_and_the_duration_granted(cast, capture):
    with capture():
        link = active_link(cast, [manage_sensitive(days=120)])
    with time_machine.travel(link.ends_at - timedelta(days=20), tick=False):
        req = services.link_renew_start(actor=cast.initiator, link_id=link.pk)
    assert req.purpose == LinkRequest.Purpose.RENEW
    assert req.amends_link == link
    assert req.wizard_step == 3
    assert req.purpose_title == f"Renewal of {link.reference}"
    item = req.items.get()
    assert (item.services, item.regions) == (["ECS", "IAM"], ["ap-southeast-1"])
    assert (item.access_level, item.duration_days) == ("manage", 120)


@pytest.mark.parametrize(
    "spec", [read_only, lambda cast: manage_sensitive()], ids=["read-only", "manage-sensitive"]
)
def test_renewal_always_asks_the_customer_and_moves_the_end_only_on_acceptance(cast, capture, spec):
    # Even a policy that sends everything straight to the customer never renews silently.
    cast.reseller.approval_policy = Reseller.ApprovalPolicy.NEVER
    cast.reseller.save()
    with capture():
        link = active_link(cast, [spec(cast)])
    old_end = link.ends_at
    renewed_at = old_end - timedelta(days=10)
    with capture(), time_machine.travel(renewed_at, tick=False):
        req = submit(cast, renew(cast, link))
        assert req.status == Status.PENDING_CONSENT
        assert Notification.objects.filter(request=req, kind="consent_request").count() == 1
        services.link_expire_due()
        services.link_expiry_remind_due()
    link.refresh_from_db()
    assert link.ends_at == old_end
    assert link.status == Link.Status.ACTIVE

    with capture(), time_machine.travel(renewed_at + timedelta(days=1), tick=False):
        accept(cast, req)
        activate(cast, link.pk)
    link.refresh_from_db()
    assert Link.objects.count() == 1
    assert link.status == Link.Status.ACTIVE
    assert link.ends_at == renewed_at + timedelta(days=91)
    assert link.expiry_reminders_sent == 0
    assert f"renewed by {req.reference}" in link.history.values_list(
        "history_change_reason", flat=True
    )


def test_renewal_with_the_approval_policy_goes_to_an_approver_first(cast, capture):
    with capture():
        link = active_link(cast, [manage_sensitive()])
    with capture():
        req = submit(cast, renew(cast, link))
    assert req.status == Status.PENDING_APPROVAL


def test_an_expired_delegation_can_be_renewed_and_its_access_returns(cast, capture):
    with capture():
        link = active_link(cast, [read_only(cast)])
    later = link.ends_at + timedelta(days=2)
    with capture(), time_machine.travel(later, tick=False):
        services.link_expire_due()
        req = submit(cast, renew(cast, link))
        assert req.status == Status.PENDING_CONSENT
        assert group_perms(cast, Role.INITIATOR) == set()
        accept(cast, req)
        activate(cast, link.pk)
        link.refresh_from_db()
        assert link.status == Link.Status.ACTIVE
        assert link.ends_at == later + timedelta(days=90)
        assert "delegate_read_customeraccount" in group_perms(cast, Role.INITIATOR)


def test_a_revoked_link_cannot_be_renewed(cast, capture):
    from portal.errors import PortalError

    with capture():
        link = active_link(cast, [read_only(cast)])
    with capture():
        services.link_revoke(
            actor=cast.approver, link_id=link.pk, reason="ended", confirm_reference=link.reference
        )
    with pytest.raises(PortalError) as error:
        services.link_renew_start(actor=cast.initiator, link_id=link.pk)
    assert error.value.code == "LNK-L001"
