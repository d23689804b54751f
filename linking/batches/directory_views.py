"""Pages for platform staff: the customer directory import (upload, dry-run report, confirm)."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linking.batches import directory
from linking.batches.forms import UploadForm
from linking.models import DirectoryImport
from linking.views.common import csv_response, read_upload
from portal import tabular
from portal.errors import PortalError


def _directory_staff(view):
    """Staff who may change the directory; auditors (staff, read-only) get a 403."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not (
            user.is_active
            and user.is_staff
            and user.has_perm("linking.add_customeraccount")
            and user.has_perm("linking.change_customeraccount")
        ):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


@require_http_methods(["GET", "POST"])
@_directory_staff
def directory_import(request):

    error = None
    if request.method == "POST":
        try:
            name, data = read_upload(request)
            imp = directory.directory_import_upload(actor=request.user, file_name=name, data=data)
        except PortalError as exc:
            error = exc
        else:
            messages.success(
                request,
                ngettext(
                    "%(reference)s: %(count)d row checked; nothing changes until you confirm.",
                    "%(reference)s: %(count)d rows checked; nothing changes until you confirm.",
                    imp.total_rows,
                )
                % {"reference": imp.reference, "count": imp.total_rows},
            )
            return redirect("ops:directory-import-detail", pk=imp.pk)
    imports = DirectoryImport.objects.select_related("uploaded_by")
    return render(
        request,
        "ops/directory_import.html",
        {
            "form": UploadForm(),
            "error": error,
            "columns": directory.COLUMN_HELP,
            "page": Paginator(imports, settings.PORTAL_PAGE_SIZE).get_page(request.GET.get("page")),
            "query": "",
            "max_bytes": settings.PORTAL_BATCH_MAX_BYTES,
            "max_rows": settings.PORTAL_BATCH_MAX_ROWS,
        },
        status=400 if error else 200,
    )


@require_GET
@_directory_staff
def directory_import_template(request):

    return csv_response(
        tabular.write_csv(directory.COLUMNS, directory.TEMPLATE_ROWS), "directory-template.csv"
    )


@require_GET
@_directory_staff
def directory_import_detail(request, pk: int):
    imp = get_object_or_404(DirectoryImport.objects.select_related("uploaded_by"), pk=pk)
    page = Paginator(imp.rows, settings.PORTAL_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "ops/directory_import_detail.html", {"imp": imp, "page": page, "query": ""}
    )


@require_POST
@_directory_staff
def directory_import_confirm(request, pk: int):

    imp = get_object_or_404(DirectoryImport, pk=pk)
    try:
        imp = directory.directory_import_apply(actor=request.user, import_id=imp.pk)
    except PortalError as error:
        messages.error(request, error.as_text())
    else:
        messages.success(
            request,
            gettext("%(reference)s applied: %(created)d created, %(updated)d updated.")
            % {
                "reference": imp.reference,
                "created": imp.created_count,
                "updated": imp.updated_count,
            },
        )
    return redirect("ops:directory-import-detail", pk=imp.pk)
