"""The audit pages of the admin: the audit events (read-only), the audit trail of every change
with its filters, and its export as CSV. Auditors and staff; nobody can change anything here."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from accounts.admin import ReadOnlyAdminMixin
from accounts.audit_trail import (
    TrailFilter,
    kind_choices,
    trail_entries,
    trail_index,
    trail_iter,
    trail_sources,
)
from accounts.models import AuditEvent, Reseller, User
from portal.admin_lists import BoundedDateHierarchyMixin, SafeToFieldMixin
from portal.identifiers import IdentifierField, visible
from portal.tabular import csv_lines
from portal.tabular import safe_cell as _cell


class TrailFilterForm(forms.Form):
    start = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="To (inclusive)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    actor = IdentifierField(label="Actor e-mail", required=False, max_length=254)
    reseller = IdentifierField(label="Reseller partner id", required=False, max_length=20)
    model = forms.ChoiceField(label="Model", required=False)
    kind = forms.ChoiceField(label="Change", required=False)

    def __init__(self, *args, sources, require_dates=False, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["model"]).choices = [("", "every model")] + [
            (source.label, f"{source.name} ({source.label})") for source in sources
        ]
        cast(forms.ChoiceField, self.fields["kind"]).choices = [
            ("", "every change"),
            *kind_choices(),
        ]
        if require_dates:
            self.fields["start"].required = True
            self.fields["end"].required = True

    def clean_reseller(self):
        partner_id = self.cleaned_data["reseller"].strip()
        if not partner_id:
            return None
        reseller = Reseller.objects.filter(partner_id__iexact=partner_id).only("pk").first()
        if reseller is None:
            raise forms.ValidationError(f"No reseller has the partner id “{visible(partner_id)}”.")
        return reseller.pk

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end of the range is before its start.")
        return data

    def trail_filter(self) -> TrailFilter:
        data = self.cleaned_data
        tz = timezone.get_current_timezone()
        email = data["actor"].strip()
        return TrailFilter(
            start=(
                dt.datetime.combine(data["start"], dt.time.min, tzinfo=tz)
                if data["start"]
                else None
            ),
            end=(
                dt.datetime.combine(data["end"] + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
                if data["end"]
                else None
            ),
            actor_ids=(
                list(User.objects.filter(email__iexact=email).values_list("pk", flat=True))
                if email
                else None
            ),
            reseller_id=data["reseller"],
            label=data["model"],
            kind=data["kind"],
        )


CSV_HEADER = [
    "when (UTC)",
    "model",
    "object id",
    "object",
    "change",
    "actor",
    "reason",
    "changed fields (old → new)",
    "reseller",
]


def csv_row(entry) -> list[str]:
    return [
        entry.when.astimezone(dt.UTC).isoformat(),
        entry.label,
        entry.object_id,
        _cell(entry.object_repr),
        entry.kind,
        _cell(entry.actor.email if entry.actor else "system"),
        _cell(entry.reason),
        _cell(entry.changes_text),
        entry.reseller.partner_id if entry.reseller else "",
    ]


@admin.register(AuditEvent)
class AuditEventAdmin(
    SafeToFieldMixin, BoundedDateHierarchyMixin, ReadOnlyAdminMixin, admin.ModelAdmin
):
    list_display = [
        "created_at",
        "action",
        "actor",
        "permission",
        "group_name",
        "object_repr",
        "reseller",
        "reason",
    ]
    list_filter = ["action", "created_at"]
    list_select_related = ["actor", "reseller"]
    search_fields = ["permission", "group_name", "object_repr", "reason", "actor__email"]
    date_hierarchy = "created_at"
    change_list_template = "admin/accounts/auditevent/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("trail/", view(self.trail_view), name="accounts_auditevent_trail"),
            path("trail/export/", view(self.export_view), name="accounts_auditevent_export"),
            *super().get_urls(),
        ]

    def _sources(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        user = request.user
        return [source for source in trail_sources() if user.has_perm(source.view_perm)]

    def trail_view(self, request):
        """Every change of every tracked object and every audit event, newest first."""
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        sources = self._sources(request)
        form = TrailFilterForm(request.GET or None, sources=sources)
        page = None
        if form.is_bound and not form.is_valid():
            entries = []
        else:
            flt = form.trail_filter() if form.is_bound else TrailFilter()
            index = trail_index(sources=sources, flt=flt)
            paginator = Paginator(index if index is not None else [], self.list_per_page)
            page = paginator.get_page(request.GET.get("p"))
            entries = trail_entries(list(page.object_list), sources)
        query = request.GET.copy()
        query.pop("p", None)
        context = {
            **self.admin_site.each_context(request),
            "title": "Audit trail",
            "opts": self.model._meta,
            "form": form,
            "entries": entries,
            "page": page,
            "query": query.urlencode(),
        }
        return TemplateResponse(request, "admin/accounts/auditevent/trail.html", context)

    def export_view(self, request):
        """The trail of a date range as CSV, oldest first, streamed."""
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        sources = self._sources(request)
        form = TrailFilterForm(request.GET, sources=sources, require_dates=True)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": "Audit trail",
                "opts": self.model._meta,
                "form": form,
                "entries": [],
                "page": None,
                "query": "",
                "export_refused": True,
            }
            return TemplateResponse(
                request, "admin/accounts/auditevent/trail.html", context, status=400
            )
        flt = form.trail_filter()

        def rows():
            yield CSV_HEADER
            for entry in trail_iter(sources=sources, flt=flt):
                yield csv_row(entry)

        data = form.cleaned_data
        name = f"audit-trail-{data['start']:%Y-%m-%d}-to-{data['end']:%Y-%m-%d}.csv"
        return StreamingHttpResponse(
            csv_lines(rows(), bom=False),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
