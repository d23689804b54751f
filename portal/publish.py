"""Publishing Celery tasks after a commit, without letting a broken broker hold a page.

Every change that owes background work writes it to the database first (an outbox row, a link
waiting for activation) and publishes its task after the commit. A publish that fails is only
logged: the beat sweeps publish again whatever is still owed. With Redis accepting connections
but never answering, each publish waits for the socket timeout of the broker settings; so the
first publish that fails skips the other publishes of the same transaction, instead of making
the page wait for each of them in turn.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction

logger = logging.getLogger(__name__)


class _Batch:
    """The publishes scheduled by one transaction: once one has failed, the rest are skipped."""

    __slots__ = ("failed", "started")

    def __init__(self) -> None:
        self.started = False
        self.failed = False


def _batch_of_transaction() -> _Batch:
    connection = transaction.get_connection()
    batch = getattr(connection, "portal_publish_batch", None)
    # A batch that has started publishing belongs to a transaction that has committed; outside a
    # transaction every publish runs at once and is a batch of its own.
    if batch is None or batch.started or not connection.in_atomic_block:
        batch = _Batch()
        connection.portal_publish_batch = batch
    return batch


def _publish_all(batch: _Batch, task, calls: list[tuple]) -> int:
    """Publish `task` once per argument tuple over one producer; stop at the first failure."""
    batch.started = True
    published = 0
    if not batch.failed:
        try:
            with task.app.producer_or_acquire() as producer:
                for args in calls:
                    task.apply_async(args, producer=producer)
                    published += 1
        except Exception as error:  # robust: the change is committed; the sweeps publish later
            batch.failed = True
            logger.error(
                "publishing %s failed (%s: %s): the sweeps send it once the broker is back",
                task.name,
                type(error).__name__,
                error,
            )
            calls = calls[published + 1 :]
        else:
            calls = []
    if calls:
        logger.warning(
            "publishing %s skipped %d time(s): the broker failed a moment ago; the sweeps "
            "send what is owed later",
            task.name,
            len(calls),
        )
    return published


def publish_on_commit(task, *args) -> None:
    """Publish `task` with `args` once the current transaction commits; never raises."""
    publish_many_on_commit(task, [args])


def publish_many_on_commit(task, calls: Iterable[tuple]) -> None:
    """Publish `task` once per argument tuple after the commit, over one broker connection."""
    calls = list(calls)
    if not calls:
        return
    batch = _batch_of_transaction()

    # A named function, not a partial: Django's on_commit reports a failure by its name.
    def publish() -> None:
        _publish_all(batch, task, calls)

    transaction.on_commit(publish, robust=True)


def publish_many_now(task, calls: Iterable[tuple]) -> int:
    """Publish at once (a sweep, outside any request); returns how many were published."""
    return _publish_all(_Batch(), task, list(calls))
