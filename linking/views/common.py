"""What the linking views share: paging, and a refusal turned into messages."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse, QueryDict

from linking.checks.reasons import ChecksFailed, Reason
from portal.errors import PortalError
from portal.pagination import Page, paginate, query_without_paging


def list_page(
    request: HttpRequest, qs: QuerySet, ordering: tuple[str, str] = ("-created_at", "-id")
) -> Page:
    # Keyset links for Next/Previous and a capped count: as fast on page 5,000 as on page 1.
    return paginate(request, qs, ordering=ordering)


def query_without_page(request: HttpRequest) -> str:
    return query_without_paging(request)


def error_reasons(error: PortalError) -> list[Reason]:
    """The reasons of an error, as the `_reasons.html` partial lists them."""
    if isinstance(error, ChecksFailed):
        return error.reasons
    return [Reason(code=error.code, stage=error.stage, message=error.message, hint=error.hint)]


def message_error(request: HttpRequest, error: PortalError) -> None:
    for reason in error_reasons(error):
        messages.error(request, f"{reason.message} {reason.hint} ({reason.code})")


def reason_refused(request: HttpRequest, form: Form) -> None:
    """Say why a reason form refused what was posted (LNK-A005): an action taken with a
    reason is not taken without it."""
    problem = " ".join(str(error) for errors in form.errors.values() for error in errors)
    message_error(request, PortalError("LNK-A005", problem=problem))


def posted(request: HttpRequest) -> QueryDict | None:
    # Not `request.POST or None`: an empty POST (billing has no scope) is still a submission.
    return request.POST if request.method == "POST" else None


def read_upload(request) -> tuple[str, bytes]:
    """The uploaded file's name and bytes; refuses a missing or oversized file before reading."""
    upload = request.FILES.get("file")
    if upload is None:
        raise PortalError("LNK-B022")
    if upload.size > settings.PORTAL_BATCH_MAX_BYTES:
        raise PortalError("LNK-B001", size=upload.size, limit=settings.PORTAL_BATCH_MAX_BYTES)
    return upload.name or "upload", upload.read(settings.PORTAL_BATCH_MAX_BYTES + 1)


def csv_response(text: str, filename: str) -> HttpResponse:
    # A BOM so that spreadsheet programs read the UTF-8 download as UTF-8.
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
