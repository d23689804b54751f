"""The one retry helper of cloud calls, and the refusal of a cloud call inside a transaction."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import connections

from linking.cloud.types import CloudCallInTransaction, CloudFailure, Throttled

logger = logging.getLogger(__name__)

T = TypeVar("T")


def ensure_outside_transaction() -> None:
    """Refuse to go on while any database connection of this thread is inside `atomic()`.

    The test case's own wrapping block does not count, exactly as for `atomic(durable=True)`:
    a test that opens a transaction around a cloud call is still refused.
    """
    for conn in connections.all(initialized_only=True):
        # `_from_testcase` is how Django itself tells the test case's block (atomic(durable=True)).
        if conn.atomic_blocks and not conn.atomic_blocks[-1]._from_testcase:  # type: ignore[attr-defined]
            raise CloudCallInTransaction(
                "A cloud call was made inside a database transaction "
                f"(database {conn.alias!r}); call the cloud before or after it, from a task."
            )


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, Throttled):
        return True
    return isinstance(exc, CloudFailure) and (exc.status or 0) >= 500


def call_with_retry(
    fn: Callable[[], T],
    *,
    operation: str,
    max_attempts: int = 4,
    max_total_seconds: float = 30.0,
    base_delay: float = 0.5,
    max_delay: float = 8.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Call `fn`, again after a jittered, growing pause when the cloud throttles or fails (5xx).

    A `Retry-After` the cloud sends is honoured as the least pause. When the attempts are used
    up, or the next pause would pass `max_total_seconds` since the first call, the last failure
    is raised as it is, so a task can schedule its own retry (a `Throttled` keeps `retry_after`).
    """
    ensure_outside_transaction()
    started = clock()
    attempt = 0
    while True:
        attempt += 1
        try:
            return fn()
        except (Throttled, CloudFailure) as exc:
            if not _retryable(exc) or attempt >= max_attempts:
                raise
            # Full jitter: callers that failed together do not come back together.
            pause = random.uniform(0, min(max_delay, base_delay * 2 ** (attempt - 1)))
            retry_after = getattr(exc, "retry_after", None)
            if retry_after:
                pause = retry_after + random.uniform(0, base_delay)
            if clock() - started + pause > max_total_seconds:
                raise
            logger.info(
                "cloud call %s failed (%s, attempt %d), retrying in %.1f s",
                operation,
                exc.code,
                attempt,
                pause,
            )
            sleep(pause)
