"""Shared pieces of the list pages' rows (`linking/templatetags/request_rows.py`,
`list_rows.py`).

Each row is one `format_html` call, so every value is escaped by construction; tests hold each
row to a reference template rendered by Django's template engine (tests/portal/reference/).
"""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString

from portal.dates import local_day, local_moment

__all__ = ["local_day", "local_moment", "muted"]


def muted(text: str) -> SafeString:
    """A muted note in a cell ("none yet", "nobody")."""
    return format_html('<span class="text-muted">{}</span>', text)
