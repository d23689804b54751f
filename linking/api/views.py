"""The endpoints of `/api/v1/`: one operation each, through the pages' selectors, `access_*`
functions and services. The key's role is checked before the object is looked up (a missing
role is a 403 even for another reseller's object, as on the pages); another reseller's object
is a 404.

Step-up: a page asks for the password again before approving a sensitive scope. A key cannot
type a password; approving is open only to keys with the approver role, and making such a key
needs the admin's password (the key page is behind the step-up), so a key that approves is
itself the fresh proof. See docs/api.md.
"""

from __future__ import annotations

from functools import wraps

from django import forms as django_forms
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from linking import forms, services
from linking.api import serializers as S
from linking.api.auth import attributed_to
from linking.api.errors import reason_entry
from linking.api.idempotency import idempotent
from linking.batches import forms as batch_forms
from linking.batches import services as batch_services
from linking.batches.selectors import batch_list_for_reseller, batch_rows
from linking.checks.reasons import ItemSpec
from linking.models import BatchRow, Refusal
from linking.permissions import (
    access_batch,
    access_customer,
    access_link,
    access_link_request,
    access_preset,
)
from linking.selectors.customers import customer_list_linked
from linking.selectors.links import link_list_for_reseller, link_verification_runs
from linking.selectors.presets import preset_list_for_reseller
from linking.selectors.requests import (
    approval_queue_for_user,
    link_request_list_for_reseller,
    request_rows,
)
from linking.services.requests import link_request_dry_run
from portal.codes import CODES
from portal.errors import PortalError
from portal.pagination import paginate

VIEW = "view_reseller"
INITIATE = "initiate_requests"
APPROVE = "approve_requests"

ERRORS = {
    400: OpenApiResponse(S.ErrorSerializer, description="Invalid body or parameters"),
    401: OpenApiResponse(S.ErrorSerializer, description="No key, or a key refused"),
    403: OpenApiResponse(S.ErrorSerializer, description="The key's role does not allow it"),
    404: OpenApiResponse(S.ErrorSerializer, description="Not found, or not your reseller's"),
    405: OpenApiResponse(S.ErrorSerializer, description="Method not allowed"),
    429: OpenApiResponse(S.ErrorSerializer, description="Rate limit; see Retry-After"),
}
WRITE_ERRORS = {
    **ERRORS,
    409: OpenApiResponse(S.ErrorSerializer, description="Wrong state, or idempotency conflict"),
    415: OpenApiResponse(S.ErrorSerializer, description="Not JSON"),
    422: OpenApiResponse(S.ErrorSerializer, description="Refused by the rules; every reason"),
}
IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Optional: retrying with the same key and body replays the first answer "
    "for 24 hours; the same key with another body is refused (API-I001, 409).",
)
_POSITIVE = {"type": "integer", "minimum": 1, "maximum": 2**62}
PAGING = [
    OpenApiParameter("after", _POSITIVE, description="Continue after this id (from `next`)."),
    OpenApiParameter("before", _POSITIVE, description="Continue before this id (`previous`)."),
    OpenApiParameter("page", _POSITIVE, description="Page number, for the first pages."),
]


PAGE_NAMES = ("page", "after", "before")


def _query_checked(request: Request, allowed: tuple[str, ...]) -> None:
    """An unknown or repeated query parameter is a 400: a misspelt filter must not quietly
    return the whole list."""
    wrong = {
        name: ["Not a parameter of this route."]
        if name not in allowed
        else ["Given more than once."]
        for name in request.query_params
        if name not in allowed or len(request.query_params.getlist(name)) > 1
    }
    if wrong:
        raise ValidationError(wrong)


def endpoint(
    methods: list[str], perm: str, *, idempotent_post: bool = False, query: tuple[str, ...] = ()
):
    """An API view: DRF's `api_view`, the key role's permission, history naming the key, and
    only the query parameters in `query` (with the paging ones when it lists)."""

    def decorator(func):
        @wraps(func)
        def inner(request: Request, *args, **kwargs):
            key = request.auth
            _query_checked(request, query)
            _require(request, perm)
            request.reseller = key.reseller
            with attributed_to(key):
                return func(request, *args, **kwargs)

        view = idempotent(inner) if idempotent_post else inner
        return view

    def finish(func):
        view = api_view(methods)(decorator(func))
        return login_not_required(extend_schema(operation_id=func.__name__)(view))

    return finish


