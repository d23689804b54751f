"""The shortcuts of the list pages say exactly what Django's own machinery says."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.forms.renderers import DjangoTemplates
from django.http import QueryDict
from django.template.defaultfilters import date
from django.urls import reverse, set_script_prefix
from django.utils import timezone
from django.utils.timezone import template_localtime
from guardian.core import ObjectPermissionChecker

from accounts.permissions import reseller_perms
from linking import forms
from linking.templatetags.request_rows import created_display
from portal.templatetags.row_urls import pk_url_for


def _same_markup(a: str, b: str) -> bool:
    def squash(html: str) -> str:
        return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()

    return squash(a) == squash(b)


FILTER_FORMS = [
    (forms.RequestFilterForm, "status=draft&link_type=billing&q=%22%3E%3Cscript%3E&initiator=x"),
    (forms.RequestFilterForm, ""),
    (forms.LinkFilterForm, "status=active&expiring=on&failing=&customer=O%27Brien%20%26%20Co"),
    (forms.LinkFilterForm, "status=nonsense"),
    (forms.SearchForm, "q=%3Cb%3Ebold%3C/b%3E"),
    (forms.RequestSearchForm, "q=LR-000001"),
]


@pytest.mark.parametrize(("form_class", "query"), FILTER_FORMS)
def test_filter_widgets_render_as_django_templates_do(cast, form_class, query):
    kwargs = {"reseller": cast.reseller} if form_class is forms.RequestFilterForm else {}
    data = QueryDict(query) if query else None
    quick = form_class(data, **kwargs)
    templated = form_class(data, renderer=DjangoTemplates(), **kwargs)
    for ours, django_s in zip(quick, templated, strict=True):
        assert _same_markup(str(ours), str(django_s)), (ours.name, str(ours), str(django_s))
    assert "<script>" not in "".join(str(field) for field in quick)


@pytest.mark.parametrize(
    ("name", "pk"),
    [
        ("linking:request-detail", 7),
        ("linking:link-detail", 123456),
        ("linking:customer-detail", 1),
        ("linking:request-detail", 918273645546372),
    ],
)
def test_row_url_is_the_reversed_url(name, pk):
    assert pk_url_for(name, pk) == reverse(name, args=[pk])


def test_row_url_follows_the_script_prefix():
    try:
        set_script_prefix("/portal/")
        assert pk_url_for("linking:link-detail", 5) == reverse("linking:link-detail", args=[5])
        assert pk_url_for("linking:link-detail", 5).startswith("/portal/")
    finally:
        set_script_prefix("/")
    assert pk_url_for("linking:link-detail", 5) == reverse("linking:link-detail", args=[5])


def test_reseller_perms_are_guardians_answer(cast):
    for user in (cast.admin, cast.initiator, cast.approver, cast.viewer, cast.auditor):
        for reseller in (cast.reseller, cast.other):
            expected = set(ObjectPermissionChecker(user).get_perms(reseller))
            assert reseller_perms(user=user, reseller=reseller) == expected
    assert reseller_perms(user=cast.outsider, reseller=cast.reseller) == set()
    assert reseller_perms(user=cast.no_member, reseller=cast.reseller) == set()


def test_request_rows_say_their_link_types_in_item_order(client, cast):
    from linking import services
    from linking.checks import ItemSpec
    from tests.conftest import login, make_draft, read_only_delegation

    two = make_draft(cast, specs=[ItemSpec(link_type="billing"), read_only_delegation(cast)])
    empty = services.link_request_create_draft(actor=cast.initiator, reseller=cast.reseller)
    login(client, cast.viewer)
    body = client.get(reverse("linking:request-list")).content.decode()
    row = body[body.index(two.reference) :]
    row = row[: row.index("</tr>")]
    assert "Billing association, Delegated administration" in row
    row = body[body.index(empty.reference) :]
    row = row[: row.index("</tr>")]
    assert '<span class="text-muted">none yet</span>' in row
    assert '<span class="text-muted">not chosen yet</span>' in row
    assert 'data-waiting-on="initiator">Initiator <span class="text-muted small">for 0' in row
    assert '<span class="badge text-bg-secondary">Draft</span>' in row
    assert f'href="{reverse("linking:request-detail", args=[two.pk])}"' in body


@pytest.mark.parametrize(
    ("status", "css"),
    [
        ("draft", "text-bg-secondary"),
        ("pending_approval", "text-bg-warning"),
        ("pending_consent", "text-bg-warning"),
        ("completed", "text-bg-success"),
        ("rejected", "text-bg-dark"),
        ("expired", "text-bg-dark"),
    ],
)
def test_status_badge_partial(status, css):
    from django.template.loader import render_to_string

    from linking.models import LinkRequest

    req = LinkRequest(status=status)
    html = render_to_string("linking/_status_badge.html", {"req": req}).strip()
    assert html == f'<span class="badge {css}">{req.get_effective_status_display()}</span>'


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kolkata"])
@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 1, 1, 0, 0, 59, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(999, 7, 4, 5, 6, tzinfo=UTC),
    ],
)
def test_request_row_date_is_the_date_filters(zone, moment):
    with timezone.override(zone):
        assert created_display(moment) == date(template_localtime(moment), "Y-m-d H:i")
    assert created_display(None) == ""
