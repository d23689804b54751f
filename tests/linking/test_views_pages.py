"""The detail and list pages: what they show, their filters, bad query strings, and query
budgets that do not grow with the rows."""

import pytest

from linking import services
from linking.checks import ItemSpec
from linking.models import Link, LinkRequest
from tests.conftest import cast_shared_by_the_module, login, make_draft, submit
from tests.factories import CustomerFactory
from tests.journeys import accepted
from tests.linking.view_helpers import BILLING, Status, linked, pending_approval, url

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()


# --- detail pages -----------------------------------------------------------------------------


def test_request_detail_shows_items_timeline_and_actions(client, cast):
    req = make_draft(cast)
    login(client, cast.initiator)
    body = client.get(url("request-detail", req.pk)).content.decode()
    assert "Continue editing" in body
    assert "Cancel request" in body
    assert "ECS, OBS" in body
    assert "draft started" in body
    login(client, cast.viewer)
    body = client.get(url("request-detail", req.pk)).content.decode()
    assert "Continue editing" not in body
    assert "Cancel request" not in body


def test_request_detail_shows_consent_records_and_notifications(client, cast):
    link = linked(cast)
    req = link.source_item.request
    login(client, cast.viewer)
    body = client.get(url("request-detail", req.pk)).content.decode()
    assert "RC-" in body
    assert "Consent request to the customer" in body
    assert "Queued" in body


def test_link_and_customer_detail(client, cast):
    link = linked(cast)
    login(client, cast.viewer)
    body = client.get(url("link-detail", link.pk)).content.decode()
    assert link.reference in body
    assert "ap-southeast-1" in body
    assert "accepted in" in body
    body = client.get(url("customer-detail", cast.customer.pk)).content.decode()
    assert link.reference in body
    assert client.get(url("customer-detail", cast.customer2.pk)).status_code == 404


# --- lists and bad input ----------------------------------------------------------------------


def test_request_list_filters(client, cast):
    draft = make_draft(cast, ticket="INC-DRAFT")
    sent = pending_approval(cast, customer=cast.customer2)
    login(client, cast.viewer)
    body = client.get(url("request-list"), {"status": "draft"}).content.decode()
    assert draft.reference in body and sent.reference not in body
    body = client.get(url("request-list"), {"waiting_on": "approver"}).content.decode()
    assert sent.reference in body and draft.reference not in body
    body = client.get(url("request-list"), {"type": "billing", "link_type": "billing"})
    assert sent.reference in body.content.decode()
    body = client.get(url("request-list"), {"customer": "Globex"}).content.decode()
    assert sent.reference in body and draft.reference not in body
    body = client.get(url("request-list"), {"ticket": "inc-dr"}).content.decode()
    assert draft.reference in body and sent.reference not in body
    body = client.get(url("request-list"), {"q": draft.reference}).content.decode()
    assert draft.reference in body and sent.reference not in body
    body = client.get(url("request-list"), {"initiator": cast.initiator.pk}).content.decode()
    assert draft.reference in body


@pytest.mark.parametrize(
    "params",
    [
        {"page": "abc"},
        {"page": "-4"},
        {"page": "99999"},
        {"initiator": "bob"},
        {"initiator": "99999999999999999999999"},
        {"status": "on_fire"},
        {"waiting_on": "godot"},
        {"link_type": "teleport"},
        {"q": "x" * 500},
    ],
)
def test_request_list_survives_bad_query_strings(client, cast, params):
    req = make_draft(cast)
    login(client, cast.viewer)
    response = client.get(url("request-list"), params)
    assert response.status_code == 200
    if "page" in params:
        assert req.reference in response.content.decode()


def test_unknown_status_filter_is_ignored_and_said(client, cast):
    req = make_draft(cast)
    login(client, cast.viewer)
    response = client.get(url("request-list"), {"status": "on_fire"})
    body = response.content.decode()
    assert "not understood" in body
    assert req.reference in body


def test_overdue_request_shows_as_expired(client, cast, time_machine):
    req = submit(cast, make_draft(cast))
    time_machine.move_to(req.consent_deadline, tick=False)
    login(client, cast.viewer)
    body = client.get(url("request-list"), {"status": "expired"}).content.decode()
    assert req.reference in body
    assert "Expired" in body


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("link-list", {"status": "nope", "link_type": "x", "page": "z"}),
        ("customer-list", {"q": "x" * 500, "page": "0"}),
        ("approval-queue", {"page": "last"}),
    ],
)
def test_other_lists_survive_bad_query_strings(client, cast, name, params):
    linked(cast)
    login(client, cast.approver)
    assert client.get(url(name), params).status_code == 200


def test_link_and_customer_lists_filter(client, cast):
    link = linked(cast)
    login(client, cast.viewer)
    body = client.get(url("link-list"), {"status": "activating"}).content.decode()
    assert link.reference in body
    body = client.get(url("link-list"), {"status": "revoked"}).content.decode()
    assert link.reference not in body
    body = client.get(url("customer-list"), {"q": "acme"}).content.decode()
    assert "Acme Retail" in body
    body = client.get(url("customer-list"), {"q": "globex"}).content.decode()
    assert "Acme Retail" not in body


# --- query budgets ----------------------------------------------------------------------------


def _customers(cast, n):
    regions = [cast.region_a, cast.region_b]
    return [CustomerFactory(enabled_regions=regions) for _ in range(n)]


