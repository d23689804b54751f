"""Reminders to the customer before the consent deadline and to approvers who keep a request
waiting; time travels, the sweep runs, and the outbox and history say what happened."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from linking import services
from linking.checks import ItemSpec
from linking.consent.services import consent_resolve
from linking.models import LinkRequest, Notification
from linking.outbox.delivery import notification_deliver
from linking.services.reminders import (
    link_request_ids_due_approver_reminder,
    link_request_ids_due_customer_reminder,
)
from linking.tasks import reminder_sweep_task
from portal.errors import PortalError
from tests.conftest import cast_shared_by_the_module, consent_token_for, make_draft, submit
from tests.journeys import waiting_for_customer

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

Status = LinkRequest.Status
Kind = Notification.Kind
BILLING = [ItemSpec(link_type="billing")]


@pytest.fixture
def start():
    return timezone.now().replace(microsecond=0) + timedelta(minutes=1)


def at(moment):
    return time_machine.travel(moment, tick=False)


def waiting_for_approval(cast, start, *, actor=None, customer=None):
    with at(start):
        draft = make_draft(cast, specs=BILLING, actor=actor, customer=customer)
        req = submit(cast, draft, actor=actor)
    req.refresh_from_db()
    return req


def reminders(req):
    return list(Notification.objects.filter(request=req, kind=Kind.CONSENT_REMINDER))


def approval_reminders(req):
    return Notification.objects.filter(request=req, kind=Kind.APPROVAL_REMINDER)


# --- the customer -------------------------------------------------------------------------


def test_entering_consent_schedules_the_first_reminder_halfway(cast, start):
    req = waiting_for_customer(cast, start)
    assert req.status == Status.PENDING_CONSENT
    assert req.next_reminder_at == start + timedelta(days=3, hours=12)
    assert req.reminders_sent == 0


def test_the_customer_is_reminded_halfway_and_one_day_before_the_deadline(cast, start):
    req = waiting_for_customer(cast, start)
    halfway = start + timedelta(days=3, hours=12)
    day_before = start + timedelta(days=6)

    with at(halfway - timedelta(minutes=1)):
        assert reminder_sweep_task() == 0
    assert reminders(req) == []

    with at(halfway + timedelta(minutes=5)):
        assert reminder_sweep_task() == 1
        assert reminder_sweep_task() == 0
    req.refresh_from_db()
    assert req.reminders_sent == 1
    assert req.next_reminder_at == day_before
    [first] = reminders(req)
    assert first.to_email == cast.customer.contact_email
    assert first.status == Notification.Status.QUEUED
    assert first.context == {"number": 1, "total": 2}
    history = req.history.first()
    assert history.history_user is None
    assert history.history_change_reason == (
        f"reminder 1 of 2 sent to the customer ({cast.customer.contact_email})"
    )

    with at(day_before + timedelta(hours=1)):
        assert reminder_sweep_task() == 1
    req.refresh_from_db()
    assert req.reminders_sent == 2
    assert req.next_reminder_at is None
    assert len(reminders(req)) == 2
    assert req.history.first().history_change_reason.startswith("reminder 2 of 2 sent")

    with at(start + timedelta(days=6, hours=23)):
        assert reminder_sweep_task() == 0
    assert len(reminders(req)) == 2


def test_a_late_sweep_sends_one_reminder_for_all_it_missed(cast, start):
    req = waiting_for_customer(cast, start)
    with at(start + timedelta(days=6, hours=2)):
        assert reminder_sweep_task() == 1
        assert reminder_sweep_task() == 0
    req.refresh_from_db()
    assert req.reminders_sent == 1
    assert req.next_reminder_at is None
    assert req.history.first().history_change_reason.startswith("reminder 1 of 1 sent")


def test_the_reseller_schedule_decides_when_customers_are_reminded(cast, start):
    cast.reseller.consent_reminders = "4h"
    cast.reseller.save()
    req = waiting_for_customer(cast, start)
    assert req.next_reminder_at == start + timedelta(days=7) - timedelta(hours=4)


def test_an_empty_schedule_sends_no_reminders(cast, start):
    cast.reseller.consent_reminders = ""
    cast.reseller.save()
    req = waiting_for_customer(cast, start)
    assert req.next_reminder_at is None
    with at(start + timedelta(days=6, hours=12)):
        assert reminder_sweep_task() == 0
    assert reminders(req) == []


def test_no_reminder_goes_out_after_the_deadline(cast, start):
    req = waiting_for_customer(cast, start)
    with at(start + timedelta(days=7, minutes=1)):
        assert link_request_ids_due_customer_reminder() == []
        assert services.link_request_remind_customer(request_id=req.pk) is None
        assert reminder_sweep_task() == 0
    req.refresh_from_db()
    assert req.reminders_sent == 0
    assert reminders(req) == []


def test_a_cancelled_request_is_not_reminded(cast, start):
    req = waiting_for_customer(cast, start)
    with at(start + timedelta(hours=1)):
        services.link_request_cancel(actor=cast.initiator, request_id=req.pk)
    with at(start + timedelta(days=4)):
        assert reminder_sweep_task() == 0
        assert services.link_request_remind_customer(request_id=req.pk) is None
    assert reminders(req) == []


def test_a_completed_request_is_not_reminded(cast, start):
    req = waiting_for_customer(cast, start)
    with at(start + timedelta(hours=1)):
        token = services.consent_issue_token(request_id=req.pk)
        item = req.items.get()
        services.consent_decide(token=token, decisions={item.pk: (True, "")})
    req.refresh_from_db()
    assert req.status == Status.COMPLETED
    with at(start + timedelta(days=4)):
        assert reminder_sweep_task() == 0
    assert reminders(req) == []


def test_the_service_is_a_no_op_before_the_reminder_is_due(cast, start):
    req = waiting_for_customer(cast, start)
    with at(start + timedelta(days=3)):
        assert services.link_request_remind_customer(request_id=req.pk) is None
    req.refresh_from_db()
    assert req.reminders_sent == 0


# --- the approvers ------------------------------------------------------------------------


def test_approvers_are_reminded_after_the_reseller_interval_and_again_after_another(cast, start):
    req = waiting_for_approval(cast, start)
    assert req.status == Status.PENDING_APPROVAL
    queued_at_submit = Notification.objects.filter(request=req).count()

    with at(start + timedelta(hours=23, minutes=59)):
        assert reminder_sweep_task() == 0
    assert not approval_reminders(req).exists()

    with at(start + timedelta(hours=24)):
        assert reminder_sweep_task() == 1
        assert reminder_sweep_task() == 0
    req.refresh_from_db()
    assert req.approval_reminders_sent == 1
    assert sorted(approval_reminders(req).values_list("to_email", flat=True)) == [
        cast.admin.email,
        cast.approver.email,
    ]
    history = req.history.first()
    assert history.history_user is None
    assert history.history_change_reason == (
        "approval reminder 1 sent to 2 approvers after 24 hours of waiting"
    )

    with at(start + timedelta(hours=47)):
        assert reminder_sweep_task() == 0
    with at(start + timedelta(hours=48, minutes=30)):
        assert reminder_sweep_task() == 1
    req.refresh_from_db()
    assert req.approval_reminders_sent == 2
    assert approval_reminders(req).count() == 4
    assert Notification.objects.filter(request=req).count() == queued_at_submit + 4
    assert req.status == Status.PENDING_APPROVAL


def test_the_initiator_is_never_reminded_to_approve_their_own_request(cast, start):
    req = waiting_for_approval(cast, start, actor=cast.admin)
    with at(start + timedelta(hours=25)):
        assert reminder_sweep_task() == 1
    assert list(approval_reminders(req).values_list("to_email", flat=True)) == [cast.approver.email]


def test_the_reseller_sets_how_long_approvers_may_wait(cast, start):
    cast.reseller.approval_reminder_hours = 2
    cast.reseller.save()
    req = waiting_for_approval(cast, start)
    with at(start + timedelta(hours=1)):
        assert link_request_ids_due_approver_reminder() == []
    with at(start + timedelta(hours=2)):
        assert link_request_ids_due_approver_reminder() == [req.pk]
        assert reminder_sweep_task() == 1
    with at(start + timedelta(hours=3)):
        assert reminder_sweep_task() == 0
    with at(start + timedelta(hours=4)):
        assert reminder_sweep_task() == 1


def test_no_approval_reminder_after_the_approval_deadline_or_the_decision(cast, start):
    overdue = waiting_for_approval(cast, start)
    decided = waiting_for_approval(cast, start, actor=cast.admin, customer=cast.customer2)
    with at(start + timedelta(hours=1)):
        services.link_request_reject(actor=cast.approver, request_id=decided.pk, reason="No")
    with at(start + timedelta(days=7, minutes=1)):
        assert link_request_ids_due_approver_reminder() == []
        assert services.link_request_remind_approvers(request_id=overdue.pk) is None
        assert services.link_request_remind_approvers(request_id=decided.pk) is None
        assert reminder_sweep_task() == 0
    assert not Notification.objects.filter(kind=Kind.APPROVAL_REMINDER).exists()


def test_a_reminder_never_approves_anything(cast, start):
    req = waiting_for_approval(cast, start)
    for hours in range(24, 24 * 8, 24):
        with at(start + timedelta(hours=hours)):
            reminder_sweep_task()
    req.refresh_from_db()
    assert req.status == Status.PENDING_APPROVAL
    assert req.approver is None
    with at(start + timedelta(days=7)):
        assert req.effective_status == Status.EXPIRED
    assert req.approval_reminders_sent == 6


def test_a_delivered_reminder_brings_a_new_link_and_the_old_one_dies(cast, start, mailoutbox):
    req = waiting_for_customer(cast, start)
    with at(start + timedelta(minutes=1)):
        old = consent_token_for(req)
    with at(start + timedelta(days=3, hours=13)):
        assert reminder_sweep_task() == 1
        [reminder] = reminders(req)
        assert notification_deliver(notification_id=reminder.pk) == "sent"
        body = mailoutbox[-1].body
        new = body[body.index("/consent/") + len("/consent/") :].split("/", 1)[0]
        assert mailoutbox[-1].to == [cast.customer.contact_email]
        assert consent_resolve(new).pk == req.pk
        with pytest.raises(PortalError) as info:
            consent_resolve(old)
        assert info.value.code == "LNK-C003"
