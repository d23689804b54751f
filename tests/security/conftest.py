"""The world of the authorization matrix and of the fuzz tests, built once per module.

Building it (the cast, and both resellers' requests in every state, links, receipts, presets,
batches) costs more than most of the tests that read it, and the tests are many small ones so
that test processes can share them. A module therefore builds it once, in a transaction of its
own that is rolled back after the module's last test; each test runs in a savepoint inside that
transaction (pytest-django's `db`), so what a test writes is undone before the next one, as if
it had a world of its own. A test that takes `shared_world` must not take `cast` too (that
would build a second cast beside the first).
"""

from __future__ import annotations

import pytest
from django.db import transaction

from tests.conftest import build_cast
from tests.security.world import World, build_world


@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            world = build_world(build_cast())
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield world
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def shared_world(_module_world, db) -> World:
    """The module's world, its objects read again from the database (a test before may have
    refreshed one inside a savepoint it rolled back)."""
    _module_world.refresh()
    return _module_world
