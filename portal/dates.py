"""Dates and times as the portal writes them everywhere, for Python code (row tags, services
writing a date into a message). Templates get the same through `{{ value|date }}` and
`{{ value|date:"DATETIME_FORMAT" }}`; the formats themselves are in `portal/formats/en`."""

from __future__ import annotations

from datetime import date, datetime

from django.utils.formats import date_format
from django.utils.timezone import template_localtime


def local_day(value: date | datetime | None) -> str:
    """`{{ value|date }}` in the current time zone, e.g. 2026-12-13; "" for None."""
    if value is None:
        return ""
    return date_format(template_localtime(value), "DATE_FORMAT")


def local_moment(value: datetime | None) -> str:
    """`{{ value|date:"DATETIME_FORMAT" }}` in the current time zone, e.g. 2026-12-13 16:30 UTC;
    "" for None."""
    if value is None:
        return ""
    return date_format(template_localtime(value), "DATETIME_FORMAT")
