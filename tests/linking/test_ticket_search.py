"""The ticket reference finds a request everywhere: the request list, the links list (through the
request behind the link), the customer page, the approval queue and the admin."""

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from linking.checks import ItemSpec
from linking.models import LinkRequest
from linking.selectors.requests import RequestFilters, link_request_list_for_reseller
from tests.conftest import login, make_draft, submit
from tests.journeys import accepted_link

pytestmark = pytest.mark.django_db
BILLING = [ItemSpec(link_type="billing")]


def url(name, *args):
    return reverse(f"linking:{name}", args=args)


def linked(cast, customer, ticket):
    return accepted_link(cast, customer=customer, ticket=ticket)


def test_the_ticket_filter_matches_the_start_of_the_reference(cast):
    a = make_draft(cast, ticket="INC-2002")
    b = make_draft(cast, customer=cast.customer2, ticket="inc-20")
    make_draft(cast, customer=cast.customer2, specs=BILLING, ticket="CHG-INC-2002")

    def listed(ticket):
        filters = RequestFilters(ticket=ticket)
        qs = link_request_list_for_reseller(reseller=cast.reseller, filters=filters)
        return list(qs)

    assert listed("inc-2002") == [a]
    assert listed("INC-20") == [b, a]
    # Inside the reference: the text search.
    found = link_request_list_for_reseller(
        reseller=cast.reseller, filters=RequestFilters(q="inc-2002")
    )
    assert len(found) == 2


def test_links_list_finds_a_link_by_the_ticket_of_its_request(client, cast):
    link = linked(cast, cast.customer, "OPS-4711")
    other = linked(cast, cast.customer2, "OPS-1")
    login(client, cast.viewer)
    body = client.get(url("link-list"), {"q": "ops-4711"}).content.decode()
    assert link.reference in body and other.reference not in body
    body = client.get(url("link-list"), {"q": "OPS"}).content.decode()
    assert link.reference in body and other.reference in body
    login(client, cast.outsider)
    assert link.reference not in client.get(url("link-list"), {"q": "OPS"}).content.decode()


def test_approval_queue_searches_by_ticket(client, cast):
    wanted = submit(cast, make_draft(cast, specs=BILLING, ticket="CASE-88"))
    other = submit(cast, make_draft(cast, customer=cast.customer2, specs=BILLING, ticket="CASE-9"))
    login(client, cast.approver)
    body = client.get(url("approval-queue"), {"q": "case-88"}).content.decode()
    assert wanted.reference in body and other.reference not in body
    body = client.get(url("approval-queue")).content.decode()
    assert wanted.reference in body and other.reference in body
    response = client.get(url("approval-queue"), {"q": "x" * 500, "page": "abc"})
    assert response.status_code == 200


def test_customer_page_shows_and_searches_tickets(client, cast):
    link = linked(cast, cast.customer, "SR-500")
    draft = make_draft(cast, specs=BILLING, ticket="SR-777")
    login(client, cast.viewer)
    page = client.get(url("customer-detail", cast.customer.pk)).content.decode()
    assert "SR-500" in page and "SR-777" in page
    body = client.get(url("customer-detail", cast.customer.pk), {"q": "sr-777"}).content.decode()
    requests_part = body[body.index('id="customer-requests"') :]
    assert draft.reference in requests_part
    assert link.source_item.request.reference not in requests_part
    login(client, cast.outsider)
    assert client.get(url("customer-detail", cast.customer.pk)).status_code == 404


TICKET_PATHS = {
    "linkrequest": "ticket_reference",
    "link": "source_item__request__ticket_reference",
    "requestitem": "request__ticket_reference",
    "consentrecord": "request__ticket_reference",
    "notification": "request__ticket_reference",
}


@pytest.mark.parametrize("model", list(TICKET_PATHS))
def test_admin_finds_rows_by_ticket(client, cast, model):
    linked(cast, cast.customer, "ADM-31337")
    linked(cast, cast.customer2, "ADM-1")
    rows = apps.get_model("linking", model).objects
    client.force_login(cast.auditor)
    changelist = reverse(f"admin:linking_{model}_changelist")
    for ticket in ("ADM-31337", "ADM-1"):
        response = client.get(changelist, {"q": ticket})
        assert response.status_code == 200
        expected = rows.filter(**{TICKET_PATHS[model]: ticket}).count()
        assert 1 <= expected < rows.count()
        # Each row found links to its page once, carrying the search along.
        found = response.content.decode().count(f"/change/?_changelist_filters=q%3D{ticket}")
        assert found == expected


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL operator class")
def test_the_ticket_filter_can_use_the_prefix_index(cast):
    draft = make_draft(cast, ticket="INC-1")
    # Enough rows of one reseller for the planner to prefer the index over the reseller's rows.
    columns = [f.column for f in LinkRequest._meta.concrete_fields if f.column != "id"]
    select = ["'BULK-' || n" if column == "ticket_reference" else column for column in columns]
    with connection.cursor() as cursor:
        # Column names come from the model, not from input.
        sql = (
            f"INSERT INTO linking_linkrequest ({', '.join(columns)}) "  # noqa: S608
            f"SELECT {', '.join(select)} FROM linking_linkrequest, generate_series(1, 5000) n "
            "WHERE id = %s"
        )
        cursor.execute(sql, [draft.pk])
        cursor.execute("ANALYZE linking_linkrequest")
    qs = link_request_list_for_reseller(
        reseller=cast.reseller, filters=RequestFilters(ticket="inc-1")
    )
    plan = qs.explain()
    assert list(qs) == [draft]
    assert "req_reseller_ticket_prefix" in plan
