"""Reads of presets."""

from __future__ import annotations

from django.db.models import (
    QuerySet,
)

from accounts.models import Reseller
from linking.models import (
    Preset,
)


def preset_list_for_reseller(*, reseller: Reseller) -> QuerySet[Preset]:
    """The reseller's presets by name, with who created them."""
    return (
        Preset.objects.filter(reseller=reseller).select_related("created_by").order_by("name", "id")
    )


def preset_get_for_reseller(*, reseller: Reseller, pk: int) -> Preset | None:
    return Preset.objects.filter(reseller=reseller, pk=pk).select_related("created_by").first()
