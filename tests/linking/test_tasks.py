import threading
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from linking import tasks
from linking.checks import ItemSpec
from linking.models import Link, LinkRequest, Notification
from tests.conftest import make_draft, submit
from tests.journeys import accepted

Status = LinkRequest.Status


def test_expire_sweep_expires_overdue_requests_only(cast, capture):
    start = timezone.now()
    with capture():
        with time_machine.travel(start, tick=False):
            overdue = submit(cast, make_draft(cast))
        with time_machine.travel(start + timedelta(days=3), tick=False):
            in_time = submit(cast, make_draft(cast, customer=cast.customer2))
            waiting = submit(cast, make_draft(cast, specs=[ItemSpec(link_type="billing")]))
    with time_machine.travel(start + timedelta(days=7, seconds=1), tick=False):
        assert tasks.link_request_expire_sweep_task() == 1
        assert tasks.link_request_expire_sweep_task() == 0
    statuses = dict(LinkRequest.objects.values_list("pk", "status"))
    assert statuses == {
        overdue.pk: Status.EXPIRED,
        in_time.pk: Status.PENDING_CONSENT,
        waiting.pk: Status.PENDING_APPROVAL,
    }
    history = overdue.history.first()
    assert (history.history_user, history.history_change_reason) == (
        None,
        "expired: the consent deadline passed",
    )


def test_expire_sweep_with_nothing_overdue_does_nothing(cast, capture):
    with capture():
        req = submit(cast, make_draft(cast))
    assert tasks.link_request_expire_sweep_task() == 0
    req.refresh_from_db()
    assert req.status == Status.PENDING_CONSENT


def test_activate_sweep_activates_links_still_waiting(cast, capture):
    with capture():
        accepted(cast)
    link = Link.objects.get()
    assert link.status == Link.Status.ACTIVATING
    with capture():
        assert tasks.link_activate_sweep_task() == 1
    link.refresh_from_db()
    # Activation grants nothing: the link waits for the customer's setup in the cloud.
    assert link.status == Link.Status.AWAITING_SETUP
    assert tasks.link_activate_sweep_task() == 0
    assert not Notification.objects.filter(kind=Notification.Kind.LINK_ACTIVE).exists()


def test_activate_task_activates_its_link(cast, capture):
    with capture():
        accepted(cast)
    link = Link.objects.get()
    with capture():
        tasks.link_activate_task(link.pk)
        tasks.link_activate_task(link.pk)
    link.refresh_from_db()
    assert link.status == Link.Status.AWAITING_SETUP
    assert link.history.filter(status=Link.Status.AWAITING_SETUP).count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a lock wait cut short needs PostgreSQL's row locks; SQLite locks the whole file",
)
@pytest.mark.django_db(transaction=True)
def test_activate_task_retries_when_the_link_stays_locked_for_a_moment(cast):
    accepted(cast)
    link = Link.objects.get()
    holding, release = threading.Event(), threading.Event()

    def hold_the_link():
        # Another worker (a revocation, say) holds the link's row lock.
        try:
            with transaction.atomic():
                Link.objects.select_for_update().get(pk=link.pk)
                holding.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_link)
    holder.start()
    assert holding.wait(timeout=10)
    failures = []

    def let_go_after_the_first_failure(execute, sql, params, many, context):
        try:
            return execute(sql, params, many, context)
        except OperationalError as error:
            failures.append(error)
            release.set()
            holder.join(timeout=10)
            raise

    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '200ms'")
    try:
        with connection.execute_wrapper(let_go_after_the_first_failure):
            result = tasks.link_activate_task.apply(args=[link.pk])
    finally:
        release.set()
        holder.join(timeout=10)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert len(failures) == 1 and "lock timeout" in str(failures[0])
    assert result.successful(), result.traceback
    link.refresh_from_db()
    assert link.status == Link.Status.AWAITING_SETUP


def test_deliver_task_sends_a_notification_once(cast, capture):
    with capture():
        req = submit(cast, make_draft(cast))
    notification = Notification.objects.get(request=req)
    assert tasks.notification_deliver_task(notification.pk) == "sent"
    assert tasks.notification_deliver_task.apply(args=[notification.pk]).get() == "skipped"
    assert [m.to for m in mail.outbox] == [[cast.customer.contact_email]]


def test_notification_sweep_republishes_rows_left_behind(cast, capture):
    with capture():
        req = submit(cast, make_draft(cast))
        submit(cast, make_draft(cast, specs=[ItemSpec(link_type="billing")]))
    sent = Notification.objects.get(request=req)
    tasks.notification_deliver_task(sent.pk)
    left_behind = Notification.objects.exclude(pk=sent.pk)
    assert left_behind.count() == 2  # approval needed, to the admin and to the approver
    assert tasks.notification_sweep_task() == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        assert tasks.notification_sweep_task() == 2
    assert len(mail.outbox) == 1
