"""Consent receipts: the canonical text, its content hash, and the downloads of both sides."""

import copy
import hashlib
from datetime import UTC, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from linking import journeys, services
from linking.checks import ItemSpec
from linking.consent.receipts import HASH_PREFIX, receipt_build, receipt_for, receipt_verify
from linking.consent.views import receipt_sign
from linking.models import ConsentRecord, Link
from tests.conftest import ACME, cast_shared_by_the_module, login, withdrawal_code_for
from tests.journeys import activate, pending_consent

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

BILLING = ItemSpec(link_type="billing")
PROVISIONING = ItemSpec(link_type="provisioning", services=["ECS"], regions=["eu-west-101"])


def decided(cast, *, customer=None, specs=None, accept=True, reason=""):
    """A request the customer decided on through the consent link; returns (req, reference)."""
    req = pending_consent(cast, specs, customer=customer, reason="")
    return journeys.decide_all(
        req, accept=accept, reason=reason, ip_address="198.51.100.7", user_agent="pytest"
    )


def hash_line(text: str) -> str:
    return text.rstrip("\n").rsplit("\n", 1)[1]


# --- content and hash -------------------------------------------------------------------------


def test_receipt_says_what_was_asked_and_granted_when_and_by_whom(cast):
    req, reference = decided(cast)
    receipt = receipt_for(reference)
    text = receipt.text
    record = ConsentRecord.objects.get(receipt_reference=reference)
    assert f"Reference: {reference}" in text
    assert "Partner: Northwind Cloud (partner id P-100001)" in text
    assert f"Customer account: Acme Retail (account id {ACME}, account name acme-retail)" in text
    assert f"Request: {req.reference}" in text
    assert "Delegated administration" in text or "Delegation" in text
    assert "Services: Elastic Cloud Server (ECS), Object Storage Service (OBS)" in text
    assert "Regions: AP-Singapore (ap-southeast-1)" in text
    assert "Access level: Read-only" in text
    assert "Duration: 90 days" in text
    assert "Decision: Accepted: granted as asked." in text
    decided_at = record.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"Decided at (UTC): {decided_at}" in text
    assert f"Decided by: {req.consent_email}" in text
    assert "Network address: 198.51.100.7" in text
    assert "Consent text version: consent-text-v1" in text
    assert hash_line(text) == f"{HASH_PREFIX}{receipt.content_hash}"
    assert receipt.filename == f"{reference}.txt"


def test_hash_line_is_the_sha256_of_everything_above_it(cast):
    _, reference = decided(cast, specs=[BILLING, PROVISIONING], accept=False, reason="too broad")
    text = receipt_for(reference).text
    body, last = text.rstrip("\n").rsplit("\n", 1)
    assert last == HASH_PREFIX + hashlib.sha256((body + "\n").encode()).hexdigest()
    assert receipt_verify(text)
    assert "Reason: too broad" in text
    assert text.count("Decision: Declined: nothing granted.") == 2


def test_same_records_give_the_same_text_and_hash(cast):
    _, reference = decided(cast)
    first, second = receipt_for(reference), receipt_for(reference)
    assert first.text == second.text
    assert first.content_hash == second.content_hash


def test_one_word_of_the_decision_changes_the_hash(cast):
    _, reference = decided(cast, specs=[BILLING], accept=False, reason="too broad for us")
    records = list(ConsentRecord.objects.filter(receipt_reference=reference))
    original = receipt_build(reference, records)
    # Evidence is append-only: the variant is an unsaved copy differing by one word.
    variant = copy.copy(records[0])
    variant.reason = "too narrow for us"
    changed = receipt_build(reference, [variant])
    assert original.body.replace("broad", "narrow") == changed.body
    assert original.content_hash != changed.content_hash


def test_two_real_decisions_differing_by_a_reason_have_different_hashes(cast):
    _, ref_a = decided(cast, specs=[BILLING], accept=False, reason="too broad")
    _, ref_b = decided(
        cast, customer=cast.customer2, specs=[BILLING], accept=False, reason="too early"
    )
    assert receipt_for(ref_a).content_hash != receipt_for(ref_b).content_hash


def test_tampering_with_any_word_is_detected(cast):
    _, reference = decided(cast)
    text = receipt_for(reference).text
    assert receipt_verify(text)
    assert not receipt_verify(text.replace("Read-only", "Manage"))
    assert not receipt_verify(text.replace("Acme Retail", "Acme Retai1"))
    assert not receipt_verify(text.replace("sha256:", "sha256:0"))
    assert not receipt_verify(text.rsplit("\n", 2)[0])  # hash line cut off


def test_a_newline_in_a_reason_cannot_forge_a_line(cast):
    _, reference = decided(
        cast, specs=[BILLING], accept=False, reason="no\nDecision: Accepted: granted as asked."
    )
    text = receipt_for(reference).text
    assert "\nDecision: Accepted" not in text
    assert "   Reason: Decision: Accepted: granted as asked." in text


