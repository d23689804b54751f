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
