"""The dashboard and the error-code help page."""

from django.urls import reverse
from django.utils.html import escape

from linking import services
from linking.checks import ItemSpec
from portal.codes import codes_by_stage
from tests.conftest import login, make_draft, submit
from tests.factories import CustomerFactory

BILLING = [ItemSpec(link_type="billing")]


def test_dashboard_sends_anonymous_to_login(client, cast):
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_dashboard_without_membership_is_refused(client, cast):
    login(client, cast.no_member)
    assert client.get(reverse("portal:dashboard")).status_code == 403


def test_dashboard_shows_counts_waiting_and_new_request_for_initiators(client, cast):
    draft = make_draft(cast, customer=cast.customer2)
    pending = submit(cast, make_draft(cast, specs=BILLING))
    login(client, cast.initiator)
    body = client.get(reverse("portal:dashboard")).content.decode()
    assert "New request" in body
    assert 'data-status="draft">1<' in body
    assert 'data-status="pending_approval">1<' in body
    assert pending.reference in body
    assert "Approver" in body
    assert draft.reference not in body  # drafts wait on nobody but their author


def test_dashboard_hides_new_request_from_viewers(client, cast):
    login(client, cast.viewer)
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 200
    assert "New request" not in response.content.decode()


def test_dashboard_of_the_outsider_shows_nothing_of_the_first_reseller(client, cast):
    pending = submit(cast, make_draft(cast, specs=BILLING))
    login(client, cast.outsider)
    body = client.get(reverse("portal:dashboard")).content.decode()
    assert pending.reference not in body
    assert 'data-status="pending_approval">0<' in body


def test_dashboard_shows_recent_failures_with_their_code(client, cast):
    req = submit(cast, make_draft(cast))
    token = services.consent_issue_token(request_id=req.pk)
    services.consent_decide(token=token, decisions={req.items.get().pk: (True, "")})
    cast.customer.status = "frozen"
    cast.customer.save()
    services.link_activate(link_id=cast.reseller.links.get().pk)
    login(client, cast.viewer)
    body = client.get(reverse("portal:dashboard")).content.decode()
    assert "LNK-P001" in body
    assert "/help/error-codes/#LNK-P001" in body


def test_dashboard_query_budget_is_the_same_with_3_and_30_requests(
    client, cast, django_assert_num_queries
):
    regions = [cast.region_a, cast.region_b]
    login(client, cast.viewer)
    for rows in (3, 27):
        for _ in range(rows):
            submit(cast, make_draft(cast, customer=CustomerFactory(enabled_regions=regions)))
        client.get(reverse("portal:dashboard"))  # warm the caches
        # session, user, the membership with the role's permissions; then the two status counts,
        # the oldest pending, the failures, the failed e-mails and the link counts; the oldest
        # waiting per whose move it is (four); the approvers (two: nothing waits for nobody).
        with django_assert_num_queries(3 + 6 + 4 + 1):
            response = client.get(reverse("portal:dashboard"))
        assert response.status_code == 200


def test_error_codes_page_lists_every_code_with_an_anchor(client, db):
    response = client.get(reverse("portal:error-codes"))
    assert response.status_code == 200
    body = response.content.decode()
    codes = [c for _, stage_codes in codes_by_stage() for c in stage_codes]
    assert codes
    for code in codes:
        assert f'id="{code.code}"' in body
        assert escape(str(code.title)) in body
    assert "Cause" in body and "Fix" in body


def test_error_codes_page_is_readable_signed_in(client, cast):
    login(client, cast.viewer)
    assert "LNK-V001" in client.get(reverse("portal:error-codes")).content.decode()
