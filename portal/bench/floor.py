"""Floor views: for each list page, the one indexed query for the same page of the same rows,
rendered in a minimal template. The benchmark measures each page against its floor, which
makes the result hold on a noisy machine. Mounted only by `portal.bench.settings`."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, Subquery
from django.shortcuts import render

from linking.models import CustomerAccount, Link, LinkRequest
from linking.selectors.customers import customer_search


def _int(request, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


def _reseller_id(request) -> int:
    """The reseller asked for (`r`); 0, which no reseller has, when none."""
    return _int(request, "r") or 0


def _slice(request, qs, model, order: tuple[str, str]):
    """The page asked for: after the row `after` (keyset) or at `page` (offset)."""
    size = settings.PORTAL_PAGE_SIZE
    after = _int(request, "after")
    if after is not None:
        key, _ = order
        name = key.lstrip("-")
        value = Subquery(model.objects.filter(pk=after).values(name)[:1])
        if key.startswith("-"):
            qs = qs.filter(Q(**{f"{name}__lt": value}) | Q(**{name: value, "pk__lt": after}))
            qs = qs.filter(**{f"{name}__lte": value})
        else:
            qs = qs.filter(Q(**{f"{name}__gt": value}) | Q(**{name: value, "pk__gt": after}))
            qs = qs.filter(**{f"{name}__gte": value})
        return qs.order_by(*order)[:size]
    start = ((_int(request, "page") or 1) - 1) * size
    return qs.order_by(*order)[start : start + size]


def _rows(request, qs, columns: list[str]):
    return render(request, "bench/floor.html", {"columns": columns, "rows": list(qs)})


def requests_floor(request):
    qs = LinkRequest.objects.filter(reseller_id=_reseller_id(request))
    if request.GET.get("status"):
        qs = qs.filter(status=request.GET["status"])
    text = request.GET.get("q", "").strip()
    if text:
        qs = qs.filter(
            Q(customer__display_name__icontains=text)
            | Q(ticket_reference__icontains=text)
            | Q(account_id_input__icontains=text)
            | Q(note_to_customer__icontains=text)
        )
    columns = ["id", "status", "created_at", "ticket_reference", "customer__display_name"]
    page = _slice(request, qs, LinkRequest, ("-created_at", "-id")).values_list(*columns)
    return _rows(request, page, columns)


def approvals_floor(request):
    qs = LinkRequest.objects.filter(
        reseller_id=_reseller_id(request), status=LinkRequest.Status.PENDING_APPROVAL
    ).exclude(initiator=request.user)
    columns = ["id", "status_changed_at", "ticket_reference", "customer__display_name"]
    page = _slice(request, qs, LinkRequest, ("status_changed_at", "id")).values_list(*columns)
    return _rows(request, page, columns)


def links_floor(request):
    qs = Link.objects.filter(reseller_id=_reseller_id(request))
    if request.GET.get("status"):
        qs = qs.filter(status=request.GET["status"])
    columns = ["id", "link_type", "status", "created_at", "customer__display_name"]
    page = _slice(request, qs, Link, ("-created_at", "-id")).values_list(*columns)
    return _rows(request, page, columns)


def customers_floor(request):
    reseller_id = _reseller_id(request)
    qs = CustomerAccount.objects.filter(
        Exists(Link.objects.filter(reseller_id=reseller_id, customer=OuterRef("pk")))
    )
    text = request.GET.get("q", "").strip()
    if text:
        qs = qs.filter(customer_search(text))
    columns = ["id", "display_name", "account_id", "status"]
    page = _slice(request, qs, CustomerAccount, ("display_name", "id")).values_list(*columns)
    return _rows(request, page, columns)
