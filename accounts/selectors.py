"""Reads of accounts data, always scoped to one reseller."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Membership, Reseller


def membership_list_for_reseller(*, reseller: Reseller) -> QuerySet[Membership]:
    """The reseller's members with their users, ordered by e-mail; one query."""
    return (
        Membership.objects.filter(reseller=reseller)
        .select_related("user")
        .order_by("user__email", "pk")
    )
