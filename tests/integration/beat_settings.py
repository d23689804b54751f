"""The production settings with one job a second, for the test that starts two beats."""

from portal.settings import *  # noqa: F403

CELERY_BEAT_SCHEDULE = {"tick": {"task": "portal.tick", "schedule": 1.0}}
