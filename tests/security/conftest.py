"""The world of the authorization matrix and of the fuzz tests, built once per module.

Building it (the cast, and both resellers' requests in every state, links, receipts, presets,
batches) costs more than most of the tests that read it, and the tests are many small ones so
that test processes can share them. A module therefore builds it once (`rows_for_the_module`):
each test runs in a savepoint rolled back after it, as if it had a world of its own. A test
that takes `shared_world` (or the fuzz tests' `world`) must not take `cast` too (that would
build a second cast).
"""

from __future__ import annotations

import pytest

from tests.conftest import build_cast, rows_for_the_module
from tests.security.fuzz_harness import _report
from tests.security.world import World, build_world


@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker):
    with rows_for_the_module(django_db_blocker):
        with django_db_blocker.unblock():
            world = build_world(build_cast())
        yield world


@pytest.fixture
def shared_world(_module_world, db) -> World:
    """The module's world, its objects read again from the database (a test before may have
    refreshed one inside a savepoint it rolled back)."""
    _module_world.refresh()
    return _module_world


@pytest.fixture
def world(shared_world, request) -> World:
    """The module's world for the fuzz tests (tests/security/test_fuzz_*.py), each test one
    target so that test processes share them; the report of what ran is written after each."""
    if "cast" in request.fixturenames:
        pytest.fail("the fuzz tests share the module's world: take `world` instead of `cast`")
    yield shared_world
    _report()
