"""The portal's Celery application: settings come from Django's, under the CELERY_ prefix."""

import logging
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def warm_broker(celery_app: Celery = app) -> bool:
    """Open the publishing connection to the broker now, not in the first request that
    publishes a task: connecting (and loading the transport) costs a web process 50 to 100 ms
    once. gunicorn calls it as each worker starts (`portal/gunicorn_conf.py`). A broker that cannot
    be reached is logged and left to the first publish, whose retries the settings bound."""
    try:
        with celery_app.pool.acquire(block=True) as connection:
            connection.ensure_connection(max_retries=1)
            connection.default_channel  # noqa: B018 (opening the channel is the point)
    except Exception as error:  # robust: a worker must start even with the broker down
        logging.getLogger(__name__).warning("broker not reachable at start: %s", error)
        return False
    return True
