"""The outbox page for staff: who may see it, what it lists, re-queue, and its query budget."""

import pytest
from django.urls import reverse

from linking.models import Notification
from tests.conftest import login, make_draft, submit
from tests.factories import CustomerFactory

Status = Notification.Status


def url(name="outbox"):
    return reverse(f"ops:{name}")


@pytest.fixture
def request_with_emails(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        return submit(cast, make_draft(cast))


def add_failed(req, n=1) -> list[Notification]:
    rows = []
    for _ in range(n):
        rows.append(
            Notification.objects.create(
                kind=Notification.Kind.CONSENT_REQUEST,
                to_email=req.consent_email,
                request=req,
                status=Status.FAILED,
                attempts=1,
                last_error="address refused: 550 no such user",
            )
        )
    return rows


def test_it_sends_anonymous_users_to_the_login_page(client, db):
    response = client.get(url())
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert client.post(url("outbox-requeue"), {"all": "failed"}).status_code == 302


@pytest.mark.parametrize("who", ["admin", "viewer", "no_member"])
def test_it_refuses_users_who_are_not_staff(client, cast, who):
    login(client, getattr(cast, who))
    assert client.get(url()).status_code == 403
    assert client.post(url("outbox-requeue"), {"all": "failed"}).status_code == 403


def test_it_lists_counts_and_undelivered_rows_for_staff(client, cast, request_with_emails):
    (failed,) = add_failed(request_with_emails)
    login(client, cast.staff)
    response = client.get(url())
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-status="failed">1<' in body
    assert 'data-status="queued">1<' in body
    assert f'data-id="{failed.pk}"' in body
    assert "The receiving mail server refused the address" in body
    assert request_with_emails.reference in body
    assert 'data-confirm="Re-queue all 1 failed' in body


def test_it_filters_by_status(client, cast, request_with_emails):
    (failed,) = add_failed(request_with_emails)
    login(client, cast.staff)
    body = client.get(url(), {"status": "queued"}).content.decode()
    assert f'data-id="{failed.pk}"' not in body
    body = client.get(url(), {"status": "bogus"}).content.decode()
    assert f'data-id="{failed.pk}"' in body


def test_requeue_one_row_puts_it_back_and_publishes_it(
    client, cast, request_with_emails, django_capture_on_commit_callbacks
):
    failed, other = add_failed(request_with_emails, 2)
    login(client, cast.staff)
    with django_capture_on_commit_callbacks(execute=False) as published:
        response = client.post(url("outbox-requeue"), {"id": str(failed.pk)})
    assert response.status_code == 302
    assert response.url == url()
    assert len(published) == 1
    failed.refresh_from_db()
    other.refresh_from_db()
    assert (failed.status, other.status) == (Status.QUEUED, Status.FAILED)
    assert failed.history.first().history_change_reason == f"requeued by {cast.staff.email}"
    assert failed.history.first().history_user == cast.staff


def test_requeue_all_failed(client, cast, request_with_emails, django_capture_on_commit_callbacks):
    rows = add_failed(request_with_emails, 3)
    login(client, cast.staff)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(url("outbox-requeue"), {"all": "failed"})
    assert {Notification.objects.get(pk=n.pk).status for n in rows} == {Status.QUEUED}
    response = client.post(url("outbox-requeue"), {"all": "failed"}, follow=True)
    assert "Nothing to re-queue" in response.content.decode()


def test_requeue_is_post_only(client, cast):
    login(client, cast.staff)
    assert client.get(url("outbox-requeue")).status_code == 405


def test_the_page_costs_the_same_queries_with_3_and_30_rows(
    client, cast, django_assert_num_queries, django_capture_on_commit_callbacks
):
    regions = [cast.region_a, cast.region_b]
    login(client, cast.staff)
    for rows in (3, 27):
        with django_capture_on_commit_callbacks(execute=False):
            for _ in range(rows):
                req = submit(
                    cast, make_draft(cast, customer=CustomerFactory(enabled_regions=regions))
                )
                add_failed(req)
        client.get(url())  # warm the caches
        # session, user, the navigation's memberships; the counts, the page's count and its
        # rows (with their request).
        with django_assert_num_queries(3 + 3):
            response = client.get(url())
        assert response.status_code == 200
