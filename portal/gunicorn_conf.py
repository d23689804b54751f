"""gunicorn settings of the portal (`gunicorn --config python:portal.gunicorn_conf`): what every
web process does once, and what its logs may contain."""

from gunicorn.glogging import Logger

from portal.logconfig import add_filter_to_handlers, install_record_redaction

# The master and every worker it forks: no record of gunicorn's access or error log carries a
# consent, withdrawal or receipt token.
install_record_redaction()


class RedactingLogger(Logger):
    """gunicorn's logger whose handlers (error log, access log, syslog) redact tokens too."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            add_filter_to_handlers(log)


logger_class = RedactingLogger


def post_worker_init(worker) -> None:
    """Connect to the broker before the first request, so that the first submit of each worker
    does not pay for it (see `portal.celery.warm_broker`)."""
    from portal.celery import warm_broker

    warm_broker()
