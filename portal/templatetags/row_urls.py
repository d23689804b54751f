"""`{{ pk|pk_url:"app:name" }}`: the URL of a row's page, without a `{% url %}` per row.

Reversing a URL walks the URL patterns; a list of 25 rows with two links each spends more
on that than on its query. A URL whose only argument is an integer pk is the same text
around the pk for every row, so it is reversed once (per URL configuration and script
prefix) and the pk is put in its place.
"""

from __future__ import annotations

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()

# Reversed in the pk's place, then cut out: no URL of the portal holds these digits.
_MARKER = 918273645546372819
_around: dict[tuple, tuple[str, str]] = {}


def pk_url_for(name: str, pk: int) -> str:
    """`reverse(name, args=[pk])` for a URL with one integer argument."""
    key = (name, get_urlconf(), get_script_prefix())
    around = _around.get(key)
    if around is None:
        before, _, after = reverse(name, args=[_MARKER]).partition(str(_MARKER))
        around = _around[key] = (before, after)
    return f"{around[0]}{int(pk)}{around[1]}"


@register.filter
def pk_url(pk, name: str) -> str:
    return pk_url_for(name, pk)


_named: dict[tuple, str] = {}


@register.filter
def named_url(name: str) -> str:
    """`{% url name %}` for a URL without arguments (the layout's navigation), reversed once
    per URL configuration and script prefix instead of on every page."""
    key = (name, get_urlconf(), get_script_prefix())
    found = _named.get(key)
    if found is None:
        found = _named[key] = reverse(name)
    return found
