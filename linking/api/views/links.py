"""Links: the list, a link with its verification runs, amend, renew, revoke."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from linking import forms, services
from linking.api import serializers as S
from linking.api.views._common import (
    APPROVE,
    ERRORS,
    IDEMPOTENCY,
    INITIATE,
    PAGE_NAMES,
    PAGING,
    VIEW,
    WRITE_ERRORS,
    _filters,
    _page,
    _paged,
    _request_response,
    _valid,
    endpoint,
)
from linking.checks.reasons import ItemSpec
from linking.permissions import (
    access_link,
    seen_by,
    visible_to,
)
from linking.selectors.links import link_list_for_reseller, link_verification_runs

# --- links ----------------------------------------------------------------------------------


@extend_schema(
    parameters=[
        OpenApiParameter("status", str, description="A link state"),
        OpenApiParameter("link_type", str, enum=["billing", "provisioning", "delegation"]),
        OpenApiParameter("customer", str, description="Customer account id or name"),
        OpenApiParameter("q", str, description="Reference, customer or ticket"),
        OpenApiParameter("expiring", bool, description="Delegation ending soon"),
        OpenApiParameter("failing", bool, description="Failing verification"),
        *PAGING,
    ],
    responses={200: _paged(S.LinkSerializer), **ERRORS},
    tags=["links"],
)
@endpoint(
    ["GET"],
    VIEW,
    query=("status", "link_type", "customer", "q", "expiring", "failing", *PAGE_NAMES),
)
def link_list(request: Request) -> Response:
    """The reseller's links, newest first, with the links page's filters."""
    form = forms.LinkFilterForm(request.query_params or None)
    _filters(form)
    qs = link_list_for_reseller(
        reseller=request.reseller, visible=visible_to(request), **form.filters()
    ).prefetch_related("teams")
    return _page(request, qs, S.LinkSerializer)


@extend_schema(responses={200: S.LinkDetailSerializer, **ERRORS}, tags=["links"])
@endpoint(["GET"], VIEW)
def link_detail(request: Request, pk: int) -> Response:
    """A link with its latest verification runs and their evidence."""
    return _link_detail(access_link(reseller=request.reseller, pk=pk, **seen_by(request)))


def _link_detail(link) -> Response:
    link.verification_runs_list = link_verification_runs(link=link)
    return Response(S.LinkDetailSerializer(link).data)


def _draft_from_link(
    request: Request, pk: int, start, scope: list | None = None, teams: list | None = None
) -> Response:
    link = access_link(reseller=request.reseller, pk=pk, **seen_by(request))
    with transaction.atomic():
        req = start(actor=request.user, link_id=link.pk)
        if scope or teams is not None:
            specs = [ItemSpec(**item) for item in scope or []]
            services.link_request_set_scope(
                actor=request.user,
                request_id=req.pk,
                scopes={spec.link_type: spec for spec in specs},
                team_ids=teams,
            )
    return _request_response(req, status.HTTP_201_CREATED)


@extend_schema(
    request=S.AmendSerializer,
    parameters=[IDEMPOTENCY],
    responses={201: S.RequestDetailSerializer, **WRITE_ERRORS},
    tags=["links"],
)
@endpoint(["POST"], INITIATE, idempotent_post=True)
def link_amend(request: Request, pk: int) -> Response:
    """Start a change of scope: a draft pre-filled with the link's scope, or with `items`'
    scope; dry-run and submit it as any draft (a narrowing applies at once)."""
    # Another reseller's (or a team's the caller is outside of): 404 before the body.
    access_link(reseller=request.reseller, pk=pk, **seen_by(request))
    body = _valid(S.AmendSerializer, request)
    return _draft_from_link(
        request, pk, services.link_amend_start, body.get("items"), body.get("teams")
    )


@extend_schema(
    request=None,
    parameters=[IDEMPOTENCY],
    responses={201: S.RequestDetailSerializer, **WRITE_ERRORS},
    tags=["links"],
)
@endpoint(["POST"], INITIATE, idempotent_post=True)
def link_renew(request: Request, pk: int) -> Response:
    """Start the renewal of a time-bound delegation: a draft with the same scope and duration;
    it always asks the customer again."""
    return _draft_from_link(request, pk, services.link_renew_start)


@extend_schema(
    request=S.RevokeSerializer,
    parameters=[IDEMPOTENCY],
    responses={200: S.LinkDetailSerializer, **WRITE_ERRORS},
    tags=["links"],
)
@endpoint(["POST"], APPROVE, idempotent_post=True)
def link_revoke(request: Request, pk: int) -> Response:
    """End a live link on the reseller's side, at once (billing at the month's end). Approver
    keys, as the page asks approvers and admins (and its step-up: see the module's note)."""
    link = access_link(reseller=request.reseller, pk=pk, **seen_by(request))
    body = _valid(S.RevokeSerializer, request)
    services.link_revoke(
        actor=request.user,
        link_id=link.pk,
        reason=body["reason"],
        confirm_reference=body["confirm_reference"],
    )
    return _link_detail(access_link(reseller=request.reseller, pk=pk, **seen_by(request)))
