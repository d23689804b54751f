"""The link page, the links list with its filters and the customer page: what they say, who
sees them, and query budgets that do not grow with history rows, runs or links."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from linking import services
from linking.checks import ItemSpec
from linking.models import ConsentRecord, Link, VerificationRun, VerificationStatus
from tests import journeys
from tests.conftest import cast_shared_by_the_module, login, make_draft, withdrawal_code_for
from tests.factories import CustomerFactory
from tests.journeys import accepted

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

BILLING = ItemSpec(link_type="billing")


def url(name, *args):
    return reverse(f"linking:{name}", args=args)


def linked(cast, customer=None, specs=None, *, activate=True) -> Link:
    """A link made by the customer's acceptance (and activated), built through the services."""
    req = accepted(cast, specs, customer=customer)
    link = Link.objects.filter(source_item__request=req).latest("id")
    if activate:
        journeys.activate(cast, link.pk)
    link.refresh_from_db()
    return link


def set_verification(link: Link, status: str) -> None:
    """Verification outcome through a save with history, as the checklist records it."""
    link.refresh_from_db()
    link.verification_status = status
    link.verified_at = timezone.now()
    link._change_reason = f"verification {status}"
    link.save(update_fields=["verification_status", "verified_at", "updated_at"])


def section(body: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}".*?</(ol|table|dl|p)>', body, re.S)
    assert match, element_id
    return match.group(0)


# --- the link page ------------------------------------------------------------------------------


def test_link_page_says_scope_state_and_dates_in_words(client, cast):
    link = linked(cast)
    login(client, cast.viewer)
    body = client.get(url("link-detail", link.pk)).content.decode()
    words = section(body, "link-scope-words")
    assert "Your staff can read (no changes to)" in words
    assert "Elastic Cloud Server (ECS), Object Storage Service (OBS)" in words
    assert "AP-Singapore (ap-southeast-1)" in words
    assert 'data-state="active"' in body
    dates = section(body, "link-dates")
    assert link.activated_at.strftime("%Y-%m-%d") in dates
    assert link.ends_at.strftime("%Y-%m-%d") in dates
    assert "Revoked" not in dates


def test_link_page_shows_the_revocation_who_when_why(client, cast):
    link = linked(cast, specs=[BILLING])
    services.link_revoke(
        actor=cast.approver,
        link_id=link.pk,
        reason="contract ended",
        confirm_reference=link.reference,
    )
    link.refresh_from_db()
    # A revoked billing association runs to the month's end; after it the page says revoked.
    # Log in after the clock jump: a session older than its lifetime would be logged out.
    with time_machine.travel(link.billing_ends_at + timedelta(seconds=1), tick=False):
        login(client, cast.viewer)
        body = client.get(url("link-detail", link.pk)).content.decode()
    dates = section(body, "link-dates")
    assert link.revoked_at.strftime("%Y-%m-%d %H:%M") in dates
    assert escape(str(cast.approver)) in dates
    assert "contract ended" in dates
    assert link.billing_ends_at.strftime("%Y-%m-%d") in dates
    assert 'data-state="revoked"' in body


def test_link_page_lists_its_consent_records_with_receipt_downloads(client, cast):
    link = linked(cast)
    record = ConsentRecord.objects.get(item=link.source_item)
    token = services.link_issue_withdrawal_token(link_id=link.pk)
    _, wd_reference = services.link_withdraw(token=token, code=withdrawal_code_for(token))
    login(client, cast.viewer)
    consents = section(client.get(url("link-detail", link.pk)).content.decode(), "link-consents")
    assert url("receipt-download", record.receipt_reference) in consents
    assert url("receipt-download", wd_reference) in consents
    assert "Accepted" in consents and "Withdrawn" in consents


def test_link_page_timeline_says_changes_in_words_without_internal_ids(client, cast):
    link = linked(cast)
    set_verification(link, VerificationStatus.FAILING)
    services.link_revoke(
        actor=cast.admin, link_id=link.pk, reason="customer left", confirm_reference=link.reference
    )
    login(client, cast.viewer)
    timeline = section(client.get(url("link-detail", link.pk)).content.decode(), "link-timeline")
    req = link.source_item.request
    assert f"accepted in {req.reference}" in timeline
    assert escape("Status: Activating → Awaiting the customer's setup") in timeline
    assert escape("Status: Awaiting the customer's setup → Active") in timeline
    assert "Verification: Verified → Failing verification" in timeline
    assert f"Revoked by: — → {escape(str(cast.admin))}" in timeline
    assert "customer left" in timeline
    for raw in ["source_item", "revoked_by", "verification_status", "→ failing", "read_only"]:
        assert raw not in timeline
    assert not re.search(rf"→ ({cast.admin.pk}|{link.source_item_id})<", timeline)


