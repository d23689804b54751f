"""Cells of the list pages' rows, written in Python.

A list row written as template nodes resolves, localises and escapes each cell through the
template engine; 25 rows of 8 cells cost more than the page's queries. The row tags
(`linking/templatetags/request_rows.py`, `list_rows.py`) write the markup the templates would
write with these helpers, and tests hold each row to the template's output.
"""

from __future__ import annotations

from html import escape as _html_escape

# Django's own helper of the template engine, missing from its stubs.
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]


def esc(value) -> str:
    """`conditional_escape`: safe strings as they are, anything else escaped as Django escapes
    it (`html.escape`), without the lazy-string wrapper around each call."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return _html_escape(str(value))


def local_day(value) -> str:
    """`{{ value|date:"Y-m-d" }}` in the current time zone; "" for None."""
    if value is None:
        return ""
    local = template_localtime(value)
    return f"{local.year:04d}-{local.month:02d}-{local.day:02d}"


def local_minute(value) -> str:
    """`{{ value|date:"Y-m-d H:i" }}` in the current time zone; "" for None."""
    if value is None:
        return ""
    local = template_localtime(value)
    return f"{local.year:04d}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"
