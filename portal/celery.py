"""The portal's Celery application: settings come from Django's, under the CELERY_ prefix."""

import logging
import os
import time

from celery import Celery
from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    beat_init,
    task_postrun,
    task_prerun,
    worker_process_shutdown,
)

from portal.logconfig import (
    ContextFilter,
    JsonFormatter,
    add_filter_to_handlers,
    install_record_redaction,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Workers and beat replace the root logger's handlers with their own (worker_hijack_root_logger):
# the records are redacted where they are made, and those handlers filter them again.
install_record_redaction()


@after_setup_logger.connect
@after_setup_task_logger.connect
def _redact_celery_handlers(logger: logging.Logger, **kwargs) -> None:
    """Celery's handlers (console or --logfile) redact tokens, carry the request id, user,
    reseller and task id, and write JSON lines where the settings ask for them."""
    from django.conf import settings

    add_filter_to_handlers(logger)
    for handler in logger.handlers:
        if not any(isinstance(f, ContextFilter) for f in handler.filters):
            handler.addFilter(ContextFilter())
        if settings.PORTAL_LOG_FORMAT == "json":
            handler.setFormatter(JsonFormatter())


# The start of each task run in this process, by task id, for the task metrics.
_task_started: dict[str, float] = {}


@task_prerun.connect
def _time_task(task_id: str | None = None, **kwargs) -> None:
    if task_id:
        _task_started[task_id] = time.perf_counter()


@task_postrun.connect
def _observe_task(task_id=None, task=None, retval=None, state=None, **kwargs) -> None:
    started = _task_started.pop(task_id, None) if task_id else None
    if started is None or task is None:
        return
    from portal.metrics import observe_task

    observe_task(task.name, state or "", time.perf_counter() - started, retval)


@worker_process_shutdown.connect
def _forget_process_metrics(pid: int | None = None, **kwargs) -> None:
    """A worker child that ended leaves its live gauges out of /metrics (multiprocess mode)."""
    from django.conf import settings

    if settings.PORTAL_METRICS_MULTIPROCESS:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())


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


# Beat first fires an interval task one interval after it starts; the customer facts of every
# connected reseller are read at start instead, a little later, so that a worker (or the sandbox
# cloud of `make run`) started alongside is up. A failure is recorded per connection as usual.
FIRST_CLOUD_SYNC_DELAY_SECONDS = 20


@beat_init.connect
def first_cloud_sync(sender, **kwargs) -> None:
    try:
        sender.app.send_task(
            "linking.cloud.tasks.cloud_sync_sweep_task", countdown=FIRST_CLOUD_SYNC_DELAY_SECONDS
        )
    except Exception as error:  # robust: the scheduler starts even with the broker down
        logging.getLogger(__name__).warning("first cloud sync not sent: %s", error)
