"""Fixtures of the linking tests."""

import pytest


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    """Services run with their after-commit tasks captured, not published."""

    def run():
        return django_capture_on_commit_callbacks(execute=False)

    return run
