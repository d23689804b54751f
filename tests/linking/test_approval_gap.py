"""A request that needs a second person when nobody else can approve it (LNK-A004): refused at
submit, and said on the request page and the dashboard for requests already waiting."""

import pytest
from django.urls import reverse

from accounts.models import Membership, Role
from accounts.services import membership_set_role
from linking.checks import ItemSpec
from linking.checks.reasons import ChecksFailed
from linking.models import LinkRequest, Notification
from tests.conftest import login, make_draft, read_only_delegation, submit
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

Status = LinkRequest.Status
BILLING = [ItemSpec(link_type="billing")]


def demote_the_approver(cast):
    membership = Membership.objects.get(user=cast.approver, reseller=cast.reseller)
    membership_set_role(actor=cast.admin, membership_id=membership.pk, role=Role.VIEWER)


def test_submit_is_refused_when_the_initiator_is_the_only_approver(cast):
    demote_the_approver(cast)
    draft = make_draft(cast, specs=BILLING, actor=cast.admin)
    with pytest.raises(ChecksFailed) as refused:
        submit(cast, draft, actor=cast.admin)
    assert [r.code for r in refused.value.reasons] == ["LNK-A004"]
    assert f"{cast.admin.email} is its only approver" in refused.value.reasons[0].message
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert not Notification.objects.exists()


def test_submit_is_refused_when_there_is_no_approver_at_all(cast):
    demote_the_approver(cast)
    cast.admin.is_active = False
    cast.admin.save(update_fields=["is_active"])
    draft = make_draft(cast, specs=BILLING)
    with pytest.raises(ChecksFailed) as refused:
        submit(cast, draft)
    assert refused.value.code == "LNK-A004"
    assert "it has no approver" in refused.value.message


def test_a_request_that_needs_no_approval_goes_on_without_approvers(cast):
    demote_the_approver(cast)
    req = submit(cast, make_draft(cast, specs=[read_only_delegation(cast)]))
    assert req.status == Status.PENDING_CONSENT


def test_with_another_approver_the_admins_request_waits_for_them(cast):
    req = submit(cast, make_draft(cast, specs=BILLING, actor=cast.admin), actor=cast.admin)
    assert req.status == Status.PENDING_APPROVAL


def test_the_review_shows_the_code_and_keeps_submit_disabled(client, cast):
    demote_the_approver(cast)
    draft = make_draft(cast, specs=BILLING, actor=cast.admin)
    login(client, cast.admin)
    page = client.get(reverse("linking:request-wizard", args=[draft.pk, 4])).content.decode()
    assert 'data-code="LNK-A004"' in page
    assert 'id="submit-request" disabled' in page


def waiting_for_nobody(cast):
    """A request submitted while an approver existed, whose approver has since gone."""
    req = submit(cast, make_draft(cast, specs=BILLING))
    assert req.status == Status.PENDING_APPROVAL
    demote_the_approver(cast)
    cast.admin.is_active = False
    cast.admin.save(update_fields=["is_active"])
    return req


def test_the_request_page_says_nobody_can_approve_a_waiting_request(client, cast):
    req = waiting_for_nobody(cast)
    login(client, cast.viewer)
    page = client.get(reverse("linking:request-detail", args=[req.pk])).content.decode()
    assert 'id="approval-gap" data-code="LNK-A004"' in page


def test_the_request_page_says_nothing_while_an_approver_exists(client, cast):
    req = submit(cast, make_draft(cast, specs=BILLING))
    login(client, cast.viewer)
    page = client.get(reverse("linking:request-detail", args=[req.pk])).content.decode()
    assert 'id="approval-gap"' not in page


def test_the_dashboard_counts_requests_nobody_can_approve_in_two_queries(
    client, cast, django_assert_num_queries
):
    login(client, cast.viewer)
    waiting_for_nobody(cast)
    regions = [cast.region_a, cast.region_b]
    for more in (0, 4):
        for _ in range(more):
            # Submitted by the only approver left: nobody else can approve them either.
            cast.admin.is_active = True
            cast.admin.save(update_fields=["is_active"])
            draft = make_draft(
                cast,
                specs=BILLING,
                actor=cast.initiator,
                customer=CustomerFactory(enabled_regions=regions),
            )
            submit(cast, draft)
            cast.admin.is_active = False
            cast.admin.save(update_fields=["is_active"])
        client.get(reverse("portal:dashboard"))
        # As the dashboard's budget (3 + 6 + 4), + the approvers and the count of the waiting.
        with django_assert_num_queries(3 + 6 + 4 + 2):
            page = client.get(reverse("portal:dashboard")).content.decode()
        assert 'id="nobody-can-approve"' in page
        expected = 1 + more
        assert f"{expected} request" in page


def test_the_batch_dry_run_reports_the_gap_on_rows_that_need_approval(cast):
    # The dry run says what the run would refuse: a billing row needs a second person, and
    # the admin who uploads is the only approver left; a read-only delegation needs nobody.
    from linking import services
    from linking.batches.parsing import COLUMNS
    from linking.models import BatchRow

    demote_the_approver(cast)
    delegation = read_only_delegation(cast)
    rows = [
        {"key": "b1", "account_id": cast.customer.account_id, "link_types": "billing"},
        {
            "key": "d1",
            "account_id": cast.customer2.account_id,
            "link_types": "delegation",
            "delegation_services": "|".join(delegation.services),
            "delegation_regions": "|".join(delegation.regions),
            "delegation_access": delegation.access_level,
        },
    ]
    lines = [",".join(COLUMNS)] + [",".join(row.get(c, "") for c in COLUMNS) for row in rows]
    batch = services.batch_upload(
        actor=cast.admin,
        reseller=cast.reseller,
        file_name="rows.csv",
        data=("\n".join(lines) + "\n").encode(),
    )
    outcome = {r.key: (r.outcome, r.codes) for r in batch.rows.all()}
    assert outcome == {
        "b1": (BatchRow.Outcome.INVALID, "LNK-A004"),
        "d1": (BatchRow.Outcome.PENDING, ""),
    }
