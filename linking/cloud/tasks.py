"""The cloud connection's task: thin, ids in, the service does the work."""

from __future__ import annotations

from celery import shared_task

from linking.cloud import services


# No retries: a person pressed the button and reads the first outcome; they press it again.
@shared_task
def cloud_connection_test_task(connection_id: int, revision: int) -> str:
    """Test one connection's keys and endpoints against the cloud and store the outcome."""
    return services.cloud_connection_test(connection_id=connection_id, revision=revision)
