"""Requests: create, read, dry run, submit, cancel, resend, apply a preset; approvals:
the queue, approve, reject."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from linking import forms, services
from linking.api import serializers as S
from linking.api.errors import reason_entry
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
    _require,
    _valid,
    endpoint,
)
from linking.checks.reasons import ItemSpec
from linking.models import Refusal
from linking.permissions import (
    access_link_request,
    access_preset,
)
from linking.selectors.requests import (
    approval_queue_for_user,
    link_request_list_for_reseller,
    request_rows,
)
from linking.services.requests import link_request_dry_run
from portal.errors import PortalError

# --- requests -------------------------------------------------------------------------------


def _refused(request: Request, req, action: str, error: PortalError) -> None:
    """As the pages do: the refused attempt, every code, on the request's timeline."""
    services.refusal_record(actor=request.user, req=req, action=action, error=error)


@extend_schema(
    parameters=[
        OpenApiParameter("status", str),
        OpenApiParameter("link_type", str, enum=["billing", "provisioning", "delegation"]),
        OpenApiParameter("waiting_on", str),
        OpenApiParameter("customer", str),
        OpenApiParameter("initiator", int),
        OpenApiParameter("q", str),
        OpenApiParameter("ticket", str, description="Ticket reference, starts with"),
        *PAGING,
    ],
    methods=["GET"],
    responses={200: _paged(S.RequestRowSerializer), **ERRORS},
    tags=["requests"],
    operation_id="request_list",
)
@extend_schema(
    methods=["POST"],
    request=S.RequestCreateSerializer,
    parameters=[IDEMPOTENCY],
    responses={201: S.RequestDetailSerializer, **WRITE_ERRORS},
    tags=["requests"],
    operation_id="request_create",
)
@endpoint(
    ["GET", "POST"],
    VIEW,
    idempotent_post=True,
    query=(
        "status",
        "link_type",
        "waiting_on",
        "customer",
        "initiator",
        "q",
        "ticket",
        *PAGE_NAMES,
    ),
)
def request_collection(request: Request) -> Response:
    """GET: the reseller's requests with the list page's filters. POST: a draft with its
    customer, items and scope in one call (initiator keys); dry-run and submit it next."""
    if request.method == "POST":
        return _request_create(request)
    form = forms.RequestFilterForm(request.query_params or None, reseller=request.reseller)
    _filters(form)
    qs = link_request_list_for_reseller(reseller=request.reseller, filters=form.filters())
    return _page(request, request_rows(qs), S.RequestRowSerializer)


def _request_create(request: Request) -> Response:
    _require(request, INITIATE)
    data = _valid(S.RequestCreateSerializer, request)
    specs = [ItemSpec(**item) for item in data["items"]]
    actor = request.user
    with transaction.atomic():
        req = services.link_request_create_draft(actor=actor, reseller=request.reseller)
        services.link_request_set_types(
            actor=actor, request_id=req.pk, link_types=[s.link_type for s in specs]
        )
        services.link_request_set_customer(
            actor=actor, request_id=req.pk, account_id=data["account_id"]
        )
        services.link_request_set_scope(
            actor=actor,
            request_id=req.pk,
            scopes={s.link_type: s for s in specs},
            team_ids=data.get("teams") or [],
        )
        services.link_request_set_details(
            actor=actor,
            request_id=req.pk,
            ticket_reference=data["ticket_reference"],
            note_to_customer=data["note_to_customer"],
            consent_days=data["consent_days"] or request.reseller.consent_days,
        )
    return _request_response(req, status.HTTP_201_CREATED)


@extend_schema(responses={200: S.RequestDetailSerializer, **ERRORS}, tags=["requests"])
@endpoint(["GET"], VIEW)
def request_detail(request: Request, pk: int) -> Response:
    req = access_link_request(reseller=request.reseller, pk=pk)
    return Response(S.RequestDetailSerializer(req).data)


@extend_schema(
    request=None,
    parameters=[IDEMPOTENCY],
    responses={200: S.DryRunSerializer, **WRITE_ERRORS},
    tags=["requests"],
)
@endpoint(["POST"], INITIATE, idempotent_post=True)
def request_dry_run(request: Request, pk: int) -> Response:
    """Every reason the draft could not be submitted now, each with its code; changes nothing."""
    req = access_link_request(reseller=request.reseller, pk=pk)
    reasons = link_request_dry_run(actor=request.user, req=req)
    return Response({"ok": not reasons, "errors": [reason_entry(r) for r in reasons]})


def _decision(request: Request, pk: int, action: str, call) -> Response:
    req = access_link_request(reseller=request.reseller, pk=pk)
    try:
        with transaction.atomic():
            done = call(req)
    except PortalError as error:
        if action:  # the actions the request's timeline keeps refusals of
            _refused(request, req, action, error)
        raise
    return _request_response(done)


