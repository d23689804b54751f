"""Benchmark settings: the production settings plus a per-request query count and the floor
views. Only `manage.py bench_pages` starts the portal with them, on loopback, against a
scratch database; never a deployment."""

from portal.settings import *  # noqa: F403
from portal.settings import MIDDLEWARE

PORTAL_BENCH = True
ROOT_URLCONF = "portal.bench.urls"
# First, so that the count includes the session, user and membership queries of every page.
MIDDLEWARE = ["portal.bench.middleware.QueryCountMiddleware", *MIDDLEWARE]
