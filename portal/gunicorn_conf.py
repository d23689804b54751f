"""gunicorn settings of the portal (`gunicorn --config python:portal.gunicorn_conf`): what every
web process does once."""


def post_worker_init(worker) -> None:
    """Connect to the broker before the first request, so that the first submit of each worker
    does not pay for it (see `portal.celery.warm_broker`)."""
    from portal.celery import warm_broker

    warm_broker()
