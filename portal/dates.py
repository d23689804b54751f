"""Dates and times as the portal writes them everywhere, for Python code (row tags, services
writing a date into a message). Templates get the same through `{{ value|date }}` and
`{{ value|date:"DATETIME_FORMAT" }}`; the formats themselves are in `portal/formats/<language>`.

A list page writes two dates per row; Django's `date_format` parses the format string on every
call, which cost more than the rest of a row. The format is parsed once here into the fields
the portal's formats use, and written with plain string formatting; a format with any other
field goes through Django's `dateformat` as before (a test holds both to the `date` filter).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import cache

from django.utils import dateformat
from django.utils.formats import get_format

# Django's own helper of the template engine, missing from its stubs.
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]

_FIELDS: dict[str, Callable[[datetime], str]] = {
    "Y": lambda d: f"{d.year:04d}",
    "m": lambda d: f"{d.month:02d}",
    "d": lambda d: f"{d.day:02d}",
    "n": lambda d: str(d.month),
    "j": lambda d: str(d.day),
    "H": lambda d: f"{d.hour:02d}",
    "i": lambda d: f"{d.minute:02d}",
    "s": lambda d: f"{d.second:02d}",
    # As Django's "T": the zone's name, "" for a naive value.
    "T": lambda d: str(d.tzinfo.tzname(d)) if d.tzinfo is not None else "",
}


@cache
def _writer(fmt: str) -> Callable[[datetime], str]:
    # Only ASCII letters are fields for Django; "年" in a Chinese format is written as it is.
    if any(c.isascii() and c.isalpha() and c not in _FIELDS for c in fmt) or "\\" in fmt:
        return lambda value: dateformat.format(value, fmt)
    parts = [_FIELDS.get(c, c) for c in fmt]
    return lambda value: "".join(p if isinstance(p, str) else p(value) for p in parts)


def _written(value: date | datetime | None, format_name: str) -> str:
    if value is None:
        return ""
    return _writer(get_format(format_name))(template_localtime(value))


def local_day(value: date | datetime | None) -> str:
    """`{{ value|date }}` in the current time zone, e.g. 2026-12-13; "" for None."""
    return _written(value, "DATE_FORMAT")


def local_moment(value: datetime | None) -> str:
    """`{{ value|date:"DATETIME_FORMAT" }}` in the current time zone, e.g. 2026-12-13 16:30 UTC;
    "" for None."""
    return _written(value, "DATETIME_FORMAT")
