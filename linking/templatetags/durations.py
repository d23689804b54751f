"""`{{ value|duration }}`: a timedelta as a person reads it (3 d 4 h, 2 h 5 min, 40 s)."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils.translation import gettext

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return gettext("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return gettext("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    if minutes:
        return gettext("%(m)d min") % {"m": minutes}
    return gettext("%(s)d s") % {"s": seconds}
