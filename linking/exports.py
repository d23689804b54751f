"""CSV exports of the request and link lists, shared by the export pages and the commands.

An export holds exactly what the list page shows for the same query string: the list's own form
reads the filters and the list's own selector applies them. Rows are streamed in chunks with a
fixed number of queries per chunk, so an export of any size holds one chunk in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from django.db.models import Q
from django.http import QueryDict, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Reseller
from linking import forms
from linking.models import Link, LinkRequest
from linking.selectors.link_setup import (
    LINK_STATE_HEADER,
    link_setup_state,
    link_state_cells,
    links_of_requests,
)
from linking.selectors.link_setup import when as _when
from linking.selectors.links import link_list_for_reseller
from linking.selectors.requests import link_request_list_for_reseller
from portal.tabular import csv_lines, safe_cell  # noqa: F401 (the exports' cell rule)

CHUNK_SIZE = 1000

REQUEST_HEADER = [
    "Reference",
    "Customer account id",
    "Customer account name",
    "Customer name",
    "Link types",
    "Status",
    "Waiting on",
    "Ticket reference",
    "Initiator",
    "Approver",
    "Created",
    "Submitted",
    "Decided by the customer",
    "Last status change",
    *LINK_STATE_HEADER,
]

LINK_HEADER = [
    "Reference",
    "Customer account id",
    "Customer account name",
    "Customer name",
    "Type",
    "Status",
    "Verification",
    "Access level",
    "Services",
    "Regions",
    "Started",
    "Ends",
    "Revoked",
    "Clean-up",
    "Request",
    "Ticket reference",
    "Setup",
    "Setup deadline",
    "Last verified",
]


def request_filter_form(reseller: Reseller, query: QueryDict) -> forms.RequestFilterForm:
    return forms.RequestFilterForm(query or None, reseller=reseller)


def link_filter_form(query: QueryDict) -> forms.LinkFilterForm:
    return forms.LinkFilterForm(query or None)


def requests_for_export(reseller: Reseller, query: QueryDict):
    """The request list's queryset for this query string (the page's filters, all pages)."""
    form = request_filter_form(reseller, query)
    return link_request_list_for_reseller(reseller=reseller, filters=form.filters())


def links_for_export(reseller: Reseller, query: QueryDict, visible: Q | None = None):
    """The link list's queryset for this query string (the page's filters, all pages; with
    `visible`, the links the reader's teams let them see, as on the page)."""
    form = link_filter_form(query)
    return link_list_for_reseller(
        reseller=reseller, visible=visible, **form.filters()
    ).select_related("source_item__request")


def _chunks(qs) -> Iterator[list]:
    chunk: list = []
    for row in qs.iterator(chunk_size=CHUNK_SIZE):
        chunk.append(row)
        if len(chunk) == CHUNK_SIZE:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def request_rows(qs) -> Iterator[list[str]]:
    """The header, then one row per request; a query per chunk, one for the chunk's items and
    one for the links they made (their setup and verification)."""
    yield REQUEST_HEADER
    req: LinkRequest
    for chunk in _chunks(qs):
        links = links_of_requests(req.pk for req in chunk)
        for req in chunk:
            items = list(req.items.all())
            decided = [item.decided_at for item in items if item.decided_at]
            yield [
                req.reference,
                req.customer.account_id if req.customer else req.account_id_input,
                req.customer.account_name if req.customer else "",
                req.customer.display_name if req.customer else "",
                " ".join(item.link_type for item in items),
                req.effective_status,
                req.waiting_on,
                req.ticket_reference,
                req.initiator.email,
                req.approver.email if req.approver else "",
                _when(req.created_at),
                _when(req.submitted_at),
                _when(max(decided)) if decided else "",
                _when(req.status_changed_at),
                *link_state_cells(links.get(req.pk, [])),
            ]


def link_rows(qs) -> Iterator[list[str]]:
    """The header, then one row per link; one query per chunk (everything is joined)."""
    yield LINK_HEADER
    link: Link
    for link in qs.iterator(chunk_size=CHUNK_SIZE):
        source = link.source_item.request if link.source_item else None
        yield [
            link.reference,
            link.customer.account_id,
            link.customer.account_name,
            link.customer.display_name,
            link.link_type,
            link.effective_status,
            link.verification_status,
            link.access_level,
            " ".join(link.services or []),
            " ".join(link.regions or []),
            _when(link.starts_at or link.activated_at),
            _when(link.ends_at),
            _when(link.revoked_at),
            link.cleanup_status,
            source.reference if source else "",
            source.ticket_reference if source else "",
            link_setup_state(status=link.status, activated_at=link.activated_at),
            _when(link.setup_deadline),
            _when(link.verified_at),
        ]


def csv_bytes(rows: Iterable[list], *, bom: bool = True) -> Iterator[bytes]:
    for line in csv_lines(rows, bom=bom):
        yield line.encode("utf-8")


def export_filename(kind: str, reseller: Reseller, today: date | None = None) -> str:
    today = today or timezone.localdate()
    return f"{kind}-{slugify(reseller.partner_id)}-{today.isoformat()}.csv"


def csv_response(rows: Iterable[list], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_bytes(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # The export reflects the data of this moment; a shared cache must not replay it.
    response["Cache-Control"] = "private, no-store"
    return response
