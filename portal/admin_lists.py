"""The admin's lists and forms, safe with any query string or form value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django import forms
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db import models


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


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Ids no database row can have are refused as invalid choices: SQLite raises
    OverflowError (a server error) for an integer beyond 64 bits instead of finding nothing."""

    def _check_values(self, value):
        for pk in value:
            if isinstance(pk, str) and pk.strip().lstrip("-").isdigit() and len(pk) > 18:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        # A private method of Django's field that django-stubs does not declare.
        return super()._check_values(value)  # type: ignore[misc]


class SafeToFieldMixin:
    """Django's `to_field_allowed` crashes (AttributeError, a server error) when `?_to_field=`
    names a hidden reverse relation (a related_name ending in "+", like simple-history's
    many-to-many history rows): such a name is no field to refer by, so it is refused (400).
    Many-to-many fields choose among ids through `BoundedModelMultipleChoiceField`."""

    formfield_overrides: ClassVar[Mapping[type[models.Field], Mapping[str, Any]]] = {
        models.ManyToManyField: {"form_class": BoundedModelMultipleChoiceField},
    }

    def to_field_allowed(self, request, to_field):
        if to_field.endswith("+"):
            return False
        return super().to_field_allowed(request, to_field)  # type: ignore[misc]
