"""The error-code catalogue, the customers and the teams."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Team
from linking import forms
from linking.api import serializers as S
from linking.api.views._common import (
    ERRORS,
    PAGE_NAMES,
    PAGING,
    VIEW,
    _filters,
    _page,
    _paged,
    endpoint,
)
from linking.permissions import (
    access_customer,
    seen_by,
    visible_to,
)
from linking.selectors.customers import customer_list_linked
from portal.codes import CODES

# --- catalogue ------------------------------------------------------------------------------


@extend_schema(responses={200: S.CodeSerializer(many=True), **ERRORS}, tags=["codes"])
@endpoint(["GET"], VIEW)
def code_list(request: Request) -> Response:
    """Every error code with its stage, cause and fix (the help page's catalogue)."""
    return Response(S.CodeSerializer(list(CODES.values()), many=True).data)


# --- customers ------------------------------------------------------------------------------


@extend_schema(
    parameters=[OpenApiParameter("q", str, description="Account id or name"), *PAGING],
    responses={200: _paged(S.CustomerSerializer), **ERRORS},
    tags=["customers"],
)
@endpoint(["GET"], VIEW, query=("q", *PAGE_NAMES))
def customer_list(request: Request) -> Response:
    """Customers the reseller holds links on, by name."""
    form = forms.SearchForm(request.query_params or None)
    _filters(form)
    data = form.valid_data() if request.query_params else {}
    qs = customer_list_linked(
        reseller=request.reseller, q=(data.get("q") or "").strip(), visible=visible_to(request)
    )
    return _page(request, qs, S.CustomerSerializer, ("display_name", "id"))


@extend_schema(responses={200: S.CustomerSerializer, **ERRORS}, tags=["customers"])
@endpoint(["GET"], VIEW)
def customer_detail(request: Request, pk: int) -> Response:
    customer = access_customer(reseller=request.reseller, pk=pk, **seen_by(request))
    return Response(S.CustomerSerializer(customer).data)


# --- teams ----------------------------------------------------------------------------------


@extend_schema(
    parameters=PAGING,
    responses={200: _paged(S.TeamSerializer), **ERRORS},
    tags=["teams"],
)
@endpoint(["GET"], VIEW, query=PAGE_NAMES)
def team_list(request: Request) -> Response:
    """The reseller's teams by name: their ids choose who acts through a request's links
    (admins manage the teams on the teams page)."""
    qs = Team.objects.filter(reseller=request.reseller).order_by("name", "id")
    return _page(request, qs, S.TeamSerializer, ("name", "id"))
