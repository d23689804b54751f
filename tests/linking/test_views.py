"""The linking pages: anonymous, outsider (404), wrong role (403) and the happy path of each view,
the wizard end to end, bad input, and query budgets that do not grow with the rows."""

import pytest
from django.urls import reverse

from linking import services
from linking.checks import ItemSpec
from linking.models import Link, LinkRequest
from tests.conftest import cast_shared_by_the_module, freeze, login, make_draft, submit
from tests.factories import CustomerFactory
from tests.journeys import accepted, accepted_link, activate

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

Status = LinkRequest.Status
BILLING = [ItemSpec(link_type="billing")]


def url(name, *args):
    return reverse(f"linking:{name}", args=args)


def wizard(req, step):
    return url("request-wizard", req.pk, step)


def codes_in(response) -> str:
    return response.content.decode()


def pending_approval(cast, customer=None):
    return submit(cast, make_draft(cast, customer=customer, specs=BILLING))


def linked(cast, customer=None):
    """A completed read-only delegation with its link, built through the services."""
    return accepted_link(cast, customer=customer)


# --- anonymous, outsider, wrong role ----------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["request-list", "approval-queue", "link-list", "customer-list", "account-check"]
)
def test_anonymous_is_sent_to_login(client, cast, name):
    response = client.get(url(name))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_anonymous_is_sent_to_login_from_object_pages(client, cast):
    req = make_draft(cast)
    for target in [
        url("request-detail", req.pk),
        wizard(req, 1),
        url("request-cancel", req.pk),
    ]:
        response = client.get(target)
        assert response.status_code == 302, target
        assert reverse("accounts:login") in response["Location"]
    for name in ["request-submit", "request-approve", "request-reject", "request-cancel"]:
        response = client.post(url(name, req.pk))
        assert response.status_code == 302
    assert client.post(url("request-new")).status_code == 302
    req.refresh_from_db()
    assert req.status == Status.DRAFT


def test_outsider_gets_404_on_the_first_resellers_objects(client, cast):
    draft = make_draft(cast)
    link = linked(cast, customer=cast.customer2)
    login(client, cast.outsider)
    for target in [
        url("request-detail", draft.pk),
        wizard(draft, 1),
        url("request-cancel", draft.pk),
        url("link-detail", link.pk),
        url("customer-detail", cast.customer2.pk),
    ]:
        assert client.get(target).status_code == 404, target
    assert client.post(url("request-submit", draft.pk)).status_code == 404
    assert client.post(url("request-cancel", draft.pk)).status_code == 404
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_outsider_admin_gets_404_when_approving_or_rejecting(client, cast):
    req = pending_approval(cast)
    login(client, cast.outsider_admin)
    assert client.post(url("request-approve", req.pk)).status_code == 404
    assert client.post(url("request-reject", req.pk), {"reason": "no"}).status_code == 404
    req.refresh_from_db()
    assert req.status == Status.PENDING_APPROVAL


def test_outsider_sees_none_of_the_first_resellers_rows(client, cast):
    make_draft(cast, ticket="INC-SECRET")
    linked(cast, customer=cast.customer2)
    login(client, cast.outsider)
    for name in ["request-list", "link-list", "customer-list", "approval-queue"]:
        body = client.get(url(name)).content.decode()
        assert "INC-SECRET" not in body
        assert "Globex" not in body


def test_viewer_cannot_start_edit_submit_or_cancel(client, cast):
    req = make_draft(cast)
    login(client, cast.viewer)
    assert client.post(url("request-new")).status_code == 403
    assert client.get(wizard(req, 1)).status_code == 403
    assert client.get(url("account-check"), {"account_id": "1"}).status_code == 403
    assert client.post(url("request-submit", req.pk)).status_code == 403
    assert client.get(url("request-cancel", req.pk)).status_code == 403
    assert client.post(url("request-cancel", req.pk)).status_code == 403
    req.refresh_from_db()
    assert req.status == Status.DRAFT


def test_viewer_and_initiator_cannot_approve_or_reject(client, cast):
    req = pending_approval(cast)
    for user in [cast.viewer, cast.initiator]:
        login(client, user)
        assert client.post(url("request-approve", req.pk)).status_code == 403
        assert client.post(url("request-reject", req.pk), {"reason": "x"}).status_code == 403
    req.refresh_from_db()
    assert req.status == Status.PENDING_APPROVAL


