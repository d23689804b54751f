"""CSV exports of the request and link lists: what the list shows for the same query string."""

from __future__ import annotations

import logging

from django.http import StreamingHttpResponse
from django.views.decorators.http import require_GET

from accounts.permissions import ResellerRequest, reseller_required
from linking import exports
from linking.permissions import visible_to

logger = logging.getLogger(__name__)


def _log(request: ResellerRequest, kind: str) -> None:
    # Exports carry customer data out of the portal: who took what stays on record.
    logger.info(
        "export of %s by user %s of reseller %s, filters %r",
        kind,
        request.user.pk,
        request.reseller.partner_id,
        request.GET.urlencode(),
    )


@require_GET
@reseller_required("view_reseller")
def request_export(request: ResellerRequest) -> StreamingHttpResponse:
    """Every request the list shows for this query string (all pages), as CSV. Read-only."""
    _log(request, "requests")
    qs = exports.requests_for_export(request.reseller, request.GET)
    return exports.csv_response(
        exports.request_rows(qs), exports.export_filename("requests", request.reseller)
    )


@require_GET
@reseller_required("view_reseller")
def link_export(request: ResellerRequest) -> StreamingHttpResponse:
    """Every link the list shows for this query string (all pages), as CSV. Read-only."""
    _log(request, "links")
    qs = exports.links_for_export(request.reseller, request.GET, visible_to(request))
    return exports.csv_response(
        exports.link_rows(qs), exports.export_filename("links", request.reseller)
    )
