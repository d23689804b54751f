"""The reseller's activity log: its rows and only its rows, filters, keyset pages, CSV, no
secrets, and a query count that does not grow with the data."""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.activity import Cursor, Filters, activity_page
from accounts.governance import reseller_settings_update
from accounts.models import Role
from accounts.services import membership_add
from linking.models import Link, LinkRequest
from tests.conftest import consent_token_for, make_draft
from tests.factories import UserFactory
from tests.journeys import awaiting_setup_link, pending_consent

pytestmark = pytest.mark.django_db

ACTIVITY = reverse("accounts:activity")
CSV = reverse("accounts:activity-csv")


def change_settings(cast, reseller, actor, reason, **values):
    reseller_settings_update(actor=actor, reseller_id=reseller.pk, values=values, reason=reason)


def other_resellers_activity(cast):
    """Rows of every kind in the other reseller, each naming itself."""
    membership_add(
        actor=cast.outsider_admin,
        reseller=cast.other,
        email=UserFactory(email="contoso-new@contoso.example").email,
        role=Role.VIEWER,
    )
    change_settings(cast, cast.other, cast.outsider_admin, "CONTOSO-SECRET-REASON", consent_days=9)


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_it_redirects_anonymous_to_login(client):
    for url in (ACTIVITY, CSV):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))


def test_a_viewer_finds_the_settings_change_with_its_reason_and_author(client, cast):
    change_settings(cast, cast.reseller, cast.admin, "Audit finding 12.", consent_days=10)
    client.force_login(cast.viewer)
    response = client.get(ACTIVITY)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-kind="settings"' in page
    assert "Audit finding 12." in page and cast.admin.email in page


def test_another_resellers_rows_never_show(client, cast):
    other_resellers_activity(cast)
    client.force_login(cast.admin)
    page = client.get(ACTIVITY).content.decode()
    exported = b"".join(client.get(CSV).streaming_content).decode("utf-8-sig")
    for text in (page, exported):
        assert "CONTOSO-SECRET-REASON" not in text
        assert "contoso-new@contoso.example" not in text
        assert cast.outsider_admin.email not in text
    # And the other reseller's admin sees theirs, not ours.
    client.force_login(cast.outsider_admin)
    theirs = client.get(ACTIVITY).content.decode()
    assert "CONTOSO-SECRET-REASON" in theirs
    assert "viewer@northwind.example" not in theirs


def test_the_filters_narrow_by_kind_change_person_and_date(client, cast):
    make_draft(cast)
    change_settings(cast, cast.reseller, cast.admin, "Tighter policy.", approval_policy="always")
    client.force_login(cast.admin)

    only_settings = client.get(ACTIVITY, {"kind": "settings"}).content.decode()
    assert 'data-kind="settings"' in only_settings and 'data-kind="request"' not in only_settings

    only_access = client.get(ACTIVITY, {"change": "access"}).content.decode()
    assert 'data-kind="access"' in only_access and 'data-kind="settings"' not in only_access

    by_initiator = client.get(ACTIVITY, {"person": cast.initiator.pk}).content.decode()
    assert 'data-kind="request"' in by_initiator and "Tighter policy." not in by_initiator

    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert "data-kind=" not in client.get(ACTIVITY, {"since": tomorrow}).content.decode()
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert "data-kind=" not in client.get(ACTIVITY, {"until": yesterday}).content.decode()
    today = timezone.localdate().isoformat()
    assert (
        "Tighter policy." in client.get(ACTIVITY, {"since": today, "until": today}).content.decode()
    )


def test_filters_not_understood_are_ignored_not_an_error(client, cast):
    client.force_login(cast.admin)
    for query in (
        {"since": "yesterday"},
        {"person": "x"},
        {"kind": "nope"},
        {"change": "?"},
        {"after": "garbage"},
        {"after": "2026-01-01T00:00:00|settings|x"},
    ):
        assert client.get(ACTIVITY, query).status_code == 200
        assert client.get(CSV, query).status_code == 200


def test_pages_follow_each_other_newest_first_without_gaps_or_repeats(cast):
    make_draft(cast)
    make_draft(cast, customer=cast.customer2)
    change_settings(cast, cast.reseller, cast.admin, "One.", consent_days=9)
    everything, last = activity_page(reseller=cast.reseller, filters=Filters(), size=1000)
    assert last is None and len(everything) > 6

    seen, cursor = [], None
    while True:
        rows, cursor = activity_page(
            reseller=cast.reseller, filters=Filters(), cursor=cursor, size=3
        )
        seen += rows
        if cursor is None:
            break
    key = [(r["when"], r["kind"], r["row_id"]) for r in seen]
    assert key == [(r["when"], r["kind"], r["row_id"]) for r in everything]
    assert key == sorted(key, reverse=True) and len(set(key)) == len(key)
    assert Cursor.decode(Cursor(seen[0]["when"], "link", 5).encode()) == Cursor(
        seen[0]["when"], "link", 5
    )


def test_the_csv_has_the_pages_rows_and_no_secret(client, cast):
    req = pending_consent(cast)
    token = consent_token_for(req)  # delivered: the request holds the token's hash now
    link = awaiting_setup_link(cast, customer=cast.customer2)
    change_settings(cast, cast.reseller, cast.admin, "=HYPERLINK(1)", consent_days=11)
    client.force_login(cast.viewer)
    response = client.get(CSV)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0] == ["When", "Person", "Object kind", "Object", "Change", "Reason"]
    assert len(rows) - 1 == len(
        activity_page(reseller=cast.reseller, filters=Filters(), size=10_000)[0]
    )
    body = "\n".join(",".join(r) for r in rows)
    assert "Reason: =HYPERLINK(1)" in body
    req = LinkRequest.objects.get(pk=req.pk)
    link = Link.objects.get(pk=link.pk)
    secrets = [v for v in (token, req.consent_token_hash, link.withdrawal_token_hash) if v]
    assert req.consent_token_hash, "the journey must have left a token hash to look for"
    for secret in secrets:
        assert secret not in body
    # Filtered like the page.
    filtered = csv_rows(client.get(CSV, {"kind": "settings"}))
    assert {r[2] for r in filtered[1:]} == {"Settings"}


def test_the_page_costs_the_same_queries_with_more_data(client, cast, django_assert_num_queries):
    client.force_login(cast.admin)
    make_draft(cast)
    client.get(ACTIVITY)  # warm the session and the caches

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(ACTIVITY).status_code == 200
        return len(queries)

    small = count()
    for n in range(8):
        change_settings(cast, cast.reseller, cast.admin, f"Change {n}.", consent_days=10 + n)
        membership_add(
            actor=cast.admin,
            reseller=cast.reseller,
            email=UserFactory(email=f"extra{n}@northwind.example").email,
            role=Role.VIEWER,
        )
    make_draft(cast, customer=cast.customer2)
    with django_assert_num_queries(small):
        assert client.get(ACTIVITY).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        # The session records its activity once a minute: on another page first, so the count
        # is the activity page's own.
        client.get(reverse("accounts:session-list"))
        assert count() == small
