"""Reminder schedules: "50%,1d,4h" — a share of the waiting window, or a time before the end."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

_ENTRY = re.compile(r"^(\d{1,3})(%|d|h)$")


def parse_reminder_schedule(value: str) -> list[tuple[int, str]]:
    """The entries of a schedule as (number, unit); ValueError with a plain message if invalid."""
    entries = []
    for raw in (value or "").split(","):
        part = raw.strip().lower()
        if not part:
            continue
        match = _ENTRY.match(part)
        if not match:
            raise ValueError(
                f"“{raw.strip()}” is not a reminder time: use a share like 50% or a time before "
                "the deadline like 1d or 4h, separated by commas."
            )
        number, unit = int(match.group(1)), match.group(2)
        if unit == "%" and not 1 <= number <= 99:
            raise ValueError(f"“{part}”: a share of the window must be between 1% and 99%.")
        if number == 0:
            raise ValueError(f"“{part}”: a reminder time must be more than zero.")
        entries.append((number, unit))
    return entries


def reminder_times(schedule: str, start: datetime, end: datetime) -> list[datetime]:
    """The moments, strictly between start and end, at which reminders are due; sorted."""
    times = set()
    window = end - start
    for number, unit in parse_reminder_schedule(schedule):
        if unit == "%":
            moment = start + window * number / 100
        elif unit == "d":
            moment = end - timedelta(days=number)
        else:
            moment = end - timedelta(hours=number)
        if start < moment < end:
            times.add(moment)
    return sorted(times)


def next_reminder(schedule: str, start: datetime, end: datetime, now: datetime) -> datetime | None:
    """The first reminder time after `now`, or None when no reminder is left."""
    return next((t for t in reminder_times(schedule, start, end) if t > now), None)
