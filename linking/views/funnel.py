"""The linking funnel of a reseller (every member, read-only) and of the platform (staff and
auditors, in the admin): a page per period and its CSV."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from django import forms
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from accounts.models import Reseller
from accounts.permissions import ResellerRequest, reseller_required
from linking.exports import csv_response, export_filename
from linking.outbox.views import staff_required
from linking.selectors.funnel import Funnel, Period, funnel
from portal.codes import CODES

logger = logging.getLogger(__name__)

DEFAULT_DAYS = 30
MAX_DAYS = 366


class FunnelPeriodForm(forms.Form):
    """The period (days, inclusive), a refusal code to list the requests of, and in the admin a
    reseller; anything not understood falls back to the last 30 days, never an error page."""

    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    code = forms.CharField(required=False, max_length=20)
    reseller = forms.IntegerField(required=False, min_value=1)

    def period(self) -> Period:
        data = self.cleaned_data if self.is_valid() else {}
        today = timezone.localdate()
        until = data.get("until") or today
        since = data.get("since") or until - timedelta(days=DEFAULT_DAYS - 1)
        if since > until:
            since, until = until, since
        since = max(since, until - timedelta(days=MAX_DAYS - 1))
        zone = timezone.get_current_timezone()
        return Period(
            since=datetime.combine(since, time.min, zone),
            until=datetime.combine(until + timedelta(days=1), time.min, zone),
        )

    def refusal_code(self) -> str:
        value = (self.cleaned_data.get("code") or "") if self.is_valid() else ""
        return value if value in CODES else ""


def presets(today: date) -> list[tuple[str, date, date]]:
    first = today.replace(day=1)
    last_month_end = first - timedelta(days=1)
    return [
        (str(_("Last 30 days")), today - timedelta(days=29), today),
        (str(_("This month")), first, today),
        (str(_("Last month")), last_month_end.replace(day=1), last_month_end),
    ]


def _context(form: FunnelPeriodForm, data: Funnel) -> dict:
    until = data.period.until - timedelta(days=1)
    return {
        "form": form,
        "funnel": data,
        "since": data.period.since.date(),
        "until": until.date(),
        "presets": presets(timezone.localdate()),
        "code": form.refusal_code(),
        "code_message": CODES[form.refusal_code()].message_template if form.refusal_code() else "",
    }


@require_GET
@reseller_required("view_reseller")
def funnel_page(request: ResellerRequest) -> HttpResponse:
    form = FunnelPeriodForm(request.GET)
    data = funnel(reseller_id=request.reseller.pk, period=form.period(), code=form.refusal_code())
    return render(request, "linking/funnel.html", _context(form, data))


def _hours(value: timedelta | None) -> str:
    return "" if value is None else f"{value.total_seconds() / 3600:.2f}"


def csv_rows(data: Funnel) -> Iterator[list[str]]:
    yield [
        gettext("Section"),
        gettext("Name"),
        gettext("Count"),
        gettext("Median (hours)"),
        gettext("90th percentile (hours)"),
    ]
    for _status, label, count in data.outcomes:
        yield [gettext("Outcome"), str(label), str(count), "", ""]
    for stage in data.stages:
        yield [
            gettext("Stage"),
            stage.label,
            str(stage.count),
            _hours(stage.median),
            _hours(stage.p90),
        ]
    for row in data.refusals:
        yield [gettext("Refusal"), row["code"], str(row["total"]), "", ""]
    for check_code, count in data.failed_checks:
        yield [gettext("Failed check"), check_code, str(count), "", ""]


@require_GET
@reseller_required("view_reseller")
def funnel_csv(request: ResellerRequest) -> StreamingHttpResponse:
    form = FunnelPeriodForm(request.GET)
    data = funnel(reseller_id=request.reseller.pk, period=form.period())
    logger.info(
        "export of the funnel by user %s of reseller %s",
        request.user.pk,
        request.reseller.partner_id,
    )
    return csv_response(csv_rows(data), export_filename("funnel", request.reseller))


@require_GET
@staff_required("linking.view_linkrequest")
def admin_funnel_page(request: HttpRequest) -> HttpResponse:
    """The funnel across resellers (or of one), for platform staff and auditors."""
    form = FunnelPeriodForm(request.GET)
    reseller_id = form.cleaned_data.get("reseller") if form.is_valid() else None
    reseller = Reseller.objects.filter(pk=reseller_id).first() if reseller_id else None
    data = funnel(
        reseller_id=reseller.pk if reseller else None,
        period=form.period(),
        code=form.refusal_code(),
    )
    context = _context(form, data)
    from django.contrib import admin

    context.update(
        admin.site.each_context(request),
        title=gettext("Linking funnel"),
        reseller=reseller,
        resellers=Reseller.objects.order_by("name").values_list("pk", "name"),
    )
    return render(request, "admin/linking/funnel.html", context)
