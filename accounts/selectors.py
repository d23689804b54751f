"""Reads of accounts data, always scoped to one reseller."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import Membership, Reseller, User
from portal.prepared import PreparedQuery


def membership_list_for_reseller(*, reseller: Reseller | int) -> QuerySet[Membership]:
    """The reseller's members with their users, ordered by e-mail; one query."""
    return (
        Membership.objects.filter(reseller=reseller)
        .select_related("user")
        .order_by("user__email", "pk")
    )


def _member_names_query(*, reseller_id: int) -> QuerySet[Membership, tuple[Any, ...]]:
    # The members page's list and order, as values: the same members in the same order.
    return membership_list_for_reseller(reseller=reseller_id).values_list(
        "user_id", "user__first_name", "user__last_name", "user__email", "user__username"
    )


_MEMBER_NAMES = PreparedQuery(_member_names_query, "reseller_id")


def member_choices_for_reseller(*, reseller: Reseller) -> list[tuple[str, str]]:
    """(user id, name) of each member, ordered by e-mail: a list filter's "initiator" choices.
    One query, compiled once per process; no model is built (every list page offers them)."""
    return [
        (str(user_id), User.label(*names))
        for user_id, *names in _MEMBER_NAMES.rows(reseller_id=reseller.pk)
    ]
