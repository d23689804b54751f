"""Presets and batches: upload, the dry-run report and the result, progress, confirm."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from linking.api import serializers as S
from linking.api.views._common import (
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
    _require,
    _valid,
    endpoint,
)
from linking.batches import forms as batch_forms
from linking.batches import services as batch_services
from linking.batches.selectors import batch_list_for_reseller, batch_rows
from linking.models import BatchRow
from linking.permissions import (
    access_batch,
)
from linking.selectors.presets import preset_list_for_reseller

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