def _paging_checked(request: Request) -> None:
    """The pages quietly read a bad `page` as the first; a script is told (400)."""
    wrong = {
        name: ["A whole number from 1, given once."]
        for name in ("page", "after", "before")
        if name in request.query_params
        and (
            len(values := request.query_params.getlist(name)) != 1
            or not (values[0].isascii() and values[0].isdigit())
            or not 1 <= int(values[0]) <= 2**62
        )
    }
    if wrong:
        raise ValidationError(wrong)


def _page(request: Request, qs, serializer, ordering=("-created_at", "-id")) -> Response:
    _paging_checked(request)
    page = paginate(request._request, qs, ordering=ordering)
    base = request._request.path
    other = request.query_params.copy()
    for name in ("page", "after", "before"):
        other.pop(name, None)
    rest = other.urlencode()

    def link(query: str) -> str | None:
        if not query:
            return None
        return f"{base}?{query}" + (f"&{rest}" if rest else "")

    return Response(
        {
            "count": page.count,
            "count_capped": page.count_capped,
            "next": link(page.next_query),
            "previous": link(page.previous_query),
            "results": serializer(page.object_list, many=True).data,
        }
    )


def _filters(form) -> None:
    """A filter the list page would quietly drop is a 400 here: a script wants to know."""
    for name, field in form.fields.items():
        value = form.data.get(name) if form.is_bound else None
        if isinstance(field, django_forms.BooleanField) and value not in (None, "true", "false"):
            raise ValidationError({name: ["Either true or false."]})
    if form.is_bound and not form.is_valid():
        raise ValidationError(
            {
                name: [e["message"] for e in errors]
                for name, errors in form.errors.get_json_data().items()
            }
        )


def _valid(serializer_class, request: Request) -> dict:
    """The request's body as `serializer_class` validates it, or a 400 with every field."""
    body = serializer_class(data=request.data)
    if not body.is_valid():
        raise ValidationError(body.errors)
    return body.validated_data


def _paged(serializer):
    return S.paged(serializer)


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
    qs = customer_list_linked(reseller=request.reseller, q=(data.get("q") or "").strip())
    return _page(request, qs, S.CustomerSerializer, ("display_name", "id"))


@extend_schema(responses={200: S.CustomerSerializer, **ERRORS}, tags=["customers"])
@endpoint(["GET"], VIEW)
def customer_detail(request: Request, pk: int) -> Response:
    customer = access_customer(reseller=request.reseller, pk=pk)
    return Response(S.CustomerSerializer(customer).data)


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
    qs = link_list_for_reseller(reseller=request.reseller, **form.filters())
    return _page(request, qs, S.LinkSerializer)


@extend_schema(responses={200: S.LinkDetailSerializer, **ERRORS}, tags=["links"])
@endpoint(["GET"], VIEW)
def link_detail(request: Request, pk: int) -> Response:
    """A link with its latest verification runs and their evidence."""
    return _link_detail(access_link(reseller=request.reseller, pk=pk))


def _link_detail(link) -> Response:
    link.verification_runs_list = link_verification_runs(link=link)
    return Response(S.LinkDetailSerializer(link).data)