def test_unknown_or_overlong_reference_has_no_receipt(cast):
    assert receipt_for("RC-999999-ABCDEF") is None
    assert receipt_for("") is None
    assert receipt_for("R" * 500) is None


def test_a_withdrawal_has_a_receipt_too(cast):
    _, _reference = decided(cast)
    link = Link.objects.get(reseller=cast.reseller, customer=cast.customer)
    activate(cast, link.pk)
    token = services.link_issue_withdrawal_token(link_id=link.pk)
    link, wd_reference = services.link_withdraw(
        token=token, code=withdrawal_code_for(token), ip_address="203.0.113.9"
    )
    assert wd_reference.startswith("WD-")
    receipt = receipt_for(wd_reference, reseller=cast.reseller)
    assert "Receipt of a withdrawal of consent" in receipt.text
    assert f"Link: {link.reference}" in receipt.text
    assert "Decision: Withdrawn: the access granted earlier ends." in receipt.text
    assert "Network address: 203.0.113.9" in receipt.text
    assert receipt_verify(receipt.text)
    assert receipt_for(wd_reference, reseller=cast.other) is None


def test_a_receipt_page_without_its_request_is_not_found(cast, client):
    """The receipt page shows a decision on a request. A withdrawal of a link without a source
    item (the column may be empty) records no request: its reference, even signed, is not
    found there, never a server error."""
    decided(cast)
    link = Link.objects.get(reseller=cast.reseller, customer=cast.customer)
    activate(cast, link.pk)
    Link.objects.filter(pk=link.pk).update(source_item=None)
    token = services.link_issue_withdrawal_token(link_id=link.pk)
    _, wd_reference = services.link_withdraw(
        token=token, code=withdrawal_code_for(token), ip_address="203.0.113.9"
    )
    response = client.get(reverse("consent:receipt", args=[receipt_sign(wd_reference)]))
    assert response.status_code == 404


# --- the customer's download ------------------------------------------------------------------


def customer_url(signed):
    return reverse("consent:receipt-download", args=[signed])


def test_customer_downloads_the_receipt_by_the_signed_reference(client, cast):
    _, reference = decided(cast)
    response = client.get(customer_url(receipt_sign(reference)))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Disposition"] == f'attachment; filename="{reference}.txt"'
    text = response.content.decode()
    assert text == receipt_for(reference).text
    assert receipt_verify(text)


def test_receipt_page_offers_the_download(client, cast):
    _, reference = decided(cast)
    signed = receipt_sign(reference)
    body = client.get(reverse("consent:receipt", args=[signed])).content.decode()
    assert customer_url(signed) in body


@pytest.mark.parametrize(
    "signed",
    ["garbage", "RC-000001-ABCDEF", "x" * 2000, "tampered"],
)
def test_customer_download_with_a_bad_signature_is_a_404_page_that_says_nothing(
    client, cast, signed
):
    _, reference = decided(cast)
    if signed == "tampered":
        good = receipt_sign(reference)
        signed = good.replace(reference, reference[:-1] + "Z")
    response = client.get(customer_url(signed))
    assert response.status_code == 404
    body = response.content.decode()
    assert "Receipt not found" in body
    for secret in ["Acme Retail", "Northwind", reference, "ECS"]:
        assert secret not in body


def test_customer_download_of_an_old_signature_is_refused(client, cast, time_machine):
    _, reference = decided(cast)
    signed = receipt_sign(reference)
    time_machine.move_to(timezone.now() + timedelta(days=31), tick=False)
    assert client.get(customer_url(signed)).status_code == 404


# --- the reseller's download ------------------------------------------------------------------


def reseller_url(reference):
    return reverse("linking:receipt-download", args=[reference])


def test_reseller_downloads_its_own_receipt(client, cast):
    _, reference = decided(cast)
    login(client, cast.viewer)
    response = client.get(reseller_url(reference))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Disposition"] == f'attachment; filename="{reference}.txt"'
    assert response.content.decode() == receipt_for(reference).text


def test_another_resellers_receipt_is_a_404(client, cast):
    _, reference = decided(cast)
    login(client, cast.outsider_admin)
    assert client.get(reseller_url(reference)).status_code == 404
    assert client.get(reseller_url("RC-999999-ABCDEF")).status_code == 404


def test_anonymous_is_sent_to_login_for_a_receipt(client, cast):
    _, reference = decided(cast)
    response = client.get(reseller_url(reference))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_user_without_a_reseller_cannot_download(client, cast):
    _, reference = decided(cast)
    login(client, cast.no_member)
    assert client.get(reseller_url(reference)).status_code == 403


def test_request_page_links_each_receipt(client, cast):
    req, reference = decided(cast)
    login(client, cast.viewer)
    body = client.get(reverse("linking:request-detail", args=[req.pk])).content.decode()
    assert reseller_url(reference) in body
