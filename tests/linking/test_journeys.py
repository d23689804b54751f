"""The journeys the demo data and the tests share: each step is the service a page or a worker
calls, so what they build is what a user would have built."""

from linking import journeys
from linking.checks import ItemSpec
from linking.models import Link, LinkRequest
from tests.conftest import read_only_delegation

Status = LinkRequest.Status
BILLING = ItemSpec(link_type="billing")


def draft(cast, specs, customer=None):
    return journeys.draft(
        actor=cast.initiator,
        reseller=cast.reseller,
        customer=customer or cast.customer,
        specs=specs,
        ticket="INC-7",
        note="As agreed.",
    )


def test_a_draft_is_complete_and_submittable(cast):
    req = draft(cast, [read_only_delegation(cast)])
    assert (req.status, req.ticket_reference, req.note_to_customer) == (
        Status.DRAFT,
        "INC-7",
        "As agreed.",
    )
    assert journeys.submit(req, actor=cast.initiator).status == Status.PENDING_CONSENT


def test_submit_approves_only_when_the_policy_asks_and_an_approver_is_given(cast):
    waiting = journeys.submit(draft(cast, [BILLING]), actor=cast.initiator)
    assert waiting.status == Status.PENDING_APPROVAL
    approved = journeys.submit(
        draft(cast, [BILLING], cast.customer2),
        actor=cast.initiator,
        approver=cast.approver,
        reason="ok",
    )
    assert (approved.status, approved.approver, approved.decision_reason) == (
        Status.PENDING_CONSENT,
        cast.approver,
        "ok",
    )


def test_the_customer_accepts_and_the_worker_activates_every_link(cast):
    req = journeys.submit(
        draft(cast, [BILLING, read_only_delegation(cast)]),
        actor=cast.initiator,
        approver=cast.approver,
    )
    req, receipt = journeys.decide_all(req, accept=True)
    assert req.status == Status.COMPLETED and receipt
    links = journeys.activate(req)
    assert sorted(link.link_type for link in links) == ["billing", "delegation"]
    # The worker's activation grants nothing yet: each link waits for the customer's setup.
    assert set(Link.objects.filter(source_item__request=req).values_list("status", flat=True)) == {
        Link.Status.AWAITING_SETUP
    }
    # A second activation finds nothing waiting.
    assert journeys.activate(req) == [None, None]


def test_a_declined_request_keeps_the_reason_and_makes_no_link(cast):
    req = journeys.submit(draft(cast, [read_only_delegation(cast)]), actor=cast.initiator)
    req, _ = journeys.decide_all(req, accept=False, reason="Not now")
    assert req.status == Status.DECLINED
    assert list(req.items.values_list("decline_reason", flat=True)) == ["Not now"]
    assert not Link.objects.filter(source_item__request=req).exists()
