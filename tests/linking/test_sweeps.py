import math
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.db.models import AutoField
from django.utils import timezone

from linking import services, tasks
from linking.checks import ItemSpec
from linking.models import Link, LinkRequest, Notification, RequestItem
from linking.outbox import delivery
from linking.services.sweeps import link_request_expire_batch
from portal.bench.management.commands.bench_expiry_sweep import overdue_requests
from tests.conftest import cast_shared_by_the_module, make_draft, submit
from tests.factories import CustomerFactory

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

Status = LinkRequest.Status
BILLING = ItemSpec(link_type="billing")


@pytest.fixture
def three(cast, capture):
    """One request waiting for the customer, one for an approver (submitted three days later),
    one waiting for the customer that is still in time when the first two are overdue."""
    start = timezone.now()
    customer3 = CustomerFactory(enabled_regions=[cast.region_a, cast.region_b])
    with capture():
        with time_machine.travel(start, tick=False):
            consent = submit(cast, make_draft(cast))
            approval = submit(cast, make_draft(cast, customer=cast.customer2, specs=[BILLING]))
        with time_machine.travel(start + timedelta(days=6), tick=False):
            in_time = submit(cast, make_draft(cast, customer=customer3))
    assert (consent.status, approval.status) == (Status.PENDING_CONSENT, Status.PENDING_APPROVAL)
    late = max(consent.consent_deadline, approval.approval_deadline) + timedelta(seconds=1)
    assert in_time.consent_deadline > late
    return consent, approval, in_time, late


def expired_notices():
    return Notification.objects.filter(kind=Notification.Kind.REQUEST_EXPIRED)


def test_sweep_expires_overdue_requests_awaiting_consent_or_approval_only(three):
    consent, approval, in_time, late = three
    assert services.link_request_expire_overdue(now=late) == 2
    statuses = dict(LinkRequest.objects.values_list("pk", "status"))
    assert statuses == {
        consent.pk: Status.EXPIRED,
        approval.pk: Status.EXPIRED,
        in_time.pk: Status.PENDING_CONSENT,
    }
    consent.refresh_from_db()
    assert consent.status_changed_at == late
    assert consent.consent_token_hash == ""


def test_sweep_writes_one_history_row_per_request_with_reason_and_no_user(three):
    consent, approval, in_time, late = three
    before = {req.pk: req.history.count() for req in (consent, approval, in_time)}
    services.link_request_expire_overdue(now=late)
    for req, reason in (
        (consent, "expired: the consent deadline passed"),
        (approval, "expired: the approval deadline passed"),
    ):
        assert req.history.count() == before[req.pk] + 1
        row = req.history.first()
        assert (row.status, row.history_type, row.history_user, row.history_change_reason) == (
            Status.EXPIRED,
            "~",
            None,
            reason,
        )
        assert row.history_date == late
    assert in_time.history.count() == before[in_time.pk]


def test_sweep_closes_the_items_with_history_and_grants_nothing(three):
    consent, approval, in_time, late = three
    services.link_request_expire_overdue(now=late)
    for req in (consent, approval):
        item = req.items.get()
        assert not item.is_open
        assert item.decision == RequestItem.Decision.PENDING
        row = item.history.first()
        assert (row.is_open, row.history_user, row.history_change_reason) == (
            False,
            None,
            "expired",
        )
    assert in_time.items.get().is_open
    assert not Link.objects.exists()


def test_sweep_tells_each_initiator_exactly_once_through_the_outbox(cast, three):
    consent, approval, _in_time, late = three
    services.link_request_expire_overdue(now=late)
    services.link_request_expire_overdue(now=late + timedelta(minutes=5))
    notices = list(expired_notices().order_by("request_id"))
    assert [(n.request_id, n.to_email, n.status) for n in notices] == [
        (consent.pk, cast.initiator.email, Notification.Status.QUEUED),
        (approval.pk, cast.initiator.email, Notification.Status.QUEUED),
    ]
    assert [n.context for n in notices] == [{"stage": "consent"}, {"stage": "approval"}]
    for notice in notices:
        row = notice.history.get()
        assert (row.history_type, row.history_change_reason, row.history_user) == (
            "+",
            "queued",
            None,
        )
    # No task is published by the sweep: the outbox sweep picks the rows up a minute later.
    with time_machine.travel(late + timedelta(seconds=30), tick=False):
        assert not set(delivery.notification_ids_to_requeue()) & {n.pk for n in notices}
    with time_machine.travel(late + timedelta(minutes=2), tick=False):
        assert {n.pk for n in notices} <= set(delivery.notification_ids_to_requeue())


