"""The request wizard: end to end, its steps, bad input, the live account check, and a request
that cannot be submitted stopping where the reason is known."""

from linking import services
from linking.checks import ItemSpec
from linking.models import LinkRequest
from tests.conftest import cast_shared_by_the_module, freeze, login, make_draft, submit
from tests.journeys import activate
from tests.linking.view_helpers import BILLING, Status, _start, linked, url, wizard

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()


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
