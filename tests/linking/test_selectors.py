from dataclasses import dataclass
from datetime import timedelta

import pytest
import time_machine

from linking import services
from linking.checks import ItemSpec
from linking.models import LinkRequest
from linking.selectors.dashboard import dashboard_for_reseller
from linking.selectors.requests import (
    RequestFilters,
    approval_queue_for_user,
    link_request_list_for_reseller,
    request_timeline,
)
from tests.conftest import ACME, cast_shared_by_the_module, consent_token_for, make_draft, submit

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

Status = LinkRequest.Status
BILLING = ItemSpec(link_type="billing")
PROVISIONING = ItemSpec(link_type="provisioning", services=["ECS"], regions=["ap-southeast-1"])


@dataclass
class Requests:
    draft: LinkRequest
    approval: LinkRequest
    consent: LinkRequest
    admins: LinkRequest
    theirs: LinkRequest


@pytest.fixture
def reqs(cast, django_capture_on_commit_callbacks) -> Requests:
    # Approval may wait longer than consent here, so that only the consent request goes overdue.
    cast.reseller.approval_days = 14
    cast.reseller.save(update_fields=["approval_days"])
    with django_capture_on_commit_callbacks(execute=False):
        draft = make_draft(cast, ticket="INC-1001")
        approval = submit(cast, make_draft(cast, specs=[BILLING], ticket="INC-2002"))
        consent = submit(cast, make_draft(cast, customer=cast.customer2, ticket="CHG-7"))
        admins = make_draft(cast, actor=cast.admin, specs=[PROVISIONING], ticket="INC-3003")
        theirs = services.link_request_create_draft(actor=cast.outsider, reseller=cast.other)
        services.link_request_set_types(
            actor=cast.outsider, request_id=theirs.pk, link_types=["billing"]
        )
        services.link_request_set_customer(
            actor=cast.outsider, request_id=theirs.pk, account_id=cast.customer.account_id
        )
        services.link_request_submit(actor=cast.outsider, request_id=theirs.pk)
    return Requests(draft, approval, consent, admins, theirs)


def listed(cast, **filters) -> list[LinkRequest]:
    return list(
        link_request_list_for_reseller(reseller=cast.reseller, filters=RequestFilters(**filters))
    )


def overdue(req):
    return time_machine.travel(req.consent_deadline + timedelta(seconds=1), tick=False)


def test_list_is_newest_first_and_never_shows_another_resellers_requests(cast, reqs):
    assert listed(cast) == [reqs.admins, reqs.consent, reqs.approval, reqs.draft]
    assert list(link_request_list_for_reseller(reseller=cast.other)) == [reqs.theirs]


def test_list_filters_by_status(cast, reqs):
    assert listed(cast, status="draft") == [reqs.admins, reqs.draft]
    assert listed(cast, status="pending_approval") == [reqs.approval]
    assert listed(cast, status="pending_consent") == [reqs.consent]
    assert listed(cast, status="expired") == []


def test_overdue_request_is_listed_as_expired_before_the_sweep(cast, reqs):
    with overdue(reqs.consent):
        assert listed(cast, status="expired") == [reqs.consent]
        assert listed(cast, status="pending_consent") == []
        assert listed(cast, waiting_on="customer") == []
    reqs.consent.refresh_from_db()
    assert reqs.consent.status == Status.PENDING_CONSENT


def test_list_filters_by_link_type(cast, reqs):
    assert listed(cast, link_type="billing") == [reqs.approval]
    assert listed(cast, link_type="delegation") == [reqs.consent, reqs.draft]


def test_list_filters_by_whom_it_waits_on(cast, reqs):
    assert listed(cast, waiting_on="initiator") == [reqs.admins, reqs.draft]
    assert listed(cast, waiting_on="approver") == [reqs.approval]
    # Its consent e-mail has not gone out yet: it waits on delivery, not on the customer.
    assert listed(cast, waiting_on="delivery") == [reqs.consent]
    assert listed(cast, waiting_on="customer") == []


def test_list_filters_by_customer_id_or_name(cast, reqs):
    assert listed(cast, customer=ACME.upper()) == [
        reqs.admins,
        reqs.approval,
        reqs.draft,
    ]
    assert listed(cast, customer="globex") == [reqs.consent]
    assert listed(cast, customer="Nobody Inc") == []


