"""The sync benchmark at a small size: every page costs the same queries, whatever N is."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Reseller
from linking.cloud.models import CloudAssociation
from linking.models import CustomerAccount


def _figures(output: str) -> dict[tuple[int, str], dict]:
    found = {}
    for line in output.splitlines():
        match = re.match(
            r"N=(\d+) (first|second) sync: (\d+) pages, (\d+) new, (\d+) changed, (\d+) unchanged;"
            r".* queries per page: (\d+) \(min (\d+), first page (\d+)\)",
            line,
        )
        assert match, line
        n, which, pages, new, changed, unchanged, most, least, first = match.groups()
        found[(int(n), which)] = {
            "pages": int(pages),
            "new": int(new),
            "changed": int(changed),
            "unchanged": int(unchanged),
            "per_page": (int(most), int(least)),
            "first_page": int(first),
        }
    return found


@pytest.mark.django_db
def test_the_sync_benchmark_costs_the_same_queries_per_page_at_any_size():
    out = StringIO()
    # Full pages only: SQLite splits a bulk insert of a full page in two (its limit on query
    # parameters), so there a short last page costs fewer queries; never more.
    call_command("bench_cloud_sync", "--sizes", "200,400", stdout=out)

    figures = _figures(out.getvalue())
    assert figures[(200, "first")]["pages"] == 2 and figures[(400, "first")]["pages"] == 4
    assert figures[(400, "first")]["new"] == 400
    assert figures[(400, "second")]["unchanged"] == 400
    assert figures[(400, "second")]["changed"] == 0
    for which in ("first", "second"):
        small, large = figures[(200, which)], figures[(400, which)]
        most, least = large["per_page"]
        assert most == least, "every page of a sync costs the same"
        assert small["per_page"] == large["per_page"]
        assert small["first_page"] == large["first_page"]
    # It cleans up after itself.
    assert not CustomerAccount.objects.exists()
    assert not CloudAssociation.objects.exists()
    assert not Reseller.objects.filter(partner_id__startswith="B-").exists()
