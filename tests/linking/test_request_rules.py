"""One rule, one place: the request page shows an action exactly when the service would take it,
and both answer with the same refusal."""

import pytest
from django.urls import reverse

from linking import services
from linking.checks import MAX_CONSENT_DAYS
from linking.services.decisions import can_cancel, can_decide
from linking.services.requests import can_edit
from portal.errors import PortalError
from tests.conftest import login, make_draft, submit
from tests.linking.test_revocation import BILLING


@pytest.fixture
def pending_approval(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        # Started by an admin: a person who holds the approver role too.
        draft = make_draft(cast, specs=[BILLING], actor=cast.admin)
        req = submit(cast, draft, actor=cast.admin)
    assert req.status == "pending_approval"
    return req


def test_the_maker_neither_sees_the_decision_nor_may_decide(client, cast, pending_approval):
    req = pending_approval
    assert can_decide(req, actor=cast.admin).code == "LNK-A001"
    with pytest.raises(PortalError) as refused:
        services.link_request_approve(actor=cast.admin, request_id=req.pk)
    assert refused.value.code == "LNK-A001"
    login(client, cast.admin)
    page = client.get(reverse("linking:request-detail", args=[req.pk]))
    assert page.context["can_decide"] is False
    login(client, cast.approver)
    page = client.get(reverse("linking:request-detail", args=[req.pk]))
    assert page.context["can_decide"] is True and can_decide(req, actor=cast.approver) is None


def test_a_viewer_may_not_cancel_and_the_page_agrees(client, cast, pending_approval):
    req = pending_approval
    assert can_cancel(req, actor=cast.viewer).code == "LNK-V013"
    with pytest.raises(PortalError) as refused:
        services.link_request_cancel(actor=cast.viewer, request_id=req.pk)
    assert refused.value.code == "LNK-V013"
    login(client, cast.initiator)
    page = client.get(reverse("linking:request-detail", args=[req.pk]))
    assert page.context["can_cancel"] is True


def test_only_the_author_edits_a_draft_in_the_wizard_and_the_service(client, cast, db):
    req = make_draft(cast)
    assert can_edit(req, actor=cast.initiator) is None
    assert can_edit(req, actor=cast.admin).code == "LNK-S002"
    with pytest.raises(PortalError) as refused:
        services.link_request_set_types(actor=cast.admin, request_id=req.pk, link_types=["billing"])
    assert refused.value.code == "LNK-S002"
    login(client, cast.admin)
    assert client.get(reverse("linking:request-wizard", args=[req.pk, 1])).status_code == 403
    assert client.get(reverse("linking:request-detail", args=[req.pk])).context["can_edit"] is False


@pytest.mark.parametrize("days", [0, MAX_CONSENT_DAYS + 1])
def test_the_consent_deadline_is_judged_by_the_one_check(cast, db, days):
    req = make_draft(cast)
    with pytest.raises(PortalError) as refused:
        services.link_request_set_details(
            actor=cast.initiator,
            request_id=req.pk,
            ticket_reference="",
            note_to_customer="",
            consent_days=days,
        )
    assert refused.value.code == "LNK-V022"
    assert f"between 1 day and {MAX_CONSENT_DAYS} days" in refused.value.message
