from django.core import mail

from linking import services
from linking.models import Link, LinkRequest
from tests.conftest import consent_token_for, make_draft, submit


def test_read_only_delegation_goes_straight_to_the_customer_and_activates(
    cast, django_capture_on_commit_callbacks
):
    req = make_draft(cast)
    with django_capture_on_commit_callbacks(execute=False):
        req = submit(cast, req)
    assert req.status == LinkRequest.Status.PENDING_CONSENT
    token = consent_token_for(req)
    assert "Northwind" in mail.outbox[-1].body
    item = req.items.get()
    with django_capture_on_commit_callbacks(execute=False):
        req, receipt = services.consent_decide(token=token, decisions={item.pk: (True, "")})
    assert req.status == LinkRequest.Status.COMPLETED
    link = Link.objects.get()
    services.link_activate(link_id=link.pk)
    link.refresh_from_db()
    assert link.status == Link.Status.ACTIVE
    assert cast.viewer.has_perm("linking.view_customeraccount", cast.customer)
    assert cast.initiator.has_perm("linking.delegate_read_customeraccount", cast.customer)
    assert not cast.outsider.has_perm("linking.view_customeraccount", cast.customer)
