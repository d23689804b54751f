"""gunicorn settings of the portal (`gunicorn --config python:portal.gunicorn_conf`): what every
web process does once, whom it believes about the scheme, and what its logs may contain."""

import logging

from portal.env import behind_proxy, metrics_multiprocess
from portal.logconfig import add_filter_to_handlers, install_record_redaction

# The master and every worker it forks: no record of gunicorn's access or error log carries a
# consent, withdrawal or receipt token.
install_record_redaction()

# gunicorn believes X-Forwarded-Proto (and two more headers) from loopback by default, so any
# process on the host could pass a plain-HTTP request off as HTTPS. The scheme is believed only
# behind the portal's proxy, and then only from the one header Django reads as well.
if behind_proxy():
    secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}
else:
    forwarded_allow_ips = ""
    secure_scheme_headers = {}


# The access log names each request by the id the portal returned (X-Request-ID), as the
# portal's own log lines do.
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-request-id}o)s'
)


def _redact_gunicorn_handlers() -> None:
    # Hooks rather than a logger class of our own, which would turn off gunicorn's switch to its
    # statsd logger when statsd_host is set.
    for name in ("gunicorn.error", "gunicorn.access"):
        add_filter_to_handlers(logging.getLogger(name))


def on_starting(server) -> None:
    """The master's log handlers (error log, access log, syslog) redact tokens too."""
    _redact_gunicorn_handlers()


def post_fork(server, worker) -> None:
    """And so do each worker's, also after a reload has made the handlers anew."""
    _redact_gunicorn_handlers()


def post_worker_init(worker) -> None:
    """Connect to the broker before the first request, so that the first submit of each worker
    does not pay for it (see `portal.celery.warm_broker`)."""
    from portal.celery import warm_broker

    warm_broker()


def child_exit(server, worker) -> None:
    """A web process that ended leaves its live gauges out of /metrics (multiprocess mode)."""
    if metrics_multiprocess():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
