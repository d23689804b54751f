"""Faults around the outbox, each with a real Celery worker, a Redis of the test's own and a
real SMTP server on loopback: the broker down or hung while requests are submitted, the mail
server down, a worker killed in the middle of a delivery, two workers racing for one
notification. Every e-mail the portal owes arrives, and pages never wait long on the broker."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from linking.models import LinkRequest, Notification
from linking.tasks import notification_deliver_task, notification_sweep_task
from tests.conftest import make_draft, read_only_delegation, submit
from tests.factories import CustomerFactory
from tests.fresh_settings import fresh_settings
from tests.integration.servers import broker_idle, celery_app_on, thread_worker, wait_for
from tests.journeys import pending_consent_with_token
from tests.linking.test_consent_views import BILLING, PROVISIONING, _answers

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

Status = Notification.Status
CLAIM_SECONDS = 2
VISIBILITY_SECONDS = 3
# The most a page may wait on a broker that never answers, all of its publishes together.
BROKER_WAIT_SECONDS = 1.5
# A worker process's first task imports the whole portal: on a loaded machine that takes a while.
WORKER_WAIT_SECONDS = 60


def production_transport_options(**overrides) -> dict:
    """The broker options portal/settings/ gives a Redis broker (the test settings drop
    them), so that publishing is bounded exactly as in production."""
    values = fresh_settings(REDIS_URL="redis://127.0.0.1:1/0")
    options = dict(values["CELERY_BROKER_TRANSPORT_OPTIONS"])
    options.update(overrides)
    return options


def unique_queue() -> str:
    return f"faults-{uuid.uuid4().hex[:12]}"


def make_due(notifications) -> None:
    """Move the notifications' clocks an hour back, so the outbox sweep finds them due
    (queued long enough ago, retry time passed) without the test waiting for it."""
    past = timezone.now() - timedelta(hours=1)
    notifications.update(created_at=past)
    notifications.filter(next_attempt_at__isnull=False).update(next_attempt_at=past)


def settle(redis, queue: str, smtp, *, timeout: float = 20.0) -> None:
    """Wait until no message waits in the queue or is held by a worker (retries with a
    countdown included), and the SMTP server has stopped receiving, for a few polls in a row."""
    state = {"quiet": 0, "seen": -1}

    def quiet():
        seen = smtp.data_seen
        if broker_idle(redis, queue) and seen == state["seen"]:
            state["quiet"] += 1
        else:
            state["quiet"] = 0
        state["seen"] = seen
        return state["quiet"] >= 4

    def state_of_redis() -> str:
        with redis.client() as client:
            return f"{client.llen(queue)} waiting, {client.hlen('unacked')} unacknowledged"

    deadline = time.monotonic() + timeout
    while not quiet():
        if time.monotonic() > deadline:
            pytest.fail(f"the queue did not drain in {timeout:.0f} s: {state_of_redis()}")
        time.sleep(0.2)


def consent_notification(req) -> Notification:
    return Notification.objects.get(request=req, kind=Notification.Kind.CONSENT_REQUEST)


def test_requests_submitted_while_redis_is_down_are_saved_and_mailed_once_it_is_back(
    cast, own_redis, smtp_server, client, caplog
):
    queue = unique_queue()
    options = production_transport_options()
    customers = [
        cast.customer,
        cast.customer2,
        CustomerFactory(enabled_regions=[cast.region_a, cast.region_b]),
    ]
    with celery_app_on(own_redis.url, queue=queue, transport_options=options) as app:
        own_redis.stop()

        requests = []
        with caplog.at_level(logging.WARNING, logger="portal.publish"):
            for number, customer in enumerate(customers):
                draft = make_draft(cast, customer=customer, ticket=f"INC-{2000 + number}")
                started = time.monotonic()
                req = submit(cast, draft)
                took = time.monotonic() - started
                # The broker settings bound the publish; a hanging publish would hang the page.
                assert took < 10, f"submitting took {took:.1f} s with the broker down"
                requests.append(req)
        for req in requests:
            req.refresh_from_db()
            assert req.status == LinkRequest.Status.PENDING_CONSENT
            assert consent_notification(req).status == Status.QUEUED
        failed_publishes = [r for r in caplog.records if r.name == "portal.publish"]
        assert len(failed_publishes) >= len(requests), "each lost publish is logged"

        client.force_login(cast.initiator)
        page = client.get(reverse("linking:request-list"))
        assert page.status_code == 200
        for req in requests:
            assert req.reference in page.text
        detail = client.get(reverse("linking:request-detail", args=[requests[0].pk]))
        assert detail.status_code == 200

        # Redis comes back (empty: it kept nothing), a worker starts, the outbox sweep runs.
        own_redis.start()
        owed = Notification.objects.filter(request__in=requests)
        assert owed.count() >= len(requests)
        with thread_worker(app, queue):
            make_due(owed)
            assert notification_sweep_task() >= owed.count()
            wait_for(
                lambda: not owed.exclude(status=Status.SENT).exists(),
                what="every notification sent",
            )
            settle(own_redis, queue, smtp_server)

    expected = Counter(owed.values_list("to_email", flat=True))
    received = Counter(to for m in smtp_server.messages for to in m.envelope_to)
    assert received == expected
    for customer in customers:
        assert received[customer.contact_email] == 1


def test_a_request_submitted_while_redis_hangs_is_saved_without_hanging(cast, own_redis):
    queue = unique_queue()
    options = production_transport_options()
    draft = make_draft(cast)
    outcome = {}

    def submit_in_a_thread():
        from django.db import connection

        try:
            outcome["request"] = submit(cast, draft)
        finally:
            connection.close()

    with celery_app_on(own_redis.url, queue=queue, transport_options=options) as app:
        # A running web process holds a broker connection already.
        app.send_task("linking.tasks.notification_sweep_task")
        # Redis hangs: the TCP connection stays open, nothing answers (a paused or wedged
        # server, a failover in progress).
        os.kill(own_redis.process.pid, signal.SIGSTOP)
        thread = threading.Thread(target=submit_in_a_thread, daemon=True)
        try:
            thread.start()
            thread.join(timeout=15)
            hung = thread.is_alive()
        finally:
            # Stopping Redis breaks the connection and lets a hung publish fail.
            os.kill(own_redis.process.pid, signal.SIGCONT)
            own_redis.stop()
            thread.join(timeout=30)
        assert not hung, "submitting hung for 15 s with Redis not answering"
    draft.refresh_from_db()
    assert draft.status == LinkRequest.Status.PENDING_CONSENT
    assert consent_notification(draft).status == Status.QUEUED


@pytest.fixture
def hung_broker():
    """A TCP server on loopback that accepts connections and never answers: a paused, wedged or
    failing-over Redis as its clients see it (the shared Redis is never touched)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept_and_say_nothing():
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(connection)

    thread = threading.Thread(target=accept_and_say_nothing, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in held:
            connection.close()
        server.close()


def timed(action):
    started = time.monotonic()
    result = action()
    return result, time.monotonic() - started


def test_pages_wait_at_most_a_moment_on_a_hung_broker(cast, hung_broker, client, caplog):
    req, token = pending_consent_with_token(
        cast, specs=[read_only_delegation(cast), BILLING, PROVISIONING]
    )
    failed = [
        Notification.objects.create(
            kind=Notification.Kind.REQUEST_EXPIRED,
            to_email=f"initiator-{n}@northwind.example",
            request=req,
            status=Status.FAILED,
            attempts=1,
            last_error="temporary: SMTPServerDisconnected",
        )
        for n in range(10)
    ]
    draft = make_draft(cast, customer=cast.customer2, ticket="INC-3001")
    options = production_transport_options()
    with (
        celery_app_on(hung_broker, queue=unique_queue(), transport_options=options),
        caplog.at_level(logging.WARNING, logger="portal.publish"),
    ):
        # The process's first publish to this broker: connecting included.
        submitted, took = timed(lambda: submit(cast, draft))
        assert took < BROKER_WAIT_SECONDS, f"submitting took {took:.1f} s"
        assert submitted.status == LinkRequest.Status.PENDING_CONSENT

        # A customer accepts three items: activations and e-mails, all published after commit.
        url = reverse("consent:page", args=[token])
        answer = _answers(req, "accept", "accept", "accept")
        response, took = timed(lambda: client.post(url, answer))
        assert response.status_code in {200, 302}
        assert took < BROKER_WAIT_SECONDS, f"accepting three items took {took:.1f} s"
        req.refresh_from_db()
        assert req.status != LinkRequest.Status.PENDING_CONSENT

        # Staff re-queue every failed e-mail: ten publishes after one commit.
        client.force_login(cast.staff)
        requeue = reverse("ops:outbox-requeue")
        response, took = timed(lambda: client.post(requeue, {"all": "failed"}))
        assert response.status_code == 302
        assert took < BROKER_WAIT_SECONDS, f"re-queuing took {took:.1f} s"
        assert {n.status for n in Notification.objects.filter(pk__in=[f.pk for f in failed])} == {
            Status.QUEUED
        }

    # One failed publish per commit is logged as an error, the ones it skipped as warnings.
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    skipped = [r for r in caplog.records if "skipped" in r.getMessage()]
    assert len(errors) == 3
    assert len(skipped) >= 10


def test_mail_queued_while_smtp_is_down_is_delivered_once_after_it_is_back(
    cast, own_redis, smtp_switch, settings
):
    # The first retry comes after PORTAL_OUTBOX_RETRY_SECONDS (30 s in production).
    settings.PORTAL_OUTBOX_RETRY_SECONDS = 1
    queue = unique_queue()
    options = production_transport_options()
    with (
        celery_app_on(own_redis.url, queue=queue, transport_options=options) as app,
        thread_worker(app, queue),
    ):
        req = submit(cast, make_draft(cast))
        notification = consent_notification(req)

        def failed_for_now():
            notification.refresh_from_db()
            return notification.attempts >= 1 and notification.status != Status.SENDING

        wait_for(failed_for_now, what="the first delivery attempt to fail")
        # Connection refused is temporary: the row waits for its retry, with the reason.
        assert notification.status == Status.RETRYING
        assert notification.next_attempt_at is not None
        assert notification.last_error.startswith("temporary:")
        assert notification.sent_at is None

        smtp_switch.start()

        def sent():
            notification.refresh_from_db()
            return notification.status == Status.SENT

        wait_for(sent, what="the retry to deliver the notification")
        settle(own_redis, queue, smtp_switch.server)

    assert notification.attempts >= 2
    assert notification.last_error == ""
    assert len(smtp_switch.server.to(cast.customer.contact_email)) == 1
    assert len(smtp_switch.server.messages) == 1


def test_worker_killed_mid_delivery_the_mail_is_delivered_once_by_another(
    cast, own_redis, smtp_switch, worker_processes, settings
):
    queue = unique_queue()
    smtp = smtp_switch.server
    stuck, release = threading.Event(), threading.Event()
    first = [True]

    async def hold_the_first(envelope):
        # The first delivery hangs in DATA until the test has killed its worker, then is
        # refused: nothing of it counts as delivered.
        if not first[0]:
            return None
        first[0] = False
        stuck.set()
        while not release.is_set():
            await asyncio.sleep(0.05)
        return "451 4.3.0 Try again later"

    smtp.before_accept = hold_the_first
    smtp_switch.start()
    settings.PORTAL_OUTBOX_CLAIM_SECONDS = CLAIM_SECONDS
    worker_env = {
        "PORTAL_OUTBOX_CLAIM_SECONDS": str(CLAIM_SECONDS),
        "PORTAL_BROKER_VISIBILITY_TIMEOUT": str(VISIBILITY_SECONDS),
    }
    options = production_transport_options(visibility_timeout=VISIBILITY_SECONDS)
    with celery_app_on(own_redis.url, queue=queue, transport_options=options):
        doomed = worker_processes(
            redis_url=own_redis.url, queue=queue, smtp_port=smtp.port, **worker_env
        )
        req = submit(cast, make_draft(cast))
        notification = consent_notification(req)
        wait_for(
            stuck.is_set,
            timeout=WORKER_WAIT_SECONDS,
            what="the worker to be in the middle of the delivery",
            detail=doomed.tail,
        )
        notification.refresh_from_db()
        assert notification.status == Status.SENDING

        os.kill(doomed.process.pid, signal.SIGKILL)
        doomed.kill()
        release.set()
        with own_redis.client() as redis:
            assert redis.hlen("unacked") == 1, "the killed worker's message is still owed"

        # Once the dead worker's claim and the message's visibility have run out, another
        # worker gets the message again and delivers it.
        time.sleep(max(CLAIM_SECONDS, VISIBILITY_SECONDS) + 0.5)
        rescuer = worker_processes(
            redis_url=own_redis.url, queue=queue, smtp_port=smtp.port, **worker_env
        )

        def sent():
            notification.refresh_from_db()
            return notification.status == Status.SENT

        wait_for(
            sent,
            timeout=WORKER_WAIT_SECONDS,
            what="the notification delivered by the second worker",
            detail=lambda: f"{doomed.tail()}\n{rescuer.tail()}",
        )
        settle(own_redis, queue, smtp)

    assert len(smtp.to(cast.customer.contact_email)) == 1
    assert len(smtp.messages) == 1
    assert notification.attempts == 2
    assert rescuer.results() == ["sent"]


def test_two_workers_racing_for_one_notification_send_one_mail(
    cast, own_redis, smtp_switch, worker_processes
):
    queue = unique_queue()
    smtp = smtp_switch.server
    workers = []
    in_data = threading.Event()

    async def hold_until_both_have_it(envelope):
        # Keep the first delivery open until the other worker has received its copy of the
        # task, so that the two runs overlap.
        in_data.set()
        # (Well within the workers' EMAIL_TIMEOUT of 5 s.)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            if all("notification_deliver_task" in w.log() for w in workers):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        return None

    smtp.before_accept = hold_until_both_have_it
    smtp_switch.start()
    options = production_transport_options()
    with celery_app_on(own_redis.url, queue=queue, transport_options=options):
        for _ in range(2):
            workers.append(
                worker_processes(
                    redis_url=own_redis.url, queue=queue, smtp_port=smtp.port, wait=False
                )
            )
        for worker in workers:
            worker.wait_ready()
        req = submit(cast, make_draft(cast))  # publishes the delivery once
        notification = consent_notification(req)
        wait_for(
            in_data.is_set,
            timeout=WORKER_WAIT_SECONDS,
            what="the first delivery to reach DATA",
            detail=lambda: "\n".join(w.tail() for w in workers),
        )
        notification_deliver_task.delay(notification.pk)  # and the same delivery again

        wait_for(
            lambda: sum(len(w.results()) for w in workers) == 2,
            timeout=WORKER_WAIT_SECONDS,
            what="both workers to finish their run",
            detail=lambda: "\n".join(w.tail() for w in workers),
        )
        settle(own_redis, queue, smtp)

    results = sorted(r for w in workers for r in w.results())
    assert results == ["sent", "skipped"]
    assert all(len(w.results()) == 1 for w in workers), "each worker ran one of the two"
    assert len(smtp.to(cast.customer.contact_email)) == 1
    assert len(smtp.messages) == 1
    notification.refresh_from_db()
    assert notification.status == Status.SENT
    assert notification.attempts == 1