def _draft_from_link(request: Request, pk: int, start, scope: list | None = None) -> Response:
    link = access_link(reseller=request.reseller, pk=pk)
    with transaction.atomic():
        req = start(actor=request.user, link_id=link.pk)
        if scope:
            spec = ItemSpec(**scope[0])
            services.link_request_set_scope(
                actor=request.user, request_id=req.pk, scopes={spec.link_type: spec}
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
    access_link(reseller=request.reseller, pk=pk)  # another reseller's: 404 before the body
    body = _valid(S.AmendSerializer, request)
    return _draft_from_link(request, pk, services.link_amend_start, body.get("items"))


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
    link = access_link(reseller=request.reseller, pk=pk)
    body = _valid(S.RevokeSerializer, request)
    services.link_revoke(
        actor=request.user,
        link_id=link.pk,
        reason=body["reason"],
        confirm_reference=body["confirm_reference"],
    )
    return _link_detail(access_link(reseller=request.reseller, pk=pk))


# --- requests -------------------------------------------------------------------------------


def _request_response(req, http_status=status.HTTP_200_OK) -> Response:
    req = access_link_request(reseller=req.reseller, pk=req.pk)
    response = Response(S.RequestDetailSerializer(req).data, status=http_status)
    if http_status == status.HTTP_201_CREATED:
        response["Location"] = reverse("api:request-detail", args=[req.pk])
    return response


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


def _require(request: Request, perm: str) -> None:
    """The key's role must allow `perm` (a 403 with API-K008), for a POST whose GET reads."""
    if perm not in request.auth.perms:
        error = PortalError("API-K008", prefix=request.auth.prefix, role=request.auth.role)
        exc = PermissionDenied(error.message)
        exc.portal_error = error
        raise exc


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
            actor=actor, request_id=req.pk, scopes={s.link_type: s for s in specs}
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


# --- presets and batches --------------------------------------------------------------------


@extend_schema(
    parameters=PAGING,
    responses={200: _paged(S.PresetSerializer), **ERRORS},
    tags=["presets"],
)
@endpoint(["GET"], VIEW, query=PAGE_NAMES)
def preset_list(request: Request) -> Response:
    """The reseller's presets by name (admins manage them on the presets page)."""
    qs = preset_list_for_reseller(reseller=request.reseller)
    return _page(request, qs, S.PresetSerializer, ("name", "id"))


@extend_schema(
    parameters=PAGING,
    responses={200: _paged(S.BatchSerializer), **ERRORS},
    tags=["batches"],
    methods=["GET"],
    operation_id="batch_list",
)
@extend_schema(
    methods=["POST"],
    request=S.BatchUploadSerializer,
    parameters=[IDEMPOTENCY],
    responses={201: S.BatchSerializer, **WRITE_ERRORS},
    tags=["batches"],
    operation_id="batch_upload",
)
@endpoint(["GET", "POST"], VIEW, idempotent_post=True, query=PAGE_NAMES)
def batch_collection(request: Request) -> Response:
    """GET: the reseller's batches, newest first. POST: upload a batch file (as text); every
    row is checked at once (the dry-run report is its rows) and nothing is created until it
    is confirmed (initiator keys)."""
    if request.method == "POST":
        _require(request, INITIATE)
        body = _valid(S.BatchUploadSerializer, request)
        batch = batch_services.batch_upload(
            actor=request.user,
            reseller=request.reseller,
            file_name=body["file_name"],
            data=body["csv"].encode(),
        )
        response = Response(S.BatchSerializer(batch).data, status=status.HTTP_201_CREATED)
        response["Location"] = reverse("api:batch-detail", args=[batch.pk])
        return response
    qs = batch_list_for_reseller(reseller=request.reseller)
    return _page(request, qs, S.BatchSerializer)


@extend_schema(responses={200: S.BatchSerializer, **ERRORS}, tags=["batches"])
@endpoint(["GET"], VIEW)
def batch_detail(request: Request, pk: int) -> Response:
    """A batch with its counts and the progress of its run."""
    batch = access_batch(reseller=request.reseller, pk=pk)
    return Response(S.BatchSerializer(batch).data)


@extend_schema(
    parameters=[
        OpenApiParameter(
            "outcome", str, enum=[o for o, _ in BatchRow.Outcome.choices], description="Filter"
        ),
        *PAGING,
    ],
    responses={200: _paged(S.BatchRowSerializer), **ERRORS},
    tags=["batches"],
)
@endpoint(["GET"], VIEW, query=("outcome", *PAGE_NAMES))
def batch_row_list(request: Request, pk: int) -> Response:
    """The rows of a batch with every reason of each: the dry-run report before the
    confirmation, the result after the run."""
    batch = access_batch(reseller=request.reseller, pk=pk)
    form = batch_forms.BatchRowFilterForm(request.query_params or None)
    _filters(form)
    data = form.valid_data() if request.query_params else {}
    rows = batch_rows(batch=batch, outcome=data.get("outcome") or "")
    return _page(request, rows, S.BatchRowSerializer, ("row_number", "id"))


@extend_schema(
    request=None,
    parameters=[IDEMPOTENCY],
    responses={200: S.BatchSerializer, **WRITE_ERRORS},
    tags=["batches"],
)
@endpoint(["POST"], INITIATE, idempotent_post=True)
def batch_confirm(request: Request, pk: int) -> Response:
    """Run the batch's valid rows: each becomes a submitted request (a worker runs them;
    follow the progress on the batch)."""
    batch = access_batch(reseller=request.reseller, pk=pk)
    batch = batch_services.batch_confirm(actor=request.user, batch_id=batch.pk)
    return Response(S.BatchSerializer(batch).data)


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
