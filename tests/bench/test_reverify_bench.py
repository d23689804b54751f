"""The drift benchmark at a small size: every link re-verified once, with its calls counted."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Reseller
from linking.models import CustomerAccount, Link, VerificationRun


def _figures(output: str) -> dict[str, dict]:
    found = {}
    for line in output.splitlines():
        match = re.match(
            r"N=\d+ (\w+): (\d+) links re-verified \((\d+) passed\); .*"
            r"seconds per 1000 links: ([\d.]+); cloud calls per link: ([\d.]+); "
            r"queries per link: ([\d.]+)",
            line,
        )
        if match:
            label, links, passed, per_thousand, calls, queries = match.groups()
            found[label] = {
                "links": int(links),
                "passed": int(passed),
                "per_thousand": float(per_thousand),
                "calls": float(calls),
                "queries": float(queries),
            }
    return found


@pytest.mark.django_db
def test_the_drift_benchmark_reverifies_every_link_once_with_flat_costs():
    out = StringIO()
    call_command("bench_reverify", "--links", "30", stdout=out)

    output = out.getvalue()
    assert "spread over 24 h" in output
    figures = _figures(output)
    assert figures["delegation"]["links"] == 15 and figures["billing"]["links"] == 15
    assert figures["all"]["passed"] == 30  # the customers' cloud side is in place
    # One call proves an association; assume, projects, ECS read and the dry-run write an agency.
    assert figures["billing"]["calls"] == 1
    assert figures["delegation"]["calls"] == 4
    # The same queries for every link of a type: five, and for a delegation three more for the
    # portal-side check of who acts (the link's teams and their members); here two more each,
    # the savepoint of the run's transaction inside the test's own.
    assert figures["billing"]["queries"] == 5 + 2
    assert figures["delegation"]["queries"] == 5 + 3 + 2
    assert figures["all"]["per_thousand"] > 0
    # It cleans up after itself.
    assert not Link.objects.exists() and not VerificationRun.objects.exists()
    assert not CustomerAccount.objects.exists()
    assert not Reseller.objects.filter(partner_id__startswith="D-").exists()
