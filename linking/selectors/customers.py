"""Customers: the directory search and the customers a reseller holds links on."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce

from accounts.models import Reseller
from linking.identity import account_id_prefix, normalise_account_name
from linking.models import CloudAssociation, CustomerAccount, Link


def customer_search(text: str, *, by_account_id: bool = True) -> Q:
    """Customers whose display name contains `text`, whose account name starts with it (both
    answered by trigram indexes) or, when `text` can be the start of an account id, whose id
    starts with it (the id's pattern index)."""
    match = Q(display_name__icontains=text)
    name = normalise_account_name(text)
    if name:
        match |= Q(account_name__istartswith=name)
    prefix = account_id_prefix(text) if by_account_id else ""
    if prefix:
        match |= Q(account_id__startswith=prefix)
    return match


def customers_matching(text: str, *, by_account_id: bool = True) -> QuerySet:
    """Ids of the customers `customer_search` finds, as a subquery."""
    return (
        CustomerAccount.objects.filter(customer_search(text, by_account_id=by_account_id))
        .order_by()
        .values("pk")
    )


def _link_count(reseller: Reseller, **filters: Any) -> Coalesce:
    counted = (
        Link.objects.filter(reseller=reseller, customer=OuterRef("pk"), **filters)
        .order_by()
        .values("customer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


def customer_list_linked(
    *, reseller: Reseller, q: str = "", visible: Q | None = None
) -> QuerySet[CustomerAccount]:
    """Customers on which the reseller holds at least one link, with the count of live ones.

    A semi-join, not a join with DISTINCT: the directory is read in name order and each row
    probes the reseller's links, so a page costs its own rows, and the counts are subqueries
    computed for the rows shown only.
    """
    qs = CustomerAccount.objects.filter(
        Exists(Link.objects.filter(visible or Q(), reseller=reseller, customer=OuterRef("pk")))
    )
    if q:
        qs = qs.filter(customer_search(q))
    return qs.annotate(
        live_links=_link_count(reseller, status__in=Link.LIVE_STATUSES),
        all_links=_link_count(reseller),
    ).order_by("display_name", "id")


def customer_get_linked(
    *, reseller: Reseller, pk: int, visible: Q | None = None
) -> CustomerAccount | None:
    return CustomerAccount.objects.filter(
        Exists(Link.objects.filter(visible or Q(), reseller=reseller, customer=OuterRef("pk"))),
        pk=pk,
    ).first()


def cloud_association_for(
    *, reseller: Reseller, customer: CustomerAccount | None
) -> CloudAssociation | None:
    """The reseller's association with the customer as the last sync saw it, or None (pages
    read this stored fact; none of them calls the cloud)."""
    if customer is None:
        return None
    return CloudAssociation.objects.filter(reseller=reseller, customer=customer).first()
