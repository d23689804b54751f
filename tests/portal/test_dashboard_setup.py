"""The dashboard's group of links waiting for the customer's cloud-side setup: how long each
has waited and its deadline, nearest first, only the reseller's own, at a flat query cost."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from linking.models import Link
from linking.selectors.dashboard import AWAITING_SETUP_SHOWN, dashboard_for_reseller
from tests.conftest import login
from tests.factories import CustomerFactory
from tests.journeys import awaiting_setup_link, prove_setup

pytestmark = pytest.mark.django_db


def _waiting(cast, n: int) -> list[Link]:
    regions = [cast.region_a, cast.region_b]
    return [
        awaiting_setup_link(cast, customer=CustomerFactory(enabled_regions=regions))
        for _ in range(n)
    ]


def test_the_group_lists_the_links_awaiting_setup_with_how_long_and_the_deadline(client, cast):
    start = timezone.now() - timedelta(days=3)
    with time_machine.travel(start, tick=False):
        [older] = _waiting(cast, 1)
    newer, proven = _waiting(cast, 2)
    prove_setup(cast, proven)
    login(client, cast.viewer)

    body = client.get(reverse("portal:dashboard")).text

    assert 'id="awaiting-setup"' in body
    assert f'data-link="{older.reference}"' in body and f'data-link="{newer.reference}"' in body
    assert f'data-link="{proven.reference}"' not in body  # active now: nothing awaited
    # Nearest deadline first: the one that has waited three days.
    assert body.index(older.reference) < body.index(newer.reference)
    assert "3\xa0days" in body  # how long it has waited
    older.refresh_from_db()
    assert older.setup_deadline is not None
    assert "(in 1\xa0week" in body  # its deadline, 14 days after the 3 days ago
    assert "?status=awaiting_setup" in body


def test_the_group_says_when_nothing_waits_and_never_shows_another_resellers(client, cast):
    _waiting(cast, 1)
    login(client, cast.outsider)
    body = client.get(reverse("portal:dashboard")).text
    assert "No link waits for a customer's setup." in body
    assert "LK-" not in body


def test_the_group_shows_the_first_few_of_many(cast):
    _waiting(cast, AWAITING_SETUP_SHOWN + 1)
    dashboard = dashboard_for_reseller(reseller=cast.reseller)
    assert len(dashboard["awaiting_setup"]) == AWAITING_SETUP_SHOWN
    assert dashboard["links"]["awaiting_setup"] == AWAITING_SETUP_SHOWN + 1


def test_the_dashboard_costs_one_query_more_for_1_or_7_links_awaiting_setup(
    client, cast, django_assert_num_queries
):
    login(client, cast.viewer)
    for total in (1, 7):
        _waiting(cast, total - Link.objects.filter(status=Link.Status.AWAITING_SETUP).count())
        client.get(reverse("portal:dashboard"))  # warm the caches
        # The dashboard's budget (test_views), plus one for the links awaiting setup; with
        # none waiting that query is not made.
        with django_assert_num_queries(3 + 6 + 4 + 1 + 1):
            response = client.get(reverse("portal:dashboard"))
        assert response.text.count('<tr data-link="LK-') == min(total, AWAITING_SETUP_SHOWN)
