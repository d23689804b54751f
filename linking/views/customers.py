"""Customers the reseller holds links on, and the consent receipts of their decisions."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import ResellerRequest, reseller_required
from linking import forms
from linking.consent import receipts
from linking.permissions import access_customer, seen_by, visible_to
from linking.selectors.customers import cloud_association_for, customer_list_linked
from linking.selectors.links import (
    link_list_for_customer,
)
from linking.selectors.requests import (
    RequestFilters,
    link_request_list_for_reseller,
)
from linking.selectors.scope import link_scope_for_customer
from linking.views.common import list_page, query_without_page


@require_GET
@reseller_required("view_reseller")
def customer_list(request: ResellerRequest) -> HttpResponse:
    form = forms.SearchForm(request.GET or None)
    data = form.valid_data() if request.GET else {}
    qs = customer_list_linked(
        reseller=request.reseller, q=(data.get("q") or "").strip(), visible=visible_to(request)
    )
    return render(
        request,
        "linking/customer_list.html",
        {
            "form": form,
            "page": list_page(request, qs, ("display_name", "id")),
            "query": query_without_page(request),
        },
    )


@require_GET
@reseller_required("view_reseller")
def customer_detail(request: ResellerRequest, pk: int) -> HttpResponse:
    customer = access_customer(reseller=request.reseller, pk=pk, **seen_by(request))
    links = list(
        link_list_for_customer(
            reseller=request.reseller, customer=customer, visible=visible_to(request)
        )
    )
    form = forms.RequestSearchForm(request.GET or None)
    q = (form.valid_data().get("q") or "").strip() if request.GET else ""
    requests = link_request_list_for_reseller(
        reseller=request.reseller, filters=RequestFilters(q=q)
    ).filter(customer=customer)[:20]
    return render(
        request,
        "linking/customer_detail.html",
        {
            "customer": customer,
            "association": cloud_association_for(reseller=request.reseller, customer=customer),
            "form": form,
            "links": links,
            "scopes": link_scope_for_customer(user=request.user, customer=customer, links=links),
            "requests": list(requests),
        },
    )


@require_POST
@reseller_required("view_reseller")
def customer_scope_refresh(request: ResellerRequest, pk: int) -> HttpResponse:
    """Ask a worker to read again what the user's visible links on the customer reach; the
    page never waits on the cloud."""
    from linking.services.scope import link_scope_request_refresh

    customer = access_customer(reseller=request.reseller, pk=pk, **seen_by(request))
    asked = link_scope_request_refresh(
        actor=request.user, reseller=request.reseller, customer=customer
    )
    if asked:
        messages.success(
            request,
            _("A fresh read of what your links reach was asked for; it shows here in a moment."),
        )
    else:
        messages.info(request, _("Nothing to read again just now."))
    return redirect("linking:customer-detail", pk=customer.pk)


@require_GET
@reseller_required("view_reseller")
def receipt_download(request: ResellerRequest, reference: str) -> HttpResponse:
    """A consent receipt of one of the reseller's requests or links, as a text file."""
    receipt = receipts.receipt_for(reference, reseller=request.reseller)
    if receipt is None:
        raise Http404("No such receipt.")
    return receipts.receipt_response(receipt)