def test_changes_refuse_get(client, cast):
    req = pending_approval(cast)
    login(client, cast.admin)
    for name in ["request-submit", "request-approve", "request-reject"]:
        assert client.get(url(name, req.pk)).status_code == 405
    assert client.get(url("request-new")).status_code == 405


def test_another_initiator_cannot_edit_someone_elses_draft(client, cast):
    req = make_draft(cast)
    login(client, cast.admin)
    assert client.get(wizard(req, 1)).status_code == 403
    response = client.post(url("request-submit", req.pk), follow=True)
    assert "LNK-S002" in codes_in(response)
    req.refresh_from_db()
    assert req.status == Status.DRAFT


# --- the wizard -------------------------------------------------------------------------------


def _start(client):
    response = client.post(url("request-new"))
    assert response.status_code == 302
    req = LinkRequest.objects.latest("id")
    assert response["Location"] == wizard(req, 1)
    return req


def test_wizard_end_to_end_read_only_delegation_goes_to_the_customer(client, cast):
    login(client, cast.initiator)
    assert "New request" in client.get(url("request-list")).content.decode()
    req = _start(client)
    page = client.get(wizard(req, 1))
    assert page.status_code == 200
    assert "Next" in page.content.decode()
    response = client.post(wizard(req, 1), {"link_types": ["delegation"]})
    assert response["Location"] == wizard(req, 2)
    page = client.get(wizard(req, 2)).content.decode()
    assert "Customer account id" in page
    assert 'hx-trigger="input changed delay:300ms"' in page
    response = client.post(wizard(req, 2), {"account_id": "1234 5678-" + "0000 " * 5 + "9012"})
    assert response["Location"] == wizard(req, 3)
    page = client.get(wizard(req, 3)).content.decode()
    assert "Sensitive" in page
    response = client.post(
        wizard(req, 3),
        {
            "delegation-services": ["ECS", "OBS"],
            "delegation-regions": ["ap-southeast-1"],
            "delegation-access_level": "read_only",
            "delegation-duration_days": "90",
        },
    )
    assert response["Location"] == wizard(req, 4)
    response = client.post(
        wizard(req, 4),
        {"ticket_reference": "INC-42", "note_to_customer": "Hello", "consent_days": "7"},
    )
    assert response["Location"] == wizard(req, 4)
    page = client.get(wizard(req, 4)).content.decode()
    assert "Every check passed." in page
    assert "Submit request" in page
    response = client.post(url("request-submit", req.pk))
    assert response["Location"] == url("request-detail", req.pk)
    req.refresh_from_db()
    assert req.status == Status.PENDING_CONSENT
    assert req.ticket_reference == "INC-42"
    item = req.items.get()
    assert (item.services, item.regions, item.access_level) == (
        ["ECS", "OBS"],
        ["ap-southeast-1"],
        "read_only",
    )
    detail = client.get(url("request-detail", req.pk)).content.decode()
    assert "Waiting on" in detail
    assert "the customer" in detail


def test_wizard_end_to_end_billing_goes_to_approval_and_is_approved(client, cast):
    login(client, cast.initiator)
    req = _start(client)
    client.post(wizard(req, 1), {"link_types": ["billing"]})
    client.post(wizard(req, 2), {"account_id": cast.customer.account_id})
    response = client.post(wizard(req, 3), {})
    assert response["Location"] == wizard(req, 4)
    client.post(wizard(req, 4), {"ticket_reference": "INC-7", "consent_days": "10"})
    client.post(url("request-submit", req.pk))
    req.refresh_from_db()
    assert req.status == Status.PENDING_APPROVAL

    login(client, cast.initiator)
    detail = client.get(url("request-detail", req.pk)).content.decode()
    assert ">Approve<" not in detail

    login(client, cast.approver)
    queue = client.get(url("approval-queue")).content.decode()
    assert req.reference in queue
    detail = client.get(url("request-detail", req.pk)).content.decode()
    assert "Approve" in detail
    assert "Reject" in detail
    response = client.post(url("request-approve", req.pk), {"reason": "fine"})
    assert response["Location"] == url("request-detail", req.pk)
    req.refresh_from_db()
    assert req.status == Status.PENDING_CONSENT
    assert req.approver == cast.approver


