"""The test settings (Sentry on, from SENTRY_DSN) with a page that fails, for the Sentry test."""

from portal.settings_test import *  # noqa: F403

ROOT_URLCONF = "tests.integration.sentry_urls"
