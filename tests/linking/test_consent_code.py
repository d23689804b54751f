"""A forwarded e-mail cannot give consent: accepting manage access or a sensitive service, and
withdrawing, from an e-mailed link also need a code sent to the account's contact address at
that moment (`PORTAL_CONSENT_CODE_FOR`), or a customer centre session for the account."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from linking import journeys, services
from linking.checks import ItemSpec
from linking.models import (
    ConsentRecord,
    CustomerSignInCode,
    Link,
    LinkRequest,
    Notification,
)
from linking.outbox.delivery import notification_deliver
from portal.errors import PortalError
from tests.conftest import (
    cast_shared_by_the_module,
    code_from_page,
    emailed_code,
    read_only_delegation,
)
from tests.journeys import accepted_link, pending_consent_with_token

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

MANAGE = ItemSpec(
    link_type="delegation",
    services=["ECS"],
    regions=["ap-southeast-1"],
    access_level="manage",
    duration_days=30,
)
SENSITIVE_READ = ItemSpec(
    link_type="delegation",
    services=["ECS", "IAM"],
    regions=["ap-southeast-1"],
    access_level="read_only",
    duration_days=30,
)


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    def run():
        return django_capture_on_commit_callbacks(execute=False)

    return run


def _url(token: str) -> str:
    return reverse("consent:page", args=[token])


def _accept_all(req, **extra) -> dict:
    data = {f"decision_{item.pk}": "accept" for item in req.items.all()}
    data.update(extra)
    return data


def _withdraw_path(cast, link) -> str:
    receipt = Notification.objects.filter(
        request=link.source_item.request, kind=Notification.Kind.CONSENT_RECEIPT
    ).latest("id")
    assert notification_deliver(notification_id=receipt.pk) == "sent"
    return re.search(r"http://testserver(/consent/withdraw/[^/\s]+/)", mail.outbox[-1].body)[1]


def _undecided(req) -> None:
    req.refresh_from_db()
    assert req.status == LinkRequest.Status.PENDING_CONSENT
    assert not ConsentRecord.objects.filter(request=req).exists()


def _checked(response, req) -> bool:
    """Every item's "accept" radio is still ticked on the page shown back."""
    page = response.content.decode()
    return all(
        re.search(rf'<input[^>]*name="decision_{item.pk}"[^>]*value="accept"[^>]*checked', page)
        is not None
        for item in req.items.all()
    )


# --- a forwarded link alone ----------------------------------------------------------------


@pytest.mark.parametrize("spec", [MANAGE, SENSITIVE_READ], ids=["manage", "sensitive"])
def test_a_forwarded_link_cannot_accept_manage_or_sensitive_items(client, cast, spec):
    req, token = pending_consent_with_token(cast, specs=[spec])
    page = client.get(_url(token)).content.decode()
    assert 'id="confirm-code"' in page and "Send me a code" in page

    response = client.post(_url(token), _accept_all(req))

    assert response.status_code == 400 and b"CUS-C001" in response.content
    assert _checked(response, req)  # the choices stay on the form
    _undecided(req)
    # Nor through the service, whoever calls it.
    decisions = {item.pk: (True, "") for item in req.items.all()}
    with pytest.raises(PortalError) as refused:
        services.consent_decide(token=token, decisions=decisions)
    assert refused.value.code == "CUS-C001"
    _undecided(req)


def test_a_forwarded_link_can_still_decline_without_a_code(client, cast):
    req, token = pending_consent_with_token(cast, specs=[MANAGE])
    data = {f"decision_{item.pk}": "decline" for item in req.items.all()}
    assert client.post(_url(token), data).status_code == 302
    record = ConsentRecord.objects.get(request=req)
    assert record.confirmed_by == ConsentRecord.ConfirmedBy.EMAIL_LINK


def test_a_forwarded_withdrawal_link_cannot_withdraw(client, cast, run_on_commit):
    with run_on_commit():
        link = accepted_link(cast)
    path = _withdraw_path(cast, link)
    assert "Send me a code" in client.get(path).content.decode()

    response = client.post(path, {"confirm": "1"})

    assert response.status_code == 400 and b"CUS-C001" in response.content
    assert b"checked" in response.content  # the ticked box stays ticked
    link.refresh_from_db()
    assert link.status != Link.Status.REVOKED
    assert not ConsentRecord.objects.filter(decision="withdrawn").exists()
    with pytest.raises(PortalError) as refused:
        services.link_withdraw(token=path.split("/")[3])
    assert refused.value.code == "CUS-C001"


def test_read_only_ordinary_services_need_no_code_by_default(client, cast):
    req, token = pending_consent_with_token(cast, specs=[read_only_delegation(cast)])
    assert 'id="confirm-code"' not in client.get(_url(token)).content.decode()
    assert client.post(_url(token), _accept_all(req)).status_code == 302
    record = ConsentRecord.objects.get(request=req)
    assert record.confirmed_by == ConsentRecord.ConfirmedBy.EMAIL_LINK
    assert not CustomerSignInCode.objects.exists()


