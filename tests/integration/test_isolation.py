"""Parallel test processes (pytest-xdist) share the Redis of REDIS_URL: each one's Celery worker
keeps to keys and a queue of its own, so no process's tasks reach another's worker."""

from __future__ import annotations

import os

import pytest
import redis

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_worker_keeps_to_keys_of_this_test_process(celery_worker_redis):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    prefix = f"portal-test-{worker}:"
    queue = celery_worker_redis.queue
    assert queue.startswith(f"test-{worker}-")
    assert celery_worker_redis.app.conf.broker_transport_options["global_keyprefix"] == prefix
    with redis.Redis.from_url(os.environ["REDIS_URL"]) as client:
        keys = [key.decode() for key in client.scan_iter(match=f"*{queue}*")]
    # The worker declared its queue: its binding exists, and only under this process's prefix.
    assert keys
    assert all(key.startswith(prefix) for key in keys), keys
