"""The customer's consent pages: anonymous, CSRF-protected, and silent about invalid links."""

from datetime import timedelta
from urllib.parse import quote

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.urls import reverse

from linking import services
from linking.checks import ItemSpec
from linking.models import ConsentRecord, Link, LinkRequest, Notification, RequestItem
from linking.services._common import TOKEN_SALT
from tests.conftest import (
    ACME,
    cast_shared_by_the_module,
    code_from_page,
    consent_token_for,
    read_only_delegation,
)
from tests.journeys import pending_consent_with_token

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

BILLING = ItemSpec(link_type="billing")
MANAGE_IAM = ItemSpec(
    link_type="delegation",
    services=["ECS", "IAM"],
    regions=["ap-southeast-1"],
    access_level="manage",
    duration_days=30,
)
PROVISIONING = ItemSpec(link_type="provisioning", services=["ECS"], regions=["eu-west-101"])


def _url(token):
    return reverse("consent:page", args=[token])


def _answers(req, *choices, reasons=None, **extra):
    items = list(req.items.order_by("id"))
    data = {f"decision_{item.pk}": choice for item, choice in zip(items, choices, strict=False)}
    for item, reason in zip(items, reasons or [], strict=False):
        data[f"reason_{item.pk}"] = reason
    data.update(extra)
    return data


def _assert_reveals_nothing(response, cast):
    content = response.content.decode()
    for secret in (
        cast.customer.display_name,
        cast.customer.account_id,
        cast.customer.formatted_id,
        cast.reseller.name,
        cast.reseller.partner_id,
        "Northwind",
        "As agreed on the phone.",
    ):
        assert secret not in content


def test_it_shows_the_request_in_plain_words_and_decides_nothing(client, cast):
    req, token = pending_consent_with_token(cast, specs=[BILLING, PROVISIONING, MANAGE_IAM])
    response = client.get(_url(token))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Northwind Cloud" in content
    assert "P-100001" in content
    assert "Acme Retail" in content and f"acme-retail ({ACME})" in content
    assert "billing partner" in content
    assert "can create and set up" in content
    assert "read and manage" in content and "30 days" in content and "ending on" in content
    assert "Identity and Access Management (IAM)" in content
    assert "sensitive" in content
    assert "As agreed on the phone." in content
    assert "Send me a code" in content
    assert 'name="code"' in content
    # No decision is pre-selected: the customer must choose each one.
    assert "checked" not in content
    req.refresh_from_db()
    assert req.status == LinkRequest.Status.PENDING_CONSENT
    assert set(req.items.values_list("decision", flat=True)) == {"pending"}
    assert not ConsentRecord.objects.exists()
    # The link still works after any number of views.
    assert client.get(_url(token)).status_code == 200


def test_it_asks_no_confirmation_without_manage_over_a_sensitive_service(client, cast):
    _, token = pending_consent_with_token(cast)
    content = client.get(_url(token)).content.decode()
    assert "Type your account id (domain id) to confirm" not in content
    assert "Elastic Cloud Server" in content and "read</strong>" in content


def test_it_is_reached_without_login_and_keeps_csrf(cast):
    req, token = pending_consent_with_token(cast)
    browser = Client(enforce_csrf_checks=True)
    assert browser.get(_url(token)).status_code == 200
    refused = browser.post(_url(token), _answers(req, "accept"))
    assert refused.status_code == 403
    assert not ConsentRecord.objects.exists()
    data = _answers(req, "accept", csrfmiddlewaretoken=browser.cookies["csrftoken"].value)
    assert browser.post(_url(token), data).status_code == 302


