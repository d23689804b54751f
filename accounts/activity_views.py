"""The reseller's activity log: a page and its CSV export, for every member (read-only)."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from accounts import activity
from accounts.forms import ActivityFilterForm
from accounts.permissions import ResellerRequest, reseller_required

logger = logging.getLogger(__name__)


def _filters(request: ResellerRequest) -> tuple[ActivityFilterForm, activity.Filters]:
    form = ActivityFilterForm(
        request.GET, people=activity.activity_people(reseller=request.reseller)
    )
    if not form.is_valid():
        # A filter not understood is dropped, the others still apply.
        data = {k: v for k, v in form.cleaned_data.items() if k not in form.errors}
    else:
        data = form.cleaned_data
    zone = timezone.get_current_timezone()
    since = data.get("since")
    until = data.get("until")
    filters = activity.Filters(
        since=datetime.combine(since, time.min, zone) if since else None,
        until=datetime.combine(until + timedelta(days=1), time.min, zone) if until else None,
        person=data.get("person") or None,
        kinds=(data["kind"],) if data.get("kind") else (),
        change=data.get("change") or "",
    )
    return form, filters


@require_GET
@reseller_required("view_reseller")
def activity_list(request: ResellerRequest) -> HttpResponse:
    form, filters = _filters(request)
    cursor = activity.Cursor.decode(request.GET.get("after", ""))
    rows, next_cursor = activity.activity_page(
        reseller=request.reseller, filters=filters, cursor=cursor
    )
    query = request.GET.copy()
    query.pop("after", None)
    next_query = ""
    if next_cursor is not None:
        query["after"] = next_cursor.encode()
        next_query = query.urlencode()
        query.pop("after")
    return render(
        request,
        "accounts/activity_list.html",
        {
            "form": form,
            "rows": rows,
            "next_query": next_query,
            "filter_query": query.urlencode(),
            "paged": cursor is not None,
        },
    )


def _csv_rows(request: ResellerRequest, filters: activity.Filters):
    yield [
        gettext("When"),
        gettext("Person"),
        gettext("Object kind"),
        gettext("Object"),
        gettext("Change"),
        gettext("Reason"),
    ]
    for row in activity.activity_iter(reseller=request.reseller, filters=filters):
        yield [
            row["when"].isoformat(),
            row["actor"],
            str(row["kind_label"]),
            row["object"],
            str(row["change_label"]),
            row["reason"],
        ]


@require_GET
@reseller_required("view_reseller")
def activity_csv(request: ResellerRequest) -> StreamingHttpResponse:
    """Every row the page shows for these filters (all pages), as CSV. Read-only."""
    from linking.exports import csv_response, export_filename

    _form, filters = _filters(request)
    # The log leaves the portal: who took it stays on record, as for the other exports.
    logger.info(
        "export of activity by user %s of reseller %s, filters %r",
        request.user.pk,
        request.reseller.partner_id,
        request.GET.urlencode(),
    )
    return csv_response(_csv_rows(request, filters), export_filename("activity", request.reseller))