def test_link_past_its_end_date_shows_as_expired_before_the_sweep(client, cast, time_machine):
    link = linked(cast)
    time_machine.move_to(link.ends_at + timedelta(minutes=1), tick=False)
    login(client, cast.viewer)
    body = client.get(url("link-detail", link.pk)).content.decode()
    assert 'data-state="expired"' in body
    assert 'id="lapsed"' in body
    body = client.get(url("link-list"), {"status": "expired"}).content.decode()
    assert link.reference in body
    body = client.get(url("link-list"), {"status": "active"}).content.decode()
    assert link.reference not in body


def test_link_page_refuses_anonymous_and_outsiders(client, cast):
    link = linked(cast)
    response = client.get(url("link-detail", link.pk))
    assert response.status_code == 302
    login(client, cast.outsider)
    assert client.get(url("link-detail", link.pk)).status_code == 404


def _add_history_and_runs(link: Link, n: int) -> None:
    for i in range(n):
        set_verification(
            link, VerificationStatus.FAILING if i % 2 == 0 else VerificationStatus.PASSING
        )
        VerificationRun.objects.create(
            link=link,
            trigger=VerificationRun.Trigger.MANUAL,
            outcome=VerificationRun.Outcome.PASSED,
            finished_at=timezone.now(),
        )


# Session, user, and the membership with the role's user and group permissions (3); the
# link with its customer, request and revoker (1); the catalog names (2); the history (1) and
# the requests of its items (1); the consent records (1); the verification runs (1); the
# teams it names (1).
LINK_PAGE_BUDGET = 3 + 1 + 2 + 1 + 1 + 1 + 1 + 1


def test_link_page_query_budget_does_not_grow_with_history_or_runs(
    client, cast, django_assert_num_queries
):
    link = linked(cast)
    login(client, cast.viewer)
    target = url("link-detail", link.pk)
    history_rows = Link.history.filter(id=link.pk).count
    assert history_rows() == 4  # accepted, awaiting its setup, proven, active
    client.get(target)
    with django_assert_num_queries(LINK_PAGE_BUDGET):
        assert client.get(target).status_code == 200
    _add_history_and_runs(link, 10)
    assert history_rows() == 14
    with django_assert_num_queries(LINK_PAGE_BUDGET):
        body = client.get(target).content.decode()
    assert body.count("verification failing") == 5


# --- the links list -----------------------------------------------------------------------------


def refs(client, **params) -> set[str]:
    body = client.get(url("link-list"), params).content.decode()
    return set(re.findall(r"LK-\d{6}", body))


def test_links_list_filters_by_state_type_and_customer(client, cast):
    delegation = linked(cast)
    billing = linked(cast, customer=cast.customer2, specs=[BILLING], activate=False)
    login(client, cast.viewer)
    d, b = delegation.reference, billing.reference
    assert refs(client, status="active") == {d}
    assert refs(client, status="activating") == {b}
    assert refs(client, link_type="billing") == {b}
    assert refs(client, link_type="delegation") == {d}
    assert refs(client, customer="globex") == {b}
    assert refs(client, customer="1234-5678-0000-0000-0000-0000-0000-9012") == {d}
    assert refs(client, q=d) == {d}
    assert refs(client) == {d, b}


def test_links_list_expiring_soon(client, cast, time_machine):
    delegation = linked(cast)
    billing = linked(cast, customer=cast.customer2, specs=[BILLING])
    login(client, cast.viewer)
    assert refs(client, expiring="on") == set()
    # Log in again after each move: the session would not survive two months.
    time_machine.move_to(delegation.ends_at - timedelta(days=29), tick=False)
    login(client, cast.viewer)
    assert refs(client, expiring="on") == {delegation.reference}
    assert refs(client) == {delegation.reference, billing.reference}
    time_machine.move_to(delegation.ends_at + timedelta(seconds=1), tick=False)
    login(client, cast.viewer)
    assert refs(client, expiring="on") == set()


def test_links_list_failing_verification(client, cast):
    failing = linked(cast)
    passing = linked(cast, customer=cast.customer2)
    set_verification(failing, VerificationStatus.FAILING)
    set_verification(passing, VerificationStatus.PASSING)
    login(client, cast.viewer)
    assert refs(client, failing="on") == {failing.reference}
    assert Link.history.filter(id=failing.pk, verification_status="failing").exists()


