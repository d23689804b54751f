"""The production settings with two jobs a second, for the test that starts two beats."""

from portal.settings import *  # noqa: F403

CELERY_BEAT_SCHEDULE = {"tick": {"task": "portal.tick", "schedule": 0.5}}
# A beat waiting for the lock asks again this often (production: every 5 s), so that the test
# sees the takeover soon after the first beat stops.
CELERY_BEAT_MAX_LOOP_INTERVAL = 1
