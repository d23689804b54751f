"""A real Celery worker on Redis runs a confirmed batch; the page's progress fragment follows it
to the end, and the consent e-mails of the created requests go through the outbox."""

from __future__ import annotations

import pytest
from django.urls import reverse

from linking import services
from linking.models import Batch, BatchRow, LinkRequest, Notification
from tests.conftest import login
from tests.integration.servers import wait_for
from tests.linking.batch_helpers import csv_bytes, delegation, line, upload

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_worker_runs_the_confirmed_batch_and_the_progress_reaches_done(
    cast, smtp_server, celery_worker_redis, client
):
    batch = upload(
        cast,
        csv_bytes(
            delegation("w1", cast.customer.account_id),
            line("w2", cast.customer2.account_id),
            line("w3", cast.frozen.account_id),
        ),
    )
    login(client, cast.initiator)
    # The view confirms; the commit publishes the run task to the worker's queue on Redis.
    response = client.post(reverse("linking:batch-confirm", args=[batch.pk]))
    assert response.status_code == 302
    progress = reverse("linking:batch-progress", args=[batch.pk])

    def done():
        fragment = client.get(progress).text
        return 'data-status="done"' in fragment and fragment

    fragment = wait_for(done, timeout=60, what="the batch to finish")
    assert "hx-trigger" not in fragment and "2 created" in fragment
    batch.refresh_from_db()
    assert (batch.status, batch.created_count, batch.failed_count) == (Batch.Status.DONE, 2, 0)
    assert batch.rows.filter(outcome=BatchRow.Outcome.INVALID).count() == 1
    assert LinkRequest.objects.filter(batch_key__in=["w1", "w2"]).count() == 2
    first = LinkRequest.objects.get(batch_key="w1")
    smtp_server.wait_for_notification(kind=Notification.Kind.CONSENT_REQUEST, request=first)
    # A second run of the same batch (a task delivered twice) creates nothing more.
    assert services.batch_run(batch_id=batch.pk) is None
    assert LinkRequest.objects.count() == 2