@override_settings(PORTAL_CONSENT_CODE_FOR=[])
def test_with_the_setting_off_no_decision_needs_a_code(client, cast, run_on_commit):
    req, token = pending_consent_with_token(cast, specs=[MANAGE, SENSITIVE_READ])
    assert 'id="confirm-code"' not in client.get(_url(token)).content.decode()
    with run_on_commit():
        assert client.post(_url(token), _accept_all(req)).status_code == 302
    records = ConsentRecord.objects.filter(request=req)
    assert {r.confirmed_by for r in records} == {ConsentRecord.ConfirmedBy.EMAIL_LINK}

    link = Link.objects.filter(customer=req.customer).latest("id")
    path = _withdraw_path(cast, link)
    assert "Send me a code" not in client.get(path).content.decode()
    assert client.post(path, {"confirm": "1"}).status_code == 200
    assert not CustomerSignInCode.objects.exists()


@override_settings(PORTAL_CONSENT_CODE_FOR=["sensitive"])
def test_the_setting_names_which_decisions_need_a_code(client, cast):
    manage, manage_token = pending_consent_with_token(cast, specs=[MANAGE])
    assert client.post(_url(manage_token), _accept_all(manage)).status_code == 302
    sensitive, token = pending_consent_with_token(
        cast, specs=[SENSITIVE_READ], customer=cast.customer2, ticket="INC-2"
    )
    assert b"CUS-C001" in client.post(_url(token), _accept_all(sensitive)).content


# --- the code ------------------------------------------------------------------------------


def test_the_customer_accepts_manage_access_with_the_emailed_code(client, cast):
    req, token = pending_consent_with_token(cast, specs=[MANAGE])
    # The account's contact changed since the request was sent.
    cast.customer.contact_email = "it-owner@acme.example"
    cast.customer.save(update_fields=["contact_email"])
    assert req.consent_email != cast.customer.contact_email

    sent = client.post(_url(token), _accept_all(req, send_code="1"))

    assert sent.status_code == 200 and _checked(sent, req)
    assert "i•••@acme.example" in sent.content.decode()
    code = emailed_code()
    message = mail.outbox[-1]
    # To the account's contact address at this moment, not the address the request went to.
    assert message.to == ["it-owner@acme.example"]
    assert "Northwind Cloud" in message.subject and "Northwind Cloud" in message.body
    assert "manage access" in message.body and cast.customer.display_name in message.body
    assert code in message.alternatives[0][0]
    _undecided(req)

    done = client.post(_url(token), _accept_all(req, code=code))

    assert done.status_code == 302
    record = ConsentRecord.objects.get(request=req)
    assert record.confirmed_by == ConsentRecord.ConfirmedBy.EMAIL_CODE
    assert CustomerSignInCode.objects.get().used_at is not None


def test_the_customer_withdraws_with_the_emailed_code(client, cast, run_on_commit):
    with run_on_commit():
        link = accepted_link(cast)
    path = _withdraw_path(cast, link)
    code = code_from_page(client, path, {"confirm": "1"})
    assert mail.outbox[-1].to == [cast.customer.contact_email]
    assert "withdrawal" in mail.outbox[-1].subject

    done = client.post(path, {"confirm": "1", "code": code})

    assert done.status_code == 200 and b"Your consent is withdrawn" in done.content
    link.refresh_from_db()
    assert link.status == Link.Status.REVOKED
    record = ConsentRecord.objects.get(decision="withdrawn")
    assert record.confirmed_by == ConsentRecord.ConfirmedBy.EMAIL_CODE


def test_an_expired_code_is_refused_and_the_choices_stay(client, cast):
    req, token = pending_consent_with_token(cast, specs=[MANAGE])
    code = code_from_page(client, _url(token), _accept_all(req))
    with time_machine.travel(timezone.now() + timedelta(minutes=10, seconds=1)):
        response = client.post(_url(token), _accept_all(req, code=code))
    assert response.status_code == 400 and b"CUS-C002" in response.content
    assert _checked(response, req)
    _undecided(req)


def test_a_code_works_once_and_for_its_own_decision_only(client, cast, run_on_commit):
    # Two accounts of the same contact: a code still confirms only the decision it was for.
    cast.customer2.contact_email = cast.customer.contact_email
    cast.customer2.save(update_fields=["contact_email"])
    first, first_token = pending_consent_with_token(cast, specs=[MANAGE])
    second, second_token = pending_consent_with_token(
        cast, specs=[MANAGE], customer=cast.customer2, ticket="INC-2"
    )
    code = code_from_page(client, _url(first_token), _accept_all(first))
    # Not for another request, and not to sign in to the customer centre.
    refused = client.post(_url(second_token), _accept_all(second, code=code))
    assert b"CUS-C002" in refused.content
    client.post(reverse("customer:sign-in"), {"email": cast.customer.contact_email})
    assert client.post(reverse("customer:code"), {"code": code}).status_code == 400
    with run_on_commit():
        assert client.post(_url(first_token), _accept_all(first, code=code)).status_code == 302
    # Used: the withdrawal of the link it made needs a new one.
    link = Link.objects.get(source_item__request=first)
    path = _withdraw_path(cast, link)
    assert b"CUS-C002" in client.post(path, {"confirm": "1", "code": code}).content
    _undecided(second)


