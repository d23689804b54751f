"""Every notification kind renders a subject, a text and an HTML body with the key facts."""

import re

from django.core import mail

from linking import services
from linking.checks import ItemSpec
from linking.models import Link, Notification
from linking.outbox.delivery import notification_deliver
from portal.emails import render_email
from tests.conftest import (
    ACME,
    cast_shared_by_the_module,
    consent_token_for,
    make_draft,
    read_only_delegation,
    submit,
)
from tests.journeys import activate, pending_consent

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

MANAGE_IAM = ItemSpec(
    link_type="delegation",
    services=["ECS", "IAM"],
    regions=["ap-southeast-1"],
    access_level="manage",
    duration_days=30,
)


def _deliver(kind, **filters):
    notification = Notification.objects.filter(kind=kind, **filters).latest("id")
    assert notification_deliver(notification_id=notification.pk) == "sent"
    message = mail.outbox[-1]
    html = message.alternatives[0][0]
    return message, html


def _assert_self_contained(html):
    assert html.lstrip().startswith("<!doctype html>")
    for external in ("<script", "<link", "src=", "url("):
        assert external not in html
    for href in re.findall(r'href="([^"]+)"', html):
        assert href.startswith("http://testserver/")


def test_the_consent_request_says_who_asks_what_by_when_and_where(cast):
    req = pending_consent(cast, [ItemSpec(link_type="billing"), MANAGE_IAM])
    token = consent_token_for(req)
    message = mail.outbox[-1]
    html = message.alternatives[0][0]
    url = f"http://testserver/consent/{token}/"
    deadline = req.consent_deadline.strftime("%Y-%m-%d %H:%M")
    assert message.to == [cast.customer.contact_email]
    assert "Northwind Cloud" in message.subject and f"acme-retail ({ACME})" in message.subject
    for body in (message.body, html):
        assert "Northwind Cloud" in body
        assert "P-100001" in body
        assert "Acme Retail" in body
        assert url in body
        assert deadline in body
        assert "Nothing happens unless you confirm" in body
        assert "Identity and Access Management (IAM)" in body
        assert "As agreed on the phone." in body
        assert "billing partner" in body
        assert "30 days" in body
    assert "IAM) [SENSITIVE]" in message.body
    assert "sensitive</span>" in html
    assert "READ AND MANAGE" in message.body
    _assert_self_contained(html)


def test_the_consent_request_for_read_only_marks_nothing_sensitive(cast):
    req = submit(cast, make_draft(cast, specs=[read_only_delegation(cast)]))
    consent_token_for(req)
    message = mail.outbox[-1]
    assert "SENSITIVE" not in message.body
    assert "sensitive" not in message.alternatives[0][0]
    assert "read (view only)" in message.body


def test_text_bodies_are_not_html_escaped_and_html_bodies_are(cast):
    cast.reseller.name = "Smith & Sons <Ltd>"
    cast.reseller.save()
    req = submit(cast, make_draft(cast))
    consent_token_for(req)
    message = mail.outbox[-1]
    assert "Smith & Sons <Ltd>" in message.body
    assert "Smith & Sons <Ltd>" in message.subject
    assert "Smith &amp; Sons &lt;Ltd&gt;" in message.alternatives[0][0]


def test_approval_needed_links_to_the_request(cast):
    req = submit(cast, make_draft(cast, specs=[ItemSpec(link_type="billing")]))
    message, html = _deliver("approval_needed", to_email=cast.approver.email)
    url = f"http://testserver/requests/{req.pk}/"
    assert req.reference in message.subject and "Acme Retail" in message.subject
    for body in (message.body, html):
        assert url in body
        assert "INC-1001" in body
        assert "Billing association" in body
    _assert_self_contained(html)


def test_request_rejected_gives_the_reason_and_the_link(cast):
    req = submit(cast, make_draft(cast, specs=[ItemSpec(link_type="billing")]))
    services.link_request_reject(actor=cast.approver, request_id=req.pk, reason="No contract yet.")
    message, html = _deliver("request_rejected")
    assert message.to == [cast.initiator.email]
    assert "Rejected" in message.subject and req.reference in message.subject
    for body in (message.body, html):
        assert "No contract yet." in body
        assert f"http://testserver/requests/{req.pk}/" in body
    _assert_self_contained(html)