def test_sweep_publishes_nothing_itself(three, django_capture_on_commit_callbacks):
    *_, late = three
    with django_capture_on_commit_callbacks() as callbacks:
        services.link_request_expire_overdue(now=late)
    assert callbacks == []


def test_sweep_is_idempotent(three):
    *_, late = three
    assert services.link_request_expire_overdue(now=late) == 2
    history = LinkRequest.history.count()
    assert services.link_request_expire_overdue(now=late) == 0
    assert LinkRequest.history.count() == history
    assert expired_notices().count() == 2


def test_sweep_in_small_batches_expires_them_all(three):
    *_, late = three
    assert services.link_request_expire_overdue(now=late, batch_size=1) == 2
    assert expired_notices().count() == 2


def test_sweep_before_any_deadline_does_nothing(three):
    consent, *_ = three
    now = consent.consent_deadline - timedelta(minutes=1)
    assert services.link_request_expire_overdue(now=now) == 0
    assert not expired_notices().exists()


def test_sweep_task_expires_what_is_overdue_now(three):
    *_, late = three
    with time_machine.travel(late, tick=False):
        assert tasks.link_request_expire_sweep_task() == 2
        assert tasks.link_request_expire_sweep_task() == 0


def test_single_expire_tells_the_initiator_like_the_sweep(cast, three):
    consent, *_ = three
    with time_machine.travel(consent.consent_deadline + timedelta(seconds=1), tick=False):
        assert services.link_request_expire(request_id=consent.pk).status == Status.EXPIRED
    assert [(n.request_id, n.to_email) for n in expired_notices()] == [
        (consent.pk, cast.initiator.email)
    ]


def batch_queries(size: int) -> int:
    """Select the batch, update the requests, select and update the items, the savepoint around
    the batch (2), the resellers' webhook endpoints (one select for the batch), and the inserts:
    the history of requests and items, the notices and theirs.

    An insert is one query on PostgreSQL; SQLite allows 999 parameters per query, so Django
    splits the insert of wide rows (a request's history has over 30 columns) into more."""
    inserts = 0
    for model in (
        LinkRequest.history.model,
        RequestItem.history.model,
        Notification,
        Notification.history.model,
    ):
        fields = [f for f in model._meta.concrete_fields if not isinstance(f, AutoField)]
        inserts += math.ceil(size / connection.ops.bulk_batch_size(fields, range(size)))
    return 7 + inserts


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL inserts in one query")
def test_a_batch_is_eleven_queries_on_postgresql_whatever_its_size():
    assert batch_queries(5) == batch_queries(1000) == 11


@pytest.mark.parametrize("size", [5, 50])
def test_a_batch_costs_the_same_queries_whatever_its_size(db, size, django_assert_num_queries):
    now = timezone.now()
    data = overdue_requests(count=size, now=now)
    with django_assert_num_queries(batch_queries(size)):
        assert len(link_request_expire_batch(now=now, batch_size=size)) == size
    assert not LinkRequest.objects.filter(pk__in=data.request_ids).exclude(status=Status.EXPIRED)
    assert LinkRequest.history.filter(history_change_reason__startswith="expired").count() == size
    assert expired_notices().count() == size


@pytest.mark.parametrize("size", [5, 50])
def test_the_sweep_costs_the_queries_of_its_batches(db, size, django_assert_num_queries):
    now = timezone.now()
    overdue_requests(count=2 * size, now=now)
    # Two full batches, then one select (in its savepoint) that finds nothing left.
    with django_assert_num_queries(2 * batch_queries(size) + 3):
        assert services.link_request_expire_overdue(now=now, batch_size=size) == 2 * size


def test_each_initiator_receives_one_expiry_email_once_the_outbox_sweep_runs(
    cast, three, mailoutbox
):
    consent, approval, _in_time, late = three
    services.link_request_expire_overdue(now=late)
    with time_machine.travel(late + timedelta(minutes=2), tick=False):
        due = [
            pk
            for pk in delivery.notification_ids_to_requeue()
            if pk in set(expired_notices().values_list("pk", flat=True))
        ]
        for pk in due + due:  # published twice, as after a lost acknowledgement
            delivery.notification_deliver(notification_id=pk)
    assert len(due) == 2
    assert [m.to for m in mailoutbox] == [[cast.initiator.email]] * 2
    subjects = " | ".join(m.subject for m in mailoutbox)
    assert subjects.count(consent.reference) == subjects.count(approval.reference) == 1
    assert set(expired_notices().values_list("status", flat=True)) == {Notification.Status.SENT}
