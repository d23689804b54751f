"""What every endpoint of `/api/v1/` shares: the roles, the documented errors, the
`endpoint` decorator (role, query parameters, idempotency), paging and body validation."""

from __future__ import annotations

from functools import wraps

from django import forms as django_forms
from django.contrib.auth.decorators import login_not_required
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from linking.api import serializers as S
from linking.api.auth import attributed_to
from linking.api.idempotency import idempotent
from linking.permissions import access_link_request
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
            request.reseller_perms = key.perms
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


def _require(request: Request, perm: str) -> None:
    """The key's role must allow `perm` (a 403 with API-K008), for a POST whose GET reads."""
    if perm not in request.auth.perms:
        error = PortalError("API-K008", prefix=request.auth.prefix, role=request.auth.role)
        exc = PermissionDenied(error.message)
        exc.portal_error = error
        raise exc


def _request_response(req, http_status=status.HTTP_200_OK) -> Response:
    req = access_link_request(reseller=req.reseller, pk=req.pk)
    response = Response(S.RequestDetailSerializer(req).data, status=http_status)
    if http_status == status.HTTP_201_CREATED:
        response["Location"] = reverse("api:request-detail", args=[req.pk])
    return response
