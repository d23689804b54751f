"""The linking funnel: figures checked against a history built by the services at known
moments, the same number of queries at two data sizes, the page for every member of the
reseller and never another's rows, the CSV, and the platform's funnel in the admin."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from linking import journeys
from linking.models import LinkRequest
from linking.selectors.funnel import Period, funnel, percentile
from tests.conftest import (
    cast_shared_by_the_module,
    consent_token_for,
    freeze,
    login,
    make_draft,
    read_only_delegation,
)
from tests.factories import CustomerFactory
from tests.journeys import accept

pytestmark = pytest.mark.django_db

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

Status = LinkRequest.Status
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NOVEMBER = Period(since=datetime(2026, 11, 1, tzinfo=UTC), until=datetime(2026, 12, 1, tzinfo=UTC))


def at(hours: float):
    return time_machine.travel(T0 + timedelta(hours=hours), tick=False)


def customer(cast):
    return CustomerFactory(enabled_regions=[cast.region_a, cast.region_b])


def submitted(cast, *, hours: float, customer_account=None, specs=None):
    with at(hours):
        req = make_draft(cast, customer=customer_account or customer(cast), specs=specs)
        return journeys.submit(req, actor=cast.initiator, approver=None, reason="")


def approve(cast, req, *, hours: float):
    with at(hours):
        req.refresh_from_db()
        return journeys.to_the_customer(req, approver=cast.approver, reason="ok")


def refused_submit(cast, *, hours: float):
    """A submit refused with LNK-V003 (a frozen customer): kept as a refusal."""
    account = customer(cast)
    with at(hours):
        req = make_draft(cast, customer=account, specs=[read_only_delegation(cast)])
        freeze(account)
        client_submit(cast, req)
    return req


def client_submit(cast, req):
    from django.test import Client

    client = Client()
    login(client, cast.initiator)
    client.post(reverse("linking:request-submit", args=[req.pk]))


@pytest.fixture
def history(cast):
    """Three requests with known stage times, one declined, one refused, one waiting; every
    request needs an approval."""
    cast.reseller.approval_policy = "always"
    cast.reseller.save(update_fields=["approval_policy"])
    needs_approval = True
    done = []
    for n, (approval_h, decision_h) in enumerate([(1, 2), (3, 4), (5, 30)]):
        req = submitted(cast, hours=n * 24, specs=[read_only_delegation(cast)])
        if req.status == Status.PENDING_APPROVAL:
            req = approve(cast, req, hours=n * 24 + approval_h)
        with at(n * 24 + approval_h + decision_h):
            accept(cast, req)
        done.append(req)
    declined = submitted(cast, hours=100, specs=[read_only_delegation(cast)])
    if declined.status == Status.PENDING_APPROVAL:
        declined = approve(cast, declined, hours=101)
    with at(110):
        journeys.decide_all(
            declined,
            accept=False,
            token=consent_token_for(declined),
        )
    refused = refused_submit(cast, hours=120)
    waiting = submitted(cast, hours=130, specs=[read_only_delegation(cast)])
    return {
        "done": done,
        "declined": declined,
        "refused": refused,
        "waiting": waiting,
        "approval": needs_approval,
    }


def test_percentile_is_the_nearest_rank():
    hours = [timedelta(hours=h) for h in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)]
    assert percentile(hours, 0.5) == timedelta(hours=5)
    assert percentile(hours, 0.9) == timedelta(hours=9)
    assert percentile([], 0.5) is None


def test_the_figures_match_the_history_the_services_wrote(cast, history):
    data = funnel(reseller_id=cast.reseller.pk, period=NOVEMBER)
    outcomes = {status: count for status, _, count in data.outcomes}
    assert outcomes["completed"] == 3
    assert outcomes["declined"] == 1
    waiting_status = history["waiting"].status
    assert outcomes[waiting_status] == 1
    # The refused request never left its draft: it is not a submitted request.
    assert data.submitted == 5
    stages = {stage.key: stage for stage in data.stages}
    if history["approval"]:
        assert stages["approval"].count == 4
        # 1, 3 and 5 hours, and the declined one's 1 hour.
        assert stages["approval"].median == timedelta(hours=1)
        assert stages["approval"].p90 == timedelta(hours=5)
        assert [r.pk for r in stages["approval"].stuck] == [history["waiting"].pk]
    # Customer's decision: 2, 4, 30 hours and the declined one (110 - 101 = 9 hours).
    assert stages["decision"].count == 4
    assert stages["decision"].median == timedelta(hours=4)
    assert stages["decision"].p90 == timedelta(hours=30)
    refusals = {row["code"]: row for row in data.refusals}
    assert refusals["LNK-V003"]["total"] == 1
    assert sum(refusals["LNK-V003"]["by_week"]) == 1


def test_the_requests_a_code_stopped(cast, history):
    data = funnel(reseller_id=cast.reseller.pk, period=NOVEMBER, code="LNK-V003")
    assert [r.pk for r in data.code_requests] == [history["refused"].pk]


def test_another_period_sees_none_of_it(cast, history):
    october = Period(since=datetime(2026, 10, 1, tzinfo=UTC), until=NOVEMBER.since)
    data = funnel(reseller_id=cast.reseller.pk, period=october)
    assert data.submitted == 0
    assert data.refusals == []


def test_another_reseller_sees_none_of_it(cast, history):
    data = funnel(reseller_id=cast.other.pk, period=NOVEMBER)
    assert data.submitted == 0
    assert data.refusals == []
    assert all(not stage.stuck for stage in data.stages)


def queries(reseller_id) -> int:
    with CaptureQueriesContext(connection) as captured:
        funnel(reseller_id=reseller_id, period=NOVEMBER, code="LNK-V003")
    return len(captured.captured_queries)


def test_the_same_number_of_queries_at_two_sizes(cast):
    submitted(cast, hours=1, specs=[read_only_delegation(cast)])
    small = queries(cast.reseller.pk)
    assert small <= 12
    for n in range(6):
        submitted(cast, hours=2 + n, specs=[read_only_delegation(cast)])
        refused_submit(cast, hours=10 + n)
    assert queries(cast.reseller.pk) == small
    assert queries(None) == small


def test_the_page_for_a_viewer(client, cast, history):
    login(client, cast.viewer)
    page = client.get(
        reverse("linking:funnel"), {"since": "2026-11-01", "until": "2026-11-30"}
    ).content.decode()
    assert 'data-code="LNK-V003"' in page
    assert "2026-11-01 – 2026-11-30" in page
    assert history["waiting"].reference in page or not history["approval"]
    page = client.get(
        reverse("linking:funnel"),
        {"since": "2026-11-01", "until": "2026-11-30", "code": "LNK-V003"},
    ).content.decode()
    assert history["refused"].reference in page


@pytest.mark.parametrize(
    "query", [{"since": "not-a-date"}, {"until": "2026-02-31"}, {"code": "<script>"}, {}]
)
def test_bad_periods_fall_back_to_the_last_30_days(client, cast, query):
    login(client, cast.viewer)
    response = client.get(reverse("linking:funnel"), query)
    assert response.status_code == 200
    assert "<script>" not in response.content.decode()


def test_a_long_period_is_cut_to_a_year(client, cast):
    login(client, cast.viewer)
    page = client.get(
        reverse("linking:funnel"), {"since": "2000-01-01", "until": "2026-11-30"}
    ).content.decode()
    assert "2025-11-30 – 2026-11-30" in page


def test_the_csv(client, cast, history):
    login(client, cast.viewer)
    response = client.get(
        reverse("linking:funnel-csv"), {"since": "2026-11-01", "until": "2026-11-30"}
    )
    text = b"".join(response.streaming_content).decode().lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["Section", "Name", "Count"]
    assert ["Refusal", "LNK-V003", "1", "", ""] in rows
    assert any(row[0] == "Stage" and row[2] == "4" for row in rows)


def test_the_platform_funnel_in_the_admin(client, cast, history):
    login(client, cast.auditor)
    page = client.get(
        reverse("admin-funnel"), {"since": "2026-11-01", "until": "2026-11-30"}
    ).content.decode()
    assert 'data-code="LNK-V003"' in page
    page = client.get(
        reverse("admin-funnel"),
        {"since": "2026-11-01", "until": "2026-11-30", "reseller": cast.other.pk},
    ).content.decode()
    assert 'data-code="LNK-V003"' not in page


def test_staff_without_the_permission_cannot_see_the_funnel(client, django_user_model):
    staff = django_user_model.objects.create_user("s", "s@portal.example", "x", is_staff=True)
    login(client, staff)
    assert client.get(reverse("admin-funnel")).status_code == 403