def test_list_filters_by_initiator(cast, reqs):
    assert listed(cast, initiator=cast.admin.pk) == [reqs.admins]
    assert listed(cast, initiator=cast.outsider.pk) == []


def test_list_filters_by_ticket(cast, reqs):
    assert listed(cast, ticket="inc-2002") == [reqs.approval]
    assert listed(cast, ticket="INC") == [reqs.admins, reqs.approval, reqs.draft]


def test_search_finds_a_request_by_reference(cast, reqs):
    assert listed(cast, q=reqs.approval.reference) == [reqs.approval]
    assert listed(cast, q=reqs.approval.reference.lower()) == [reqs.approval]
    assert listed(cast, q=reqs.theirs.reference) == []


def test_search_finds_a_request_by_ticket_and_customer(cast, reqs):
    assert listed(cast, q="CHG-7") == [reqs.consent]
    assert listed(cast, q="Globex") == [reqs.consent]


def test_list_costs_the_same_queries_for_any_number_of_rows(cast, reqs, django_assert_num_queries):
    with django_assert_num_queries(2):
        rows = listed(cast)
        assert [len(r.items.all()) for r in rows] == [1, 1, 1, 1]
        assert {r.customer.display_name for r in rows} == {"Acme Retail", "Globex"}
        assert {r.initiator.email for r in rows} == {cast.admin.email, cast.initiator.email}


def test_approval_queue_leaves_out_the_users_own_requests(
    cast, reqs, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        own = submit(
            cast, make_draft(cast, actor=cast.admin, specs=[PROVISIONING]), actor=cast.admin
        )
    queue = approval_queue_for_user
    assert list(queue(reseller=cast.reseller, user=cast.approver)) == [reqs.approval, own]
    assert list(queue(reseller=cast.reseller, user=cast.admin)) == [reqs.approval]


def test_dashboard_counts_overdue_requests_as_expired(cast, reqs, django_assert_num_queries):
    counts = dashboard_for_reseller(reseller=cast.reseller)["counts"]
    assert (counts["draft"], counts["pending_approval"], counts["pending_consent"]) == (2, 1, 1)
    assert counts["expired"] == 0
    # + one query per whose-move group of the oldest waiting (four), + the approvers (two of
    # them: no request waits for an approval nobody can give, so no count).
    with overdue(reqs.consent), django_assert_num_queries(6 + 4 + 1):
        dashboard = dashboard_for_reseller(reseller=cast.reseller)
    assert dashboard["counts"]["pending_consent"] == 0
    assert dashboard["counts"]["expired"] == 1
    assert dashboard["oldest"] == [reqs.approval]


def test_timeline_shows_who_submitted_approved_and_decided(
    cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        req = submit(cast, make_draft(cast, specs=[BILLING]))
        services.link_request_approve(actor=cast.approver, request_id=req.pk, reason="signed")
        item = req.items.get()
        services.consent_decide(token=consent_token_for(req), decisions={item.pk: (True, "")})
    entries = request_timeline(req=req)
    whats = [(e["what"], e["who"]) for e in entries]
    assert ("draft started", cast.initiator) in whats
    assert ("submitted for approval", cast.initiator) in whats
    assert ("approved: signed", cast.approver) in whats
    assert (
        f"customer accepted (customer contact {cast.customer.contact_email})",
        None,
    ) in whats
    decided = [e for e in entries if e["what"].startswith("Billing association: accepted by")]
    assert len(decided) == 1
    assert [e["when"] for e in entries] == sorted(e["when"] for e in entries)
    approved = next(e for e in entries if e["what"] == "approved: signed")
    assert ("status", "Waiting for approval", "Waiting for the customer") in approved["changes"]


def test_list_filters_by_the_start_of_an_account_id_or_name(cast, reqs):
    mine = [reqs.admins, reqs.approval, reqs.draft]
    assert listed(cast, customer=ACME[:8].upper()) == mine
    assert listed(cast, customer="ACME-RET") == mine
    assert listed(cast, customer=ACME[1:9]) == []  # a prefix, not any part of the id
    assert listed(cast, customer="-retail") == []  # an account name's start, not any part
