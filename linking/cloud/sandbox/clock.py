"""The sandbox's clock: the real time, or a time a test has set through the control API.

A test that travels in time signs its requests with the travelled time; the cloud (and the
sandbox) refuse a signature dated more than 15 minutes from their own clock. Setting the
sandbox's clock to the test's keeps the signature check as strict as it is. One process serves
the sandbox, so the offset is process-wide; `reset` puts the real time back.
"""

from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def now() -> datetime:
    return datetime.now(UTC) + _offset


def set_now(moment: datetime) -> None:
    global _offset
    _offset = moment - datetime.now(UTC)


def real_time() -> None:
    global _offset
    _offset = timedelta(0)
