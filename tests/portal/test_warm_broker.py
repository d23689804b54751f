"""Web processes connect to the broker as they start, and start even when it is down."""

from __future__ import annotations

import time

from celery import Celery

from portal.celery import app, warm_broker


def test_warm_broker_opens_the_publishing_connection():
    assert warm_broker(app) is True


def test_warm_broker_with_the_broker_down_only_logs(caplog):
    down = Celery("down", broker="redis://127.0.0.1:9/0")
    down.conf.broker_connection_timeout = 1
    started = time.monotonic()
    assert warm_broker(down) is False
    assert time.monotonic() - started < 10
    assert "broker not reachable" in caplog.text


def test_beat_asks_for_a_cloud_sync_as_it_starts_a_little_later():
    from types import SimpleNamespace

    from portal.celery import FIRST_CLOUD_SYNC_DELAY_SECONDS, first_cloud_sync

    memory = Celery("beat-start", broker="memory://")
    first_cloud_sync(sender=SimpleNamespace(app=memory))
    with memory.connection_for_read() as connection:
        message = connection.SimpleQueue("celery").get(timeout=5)
    assert message.headers["task"] == "linking.cloud.tasks.cloud_sync_sweep_task"
    assert message.headers["eta"] is not None
    message.ack()
    assert FIRST_CLOUD_SYNC_DELAY_SECONDS <= 60


def test_beat_starts_even_when_the_first_sync_cannot_be_sent(caplog):
    from types import SimpleNamespace

    from portal.celery import first_cloud_sync

    down = Celery("down", broker="redis://127.0.0.1:9/0")
    down.conf.broker_connection_timeout = 1
    down.conf.broker_connection_max_retries = 1
    down.conf.broker_transport_options = {"max_retries": 1}
    first_cloud_sync(sender=SimpleNamespace(app=down))
    assert "first cloud sync not sent" in caplog.text