def test_wizard_steps_cannot_be_skipped_and_can_be_revisited(client, cast):
    login(client, cast.initiator)
    req = _start(client)
    assert client.get(wizard(req, 3))["Location"] == wizard(req, 1)
    client.post(wizard(req, 1), {"link_types": ["delegation"]})
    client.post(wizard(req, 2), {"account_id": cast.customer.account_id})
    page = client.get(wizard(req, 1)).content.decode()
    assert 'value="delegation"' in page and "checked" in page
    assert client.get(wizard(req, 9)).status_code == 404


def test_wizard_of_a_submitted_request_goes_to_its_page(client, cast):
    req = submit(cast, make_draft(cast))
    login(client, cast.initiator)
    assert client.get(wizard(req, 1))["Location"] == url("request-detail", req.pk)


def test_garbage_account_id_shows_lnk_v001_on_step_two(client, cast):
    login(client, cast.initiator)
    req = _start(client)
    client.post(wizard(req, 1), {"link_types": ["delegation"]})
    response = client.post(wizard(req, 2), {"account_id": "12ab<script>"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "LNK-V001" in body
    assert "<script>" not in body
    req.refresh_from_db()
    assert req.wizard_step == 2


def test_unknown_account_id_shows_lnk_v002(client, cast):
    login(client, cast.initiator)
    req = _start(client)
    client.post(wizard(req, 1), {"link_types": ["delegation"]})
    response = client.post(wizard(req, 2), {"account_id": "99999999000000000000000000009999"})
    assert "LNK-V002" in response.content.decode()


def test_step_one_refuses_a_type_the_program_does_not_allow(client, cast):
    cast.reseller.allow_billing = False
    cast.reseller.save()
    login(client, cast.initiator)
    req = _start(client)
    response = client.post(wizard(req, 1), {"link_types": ["billing"]})
    assert response.status_code == 200
    assert "Choose at least one link type." not in response.content.decode()
    assert req.items.count() == 0


def test_review_lists_every_failing_check_and_submit_comes_back_to_it(client, cast):
    bad = ItemSpec(link_type="delegation", services=[], regions=[], access_level="read_only")
    req = make_draft(cast, customer=cast.customer2, specs=[bad])
    freeze(cast.customer2)
    login(client, cast.initiator)
    page = client.get(wizard(req, 4)).content.decode()
    for code in ["LNK-V003", "LNK-V015", "LNK-V016"]:
        assert code in page
    response = client.post(url("request-submit", req.pk), follow=True)
    assert response.redirect_chain[-1][0] == wizard(req, 4)
    body = response.content.decode()
    assert "not submitted" in body
    assert "LNK-V003" in body and "LNK-V015" in body
    req.refresh_from_db()
    assert req.status == Status.DRAFT


def test_review_refuses_consent_days_beyond_the_policy(client, cast):
    req = make_draft(cast)
    login(client, cast.initiator)
    response = client.post(wizard(req, 4), {"consent_days": "45"})
    assert response.status_code == 200
    assert "LNK-V022" in response.content.decode()
    response = client.post(wizard(req, 4), {"consent_days": "lots"})
    assert response.status_code == 200


def test_account_check_shows_the_account_and_its_reasons(client, cast):
    login(client, cast.initiator)
    ok = client.get(url("account-check"), {"account_id": "1234-5678-0000-0000-0000-0000-0000-9012"})
    assert ok.status_code == 200
    assert "Acme Retail" in ok.content.decode()
    assert "can be linked" in ok.content.decode()
    frozen = client.get(url("account-check"), {"account_id": cast.frozen.account_id})
    assert "LNK-V003" in frozen.content.decode()
    garbage = client.get(url("account-check"), {"account_id": "nope"})
    assert "LNK-V001" in garbage.content.decode()
    assert client.get(url("account-check")).status_code == 200


# --- approve, reject, cancel ------------------------------------------------------------------


def test_approval_by_the_initiator_is_refused_with_lnk_a001(client, cast):
    # The admin may both initiate and approve, but never the same request.
    req = submit(cast, make_draft(cast, actor=cast.admin, specs=BILLING), actor=cast.admin)
    login(client, cast.admin)
    detail = client.get(url("request-detail", req.pk)).content.decode()
    assert ">Approve<" not in detail
    response = client.post(url("request-approve", req.pk), follow=True)
    assert "LNK-A001" in response.content.decode()
    req.refresh_from_db()
    assert req.status == Status.PENDING_APPROVAL


def test_reject_without_a_reason_shows_lnk_a003(client, cast):
    req = pending_approval(cast)
    login(client, cast.approver)
    response = client.post(url("request-reject", req.pk), {"reason": "  "}, follow=True)
    assert "LNK-A003" in response.content.decode()
    req.refresh_from_db()
    assert req.status == Status.PENDING_APPROVAL


def test_reject_with_a_reason_closes_the_request(client, cast):
    req = pending_approval(cast)
    login(client, cast.approver)
    client.post(url("request-reject", req.pk), {"reason": "Wrong customer"})
    req.refresh_from_db()
    assert req.status == Status.REJECTED
    assert req.decision_reason == "Wrong customer"
    detail = client.get(url("request-detail", req.pk)).content.decode()
    assert "Wrong customer" in detail


@pytest.mark.parametrize("action", ["request-approve", "request-reject"])
def test_a_reason_too_long_to_keep_is_refused_and_nothing_is_decided(client, cast, action):
    req = pending_approval(cast)
    login(client, cast.approver)
    response = client.post(url(action, req.pk), {"reason": "x" * 2001}, follow=True)
    assert "LNK-A005" in response.content.decode()
    req.refresh_from_db()
    assert req.status == Status.PENDING_APPROVAL
    assert req.decision_reason == ""


def test_approving_twice_says_why_and_changes_nothing(client, cast):
    req = pending_approval(cast)
    login(client, cast.approver)
    client.post(url("request-approve", req.pk))
    response = client.post(url("request-approve", req.pk), follow=True)
    assert "LNK-S001" in response.content.decode()


def test_cancel_page_says_what_stops_and_post_cancels(client, cast):
    req = submit(cast, make_draft(cast))
    login(client, cast.initiator)
    page = client.get(url("request-cancel", req.pk))
    assert page.status_code == 200
    body = page.content.decode()
    assert "stops working" in body
    assert "data-confirm" in body
    response = client.post(url("request-cancel", req.pk), {"reason": "customer changed mind"})
    assert response["Location"] == url("request-detail", req.pk)
    req.refresh_from_db()
    assert req.status == Status.CANCELLED


def test_cancel_with_a_reason_too_long_to_keep_says_why_and_cancels_nothing(client, cast):
    req = submit(cast, make_draft(cast))
    before = req.status
    login(client, cast.initiator)
    response = client.post(url("request-cancel", req.pk), {"reason": "x" * 2001})
    assert "LNK-A005" in response.content.decode()
    req.refresh_from_db()
    assert req.status == before != Status.CANCELLED


def test_cancelling_a_closed_request_shows_the_code(client, cast):
    req = submit(cast, make_draft(cast))
    services.link_request_cancel(actor=cast.initiator, request_id=req.pk)
    login(client, cast.initiator)
    response = client.post(url("request-cancel", req.pk), follow=True)
    assert "LNK-S001" in response.content.decode()


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


# --- a request that cannot be submitted stops where the reason is known ------------------------


def at_customer_step(cast, specs=None):
    """A draft whose link types are chosen and which waits for its customer (step 2)."""
    req = services.link_request_create_draft(actor=cast.initiator, reseller=cast.reseller)
    services.link_request_set_types(
        actor=cast.initiator,
        request_id=req.pk,
        link_types=[s.link_type for s in specs or BILLING],
    )
    return req


def test_customer_step_refuses_a_frozen_account_and_holds_next_back(client, cast):
    req = at_customer_step(cast)
    login(client, cast.initiator)
    response = client.post(wizard(req, 2), {"account_id": cast.frozen.account_id})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-code="LNK-V003"' in body
    assert 'id="wizard-next" disabled' in body
    req.refresh_from_db()
    assert req.wizard_step == 2
    assert req.customer_id is None
    # Coming back to the step shows the same, Next still held back.
    assert client.get(wizard(req, 3)).status_code == 302


def test_customer_step_refuses_an_already_linked_account_and_offers_to_amend(client, cast):
    link = activate(cast, linked(cast).pk)
    specs = [ItemSpec(link_type="delegation")]
    req = at_customer_step(cast, specs)
    login(client, cast.initiator)
    response = client.post(wizard(req, 2), {"account_id": cast.customer.account_id})
    body = response.content.decode()
    assert 'data-code="LNK-V011"' in body
    assert 'id="wizard-next" disabled' in body
    assert url("link-amend", link.pk) in body
    req.refresh_from_db()
    assert req.customer_id is None
    # The live check of this draft says the same before Next is pressed.
    live = client.get(
        url("account-check"), {"account_id": cast.customer.account_id, "request": req.pk}
    )
    assert 'data-code="LNK-V011"' in live.content.decode()
    assert 'id="wizard-next" disabled' in live.content.decode()
    # The way out works: a change of scope of the existing link.
    amend = client.post(url("link-amend", link.pk))
    assert amend.status_code == 302
    assert LinkRequest.objects.filter(amends_link=link, status=Status.DRAFT).exists()


def test_a_clean_account_lets_next_go_on(client, cast):
    req = at_customer_step(cast)
    login(client, cast.initiator)
    live = client.get(
        url("account-check"), {"account_id": cast.customer2.account_id, "request": req.pk}
    )
    assert 'id="wizard-next">' in live.content.decode()
    response = client.post(wizard(req, 2), {"account_id": cast.customer2.account_id})
    assert response["Location"] == wizard(req, 3)


def test_account_check_of_another_resellers_draft_is_404(client, cast):
    req = at_customer_step(cast)
    login(client, cast.outsider)
    response = client.get(url("account-check"), {"account_id": "1", "request": req.pk})
    assert response.status_code == 404


def test_review_keeps_submit_disabled_while_a_reason_stands(client, cast):
    req = make_draft(cast, customer=cast.customer2, specs=BILLING)
    login(client, cast.initiator)
    assert 'id="submit-request">' in client.get(wizard(req, 4)).content.decode()
    freeze(cast.customer2)
    page = client.get(wizard(req, 4)).content.decode()
    assert 'id="submit-request" disabled' in page
    assert 'id="submit-blocked"' in page


# --- every confirmation says what actually happened ---------------------------------------------


def flashed(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_submitting_a_narrowing_says_it_applies_and_nobody_was_asked(client, cast):
    from tests.journeys import active_link
    from tests.linking.test_amend import amend

    link = active_link(cast)
    req = amend(cast, link, services=["ECS"])
    login(client, cast.initiator)
    response = client.post(url("request-submit", req.pk), follow=True)
    message = flashed(response)
    assert f"narrower scope of {link.reference} applies now" in message
    assert "customer was not asked" in message
    assert "has been asked" not in message


def test_submitting_says_who_was_asked(client, cast):
    login(client, cast.initiator)
    to_customer = make_draft(cast)
    message = flashed(client.post(url("request-submit", to_customer.pk), follow=True))
    assert f"consent e-mail to {cast.customer.contact_email} is on its way" in message
    to_approvers = make_draft(cast, customer=cast.customer2, specs=BILLING)
    message = flashed(client.post(url("request-submit", to_approvers.pk), follow=True))
    assert "waits for approval; 2 approvers have been e-mailed" in message


def test_approving_says_the_consent_e_mail_is_on_its_way(client, cast):
    req = pending_approval(cast)
    login(client, cast.approver)
    message = flashed(client.post(url("request-approve", req.pk), {"reason": "ok"}, follow=True))
    assert f"{req.reference} was approved; the consent e-mail to" in message


def test_revoking_a_billing_link_says_billing_runs_to_the_month_end(client, cast):
    from tests.journeys import active_link

    link = active_link(cast, BILLING)
    login(client, cast.approver)
    response = client.post(
        url("link-revoke", link.pk),
        {"reason": "Contract ended", "confirm_reference": link.reference},
        follow=True,
    )
    message = flashed(response)
    assert "billing ends on" in message
    assert "access ended now" not in message
    assert "the customer and your team are being told" in message


def test_cancelling_a_request_waiting_for_the_customer_says_the_link_is_dead(client, cast):
    req = submit(cast, make_draft(cast))
    login(client, cast.initiator)
    response = client.post(url("request-cancel", req.pk), {"reason": "wrong"}, follow=True)
    assert "the link in the consent e-mail no longer works" in flashed(response)


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