@extend_schema(
    request=None,
    parameters=[IDEMPOTENCY],
    responses={200: S.RequestDetailSerializer, **WRITE_ERRORS},
    tags=["requests"],
)
@endpoint(["POST"], INITIATE, idempotent_post=True)
def request_submit(request: Request, pk: int) -> Response:
    """Submit a draft: every check again (422 with every reason), then approval or consent."""
    return _decision(
        request,
        pk,
        Refusal.Action.SUBMIT,
        lambda req: services.link_request_submit(actor=request.user, request_id=req.pk),
    )


def _reason(request: Request, pk: int) -> str:
    # Another reseller's request is a 404 whatever the body holds.
    access_link_request(reseller=request.reseller, pk=pk)
    body = _valid(S.ReasonSerializer, request)
    return body["reason"]


@extend_schema(
    request=S.ReasonSerializer,
    parameters=[IDEMPOTENCY],
    responses={200: S.RequestDetailSerializer, **WRITE_ERRORS},
    tags=["requests"],
)
@endpoint(["POST"], INITIATE, idempotent_post=True)
def request_cancel(request: Request, pk: int) -> Response:
    reason = _reason(request, pk)
    return _decision(
        request,
        pk,
        Refusal.Action.CANCEL,
        lambda req: services.link_request_cancel(
            actor=request.user, request_id=req.pk, reason=reason
        ),
    )


@extend_schema(
    request=S.ResendSerializer,
    parameters=[IDEMPOTENCY],
    responses={200: S.RequestDetailSerializer, **WRITE_ERRORS},
    tags=["requests"],
)
@endpoint(["POST"], INITIATE, idempotent_post=True)
def request_resend(request: Request, pk: int) -> Response:
    """Send the consent e-mail again with a new link (the old one stops working)."""
    access_link_request(reseller=request.reseller, pk=pk)
    data = _valid(S.ResendSerializer, request)
    return _decision(
        request,
        pk,
        Refusal.Action.RESEND,
        lambda req: services.link_request_resend(
            actor=request.user,
            request_id=req.pk,
            contact_email=data["contact_email"],
            extend_days=data["extend_days"],
        ),
    )


@extend_schema(
    request=S.ApplyPresetSerializer,
    parameters=[IDEMPOTENCY],
    responses={200: S.RequestDetailSerializer, **WRITE_ERRORS},
    tags=["requests"],
)
@endpoint(["POST"], INITIATE, idempotent_post=True)
def request_apply_preset(request: Request, pk: int) -> Response:
    """Fill a draft's link types, scope and consent deadline from one of the presets."""
    req = access_link_request(reseller=request.reseller, pk=pk)
    body = _valid(S.ApplyPresetSerializer, request)
    preset = access_preset(reseller=request.reseller, pk=body["preset_id"])
    return _decision(
        request,
        req.pk,
        "",
        lambda r: services.link_request_apply_preset(
            actor=request.user, request_id=r.pk, preset_id=preset.pk
        ),
    )


# --- approvals ------------------------------------------------------------------------------


@extend_schema(
    parameters=[OpenApiParameter("q", str), *PAGING],
    responses={200: _paged(S.RequestRowSerializer), **ERRORS},
    tags=["approvals"],
)
@endpoint(["GET"], VIEW, query=("q", *PAGE_NAMES))
def approval_queue(request: Request) -> Response:
    """Requests waiting for approval, oldest wait first (the approval queue page)."""
    form = forms.RequestSearchForm(request.query_params or None)
    _filters(form)
    q = (form.valid_data().get("q") or "").strip() if request.query_params else ""
    qs = request_rows(approval_queue_for_user(reseller=request.reseller, user=request.user, q=q))
    return _page(request, qs, S.RequestRowSerializer, ("status_changed_at", "id"))


@extend_schema(
    request=S.ReasonSerializer,
    parameters=[IDEMPOTENCY],
    responses={200: S.RequestDetailSerializer, **WRITE_ERRORS},
    tags=["approvals"],
)
@endpoint(["POST"], APPROVE, idempotent_post=True)
def request_approve(request: Request, pk: int) -> Response:
    """Approve (maker-checker: never a request of the key's own holder, LNK-A001)."""
    reason = _reason(request, pk)
    return _decision(
        request,
        pk,
        Refusal.Action.APPROVE,
        lambda req: services.link_request_approve(
            actor=request.user, request_id=req.pk, reason=reason
        ),
    )


@extend_schema(
    request=S.ReasonSerializer,
    parameters=[IDEMPOTENCY],
    responses={200: S.RequestDetailSerializer, **WRITE_ERRORS},
    tags=["approvals"],
)
@endpoint(["POST"], APPROVE, idempotent_post=True)
def request_reject(request: Request, pk: int) -> Response:
    reason = _reason(request, pk)
    return _decision(
        request,
        pk,
        Refusal.Action.REJECT,
        lambda req: services.link_request_reject(
            actor=request.user, request_id=req.pk, reason=reason
        ),
    )