def _budget(client, django_assert_num_queries, target, expected):
    client.get(target)  # warm the caches (content types, sessions)
    with django_assert_num_queries(expected):
        response = client.get(target)
    assert response.status_code == 200


# Each list page costs the same whatever the number of rows. Every page pays 3: session, user,
# the membership with the role's permissions (its user and group grants, in the same query).
# Then the list: count and page (a request's link types come with its row), plus the members
# offered by the request list's initiator filter.
BUDGETS = {
    "request-list": 3 + 1 + 2,
    "approval-queue": 3 + 2,
    "link-list": 3 + 2,
    "customer-list": 3 + 2,
}


def _same_budget_with_3_and_30_rows(client, django_assert_num_queries, add_row, target, budget):
    for _ in range(3):
        add_row()
    _budget(client, django_assert_num_queries, target, budget)
    for _ in range(27):
        add_row()
    _budget(client, django_assert_num_queries, target, budget)


def test_request_list_query_budget(client, cast, django_assert_num_queries):
    login(client, cast.viewer)
    _same_budget_with_3_and_30_rows(
        client,
        django_assert_num_queries,
        lambda: submit(cast, make_draft(cast, customer=_customers(cast, 1)[0])),
        url("request-list"),
        BUDGETS["request-list"],
    )


def test_approval_queue_query_budget(client, cast, django_assert_num_queries):
    login(client, cast.approver)
    _same_budget_with_3_and_30_rows(
        client,
        django_assert_num_queries,
        lambda: pending_approval(cast, customer=_customers(cast, 1)[0]),
        url("approval-queue"),
        BUDGETS["approval-queue"],
    )
    assert LinkRequest.objects.filter(status=Status.PENDING_APPROVAL).count() == 30


def test_link_list_query_budget(client, cast, django_assert_num_queries):
    login(client, cast.viewer)
    _same_budget_with_3_and_30_rows(
        client,
        django_assert_num_queries,
        lambda: linked(cast, customer=_customers(cast, 1)[0]),
        url("link-list"),
        BUDGETS["link-list"],
    )


def revoked_link(cast, customer=None) -> Link:
    """A link revoked before its setup: its clean-up in the cloud is pending."""
    link = linked(cast, customer=customer)
    return services.link_revoke(
        actor=cast.approver, link_id=link.pk, reason="ended", confirm_reference=link.reference
    )


def test_link_list_filtered_by_cleanup_query_budget(client, cast, django_assert_num_queries):
    login(client, cast.viewer)
    _same_budget_with_3_and_30_rows(
        client,
        django_assert_num_queries,
        lambda: revoked_link(cast, customer=_customers(cast, 1)[0]),
        url("link-list") + "?cleanup=pending",
        BUDGETS["link-list"],
    )


def test_link_list_filters_on_the_cleanup_state(client, cast):
    pending = revoked_link(cast, customer=_customers(cast, 1)[0])
    live = linked(cast, customer=_customers(cast, 1)[0])
    login(client, cast.viewer)
    body = client.get(url("link-list"), {"cleanup": "pending"}).content.decode()
    assert pending.reference in body and live.reference not in body
    assert 'data-cleanup="pending">Clean-up pending<' in body
    body = client.get(url("link-list"), {"cleanup": "still_reachable"}).content.decode()
    assert pending.reference not in body
    body = client.get(url("link-list"), {"cleanup": "nope"}).content.decode()
    assert pending.reference in body and live.reference in body  # a bad value is dropped


def test_customer_list_query_budget(client, cast, django_assert_num_queries):
    login(client, cast.viewer)
    _same_budget_with_3_and_30_rows(
        client,
        django_assert_num_queries,
        lambda: linked(cast, customer=_customers(cast, 1)[0]),
        url("customer-list"),
        BUDGETS["customer-list"],
    )


# --- a finished request leads to its links -----------------------------------------------------


def test_request_page_shows_the_link_of_each_accepted_item_with_its_state(client, cast):
    delegation = ItemSpec(
        link_type="delegation",
        services=["ECS"],
        regions=["ap-southeast-1"],
        access_level="read_only",
        duration_days=90,
    )
    req = accepted(cast, [*BILLING, delegation], customer=cast.customer)
    login(client, cast.viewer)
    page = client.get(url("request-detail", req.pk)).content.decode()
    for link in Link.objects.filter(reseller=cast.reseller, customer=cast.customer):
        assert f'data-link="{link.pk}"' in page
        assert url("link-detail", link.pk) in page
        assert link.reference in page
    assert page.count('class="small item-link"') == 2
    assert 'data-state="activating"' in page


def test_request_page_queries_do_not_grow_with_its_items_and_links(client, cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    delegation = ItemSpec(
        link_type="delegation",
        services=["ECS"],
        regions=["ap-southeast-1"],
        access_level="read_only",
        duration_days=90,
    )
    one = accepted(cast, BILLING, customer=cast.customer)
    two = accepted(cast, [*BILLING, delegation], customer=cast.customer2)
    login(client, cast.viewer)
    counts = []
    for req in (one, two):
        client.get(url("request-detail", req.pk))
        with CaptureQueriesContext(connection) as captured:
            client.get(url("request-detail", req.pk))
        counts.append(len(captured))
    assert counts[0] == counts[1]
