"""The shortcuts of the list pages say exactly what Django's own machinery says."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.forms.renderers import DjangoTemplates
from django.http import QueryDict
from django.template import Context, Engine, engines
from django.urls import reverse, set_script_prefix
from django.utils import timezone
from django.utils.timezone import template_localtime

from accounts.permissions import reseller_perms
from linking import forms
from portal.rows import local_day, local_moment
from portal.templatetags.row_urls import pk_url_for
from tests.conftest import ACME, cast_shared_by_the_module

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()


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


def test_reseller_perms_are_the_membership_roles(cast):
    from accounts.models import ROLE_PERMISSIONS, Membership

    for user in (cast.admin, cast.initiator, cast.approver, cast.viewer, cast.auditor):
        for reseller in (cast.reseller, cast.other):
            membership = Membership.objects.filter(user=user, reseller=reseller).first()
            expected = set(ROLE_PERMISSIONS[membership.role]) if membership else set()
            assert reseller_perms(user=user, reseller=reseller) == expected
    assert reseller_perms(user=cast.outsider, reseller=cast.reseller) == set()
    assert reseller_perms(user=cast.no_member, reseller=cast.reseller) == set()


def test_membership_perms_are_read_from_the_row(cast, django_assert_num_queries):
    from accounts.models import Membership
    from accounts.permissions import membership_perms

    users = (cast.admin, cast.initiator, cast.approver, cast.viewer, cast.auditor, cast.outsider)
    memberships = list(Membership.objects.filter(user__in=users).select_related("user"))
    assert {m.reseller_id for m in memberships} == {cast.reseller.pk, cast.other.pk}
    for membership in memberships:
        expected = reseller_perms(user=membership.user, reseller=membership.reseller)
        assert expected
        with django_assert_num_queries(0):
            assert membership_perms(user=membership.user, membership=membership) == expected
    # Another user's membership gives nothing; nor does an inactive user's own.
    viewer = next(m for m in memberships if m.user_id == cast.viewer.pk)
    admin = next(m for m in memberships if m.user_id == cast.admin.pk)
    assert membership_perms(user=cast.viewer, membership=admin) == set()
    cast.viewer.is_active = False
    assert membership_perms(user=cast.viewer, membership=viewer) == set()


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


REFERENCE = Engine(
    dirs=[str(Path(__file__).parent / "reference")],
    libraries={"row_urls": "portal.templatetags.row_urls"},
)


def reference(name: str, **context) -> str:
    """A reference template of tests/portal/reference/ rendered by Django's template engine;
    trailing line ends stripped (the files end with one, the rows do not)."""
    return REFERENCE.get_template(name).render(Context(context)).rstrip("\n")


@pytest.mark.parametrize(
    "status",
    ["draft", "pending_approval", "pending_consent", "completed", "rejected", "expired"],
)
def test_status_badge_is_its_reference_template(status):
    from django.template.loader import render_to_string

    from linking.models import LinkRequest
    from linking.templatetags.request_rows import request_status_badge

    req = LinkRequest(status=status)
    expected = reference("request_status_badge.html", req=req)
    assert request_status_badge(req) == expected
    assert render_to_string("linking/_status_badge.html", {"req": req}).strip() == expected


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
def test_row_dates_are_the_portals_date_filters(zone, moment):
    template = engines["django"].from_string('{{ m|date }}|{{ m|date:"DATETIME_FORMAT" }}')
    with timezone.override(zone):
        assert f"{local_day(moment)}|{local_moment(moment)}" == template.render({"m": moment})
        local = template_localtime(moment)
        day = f"{local.year:04d}-{local.month:02d}-{local.day:02d}"
        assert local_day(moment) == day
        assert local_moment(moment).startswith(f"{day} {local.hour:02d}:{local.minute:02d} ")
    assert local_moment(None) == local_day(None) == ""


NASTY = 'O\'Brien <b>&amp;</b> "Co" ☃'


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "draft"},
        {"status": "draft", "customer": True, "link_type_codes": "billing,manage"},
        {"status": "pending_approval", "customer": True, "ticket_reference": NASTY},
        {"status": "pending_consent", "customer": True, "consent_sent_at": True},
        {"status": "pending_consent", "customer": True, "link_type_codes": "provisioning"},
        {"status": "completed", "customer": True, "has_activating_links": True},
        {
            "status": "completed",
            "customer": True,
            "has_activating_links": False,
            "has_links_awaiting_setup": False,
        },
        {
            "status": "completed",
            "customer": True,
            "has_activating_links": False,
            "has_links_awaiting_setup": True,
        },
        {"status": "rejected", "customer": True, "link_type_codes": "unknown,billing"},
        {"status": "pending_consent", "customer": True, "expires_at": "past"},
    ],
)
def test_request_row_is_its_reference_template(fields):
    from datetime import timedelta

    from accounts.models import User
    from linking.models import CustomerAccount, LinkRequest
    from linking.templatetags.request_rows import request_row

    now = timezone.now()
    fields = dict(fields)
    req = LinkRequest(
        pk=4321,
        status=fields.pop("status"),
        initiator=User(first_name=NASTY, last_name="", email="a&b@example.com", username="x"),
        created_at=now - timedelta(days=40, hours=3),
        status_changed_at=now - timedelta(days=2, hours=5),
        ticket_reference=fields.pop("ticket_reference", ""),
    )
    if fields.pop("customer", False):
        req.customer = CustomerAccount(display_name=NASTY, account_id=ACME)
    if fields.pop("consent_sent_at", False):
        req.consent_sent_at = now - timedelta(hours=7, minutes=3)
    if fields.pop("expires_at", None):
        req.expires_at = now - timedelta(minutes=1)
    for name, value in fields.items():
        setattr(req, name, value)
    req.link_type_codes = getattr(req, "link_type_codes", "")
    ours = request_row(req)
    assert ours == reference("request_row.html", req=req)
    assert "<b>" not in ours


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Kiritimati"])
@pytest.mark.parametrize(
    "fields",
    [
        {"link_type": "billing", "status": "active"},
        {"link_type": "provisioning", "status": "activating", "services": ["ECS", "<OBS>"]},
        {
            "link_type": "delegation",
            "status": "suspended",
            "access_level": "read_only",
            "services": ["ECS"],
            "regions": ["eu-west-0", "a&b"],
            "ends": True,
        },
        {"link_type": "delegation", "status": "active", "access_level": "manage", "ends": "past"},
        {"link_type": "billing", "status": "revoked", "revoked": True, "ends": "past"},
        {"link_type": "delegation", "status": "expired", "verification_status": "failed"},
        {"link_type": "delegation", "status": "revoked", "cleanup_status": "still_reachable"},
        {"link_type": "provisioning", "status": "expired", "cleanup_status": "cleaned_up"},
        {"link_type": "provisioning", "status": "active", "verification_status": "passed"},
    ],
)
def test_link_row_and_badge_are_their_reference_templates(fields, zone):
    from datetime import timedelta

    from django.template.loader import render_to_string

    from linking.models import CustomerAccount, Link
    from linking.templatetags.list_rows import link_row, link_state_badge

    now = timezone.now()
    fields = dict(fields)
    ends = fields.pop("ends", None)
    link = Link(
        pk=98765,
        customer_id=4321,
        starts_at=now - timedelta(days=300, hours=5),
        ends_at=None if ends is None else now + timedelta(days=-3 if ends == "past" else 30),
        revoked_at=now - timedelta(days=9) if fields.pop("revoked", False) else None,
        **fields,
    )
    link.customer = CustomerAccount(pk=4321, display_name=NASTY, account_id=ACME)
    with timezone.override(zone):
        assert link_row(link) == reference("link_row.html", link=link)
        badge = reference("link_state_badge.html", link=link)
        assert link_state_badge(link) == badge
        assert render_to_string("linking/_link_state.html", {"link": link}).strip() == badge
    assert "<OBS>" not in link_row(link)


@pytest.mark.parametrize(
    ("account_id", "status", "live", "every"),
    [
        ("12345678000000000000000000009012", "active", 0, 1),
        ("<odd>", "in_arrears", 2, 12345),
        ("1", "deregistered", 0, 0),
    ],
)
def test_customer_row_is_its_reference_template(account_id, status, live, every):
    from linking.models import CustomerAccount
    from linking.templatetags.list_rows import customer_row

    customer = CustomerAccount(pk=77, display_name=NASTY, account_id=account_id, status=status)
    customer.live_links, customer.all_links = live, every
    assert customer_row(customer) == reference("customer_row.html", c=customer)
    assert "<odd>" not in customer_row(customer)


def test_no_html_is_escaped_by_hand_in_the_code():
    """HTML is written by templates or `format_html`: no `mark_safe` over an f-string or a
    concatenation, and no waiver of ruff's rule against it."""
    root = Path(__file__).resolve().parents[2]
    waiver = re.compile(r"noqa:[^\n]*\bS" + "308")
    by_hand = re.compile(r"mark_safe\(\s*(?:#[^\n]*\n\s*)?(?:f[\"']|[^)]*\+)")
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if parts[0] in {"var", "node_modules"} or any(p.startswith(".") for p in parts):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [f"{path.relative_to(root)}: {m.group(0)!r}" for m in waiver.finditer(text)]
        found += [f"{path.relative_to(root)}: {m.group(0)!r}" for m in by_hand.finditer(text)]
    assert not found, "\n".join(found)
