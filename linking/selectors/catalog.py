"""Names of the catalogue (services, regions) by code."""

from __future__ import annotations

from linking.models import (
    Region,
    Service,
)


def region_names() -> dict[str, str]:
    """Region names by code (one small query): pages name regions as the e-mails do."""
    return dict(Region.objects.values_list("code", "name"))


def catalog_names() -> tuple[dict[str, str], dict[str, str]]:
    """Service and region names by code, to say a scope in words (two small queries)."""
    return (
        dict(Service.objects.values_list("code", "name")),
        dict(Region.objects.values_list("code", "name")),
    )
