"""The audit pages of the admin: the trail of every change with its filters, the CSV export."""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.audit_admin import AuditEventAdmin, _cell
from accounts.audit_trail import trail_sources
from accounts.models import AuditEvent, Membership, Role
from accounts.services import membership_set_role
from linking.models import Link, LinkRequest
from tests.conftest import make_draft
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TRAIL = reverse("admin:accounts_auditevent_trail")
EXPORT = reverse("admin:accounts_auditevent_export")
EVERYTHING = {"start": "2000-01-01", "end": "2999-12-31"}


def change_roles(cast, times: int) -> Membership:
    membership = Membership.objects.get(user=cast.viewer, reseller=cast.reseller)
    for i in range(times):
        role = Role.APPROVER if i % 2 == 0 else Role.VIEWER
        membership_set_role(actor=cast.admin, membership_id=membership.pk, role=role)
    return membership


def export(client, **params) -> list[dict]:
    response = client.get(EXPORT, {**EVERYTHING, **params})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def trail(client, **params):
    response = client.get(TRAIL, params)
    assert response.status_code == 200
    return response.context["entries"]


def test_every_tracked_model_and_the_audit_events_are_in_the_trail():
    labels = {source.label for source in trail_sources()}
    assert {
        "accounts.auditevent",
        "accounts.user",
        "accounts.reseller",
        "accounts.membership",
        "linking.customeraccount",
        "linking.linkrequest",
        "linking.requestitem",
        "linking.link",
        "linking.notification",
    } <= labels
    resellers = {source.label: source.reseller for source in trail_sources()}
    assert resellers["linking.link"] == "reseller_id"
    assert resellers["accounts.reseller"] == "id"
    assert resellers["linking.notification"] == ["request__reseller_id", "link__reseller_id"]
    assert resellers["linking.customeraccount"] is None


def test_the_trail_shows_field_differences_actor_reason_and_reseller(client, cast):
    change_roles(cast, 1)
    client.force_login(cast.auditor)
    entries = trail(client, model="accounts.membership", kind="~")
    assert len(entries) == 1
    entry = entries[0]
    assert entry.actor == cast.admin
    assert entry.reason == "role changed from viewer to approver"
    assert entry.changes == [{"field": "role", "old": "viewer", "new": "approver"}]
    assert entry.reseller == cast.reseller
    assert entry.object_repr == str(Membership.objects.get(user=cast.viewer))
    response = client.get(TRAIL, {"model": "accounts.membership", "kind": "~"})
    assert b"viewer &rarr; approver" in response.content
    assert b"Revert" not in response.content


def test_the_trail_filters_by_actor_reseller_kind_and_date(client, cast):
    change_roles(cast, 2)
    client.force_login(cast.auditor)
    by_admin = trail(client, actor="ADMIN@northwind.example")
    assert by_admin and {e.actor for e in by_admin} == {cast.admin}
    assert {e.label for e in by_admin} == {"accounts.membership", "accounts.auditevent"}
    other = trail(client, reseller="p-200002")
    assert other and {e.reseller for e in other} == {cast.other}
    left = trail(client, kind=AuditEvent.Action.GROUP_LEFT)
    assert len(left) == 2 and {e.kind for e in left} == {"group_left"}
    assert trail(client, start="2000-01-01", end="2000-01-31") == []
    today = timezone.localdate().isoformat()
    assert len(trail(client, start=today, end=today)) == len(trail(client))
    assert trail(client, actor="nobody@example.com") == []


def test_the_trail_refuses_a_bad_filter_with_a_message(client, cast):
    client.force_login(cast.auditor)
    response = client.get(TRAIL, {"reseller": "P-999999"})
    assert response.status_code == 200
    assert "No reseller has the partner id" in response.content.decode()
    response = client.get(TRAIL, {"start": "2026-02-01", "end": "2026-01-01"})
    assert "before its start" in response.content.decode()
    response = client.get(TRAIL, {"start": "not a date", "p": "x"})
    assert response.status_code == 200


def test_the_trail_pages_with_a_constant_number_of_queries(client, cast, monkeypatch):
    monkeypatch.setattr(AuditEventAdmin, "list_per_page", 10)
    client.force_login(cast.auditor)
    client.get(TRAIL)  # warm the content-type and permission caches

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert len(trail(client)) == 10
            assert len(trail(client, reseller="P-100001", p="2")) == 10
        return len(captured)

    change_roles(cast, 6)
    small = queries()
    change_roles(cast, 30)
    assert queries() == small
    # session, user, groups' permissions, then per page: count, rows, membership rows and
    # their previous versions, audit events, resellers; and the reseller filter's lookup.
    # Each page: session, user, the user's and groups' permissions, the count, the page, the
    # audit events and the membership history rows on it with their previous versions, the
    # resellers, the current membership; the reseller filter looks its partner id up once.
    assert small == 11 + 12


