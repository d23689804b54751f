"""Fixtures of the portal tests: the admin tests' world, built once per module."""

import pytest

from tests.conftest import refresh_cast, rows_for_the_module
from tests.portal.admin_world import build_world


@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker):
    # Built once for the module's tests (each runs in a savepoint rolled back after it); a test
    # that takes `world` must not take `cast` too.
    with rows_for_the_module(django_db_blocker):
        with django_db_blocker.unblock():
            world = build_world()
        yield world


@pytest.fixture
def world(_module_world, db, request):
    """The admin tests' world (tests/portal/test_admin_*.py), its members read anew."""
    if "cast" in request.fixturenames:
        pytest.fail("the admin tests share the module's world: take `world` instead of `cast`")
    return refresh_cast(_module_world)