def test_accept_all_completes_the_request(client, cast):
    req, token = pending_consent_with_token(cast, specs=[BILLING, read_only_delegation(cast)])
    response = client.post(
        _url(token), _answers(req, "accept", "accept"), HTTP_USER_AGENT="Firefox/140"
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/consent/receipt/")
    req.refresh_from_db()
    assert req.status == LinkRequest.Status.COMPLETED
    assert set(req.items.values_list("decision", flat=True)) == {"accepted"}
    records = list(ConsentRecord.objects.filter(request=req))
    assert len(records) == 2
    assert {r.receipt_reference for r in records} == {records[0].receipt_reference}
    assert records[0].ip_address == "127.0.0.1"
    assert records[0].user_agent == "Firefox/140"
    assert records[0].contact_email == cast.customer.contact_email
    links = Link.objects.filter(customer=cast.customer, reseller=cast.reseller)
    assert sorted(links.values_list("link_type", flat=True)) == ["billing", "delegation"]
    assert set(links.values_list("status", flat=True)) == {Link.Status.ACTIVATING}


def test_decline_all_declines_the_request(client, cast):
    req, token = pending_consent_with_token(cast, specs=[BILLING, read_only_delegation(cast)])
    data = _answers(req, "decline", "decline", reasons=["We have a partner.", ""])
    assert client.post(_url(token), data).status_code == 302
    req.refresh_from_db()
    assert req.status == LinkRequest.Status.DECLINED
    billing = req.items.get(link_type="billing")
    assert billing.decision == RequestItem.Decision.DECLINED
    assert billing.decline_reason == "We have a partner."
    assert ConsentRecord.objects.filter(request=req, decision="declined").count() == 2
    assert not Link.objects.exists()


def test_mixed_decisions_complete_with_the_accepted_items_only(client, cast):
    req, token = pending_consent_with_token(cast, specs=[BILLING, read_only_delegation(cast)])
    data = _answers(req, "decline", "accept", reasons=["Not now.", "ignored when accepting"])
    assert client.post(_url(token), data).status_code == 302
    req.refresh_from_db()
    assert req.status == LinkRequest.Status.COMPLETED
    decisions = dict(req.items.values_list("link_type", "decision"))
    assert decisions == {"billing": "declined", "delegation": "accepted"}
    assert req.items.get(link_type="delegation").decline_reason == ""
    assert list(Link.objects.values_list("link_type", flat=True)) == ["delegation"]


def test_manage_over_iam_with_a_wrong_code_is_refused_and_saves_nothing(client, cast):
    req, token = pending_consent_with_token(cast, specs=[MANAGE_IAM])
    code = code_from_page(client, _url(token), _answers(req, "accept"))
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = client.post(_url(token), _answers(req, "accept", code=wrong))
    assert response.status_code == 400
    content = response.content.decode()
    assert "CUS-C002" in content
    req.refresh_from_db()
    assert req.status == LinkRequest.Status.PENDING_CONSENT
    assert req.items.get().decision == RequestItem.Decision.PENDING
    assert not ConsentRecord.objects.exists()
    assert not Link.objects.exists()
    # The answer given stays selected, and the link still works.
    assert 'value="accept"' in content and "checked" in content
    assert client.get(_url(token)).status_code == 200


def test_manage_over_iam_without_a_code_is_refused(client, cast):
    req, token = pending_consent_with_token(cast, specs=[MANAGE_IAM])
    response = client.post(_url(token), _answers(req, "accept"))
    assert "CUS-C001" in response.content.decode()
    assert not ConsentRecord.objects.exists()


def test_manage_over_iam_with_the_emailed_code_is_accepted(client, cast):
    req, token = pending_consent_with_token(cast, specs=[MANAGE_IAM])
    code = code_from_page(client, _url(token), _answers(req, "accept"))
    assert client.post(_url(token), _answers(req, "accept", code=code)).status_code == 302
    req.refresh_from_db()
    assert req.status == LinkRequest.Status.COMPLETED
    link = Link.objects.get()
    assert link.access_level == "manage" and link.services == ["ECS", "IAM"]


def test_declining_manage_over_iam_needs_no_confirmation(client, cast):
    req, token = pending_consent_with_token(cast, specs=[MANAGE_IAM])
    assert client.post(_url(token), _answers(req, "decline")).status_code == 302
    req.refresh_from_db()
    assert req.status == LinkRequest.Status.DECLINED


def test_a_missing_decision_shows_lnk_c006_and_saves_nothing(client, cast):
    req, token = pending_consent_with_token(cast, specs=[BILLING, read_only_delegation(cast)])
    response = client.post(_url(token), _answers(req, "accept"))
    assert response.status_code == 400
    content = response.content.decode()
    assert "LNK-C006" in content
    assert "Choose accept or decline for this item." in content
    req.refresh_from_db()
    assert req.status == LinkRequest.Status.PENDING_CONSENT
    assert not ConsentRecord.objects.exists()
    assert set(req.items.values_list("decision", flat=True)) == {"pending"}


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"decision_abc": "accept", "decision_": "accept", "decision_-1": "decline"},
        {"decision_999999999999999999999": "accept", "reason_x": "y"},
    ],
)
def test_garbage_item_ids_in_the_post_are_a_missing_decision(client, cast, data):
    _req, token = pending_consent_with_token(cast)
    response = client.post(_url(token), data)
    assert response.status_code == 400
    assert "LNK-C006" in response.content.decode()
    assert not ConsentRecord.objects.exists()


def test_an_unknown_choice_is_a_form_error_not_a_decision(client, cast):
    req, token = pending_consent_with_token(cast)
    response = client.post(_url(token), _answers(req, "maybe"))
    assert response.status_code == 400
    assert not ConsentRecord.objects.exists()
    req.refresh_from_db()
    assert req.status == LinkRequest.Status.PENDING_CONSENT


def test_a_token_used_twice_says_the_decision_was_recorded_and_links_the_receipt(client, cast):
    req, token = pending_consent_with_token(cast)
    decided = client.post(_url(token), _answers(req, "accept"))
    assert decided.status_code == 302
    repost = client.post(_url(token), _answers(req, "decline"))  # the stale tab
    assert repost.status_code == 410
    body = repost.content.decode()
    assert "LNK-C008" in body and "decision was recorded" in body
    assert "receipt was e-mailed" in body
    assert f'href="{decided["Location"]}"' in body  # this browser decided: its receipt
    _assert_reveals_nothing(repost, cast)
    assert ConsentRecord.objects.get().decision == "accepted"


