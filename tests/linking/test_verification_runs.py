"""When verification runs: the setup check scheduled on activation, retries with backoff while
the cloud catches up, and the re-run page, which asks a worker and shows the evidence."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from linking import tasks
from linking.models import Link, Notification
from linking.outbox.delivery import notification_deliver
from linking.services.verification import verify_retry_delay
from portal.codes import CODES
from tests.conftest import login
from tests.journeys import active_link, awaiting_setup_link
from tests.linking.verification_helpers import REGION, change_cloud_side, delete_agency, verify

# Every test starts and ends without the cloud's keys of another test.
pytestmark = pytest.mark.usefixtures("fresh_credentials")


@pytest.fixture
def scheduled(monkeypatch):
    """The retries the task schedules, as (kwargs, countdown), instead of publishing them."""
    calls = []
    monkeypatch.setattr(
        tasks.link_verify_task,
        "apply_async",
        lambda kwargs, countdown: calls.append((kwargs, countdown)),
    )
    return calls


# --- propagation: retries with backoff ------------------------------------------------------------


def test_activation_schedules_the_first_setup_check_after_commit(cast, monkeypatch, capture):
    published = []
    monkeypatch.setattr(
        "linking.services.links._on_commit", lambda task, *args: published.append((task, args))
    )
    with capture():
        link = awaiting_setup_link(cast)
    assert (tasks.link_setup_check_task, (link.pk,)) in published


def test_backoff_doubles_from_30_seconds_up_to_10_minutes():
    assert [verify_retry_delay(n) for n in range(1, 7)] == [30, 60, 120, 240, 480, 600]


def test_an_agency_gone_and_back_is_retried_then_passes(cast, cloud, linked, scheduled):
    link = linked()
    delete_agency(cloud, link)

    assert tasks.link_verify_task(link.pk) == "failed"
    link.refresh_from_db()
    assert link.verification_status == "verifying"  # not failing: a retry follows
    assert scheduled == [({"link_id": link.pk, "trigger": "retry", "attempt": 2}, 30)]

    change_cloud_side(cast, cloud, link)  # the customer's agency takes effect meanwhile
    assert tasks.link_verify_task(link.pk, "retry", 2) == "passed"
    link.refresh_from_db()
    assert link.verification_status == "passing"
    assert len(scheduled) == 1
    assert not Notification.objects.filter(kind=Notification.Kind.VERIFICATION_FAILED).exists()


def test_retries_give_up_after_the_last_attempt_and_tell_the_initiator_once(
    cast, cloud, linked, scheduled, settings
):
    settings.PORTAL_VERIFY_ATTEMPTS = 2
    link = linked()
    delete_agency(cloud, link)

    tasks.link_verify_task(link.pk)
    tasks.link_verify_task(link.pk, "retry", 2)

    link.refresh_from_db()
    assert link.verification_status == "failing"
    assert len(scheduled) == 1
    notice = Notification.objects.get(kind=Notification.Kind.VERIFICATION_FAILED)
    assert notice.to_email == cast.initiator.email
    assert [f["code"] for f in notice.context["failures"]] == ["LNK-G002"]
    notification_deliver(notification_id=notice.pk)
    assert "LNK-G002" in mail.outbox[-1].body
    tasks.link_verify_task(link.pk, "manual")
    assert Notification.objects.filter(kind=Notification.Kind.VERIFICATION_FAILED).count() == 1


def test_a_retry_after_a_passing_manual_run_is_skipped(cast, cloud, linked, scheduled):
    link = linked()
    delete_agency(cloud, link)
    tasks.link_verify_task(link.pk)
    change_cloud_side(cast, cloud, link)
    verify(link, actor=cast.viewer)
    assert tasks.link_verify_task(link.pk, "retry", 2) == "skipped"


# --- the re-run page ------------------------------------------------------------------------------


def url(link):
    return reverse("linking:link-verify", args=[link.pk])


def test_it_sends_anonymous_to_login(client, cast, capture):
    with capture():
        link = active_link(cast)
    response = client.post(url(link))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_it_hides_the_link_from_another_reseller(client, cast, capture):
    with capture():
        link = active_link(cast)
    login(client, cast.outsider)
    assert client.post(url(link)).status_code == 404


def test_it_accepts_only_post(client, cast, capture):
    with capture():
        link = active_link(cast)
    login(client, cast.viewer)
    assert client.get(url(link)).status_code == 405


def test_it_asks_a_worker_and_never_calls_the_cloud_itself(client, cast, capture):
    with capture():
        link = active_link(cast)
    login(client, cast.viewer)
    runs = link.verification_runs.count()
    with capture() as callbacks:
        response = client.post(url(link), follow=True)
    assert response.redirect_chain == [(reverse("linking:link-detail", args=[link.pk]), 302)]
    assert len(callbacks) == 1  # the task's publish, after the commit
    assert f"Verification of {link.reference} asked for" in response.content.decode()
    assert link.verification_runs.count() == runs


def test_the_page_shows_what_failed_what_to_do_and_the_evidence(client, cast, cloud, linked):
    link = linked()
    change_cloud_side(cast, cloud, link, roles={REGION: ["ECS FullAccess"]})
    verify(link, actor=cast.admin)
    login(client, cast.admin)

    body = client.get(reverse("linking:link-detail", args=[link.pk])).content.decode()

    assert 'data-check="write" data-passed="no"' in body
    assert "LNK-Y009" in body and escape(str(CODES["LNK-Y009"].hint)) in body
    assert "<code>CreateServers (dry run)</code>" in body
    assert "calls to the cloud as partner account" in body


def test_link_page_costs_the_same_with_1_and_10_runs(client, cast, cloud, linked):
    link = linked()
    login(client, cast.viewer)
    target = reverse("linking:link-detail", args=[link.pk])

    def queries() -> int:
        client.get(target)  # warm the caches (content types, sessions)
        with CaptureQueriesContext(connection) as context:
            response = client.get(target)
        assert response.status_code == 200
        return len(context.captured_queries)

    verify(link, actor=cast.viewer)
    one = queries()
    for _ in range(9):
        verify(link, actor=cast.admin)
    assert queries() == one
    body = client.get(target).content.decode()
    assert body.count("Re-run on demand") == 10
    assert escape("Waiting for the customer's setup") in body  # the run that proved it
    assert Link.objects.get(pk=link.pk).verification_status == "passing"
