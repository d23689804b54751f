"""What the linking views share: paging, and a refusal turned into messages."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict

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


def posted(request: HttpRequest) -> QueryDict | None:
    # Not `request.POST or None`: an empty POST (billing has no scope) is still a submission.
    return request.POST if request.method == "POST" else None