def test_a_used_token_in_another_browser_says_recorded_without_the_receipt(client, cast):
    req, token = pending_consent_with_token(cast)
    assert client.post(_url(token), _answers(req, "accept")).status_code == 302
    again = Client().get(_url(token))
    assert again.status_code == 410
    body = again.content.decode()
    assert "LNK-C008" in body and "receipt was e-mailed" in body
    assert "/consent/receipt/" not in body
    _assert_reveals_nothing(again, cast)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-3] + ("aaa" if not t.endswith("aaa") else "bbb"),
        lambda t: "x" + t,
        lambda t: t.split(":")[0],
        lambda t: "not-a-token",
        lambda t: "a:b:c",
        lambda t: "ünïcødé-∂",
        lambda t: "x" * 5000,
        lambda t: t * 3,
        lambda t: "%00%ff",
    ],
)
def test_a_tampered_or_garbage_token_shows_lnk_c001(client, cast, mangle):
    req, token = pending_consent_with_token(cast)
    bad = mangle(token)
    response = client.get(f"/consent/{quote(bad, safe='')}/")
    assert response.status_code == 404
    assert "LNK-C001" in response.content.decode()
    _assert_reveals_nothing(response, cast)
    posted = client.post(f"/consent/{quote(bad, safe='')}/", _answers(req, "accept"))
    assert posted.status_code == 404
    assert not ConsentRecord.objects.exists()


def test_a_validly_signed_token_for_no_request_shows_lnk_c001(client, cast):
    forged = signing.TimestampSigner(salt=TOKEN_SALT).sign_object({"r": 987654, "n": "x"})
    response = client.get(_url(forged))
    assert response.status_code == 404
    assert "LNK-C001" in response.content.decode()


def test_an_expired_link_shows_lnk_c002_and_accepts_nothing(client, cast):
    req, token = pending_consent_with_token(cast)
    with time_machine.travel(req.consent_deadline + timedelta(minutes=1)):
        response = client.get(_url(token))
        assert response.status_code == 410
        assert "LNK-C002" in response.content.decode()
        _assert_reveals_nothing(response, cast)
        posted = client.post(_url(token), _answers(req, "accept"))
        assert posted.status_code == 410
    assert not ConsentRecord.objects.exists()
    req.refresh_from_db()
    assert req.items.get().decision == RequestItem.Decision.PENDING


def test_a_cancelled_request_shows_lnk_c004(client, cast):
    req, token = pending_consent_with_token(cast)
    services.link_request_cancel(actor=cast.initiator, request_id=req.pk, reason="wrong account")
    response = client.get(_url(token))
    assert response.status_code == 410
    assert "LNK-C004" in response.content.decode()
    _assert_reveals_nothing(response, cast)
    assert client.post(_url(token), _answers(req, "accept")).status_code == 410
    assert not ConsentRecord.objects.exists()


def test_a_resent_token_replaces_the_old_one(client, cast):
    req, old = pending_consent_with_token(cast)
    # A resend queues the consent e-mail again; its delivery mints a fresh token.
    Notification.objects.create(kind="consent_request", to_email=req.consent_email, request=req)
    new = consent_token_for(req)
    assert new != old
    response = client.get(_url(old))
    assert response.status_code == 410
    assert "LNK-C003" in response.content.decode()
    _assert_reveals_nothing(response, cast)
    assert client.get(_url(new)).status_code == 200
    assert client.post(_url(new), _answers(req, "accept")).status_code == 302


def test_the_receipt_shows_the_reference_and_each_decision(client, cast):
    req, token = pending_consent_with_token(cast, specs=[BILLING, read_only_delegation(cast)])
    data = _answers(req, "decline", "accept", reasons=["Billing stays with us.", ""])
    response = client.post(_url(token), data, follow=True)
    assert response.status_code == 200
    content = response.content.decode()
    reference = ConsentRecord.objects.filter(request=req).first().receipt_reference
    assert reference.startswith("RC-")
    assert reference in content
    assert "Accepted" in content and "Declined" in content
    assert "Billing stays with us." in content
    assert cast.customer.contact_email in content
    assert req.reference in content
    assert "Elastic Cloud Server" in content


def test_a_tampered_or_old_receipt_link_is_not_found(client, cast):
    req, token = pending_consent_with_token(cast)
    response = client.post(_url(token), _answers(req, "accept"))
    receipt_url = response["Location"]
    assert client.get(receipt_url).status_code == 200
    tampered = client.get(receipt_url[:-3] + "xx/")
    assert tampered.status_code == 404
    _assert_reveals_nothing(tampered, cast)
    assert client.get("/consent/receipt/" + "y" * 4000 + "/").status_code == 404
    with time_machine.travel(timedelta(days=31)):
        old = client.get(receipt_url)
    assert old.status_code == 404
    _assert_reveals_nothing(old, cast)


def test_a_signed_receipt_reference_without_records_is_not_found(client, cast):
    signed = signing.TimestampSigner(salt="linking.consent.receipt").sign("RC-000001-ABCDEF")
    assert client.get(reverse("consent:receipt", args=[signed])).status_code == 404


def test_the_consent_page_refuses_other_methods(client, cast):
    _, token = pending_consent_with_token(cast)
    assert client.put(_url(token)).status_code == 405
