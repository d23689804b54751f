"""Scale: the generated data set, query budgets that do not grow with it, the page benchmark."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role, User
from accounts.services import membership_add
from linking.identity import is_account_id, is_account_name
from linking.models import CustomerAccount, Link, LinkRequest, RequestItem
from portal.bench import scale_data
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


class _Rollback(Exception):
    pass


def _pages(distributor) -> list[str]:
    """Every operator page, with each filter the lists offer and a page deep in the list."""
    req = LinkRequest.objects.filter(reseller=distributor, status="completed").order_by("pk")
    link = Link.objects.filter(reseller=distributor, status="active").order_by("pk").first()
    anchor = LinkRequest.objects.filter(reseller=distributor).order_by("-created_at", "-id")[30]
    name = " ".join(link.customer.display_name.split()[:2])
    initiator = req.first().initiator_id
    requests = reverse("linking:request-list")
    links = reverse("linking:link-list")
    customers = reverse("linking:customer-list")
    return [
        reverse("portal:dashboard"),
        requests,
        f"{requests}?status=pending_consent",
        f"{requests}?status=expired&link_type=billing",
        f"{requests}?waiting_on=activation",
        f"{requests}?q={name}",
        f"{requests}?customer={link.customer.account_id}&initiator={initiator}",
        f"{requests}?page=3",
        f"{requests}?page=3&after={anchor.pk}",
        f"{requests}?page=2&before={anchor.pk}",
        reverse("linking:approval-queue"),
        links,
        f"{links}?status=active&link_type=delegation&failing=on",
        f"{links}?q={name}&expiring=on",
        f"{links}?page=2&after={link.pk}",
        customers,
        f"{customers}?q={name}",
        reverse("linking:request-detail", args=[req.first().pk]),
        reverse("linking:link-detail", args=[link.pk]),
        reverse("linking:customer-detail", args=[link.customer_id]),
    ]


def _query_counts(client, scale: float) -> dict[str, int]:
    """Generate at `scale`, render every page as a distributor admin, then roll it all back.
    Each scale starts with Django's content-type cache empty, as the other did."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    counts = {}
    try:
        with transaction.atomic():
            result = scale_data.generate(scale=scale, seed=7)
            admin = User.objects.create_user("scale-admin", "scale-admin@example.com", "x")
            membership_add(
                actor=None,
                reseller=result.distributor,
                email=admin.email,
                role=Role.ADMIN,
                check_actor=False,
            )
            client.force_login(admin)
            for path in _pages(result.distributor):
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(path)
                assert response.status_code == 200, path
                # Keyed by the page and its parameters' names: ids and names differ by scale.
                counts[re.sub(r"\d+|=[^&]*", "", path)] = len(queries)
            raise _Rollback
    except _Rollback:
        pass
    return counts


def test_every_page_costs_the_same_queries_at_twice_the_data(client):
    small = _query_counts(client, 0.001)
    large = _query_counts(client, 0.002)
    assert small == large
    assert len(small) >= 18


def test_generated_data_is_consistent_and_spread_over_every_state(db):
    result = scale_data.generate(scale=0.001, seed=3)
    distributor = result.distributor
    statuses = set(
        LinkRequest.objects.filter(reseller=distributor).values_list("status", flat=True)
    )
    assert statuses == set(LinkRequest.Status.values)
    assert set(Link.objects.values_list("status", flat=True)) >= {"active", "revoked"}
    assert set(distributor.memberships.values_list("role", flat=True)) == set(Role.values)
    # Every row has its history; open requests keep a token hash only.
    assert LinkRequest.history.count() > LinkRequest.objects.count()
    assert CustomerAccount.history.count() == CustomerAccount.objects.count()
    assert Link.history.filter(history_type="+").count() == Link.objects.count()
    pending = LinkRequest.objects.filter(status="pending_consent")
    assert all(len(h) == 64 for h in pending.values_list("consent_token_hash", flat=True))
    # The database's own rules held: one open request per customer and type.
    assert not RequestItem.objects.filter(is_open=True).exclude(
        request__status__in=LinkRequest.OPEN_STATUSES
    )
    assert result.counts["object permissions"] > 0


def test_generate_command_refuses_a_database_with_data(db):
    call_command("generate_scale_data", "--scale", "0.001", "--allow-sqlite", stdout=io.StringIO())
    with pytest.raises(CommandError, match="already holds"):
        call_command(
            "generate_scale_data", "--scale", "0.001", "--allow-sqlite", stdout=io.StringIO()
        )
    call_command(
        "generate_scale_data",
        "--scale",
        "0.001",
        "--append",
        "--allow-sqlite",
        stdout=io.StringIO(),
    )


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the refusal of SQLite")
def test_generate_command_refuses_sqlite_unless_told(db):
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("generate_scale_data", "--scale", "0.001", stdout=io.StringIO())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the benchmark measures PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_bench_pages_measures_every_page_over_http(tmp_path):
    call_command("generate_scale_data", "--scale", "0.001", stdout=io.StringIO())
    output = tmp_path / "report.json"
    call_command(
        "bench_pages",
        "--requests=2",
        "--warmup=1",
        "--actions=1",
        "--clients=2",
        "--workers=1",
        f"--output={output}",
        stdout=io.StringIO(),
    )
    report = json.loads(output.read_text())
    results = {r["name"]: r for r in report["results"]}
    assert results["requests: deep page"]["floor"]["statuses"] == [200]
    # The API's lists are timed beside the floors of their pages, with a key.
    for name in ("api: requests", "api: approvals", "api: links", "api: customers"):
        assert results[name]["statuses"] == [200] and results[name]["floor"]["statuses"] == [200]
    assert results["action: submit"]["statuses"] == [302]
    assert results["action: approve"]["statuses"] == [302]
    assert results["action: customer accept"]["statuses"] == [302]
    assert all(r["statuses"] == [200] for r in report["results"] if r["kind"] == "page"), report[
        "results"
    ]
    assert all(isinstance(r["queries"], int) for r in report["results"] if r["kind"] == "page")
    assert report["load"]["errors"] == 0


def test_generated_account_ids_are_valid_and_continue_after_the_last_one():
    first = scale_data.new_account_ids("5ca1e000", 2)
    assert first == [
        ("5ca1e000000000000000000000000001", "bench-5ca1e000-1"),
        ("5ca1e000000000000000000000000002", "bench-5ca1e000-2"),
    ]
    CustomerFactory(account_id=first[1][0], account_name=first[1][1])
    (after,) = scale_data.new_account_ids("5ca1e000", 1)
    assert after == ("5ca1e000000000000000000000000003", "bench-5ca1e000-3")
    assert is_account_id(after[0]) and is_account_name(after[1])
