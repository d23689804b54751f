"""The cloud's tasks: thin, ids in, the services do the work."""

from __future__ import annotations

from celery import shared_task

from accounts.models import Reseller
from linking.cloud import services, sync
from portal.publish import publish_many_now


# No retries: a person pressed the button and reads the first outcome; they press it again.
@shared_task
def cloud_connection_test_task(connection_id: int, revision: int) -> str:
    """Test one connection's keys and endpoints against the cloud and store the outcome."""
    return services.cloud_connection_test(connection_id=connection_id, revision=revision)


# A large partner's customers take a while to read (about 100 rows a call): longer limits than
# the portal's default, still below the broker's visibility timeout. No retries of its own: a
# failure is recorded on the connection and the next beat run syncs again.
@shared_task(soft_time_limit=1500, time_limit=1560)
def cloud_sync_task(reseller_id: int) -> str:
    """Sync one reseller's associated customers from the cloud into the directory."""
    reseller = Reseller.objects.filter(pk=reseller_id).first()
    if reseller is None:
        return "gone"
    return sync.cloud_sync(reseller=reseller).outcome


@shared_task
def cloud_sync_sweep_task() -> int:
    """Ask for a sync of every connected live reseller (beat, every PORTAL_CLOUD_SYNC_MINUTES)."""
    ids = sync.reseller_ids_to_sync()
    return publish_many_now(cloud_sync_task, [(pk,) for pk in ids])
