"""Drift as the beat runs it, with a real Celery worker on Redis and the sandbox cloud over
HTTP: an active delegation whose agency the customer deleted becomes broken once the scheduled
re-verifications confirm it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from linking import tasks
from linking.checks import ItemSpec
from linking.cloud.huawei import forget_cached_credentials
from linking.cloud.names import agency_name_for, customer_domain_id
from linking.models import Link
from tests.integration.servers import wait_for
from tests.journeys import active_link, connect_reseller

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

READ_ONLY = ItemSpec(
    link_type="delegation",
    services=["ECS"],
    regions=["ap-southeast-1"],
    access_level="read_only",
    duration_days=30,
)


def make_due(link: Link) -> None:
    # The next run is hours away on the link's slot (or 30 s after a failure): not waited for.
    Link.objects.filter(pk=link.pk).update(next_verification_at=timezone.now())


def test_the_beat_sweep_has_a_worker_break_a_link_whose_agency_was_deleted(
    cast, cloud, settings, request
):
    settings.PORTAL_VERIFY_ATTEMPTS = 2  # two runs in a row confirm it (five in production)
    forget_cached_credentials()
    connect_reseller(cast, cloud)
    link = active_link(cast, [READ_ONLY], cloud=cloud)
    assert link.status == Link.Status.ACTIVE
    # The worker starts once the link is proven, so it cannot race the journey's own steps.
    request.getfixturevalue("celery_worker_redis")
    cloud.control.delete_agency(customer_domain_id(link.customer), agency_name_for(link))
    forget_cached_credentials()  # keys of the proof must not stand in for the agency

    make_due(link)
    assert tasks.link_reverify_sweep_task() == 1  # what the beat runs every two minutes

    def failed_once():
        link.refresh_from_db()
        return link.drift_failures == 1

    wait_for(failed_once, timeout=60, what="the worker's first re-verification")
    # One refusal may be the cloud's moment: still active, asked again soon.
    assert link.status == Link.Status.ACTIVE
    assert link.next_verification_at <= timezone.now() + timedelta(seconds=60)
    assert tasks.link_reverify_sweep_task() == 0  # not due yet

    make_due(link)
    assert tasks.link_reverify_sweep_task() == 1

    def broken():
        link.refresh_from_db()
        return link.status == Link.Status.BROKEN

    wait_for(broken, timeout=60, what="the worker's second re-verification")
    assert link.verification_status == "failing"
    assert link.status_reason.startswith("LNK-Y011") and "LNK-G002" in link.status_reason
    runs = list(link.verification_runs.filter(trigger="schedule"))
    assert len(runs) == 2 and all(run.outcome == "failed" for run in runs)
    assert all(run.cloud_calls >= 1 for run in runs)
    # A broken link keeps its slot: the next run is on its schedule, not at once.
    assert link.next_verification_at > timezone.now()
    assert tasks.link_reverify_sweep_task() == 0
