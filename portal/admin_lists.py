"""The admin's lists, safe with any query string."""

from __future__ import annotations

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList


class BoundedDateChangeList(ChangeList):
    """Django turns the date drill-down's year, month and day into a date range and catches
    only ValueError; a year like 2147483648 overflows and the year 9999 has no following year,
    both a server error. Any such value is an incorrect lookup: the admin's own "?e=1" page."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as exc:
            raise IncorrectLookupParameters(exc) from exc


class BoundedDateHierarchyMixin:
    """For every ModelAdmin with a `date_hierarchy`."""

    def get_changelist(self, request, **kwargs):
        return BoundedDateChangeList
