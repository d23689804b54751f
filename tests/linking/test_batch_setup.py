"""A batch run's links wait for the customer's cloud-side setup like any other link, and the
batch result (page and file) and the request and link exports say where each link's setup and
verification stand."""

import csv
import io

import pytest
from django.urls import reverse
from guardian.shortcuts import get_perms

from linking import exports, services
from linking.batches.selectors import RESULT_HEADER, result_lines
from linking.models import Link, LinkRequest, VerificationRun
from tests.conftest import cast_shared_by_the_module, login
from tests.journeys import accept, prove_setup, to_the_customer
from tests.linking.batch_helpers import csv_bytes, delegation, line, run, upload

pytestmark = pytest.mark.django_db

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()


def _column(header: list[str], rows: list[list], name: str) -> list:
    index = header.index(name)
    return [row[index] for row in rows]


def _batch_link(cast, rows=None):
    """A batch of one delegation row, run; the customer accepted; the worker activated."""
    batch = run(
        cast, upload(cast, csv_bytes(*(rows or [delegation("b1", cast.customer.account_id)])))
    )
    req = LinkRequest.objects.get(pk=batch.rows.get(row_number=2).request_id)
    accept(cast, to_the_customer(cast, req))
    link = Link.objects.get(source_item__request=req)
    return batch, req, services.link_activate(link_id=link.pk)


def test_a_batch_runs_links_wait_for_the_setup_and_grant_nothing_until_proven(cast):
    batch, _req, link = _batch_link(cast)

    assert link.status == Link.Status.AWAITING_SETUP
    assert link.waiting_on == "customer"
    assert link.setup_deadline is not None
    for role_group in cast.reseller.role_groups.select_related("group"):
        assert get_perms(role_group.group, cast.customer) == []
    [waiting] = list(result_lines(batch))
    assert _column(RESULT_HEADER, [waiting], "links") == [link.reference]
    assert _column(RESULT_HEADER, [waiting], "link_status") == ["awaiting_setup"]
    assert _column(RESULT_HEADER, [waiting], "setup") == ["awaiting"]
    assert _column(RESULT_HEADER, [waiting], "verification") == ["unverified"]
    assert _column(RESULT_HEADER, [waiting], "last_verified") == ["-"]

    link = prove_setup(cast, link)

    assert link.status == Link.Status.ACTIVE
    assert "view_customeraccount" in get_perms(
        cast.reseller.role_groups.get(role="viewer").group, cast.customer
    )
    [proven] = list(result_lines(batch))
    assert _column(RESULT_HEADER, [proven], "setup") == ["proven"]
    assert _column(RESULT_HEADER, [proven], "verification") == ["passing"]
    run_ = VerificationRun.objects.filter(link=link).latest("pk")
    assert run_.outcome == VerificationRun.Outcome.PASSED and run_.cloud_calls > 0
    assert _column(RESULT_HEADER, [proven], "last_verified") == [exports._when(link.verified_at)]


def test_the_batch_page_shows_each_rows_links_with_setup_and_verification(client, cast):
    batch, _req, link = _batch_link(cast)
    login(client, cast.viewer)
    page = client.get(reverse("linking:batch-detail", args=[batch.pk])).text
    assert f'data-link="{link.reference}" data-setup="awaiting"' in page
    assert "Awaiting the customer&#x27;s setup by" in page
    assert 'data-verification="unverified"' in page


@pytest.mark.parametrize("n", [2, 12])
def test_the_report_of_a_run_batch_costs_one_query_more_whatever_its_rows(
    client, cast, n, django_assert_num_queries
):
    customers = [cast.customer, cast.customer2]
    rows = [line(f"q-{n}-{i}", customers[i % 2].account_id) for i in range(n)]
    batch = run(cast, upload(cast, csv_bytes(*rows)))
    login(client, cast.initiator)
    client.get(reverse("linking:batch-detail", args=[batch.pk]))
    # session, user, membership with role permissions, batch, row count, page of rows, and the
    # links the page's requests made
    with django_assert_num_queries(7):
        client.get(reverse("linking:batch-detail", args=[batch.pk]))


def _read(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_the_exports_carry_each_links_setup_and_verification(client, cast):
    _, req, link = _batch_link(cast)
    login(client, cast.viewer)

    links = _read(client.get(reverse("linking:link-export")))
    [row] = [r for r in links[1:] if r[0] == link.reference]
    assert row[links[0].index("Status")] == "awaiting_setup"
    assert row[links[0].index("Setup")] == "awaiting"
    assert row[links[0].index("Setup deadline")] == exports._when(link.setup_deadline)
    assert row[links[0].index("Last verified")] == ""

    link = prove_setup(cast, link)
    requests = _read(client.get(reverse("linking:request-export")))
    [row] = [r for r in requests[1:] if r[0] == req.reference]
    header = requests[0]
    assert row[header.index("Links")] == link.reference
    assert row[header.index("Link status")] == "active"
    assert row[header.index("Setup")] == "proven"
    assert row[header.index("Verification")] == "passing"
    assert row[header.index("Last verified")] == exports._when(link.verified_at)
    links = _read(client.get(reverse("linking:link-export")))
    [row] = [r for r in links[1:] if r[0] == link.reference]
    assert (row[links[0].index("Setup")], row[links[0].index("Verification")]) == (
        "proven",
        "passing",
    )


@pytest.mark.parametrize("n", [2, 12])
def test_the_result_file_costs_the_same_queries_for_2_and_12_rows(
    client, cast, n, django_assert_num_queries
):
    customers = [cast.customer, cast.customer2]
    rows = [line(f"f-{n}-{i}", customers[i % 2].account_id) for i in range(n)]
    batch = run(cast, upload(cast, csv_bytes(*rows)))
    login(client, cast.viewer)
    target = reverse("linking:batch-result-csv", args=[batch.pk])
    client.get(target)
    # session, user, membership with role permissions, batch, the rows, and the links of the
    # rows' requests (one query per chunk of rows)
    with django_assert_num_queries(6):
        response = client.get(target)
    assert len(response.content.decode("utf-8-sig").splitlines()) == n + 1
