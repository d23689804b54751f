"""The clean-up sweep as the beat runs it, with a real Celery worker on Redis and the sandbox
cloud over HTTP: a revoked delegation whose agency the customer deleted becomes cleaned up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from linking import services, tasks
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


def test_the_beat_sweep_has_a_worker_prove_the_cleanup(cast, cloud, request):
    forget_cached_credentials()
    connect_reseller(cast, cloud)
    link = active_link(cast, [READ_ONLY], cloud=cloud)
    assert link.status == Link.Status.ACTIVE
    # The worker starts once the link is proven, so it cannot race the journey's own steps
    # (the activation the journey runs itself would otherwise find the worker's done).
    request.getfixturevalue("celery_worker_redis")
    services.link_revoke(
        actor=cast.approver, link_id=link.pk, reason="ended", confirm_reference=link.reference
    )
    cloud.control.delete_agency(customer_domain_id(link.customer), agency_name_for(link))
    # The first check is a minute after the revocation: the test does not wait for it.
    Link.objects.filter(pk=link.pk).update(next_cleanup_check_at=timezone.now())

    assert tasks.link_cleanup_sweep_task() == 1  # what the beat runs every minute

    def cleaned_up():
        link.refresh_from_db()
        return link.cleanup_status == "cleaned_up"

    wait_for(cleaned_up, timeout=60, what="the worker's clean-up check")
    run = link.verification_runs.get(trigger="cleanup")
    assert run.outcome == "passed" and run.cloud_calls == 1
    assert link.next_cleanup_check_at is None
    assert tasks.link_cleanup_sweep_task() == 0
    assert link.cleanup_checked_at <= timezone.now() + timedelta(seconds=1)