def test_a_row_whose_history_hides_fields_is_named_without_a_query(client, cast, monkeypatch):
    # A request's history leaves out its consent token's hash: naming the request on each row
    # must not read the hidden fields back from the request (a query a row).
    for n in range(8):
        make_draft(cast, ticket=f"INC-{2000 + n}")
    client.force_login(cast.auditor)
    client.get(TRAIL)  # warm the content-type and permission caches

    def queries(per_page: int) -> int:
        monkeypatch.setattr(AuditEventAdmin, "list_per_page", per_page)
        with CaptureQueriesContext(connection) as captured:
            entries = trail(client, model="linking.linkrequest")
        assert len(entries) == per_page
        names = {str(req) for req in LinkRequest.objects.all()}
        assert {entry.object_repr for entry in entries} <= names
        return len(captured)

    assert queries(3) == queries(8)


def test_the_export_has_every_column_for_a_date_range(client, cast):
    change_roles(cast, 1)
    client.force_login(cast.auditor)
    rows = export(client)
    assert list(rows[0]) == [
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
    membership = Membership.objects.get(user=cast.viewer, reseller=cast.reseller)
    changed = [r for r in rows if r["model"] == "accounts.membership" and r["change"] == "changed"]
    assert changed == [
        {
            "when (UTC)": membership.history.latest().history_date.isoformat(),
            "model": "accounts.membership",
            "object id": str(membership.pk),
            "object": str(membership),
            "change": "changed",
            "actor": "admin@northwind.example",
            "reason": "role changed from viewer to approver",
            "changed fields (old → new)": "role: viewer → approver",
            "reseller": "P-100001",
        }
    ]
    group = f"reseller-{cast.reseller.pk}"
    moves = [
        r for r in rows if r["model"] == "accounts.auditevent" and r["reason"].startswith("role")
    ]
    assert [(r["change"], r["changed fields (old → new)"]) for r in moves] == [
        ("group_left", f"role group: {group}-viewer → "),
        ("group_joined", f"role group:  → {group}-approver"),
    ]
    assert all(r["actor"] == "admin@northwind.example" for r in moves)
    # Oldest first, and the system where nobody acted.
    assert [r["when (UTC)"] for r in rows] == sorted(r["when (UTC)"] for r in rows)
    first = rows[0]
    assert (first["model"], first["change"], first["actor"]) == (
        "accounts.reseller",
        "created",
        "system",
    )
    assert "partner id:  → P-100001" in first["changed fields (old → new)"]


def test_the_export_keeps_to_its_date_range(client, cast, django_capture_on_commit_callbacks):
    from tests.accounts.test_audit import active_delegation

    with time_machine.travel(timezone.now() + timedelta(days=10)):
        link = active_delegation(cast, django_capture_on_commit_callbacks)
    client.force_login(cast.auditor)
    day = (timezone.localdate() + timedelta(days=10)).isoformat()
    rows = export(client, start=day, end=day)
    assert rows and all(r["when (UTC)"][:10] == day for r in rows)
    grants = [r for r in rows if r["change"] == "permission_granted"]
    assert len(grants) == 6
    assert all(r["reason"] == f"{link.reference} activated" for r in grants)
    assert {r["object"] for r in grants} == {str(cast.customer)}
    links = [r for r in rows if r["model"] == "linking.link"]
    assert {r["reseller"] for r in links} == {"P-100001"}
    assert any("status: awaiting_setup → active" in r["changed fields (old → new)"] for r in links)
    today = timezone.localdate().isoformat()
    assert not [r for r in export(client, start=today, end=today) if r["model"] == "linking.link"]
    assert Link.objects.count() == 1


def test_the_export_needs_both_ends_of_the_range(client, cast):
    client.force_login(cast.auditor)
    response = client.get(EXPORT, {"start": "2026-01-01"})
    assert response.status_code == 400
    assert "Choose both ends of the date range" in response.content.decode()


def test_a_spreadsheet_formula_is_exported_as_text():
    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell("@SUM") == "'@SUM"
    assert _cell("plain") == "plain"


@pytest.mark.parametrize("url", [TRAIL, EXPORT])
def test_the_audit_pages_are_for_auditors_and_staff_only(client, cast, url):
    assert client.get(url).status_code == 302  # to the admin login
    client.force_login(cast.admin)  # a reseller admin is not staff
    assert client.get(url).status_code == 302
    client.force_login(UserFactory(email="ops@platform.example", username="ops", is_staff=True))
    assert client.get(url, EVERYTHING).status_code == 403
    client.force_login(cast.staff)
    assert client.get(url, EVERYTHING).status_code == 200
    client.force_login(cast.auditor)
    assert client.get(url, EVERYTHING).status_code == 200
    assert client.post(url, EVERYTHING).status_code == 405


def test_audit_events_are_read_only_in_the_admin(client, cast):
    client.force_login(cast.auditor)
    event = AuditEvent.objects.first()
    changelist = reverse("admin:accounts_auditevent_changelist")
    response = client.get(changelist)
    assert response.status_code == 200
    assert TRAIL.encode() in response.content
    assert (
        client.get(reverse("admin:accounts_auditevent_change", args=[event.pk])).status_code == 200
    )
    client.force_login(cast.staff)
    assert (
        client.post(reverse("admin:accounts_auditevent_change", args=[event.pk]), {}).status_code
        == 403
    )
    delete = reverse("admin:accounts_auditevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
