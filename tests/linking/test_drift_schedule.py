"""Drift's schedule and pages: re-verifications spread evenly over the day, the sweep that claims
the due links in bounded batches (and never one link twice), and the links list and dashboard
that show broken and over-privileged links within their query budgets."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from linking.models import Link
from linking.services.drift import (
    REVERIFY_LEASE,
    link_reverify_claim_due,
    next_reverification_at,
    reverify_offset,
)
from tests.conftest import login
from tests.factories import CustomerFactory
from tests.journeys import accepted_link

# --- the schedule ----------------------------------------------------------------------------


def test_the_schedule_spreads_links_evenly_over_the_day(settings):
    settings.PORTAL_REVERIFY_HOURS = 24
    after = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
    per_hour = [0] * 24
    for link_id in range(1, 24_001):
        slot = next_reverification_at(link_id, after=after)
        assert after < slot <= after + timedelta(hours=24)
        per_hour[(slot - after).seconds // 3600 if slot - after < timedelta(days=1) else 23] += 1
    # 1,000 an hour, give or take 5 %: no midnight peak, and consecutive ids far apart.
    assert min(per_hour) >= 950 and max(per_hour) <= 1050
    assert abs(reverify_offset(2) - reverify_offset(1)) > 3600
    # The same moment of every period, whatever time the last run ended.
    first = next_reverification_at(7, after=after)
    assert next_reverification_at(7, after=first) == first + timedelta(hours=24)
    assert next_reverification_at(7, after=first - timedelta(seconds=1)) == first


def test_the_sweep_claims_due_links_in_bounded_batches_and_schedules_the_rest(cast):
    def fresh():
        regions = [cast.region_a, cast.region_b]
        return accepted_link(cast, customer=CustomerFactory(enabled_regions=regions))

    links = [fresh() for _ in range(3)]
    due, later, unscheduled = links
    now = timezone.now()
    for link, at in ((due, now - timedelta(minutes=1)), (later, now + timedelta(hours=3))):
        link.status, link.next_verification_at = Link.Status.ACTIVE, at
        link.save(update_fields=["status", "next_verification_at"])
    unscheduled.status = Link.Status.ACTIVE
    unscheduled.save(update_fields=["status"])
    extra = fresh()
    extra.status, extra.next_verification_at = Link.Status.ACTIVE, now - timedelta(minutes=2)
    extra.save(update_fields=["status", "next_verification_at"])

    assert link_reverify_claim_due(limit=1, now=now) == [extra.pk]  # oldest due first
    assert link_reverify_claim_due(limit=10, now=now) == [due.pk]  # claimed ones wait
    due.refresh_from_db()
    assert due.next_verification_at == now + REVERIFY_LEASE
    unscheduled.refresh_from_db()
    assert unscheduled.next_verification_at == next_reverification_at(unscheduled.pk, after=now)
    # A claim the broker lost is due again after its lease.
    assert due.pk in link_reverify_claim_due(now=now + REVERIFY_LEASE)


# --- the links list and the dashboard --------------------------------------------------------


def _plain_link(cast, **fields) -> Link:
    """A link row in the given drift state (plain rows: the pages only read them)."""
    regions = [cast.region_a, cast.region_b]
    link = accepted_link(cast, customer=CustomerFactory(enabled_regions=regions))
    for name, value in fields.items():
        setattr(link, name, value)
    link.save(update_fields=list(fields))
    return link


def test_the_links_list_and_the_dashboard_filter_on_broken_and_over_privileged(client, cast):
    broken = _plain_link(cast, status=Link.Status.BROKEN)
    flagged = _plain_link(
        cast,
        status=Link.Status.ACTIVE,
        over_privileged=True,
        over_privileged_detail="The agency also works in eu-west-101.",
    )
    plain = _plain_link(cast, status=Link.Status.ACTIVE)
    login(client, cast.viewer)
    links = reverse("linking:link-list")

    body = client.get(links, {"status": "broken"}).content.decode()
    assert broken.reference in body and flagged.reference not in body
    body = client.get(links, {"over_privileged": "on"}).content.decode()
    assert flagged.reference in body
    assert broken.reference not in body and plain.reference not in body
    assert 'data-flag="over_privileged"' in body and "eu-west-101" in body
    export = client.get(reverse("linking:link-export"), {"over_privileged": "on"})
    exported = b"".join(export.streaming_content).decode()
    assert flagged.reference in exported and plain.reference not in exported

    body = client.get(reverse("portal:dashboard")).content.decode()
    assert f"{links}?status=broken" in body and f"{links}?over_privileged=on" in body
    detail = client.get(reverse("linking:link-detail", args=[flagged.pk])).content.decode()
    assert 'id="link-over-privileged"' in detail and "LNK-Y013" in detail


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({"status": "broken"}, {"status": Link.Status.BROKEN}),
        ({"over_privileged": "on"}, {"status": Link.Status.ACTIVE, "over_privileged": True}),
    ],
)
def test_the_drift_filters_of_the_links_list_keep_its_query_budget(
    client, cast, django_assert_num_queries, query, fields
):
    login(client, cast.viewer)
    links = reverse("linking:link-list")
    for rows in (3, 27):
        for _ in range(rows):
            _plain_link(cast, **fields)
        client.get(links, query)  # warm the caches
        # session, user, membership; the count and the page (as without a filter)
        with django_assert_num_queries(3 + 2):
            response = client.get(links, query)
        assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_never_claim_the_same_link(cast):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's (SQLite runs one writer at a time)")
    now = timezone.now()
    held_link = _plain_link(
        cast, status=Link.Status.ACTIVE, next_verification_at=now - timedelta(minutes=2)
    )
    free_link = _plain_link(
        cast, status=Link.Status.ACTIVE, next_verification_at=now - timedelta(minutes=1)
    )
    locked, release = threading.Event(), threading.Event()

    def another_sweep_holds_the_first():
        try:
            with transaction.atomic():
                Link.objects.select_for_update().get(pk=held_link.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    other = threading.Thread(target=another_sweep_holds_the_first)
    other.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        assert link_reverify_claim_due(now=now) == [free_link.pk]
        assert time.monotonic() - started < 5  # skipped, not waited for
    finally:
        release.set()
        other.join(10)
