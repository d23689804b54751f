"""Pages of batch linking: upload a file, read the dry-run report, confirm, watch, download.

Thin like every view: parse, fetch through `linking.permissions`, call one service.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import ResellerRequest, reseller_required
from linking.batches import forms as batch_forms
from linking.batches import parsing
from linking.batches import services as batch_service
from linking.batches.selectors import (
    RESULT_HEADER,
    batch_list_for_reseller,
    batch_rows,
    result_lines,
    with_links,
)
from linking.permissions import access_batch
from linking.views.common import (
    csv_response,
    list_page,
    message_error,
    query_without_page,
    read_upload,
)
from portal import tabular
from portal.errors import PortalError


@require_GET
@reseller_required("view_reseller")
def batch_list(request: ResellerRequest) -> HttpResponse:
    qs = batch_list_for_reseller(reseller=request.reseller)
    return render(
        request,
        "linking/batch_list.html",
        {"page": list_page(request, qs), "query": "", "columns": parsing.COLUMN_HELP},
    )


@require_http_methods(["GET", "POST"])
@reseller_required("initiate_requests")
def batch_upload(request: ResellerRequest) -> HttpResponse:
    form = batch_forms.UploadForm()
    error = None
    if request.method == "POST":
        try:
            name, data = read_upload(request)
            batch = batch_service.batch_upload(
                actor=request.user, reseller=request.reseller, file_name=name, data=data
            )
        except PortalError as exc:
            error = exc
        else:
            messages.success(
                request,
                ngettext(
                    "%(reference)s: %(count)d row checked; nothing is created until you confirm.",
                    "%(reference)s: %(count)d rows checked; nothing is created until you confirm.",
                    batch.total_rows,
                )
                % {"reference": batch.reference, "count": batch.total_rows},
            )
            return redirect("linking:batch-detail", pk=batch.pk)
    return render(
        request,
        "linking/batch_upload.html",
        {
            "form": form,
            "error": error,
            "columns": parsing.COLUMN_HELP,
            "max_bytes": settings.PORTAL_BATCH_MAX_BYTES,
            "max_rows": settings.PORTAL_BATCH_MAX_ROWS,
        },
        status=400 if error else 200,
    )


@require_GET
@reseller_required("initiate_requests")
def batch_template_csv(request: ResellerRequest) -> HttpResponse:
    text = tabular.write_csv(parsing.COLUMNS, parsing.TEMPLATE_ROWS)
    return csv_response(text, "batch-template.csv")


@require_GET
@reseller_required("view_reseller")
def batch_detail(request: ResellerRequest, pk: int) -> HttpResponse:
    batch = access_batch(reseller=request.reseller, pk=pk)
    form = batch_forms.BatchRowFilterForm(request.GET or None)
    data = form.valid_data() if request.GET else {}
    rows = batch_rows(batch=batch, outcome=data.get("outcome") or "")
    page = list_page(request, rows, ("row_number", "id"))
    with_links(page.object_list)
    return render(
        request,
        "linking/batch_detail.html",
        {
            "batch": batch,
            "form": form,
            "page": page,
            "query": query_without_page(request),
            "can_run": "initiate_requests" in request.reseller_perms,
        },
    )


@require_GET
@reseller_required("view_reseller")
def batch_progress(request: ResellerRequest, pk: int) -> HttpResponse:
    batch = access_batch(reseller=request.reseller, pk=pk)
    return render(request, "linking/_batch_progress.html", {"batch": batch})


@require_POST
@reseller_required("initiate_requests")
def batch_confirm(request: ResellerRequest, pk: int) -> HttpResponse:
    batch = access_batch(reseller=request.reseller, pk=pk)
    try:
        batch = batch_service.batch_confirm(actor=request.user, batch_id=batch.pk)
    except PortalError as error:
        message_error(request, error)
    else:
        messages.success(
            request,
            ngettext(
                "%(reference)s: %(count)d row is being run.",
                "%(reference)s: %(count)d rows are being run.",
                batch.to_run,
            )
            % {"reference": batch.reference, "count": batch.to_run},
        )
    return redirect("linking:batch-detail", pk=batch.pk)


@require_POST
@reseller_required("initiate_requests")
def batch_retry(request: ResellerRequest, pk: int) -> HttpResponse:
    batch = access_batch(reseller=request.reseller, pk=pk)
    try:
        batch = batch_service.batch_retry_failed(actor=request.user, batch_id=batch.pk)
    except PortalError as error:
        message_error(request, error)
    else:
        messages.success(
            request,
            ngettext(
                "%(reference)s: %(count)d failed row runs again.",
                "%(reference)s: %(count)d failed rows run again.",
                batch.to_run,
            )
            % {"reference": batch.reference, "count": batch.to_run},
        )
    return redirect("linking:batch-detail", pk=batch.pk)


@require_GET
@reseller_required("view_reseller")
def batch_result_csv(request: ResellerRequest, pk: int) -> HttpResponse:
    batch = access_batch(reseller=request.reseller, pk=pk)
    text = tabular.write_csv(RESULT_HEADER, result_lines(batch))
    return csv_response(text, f"{batch.reference}-result.csv")
