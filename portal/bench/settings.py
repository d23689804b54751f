"""Benchmark settings: the production settings plus the benchmark app, a per-request query
count and the floor views. Only `manage.py bench_pages` starts the portal with them, on loopback,
against a scratch database; never a deployment. The other bench commands run with them too
(`DJANGO_SETTINGS_MODULE=portal.bench.settings`), or with the development settings (DEBUG)."""

from portal.settings import *  # noqa: F403
from portal.settings import INSTALLED_APPS, MIDDLEWARE

PORTAL_BENCH = True
if "portal.bench" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "portal.bench"]
ROOT_URLCONF = "portal.bench.urls"
# First, so that the count includes the session, user and membership queries of every page.
MIDDLEWARE = ["portal.bench.middleware.QueryCountMiddleware", *MIDDLEWARE]
