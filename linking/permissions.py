"""The only way a view reaches a request, link or customer: scoped to the current reseller.

Another reseller's object is a 404; the role's permission was checked by `reseller_required`.
"""

from __future__ import annotations

from django.http import Http404

from accounts.models import Reseller
from linking import selectors
from linking.models import CustomerAccount, Link, LinkRequest, Preset


def access_link_request(*, reseller: Reseller, pk: int) -> LinkRequest:
    req = selectors.link_request_get_for_reseller(reseller=reseller, pk=pk)
    if req is None:
        raise Http404("No such request.")
    return req


def access_link(*, reseller: Reseller, pk: int) -> Link:
    link = selectors.link_get_for_reseller(reseller=reseller, pk=pk)
    if link is None:
        raise Http404("No such link.")
    return link


def access_customer(*, reseller: Reseller, pk: int) -> CustomerAccount:
    customer = selectors.customer_get_linked(reseller=reseller, pk=pk)
    if customer is None:
        raise Http404("No such customer.")
    return customer


def access_batch(*, reseller: Reseller, pk: int):
    batch = selectors.batch_get_for_reseller(reseller=reseller, pk=pk)
    if batch is None:
        raise Http404("No such batch.")
    return batch


def access_preset(*, reseller: Reseller, pk: int) -> Preset:
    preset = selectors.preset_get_for_reseller(reseller=reseller, pk=pk)
    if preset is None:
        raise Http404("No such preset.")
    return preset
