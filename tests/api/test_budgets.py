"""Query budgets of the API's lists: the same count of queries for a few rows and for many."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import make_draft
from tests.factories import CustomerFactory
from tests.journeys import accepted_link


def _links(cast, n):
    for _ in range(n):
        accepted_link(cast, customer=CustomerFactory(enabled_regions=[cast.region_a]))


def _drafts(cast, n):
    for _ in range(n):
        make_draft(cast, customer=CustomerFactory(enabled_regions=[cast.region_a]))


def _waiting_for_approval(cast, n):
    from linking.checks import ItemSpec
    from linking.services import link_request_submit

    for _ in range(n):
        req = make_draft(
            cast,
            customer=CustomerFactory(enabled_regions=[cast.region_a]),
            specs=[ItemSpec(link_type="billing")],
        )
        link_request_submit(actor=cast.initiator, request_id=req.pk)


# Per list: what fills it, the query string, and its budget: the key (1), its maker's role (1),
# then the list's own queries (the capped count and the page, plus what its filters read; the
# links' teams are one more).
LISTS = {
    "links": (_links, "/api/v1/links/?link_type=delegation&customer=Ltd", 2 + 1 + 2 + 1),
    "customers": (_links, "/api/v1/customers/?q=Ltd", 2 + 2),
    "requests": (_drafts, "/api/v1/requests/?status=draft", 2 + 2 + 1),
    "approvals": (_waiting_for_approval, "/api/v1/approvals/", 2 + 2),
}


@pytest.mark.parametrize("name", list(LISTS))
def test_a_list_costs_the_same_queries_for_few_and_many_rows(name, cast, viewer_api, settings):
    fill, path, budget = LISTS[name]
    fill(cast, 2)
    viewer_api.get(path)  # the key's last use is written once a minute: not in the count
    counts = []
    for more in (0, 6):
        fill(cast, more)
        with CaptureQueriesContext(connection) as queries:
            response = viewer_api.get(path)
        assert response.status_code == 200, response.json()
        counts.append((len(queries), response.json()["count"]))
    assert counts[0][1] >= 2 and counts[1][1] == counts[0][1] + 6, counts
    assert [c for c, _ in counts] == [budget, budget], [q["sql"][:120] for q in queries]