def test_receipt_and_customer_decided_carry_the_receipt_and_each_decision(cast):
    req = pending_consent(cast, [ItemSpec(link_type="billing"), read_only_delegation(cast)])
    token = consent_token_for(req)
    billing, delegation = req.items.order_by("id")
    req, receipt = services.consent_decide(
        token=token, decisions={billing.pk: (False, "Not now."), delegation.pk: (True, "")}
    )
    message, html = _deliver("consent_receipt")
    assert message.to == [cast.customer.contact_email]
    assert receipt in message.subject
    for body in (message.body, html):
        assert receipt in body
        assert "Accepted" in body and "Declined" in body
        assert "Not now." in body
    _assert_self_contained(html)

    message, html = _deliver("customer_decided")
    assert message.to == [cast.initiator.email]
    assert "accepted" in message.subject
    for body in (message.body, html):
        assert receipt in body
        assert f"http://testserver/requests/{req.pk}/" in body
        assert "Declined" in body and "Not now." in body
    _assert_self_contained(html)


def test_customer_decided_says_declined_when_nothing_was_accepted(cast):
    req = submit(cast, make_draft(cast))
    token = consent_token_for(req)
    item = req.items.get()
    services.consent_decide(token=token, decisions={item.pk: (False, "")})
    message, _ = _deliver("customer_decided")
    assert "declined" in message.subject
    assert "nothing was granted" in message.body


def test_link_active_links_to_the_link(cast):
    req = submit(cast, make_draft(cast))
    token = consent_token_for(req)
    item = req.items.get()
    services.consent_decide(token=token, decisions={item.pk: (True, "")})
    link = activate(cast, Link.objects.get().pk)
    message, html = _deliver("link_active")
    assert link.reference in message.subject
    for body in (message.body, html):
        assert f"http://testserver/links/{link.pk}/" in body
        assert "Acme Retail" in body
        assert "ECS, OBS" in body
        assert link.ends_at.strftime("%Y-%m-%d") in body
    _assert_self_contained(html)


def test_every_kind_has_its_three_templates(cast):
    req = submit(cast, make_draft(cast))
    context = {
        "req": req,
        "reference": req.reference,
        "reseller": cast.reseller,
        "customer": cast.customer,
        "items": [],
        "request_url": "http://testserver/requests/1/",
        "consent_url": "http://testserver/consent/t/",
        "deadline": req.consent_deadline,
        "receipt": "RC-000001-ABCDEF",
        "link": Link(pk=1, reseller=cast.reseller, customer=cast.customer, link_type="billing"),
        "link_url": "http://testserver/links/1/",
    }
    for kind in Notification.Kind.values:
        subject, text, html = render_email(kind.replace("_", "-"), context)
        assert subject and "\n" not in subject
        assert text.strip() and html.strip()


# --- e-mails say what the pages say ------------------------------------------------------------


def test_a_mixed_decision_is_partly_accepted_in_the_subject(cast):
    req = pending_consent(cast, [ItemSpec(link_type="billing"), read_only_delegation(cast)])
    billing, delegation = req.items.order_by("id")
    services.consent_decide(
        token=consent_token_for(req),
        decisions={billing.pk: (False, "Not now."), delegation.pk: (True, "")},
    )
    message, _ = _deliver("customer_decided")
    assert message.subject.endswith(": partly accepted (1 of 2 items)")


def test_e_mails_name_regions_as_the_pages_do(cast, client):
    from django.urls import reverse

    from tests.conftest import login

    req = submit(cast, make_draft(cast))
    token = consent_token_for(req)
    consent_mail = mail.outbox[-1]
    words = "AP-Singapore (ap-southeast-1)"
    assert words in consent_mail.body and words in consent_mail.alternatives[0][0]
    assert words in client.get(f"/consent/{token}/").content.decode()
    item = req.items.get()
    services.consent_decide(token=token, decisions={item.pk: (True, "")})
    activate(cast, Link.objects.get().pk)
    message, html = _deliver("link_active")
    assert words in message.body and words in html
    login(client, cast.viewer)
    page = client.get(reverse("linking:request-detail", args=[req.pk])).content.decode()
    assert words in page


def test_the_receipt_page_and_e_mail_say_the_same_about_withdrawing(cast, client):
    from linking import wording

    req = submit(cast, make_draft(cast))
    token = consent_token_for(req)
    item = req.items.get()
    response = client.post(f"/consent/{token}/", {f"decision_{item.pk}": "accept"}, follow=True)
    page = response.content.decode()
    message, _html = _deliver("consent_receipt")
    note = wording.withdrawal_note(reseller_name=cast.reseller.name, self_service=True)
    assert note in message.body
    assert note in page
    assert "by contacting" not in page
    assert "/consent/withdraw/" in message.body