@override_settings(PORTAL_CUSTOMER_CODE_RATE_PER_ADDRESS="2/600")
def test_codes_are_rate_limited_and_the_choices_stay(client, cast):
    req, token = pending_consent_with_token(cast, specs=[MANAGE])
    for _ in range(2):
        assert client.post(_url(token), _accept_all(req, send_code="1")).status_code == 200
    response = client.post(_url(token), _accept_all(req, send_code="1"))
    assert response.status_code == 429 and b"CUS-C004" in response.content
    assert _checked(response, req)
    assert CustomerSignInCode.objects.count() == 2


@override_settings(AXES_FAILURE_LIMIT=3)
def test_wrong_codes_lock_out_and_decide_nothing(client, cast):
    req, token = pending_consent_with_token(cast, specs=[MANAGE])
    code = code_from_page(client, _url(token), _accept_all(req))
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(3):
        response = client.post(_url(token), _accept_all(req, code=wrong))
        assert response.status_code == 400 and b"CUS-C002" in response.content
    locked = client.post(_url(token), _accept_all(req, code=code))
    assert locked.status_code == 429 and b"CUS-C003" in locked.content
    assert _checked(locked, req)
    assert CustomerSignInCode.objects.get().wrong_attempts == 3
    _undecided(req)
    # The lockout is the sign-in's too: the same address and client cannot guess there either.
    client.post(reverse("customer:sign-in"), {"email": cast.customer.contact_email})
    assert b"CUS-S003" in client.post(reverse("customer:code"), {"code": "123456"}).content


def test_the_code_is_never_logged_nor_in_a_history_row(client, cast, caplog, run_on_commit):
    caplog.set_level(logging.DEBUG)
    req, token = pending_consent_with_token(cast, specs=[MANAGE])
    code = code_from_page(client, _url(token), _accept_all(req))
    client.post(_url(token), _accept_all(req, code="000000" if code != "000000" else "111111"))
    with run_on_commit():
        assert client.post(_url(token), _accept_all(req, code=code)).status_code == 302
    link = Link.objects.get(source_item__request=req)
    path = _withdraw_path(cast, link)
    withdrawal_code = code_from_page(client, path, {"confirm": "1"})
    with run_on_commit():
        assert client.post(path, {"confirm": "1", "code": withdrawal_code}).status_code == 200

    assert caplog.records  # deliveries and the refusal were logged, without the codes
    for secret in (code, withdrawal_code):
        assert secret not in caplog.text
        for row in CustomerSignInCode.objects.all():
            assert secret not in row.code_hash
        for n in Notification.objects.all():
            assert secret not in str(n.context)
            assert all(secret not in str(h.context) for h in n.history.all())
        for model in (LinkRequest, Link):
            for h in model.history.all():
                assert secret not in str(h.history_change_reason or "")
        for record in ConsentRecord.objects.all():
            assert secret not in f"{record.reason} {record.scope} {record.user_agent}"


# --- a customer signed in to the customer centre -------------------------------------------


def _signed_in_to_centre(client, email) -> None:
    client.post(reverse("customer:sign-in"), {"email": email})
    response = client.post(reverse("customer:code"), {"code": emailed_code()})
    assert response.status_code == 302


def test_a_customer_signed_in_to_the_centre_needs_no_code(client, cast, run_on_commit):
    req, token = pending_consent_with_token(cast, specs=[MANAGE])
    _signed_in_to_centre(client, cast.customer.contact_email)
    page = client.get(_url(token)).content.decode()
    assert "no code is needed" in page and "Send me a code" not in page
    with run_on_commit():
        assert client.post(_url(token), _accept_all(req)).status_code == 302
    record = ConsentRecord.objects.get(request=req)
    assert record.confirmed_by == ConsentRecord.ConfirmedBy.CENTRE

    link = Link.objects.get(source_item__request=req)
    path = _withdraw_path(cast, link)
    assert client.post(path, {"confirm": "1"}).status_code == 200
    withdrawn = ConsentRecord.objects.get(decision="withdrawn")
    assert withdrawn.confirmed_by == ConsentRecord.ConfirmedBy.CENTRE


def test_a_centre_session_for_another_account_still_needs_a_code(client, cast):
    cast.customer2.contact_email = "someone-else@example.com"
    cast.customer2.save(update_fields=["contact_email"])
    req, token = pending_consent_with_token(cast, specs=[MANAGE])
    _signed_in_to_centre(client, "someone-else@example.com")
    response = client.post(_url(token), _accept_all(req))
    assert response.status_code == 400 and b"CUS-C001" in response.content
    _undecided(req)


def test_the_journey_helpers_type_the_emailed_code(cast):
    req, token = pending_consent_with_token(cast, specs=[MANAGE])
    req, _ = journeys.decide_all(req, accept=True, token=token)
    assert ConsentRecord.objects.get(request=req).confirmed_by == "email_code"
