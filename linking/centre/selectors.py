"""Reads of the customer centre, scoped to the accounts of the signed-in contact."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from linking.consent.receipts import MAX_REFERENCE_LENGTH, Receipt, receipt_build
from linking.consent.views import _catalog, _scope
from linking.models import ConsentRecord, CustomerAccount, Link, LinkRequest
from linking.services.revocation import REVOCABLE


def centre_overview(*, account_ids: list[int]) -> list[dict]:
    """Each account of the contact with its links (every reseller) and the requests waiting
    for the customer. A fixed number of queries, whatever the number of links."""
    catalog = _catalog()  # two queries
    now = timezone.now()
    links_qs = (
        Link.objects.filter(customer_id__in=account_ids)
        .select_related("reseller")
        .order_by("reseller__name", "link_type", "id")
    )
    waiting = (
        LinkRequest.objects.filter(
            customer_id__in=account_ids,
            status=LinkRequest.Status.PENDING_CONSENT,
            consent_deadline__gt=now,
        )
        .select_related("reseller")
        .prefetch_related("items")
        .order_by("consent_deadline", "id")
    )
    accounts: dict[int, dict[str, Any]] = {
        a.pk: {"account": a, "links": [], "waiting": []}
        for a in CustomerAccount.objects.filter(pk__in=account_ids).order_by("display_name", "id")
    }
    links = list(links_qs)
    # The acceptance records hang on the request item that made the link, the withdrawal on
    # the link itself: both in one query.
    by_item: dict[int, list] = {}
    by_link: dict[int, list] = {}
    for record in ConsentRecord.objects.filter(
        Q(link_id__in=[link.pk for link in links])
        | Q(item_id__in=[link.source_item_id for link in links if link.source_item_id])
    ).order_by("created_at", "id"):
        if record.link_id:
            by_link.setdefault(record.link_id, []).append(record)
        elif record.item_id:
            by_item.setdefault(record.item_id, []).append(record)
    for link in links:
        own = by_item.get(link.source_item_id or 0, []) + by_link.get(link.pk, [])
        accounts[link.customer_id]["links"].append(
            {
                "link": link,
                "scope": _scope(
                    link_type=link.link_type,
                    services_codes=link.services,
                    regions=link.regions,
                    access_level=link.access_level,
                    duration_days=None,
                    start=now,
                    catalog=catalog,
                ),
                "revocable": REVOCABLE,
                "records": own,
            }
        )
    for req in waiting:
        accounts[req.customer_id]["waiting"].append(req)  # type: ignore[index]
    return list(accounts.values())


def customer_receipt_get(*, account_ids: list[int], reference: str) -> Receipt | None:
    """The receipt `reference` when it is about one of the signed-in customer's accounts (a
    decision on its request or a withdrawal of its link); None otherwise, whoever's it is."""
    if not reference or len(reference) > MAX_REFERENCE_LENGTH or not reference.isprintable():
        return None
    records = list(
        ConsentRecord.objects.filter(receipt_reference=reference)
        .filter(Q(request__customer_id__in=account_ids) | Q(link__customer_id__in=account_ids))
        .select_related(
            "request__reseller", "request__customer", "link__reseller", "link__customer"
        )
        .order_by("created_at", "id")
    )
    if not records:
        return None
    return receipt_build(reference, records)