def test_links_list_paginates_and_keeps_the_filters(client, cast, settings):
    settings.PORTAL_PAGE_SIZE = 2
    for _ in range(3):
        linked(cast, customer=CustomerFactory(enabled_regions=[cast.region_a]))
    login(client, cast.viewer)
    first = client.get(url("link-list"), {"link_type": "delegation"}).content.decode()
    assert len(set(re.findall(r"LK-\d{6}", first))) == 2
    assert "link_type=delegation&amp;page=2" in first
    second = refs(client, link_type="delegation", page="2")
    assert len(second) == 1


@pytest.mark.parametrize(
    "params",
    [
        {"status": "on_fire"},
        {"link_type": "teleport"},
        {"customer": "x" * 500},
        {"expiring": "maybe", "failing": "[]"},
        {"page": "-1", "expiring": "1"},
        {"q": "LK-99999999999999999999"},
    ],
)
def test_links_list_survives_bad_filter_values(client, cast, params):
    linked(cast)
    login(client, cast.viewer)
    assert client.get(url("link-list"), params).status_code == 200


def test_links_list_budget_with_every_filter_does_not_grow(client, cast, django_assert_num_queries):
    login(client, cast.viewer)
    params = "?status=active&link_type=delegation&customer=Ltd&failing=on"
    target = url("link-list") + params

    def add(n):
        for _ in range(n):
            link = linked(cast, customer=CustomerFactory(enabled_regions=[cast.region_a]))
            set_verification(link, VerificationStatus.FAILING)

    add(3)
    client.get(target)
    # 3 for every page, the ids matching the customer search, then the count and the page.
    with django_assert_num_queries(3 + 1 + 2):
        client.get(target)
    add(27)
    with django_assert_num_queries(3 + 1 + 2):
        body = client.get(target).content.decode()
    assert "30 in total" in body


# --- the customer page --------------------------------------------------------------------------


def test_customer_page_lists_every_link_including_revoked_ones(client, cast):
    delegation = linked(cast)
    billing = linked(cast, specs=[BILLING])
    services.link_revoke(
        actor=cast.approver, link_id=billing.pk, reason="moved", confirm_reference=billing.reference
    )
    other = linked(cast, customer=cast.customer2)
    billing.refresh_from_db()
    with time_machine.travel(billing.billing_ends_at + timedelta(seconds=1), tick=False):
        login(client, cast.viewer)
        body = client.get(url("customer-detail", cast.customer.pk)).content.decode()
    links = section(body, "customer-links")
    assert delegation.reference in links and billing.reference in links
    assert other.reference not in links
    assert 'data-state="revoked"' in links
    assert "Verified" in links
    record = ConsentRecord.objects.get(item=delegation.source_item)
    assert url("receipt-download", record.receipt_reference) in links
    requests = section(body, "customer-requests")
    assert delegation.source_item.request.reference in requests


def test_customer_page_of_an_outsider_is_a_404(client, cast):
    linked(cast)
    login(client, cast.outsider_admin)
    assert client.get(url("customer-detail", cast.customer.pk)).status_code == 404
    login(client, cast.viewer)
    assert client.get(url("customer-detail", cast.customer2.pk)).status_code == 404


# 3 for every page; the customer (1); its association with the reseller as the cloud reports it
# (1); its links with their receipt reference (1); what the reader holds on the customer, read
# at once for the scope cards (6: the object permissions of the user and of its groups, the
# reader's role and team groups, the groups, the live links); the requests and their items (2).
CUSTOMER_PAGE_BUDGET = 3 + 1 + 1 + 1 + 6 + 2


def test_customer_page_budget_does_not_grow(client, cast, django_assert_num_queries):
    linked(cast)
    login(client, cast.viewer)
    target = url("customer-detail", cast.customer.pk)
    client.get(target)
    with django_assert_num_queries(CUSTOMER_PAGE_BUDGET):
        client.get(target)
    provisioning = ItemSpec(link_type="provisioning", services=["ECS"], regions=["ap-southeast-1"])
    # Drafts first: once a type is linked, the customer step refuses a new request for it.
    for _ in range(10):
        make_draft(cast, specs=[provisioning])
    linked(cast, specs=[BILLING])
    linked(cast, specs=[provisioning])
    with django_assert_num_queries(CUSTOMER_PAGE_BUDGET):
        body = client.get(target).content.decode()
    assert len(set(re.findall(r"LK-\d{6}", section(body, "customer-links")))) == 3
