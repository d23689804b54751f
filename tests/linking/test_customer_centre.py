"""The customer centre: sign-in with an e-mailed code, the overview of every partner of the
contact's accounts, withdrawal through the same service as the withdrawal link, and scoping."""

import logging
import re
from datetime import timedelta

import time_machine
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from linking import journeys
from linking.models import (
    ConsentRecord,
    CustomerSignInCode,
    Link,
    LinkRequest,
    Notification,
)
from linking.outbox.delivery import notification_deliver
from tests.conftest import cast_shared_by_the_module, read_only_delegation
from tests.factories import CustomerFactory
from tests.journeys import accept, accepted_link, pending_consent

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

SIGN_IN = reverse("customer:sign-in")
CODE = reverse("customer:code")
HOME = reverse("customer:home")


def deliver_codes() -> str:
    """Deliver every queued sign-in code the way the worker does; the last code e-mailed."""
    for n in Notification.objects.filter(kind="customer_code", status="queued").order_by("id"):
        notification_deliver(notification_id=n.pk)
    return re.search(r"^\s+(\d{6})$", mail.outbox[-1].body, re.M).group(1)


def ask_code(client, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        return client.post(SIGN_IN, {"email": email})


def signed_in(client, email, capture) -> None:
    assert ask_code(client, email, capture).status_code == 302
    response = client.post(CODE, {"code": deliver_codes()})
    assert response.status_code == 302 and response.url == HOME


def other_reseller_link(cast, customer) -> Link:
    """A link of the cast's other reseller, accepted by the customer."""
    req = journeys.draft(
        actor=cast.outsider,
        reseller=cast.other,
        customer=customer,
        specs=[read_only_delegation(cast)],
        ticket="INC-2002",
        note="Contoso's request.",
    )
    req = journeys.submit(req, actor=cast.outsider, approver=cast.outsider_admin, reason="ok")
    req.refresh_from_db()
    accept(cast, req)
    return Link.objects.get(reseller=cast.other, customer=customer)


# --- sign-in with a code ----------------------------------------------------------------------


def test_a_contact_address_gets_a_code_that_signs_in_once(
    client, cast, django_capture_on_commit_callbacks
):
    email = cast.customer.contact_email
    response = ask_code(client, email.upper(), django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response.url == CODE
    code = deliver_codes()
    assert mail.outbox[-1].to == [email]
    row = CustomerSignInCode.objects.get()
    assert row.code_hash and code not in row.code_hash
    response = client.post(CODE, {"code": code})
    assert response.url == HOME
    assert client.get(HOME).status_code == 200
    # The code is spent: another browser cannot use it.
    other = client.__class__()
    other.post(SIGN_IN, {"email": email})
    assert other.post(CODE, {"code": code}).status_code in (400,)


def test_an_unknown_address_reads_the_same_and_gets_nothing(
    client, cast, django_capture_on_commit_callbacks
):
    known = ask_code(client, cast.customer.contact_email, django_capture_on_commit_callbacks)
    unknown = ask_code(client, "nobody@nowhere.example", django_capture_on_commit_callbacks)
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    page = client.get(CODE).content.decode()
    assert "nobody@nowhere.example" in page and "If nobody@nowhere.example is the contact" in page
    assert CustomerSignInCode.objects.filter(email="nobody@nowhere.example").count() == 0
    assert Notification.objects.filter(to_email="nobody@nowhere.example").count() == 0
    response = client.post(CODE, {"code": "123456"})
    assert response.status_code == 400 and b"CUS-S002" in response.content


def test_a_code_expires_after_ten_minutes(client, cast, django_capture_on_commit_callbacks):
    ask_code(client, cast.customer.contact_email, django_capture_on_commit_callbacks)
    code = deliver_codes()
    with time_machine.travel(timezone.now() + timedelta(minutes=10, seconds=1)):
        response = client.post(CODE, {"code": code})
    assert response.status_code == 400 and b"CUS-S002" in response.content
    assert client.get(HOME).content.count(b"CUS-S004") == 1


def test_an_expired_code_is_not_e_mailed(cast, django_capture_on_commit_callbacks, client):
    ask_code(client, cast.customer.contact_email, django_capture_on_commit_callbacks)
    n = Notification.objects.get(kind="customer_code")
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert notification_deliver(notification_id=n.pk) == "obsolete"
    assert mail.outbox == []


@override_settings(PORTAL_CUSTOMER_CODE_RATE_PER_ADDRESS="2/600")
def test_codes_are_rate_limited_per_address_whether_known_or_not(
    client, cast, django_capture_on_commit_callbacks
):
    for email in (cast.customer.contact_email, "nobody@nowhere.example"):
        for _ in range(2):
            assert ask_code(client, email, django_capture_on_commit_callbacks).status_code == 302
        response = ask_code(client, email, django_capture_on_commit_callbacks)
        assert response.status_code == 429 and b"CUS-S001" in response.content
    assert CustomerSignInCode.objects.count() == 2


@override_settings(PORTAL_CUSTOMER_CODE_RATE_PER_CLIENT="3/600")
def test_codes_are_rate_limited_per_client(client, cast, django_capture_on_commit_callbacks):
    for n in range(3):
        ask_code(client, f"a{n}@nowhere.example", django_capture_on_commit_callbacks)
    response = ask_code(client, cast.customer.contact_email, django_capture_on_commit_callbacks)
    assert response.status_code == 429
    assert CustomerSignInCode.objects.count() == 0


@override_settings(AXES_FAILURE_LIMIT=3)
def test_wrong_codes_lock_the_address_out_from_that_client(
    client, cast, django_capture_on_commit_callbacks
):
    ask_code(client, cast.customer.contact_email, django_capture_on_commit_callbacks)
    code = deliver_codes()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(3):
        assert client.post(CODE, {"code": wrong}).status_code == 400
    response = client.post(CODE, {"code": code})
    assert response.status_code == 429 and b"CUS-S003" in response.content
    assert CustomerSignInCode.objects.get().wrong_attempts == 3
    # Even from another client, this code has had its tries: a new code is needed.
    other = client.__class__(REMOTE_ADDR="10.0.0.9")
    other.post(SIGN_IN, {"email": cast.customer.contact_email})
    assert other.post(CODE, {"code": code}).status_code == 400


def test_the_code_is_never_logged_nor_stored(
    client, cast, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    ask_code(client, cast.customer.contact_email, django_capture_on_commit_callbacks)
    code = deliver_codes()
    client.post(CODE, {"code": "000000" if code != "000000" else "111111"})
    client.post(CODE, {"code": code})
    assert caplog.records  # the delivery and the refusal were logged, without the code
    assert code not in caplog.text
    n = Notification.objects.get(kind="customer_code")
    assert code not in str(n.context)
    assert all(code not in str(h.context) for h in n.history.all())


def test_sign_out_ends_the_customer_session(client, cast, django_capture_on_commit_callbacks):
    signed_in(client, cast.customer.contact_email, django_capture_on_commit_callbacks)
    assert client.post(reverse("customer:sign-out")).url == SIGN_IN
    assert b"CUS-S004" in client.get(HOME).content


@override_settings(PORTAL_CUSTOMER_IDLE_MINUTES=5)
def test_an_idle_customer_is_signed_out(client, cast, django_capture_on_commit_callbacks):
    signed_in(client, cast.customer.contact_email, django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(minutes=4)):
        assert b"CUS-S004" not in client.get(HOME).content
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert b"CUS-S004" in client.get(HOME).content


def test_an_operator_session_is_not_a_customer_session(client, cast):
    client.force_login(cast.admin)
    assert b"CUS-S004" in client.get(HOME).content


# --- the centre ---------------------------------------------------------------------------------


def test_a_contact_sees_both_resellers_of_both_accounts_and_nothing_else(
    client, cast, django_capture_on_commit_callbacks
):
    cast.customer2.contact_email = cast.customer.contact_email
    cast.customer2.save(update_fields=["contact_email"])
    with django_capture_on_commit_callbacks(execute=True):
        mine = accepted_link(cast)
        theirs = other_reseller_link(cast, cast.customer2)
        stranger_account = CustomerFactory(enabled_regions=[cast.region_a, cast.region_b])
        stranger = accepted_link(cast, customer=stranger_account, ticket="INC-3")
        waiting = pending_consent(cast, customer=cast.customer2, ticket="INC-4")
    signed_in(client, cast.customer.contact_email, django_capture_on_commit_callbacks)
    page = client.get(HOME).content.decode()
    for link in (mine, theirs):
        assert f'id="link-{link.pk}"' in page
    assert "Northwind Cloud" in page and "Contoso Partners" in page
    assert f'id="link-{stranger.pk}"' not in page
    assert reverse("customer:decide", args=[waiting.pk]) in page
    accepted = ConsentRecord.objects.filter(item=mine.source_item).get()
    # A read-only delegation of ordinary services needs nothing beyond the e-mailed link.
    assert accepted.confirmed_by == ConsentRecord.ConfirmedBy.EMAIL_LINK
    receipt = accepted.receipt_reference
    assert receipt in page
    # The receipt link opens the receipt download, in the centre.
    href = re.search(r'href="(/customer/receipts/[^"]+/download/)"', page).group(1)
    download = client.get(href)
    assert download.status_code == 200 and receipt in download.content.decode()


def test_another_accounts_link_or_request_is_not_found(
    client, cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        stranger = accepted_link(cast, customer=cast.customer2)
        elsewhere = CustomerFactory(enabled_regions=[cast.region_a, cast.region_b])
        req = pending_consent(cast, customer=elsewhere, ticket="INC-5")
    signed_in(client, cast.customer.contact_email, django_capture_on_commit_callbacks)
    assert client.get(reverse("customer:withdraw", args=[stranger.pk])).status_code == 404
    response = client.post(reverse("customer:withdraw", args=[stranger.pk]), {"confirm": "1"})
    assert response.status_code == 404
    assert client.get(reverse("customer:decide", args=[req.pk])).status_code == 404
    assert client.post(reverse("customer:decide", args=[req.pk])).status_code == 404
    receipt = ConsentRecord.objects.filter(item=stranger.source_item).get().receipt_reference
    url = reverse("customer:receipt-download", args=[receipt])
    assert client.get(url).status_code == 404
    stranger.refresh_from_db()
    assert stranger.status != Link.Status.REVOKED


def test_the_centre_costs_the_same_queries_with_more_links(
    client, cast, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with django_capture_on_commit_callbacks(execute=True):
        accepted_link(cast)
    signed_in(client, cast.customer.contact_email, django_capture_on_commit_callbacks)
    with CaptureQueriesContext(connection) as one:
        assert client.get(HOME).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        other_reseller_link(cast, cast.customer)
        accepted_link(
            cast,
            specs=[journeys_billing()],
            ticket="INC-7",
        )
    with CaptureQueriesContext(connection) as three:
        assert client.get(HOME).content.count(b'class="card mb-3 link-card"') == 3
    # Measured: the session (read and saved), the contact's accounts, the catalogue, the
    # links, their consent records, the waiting requests with their items, and the accounts.
    assert len(three) == len(one) == 11


def journeys_billing():
    from linking.checks import ItemSpec

    return ItemSpec(link_type="billing")


def test_withdrawal_from_the_centre_is_the_withdrawal_links_withdrawal(
    client, cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        link = accepted_link(cast)
    signed_in(client, cast.customer.contact_email, django_capture_on_commit_callbacks)
    url = reverse("customer:withdraw", args=[link.pk])
    page = client.get(url)
    assert page.status_code == 200 and b'id="withdraw-effects"' in page.content
    assert client.post(url, {}).status_code == 400  # the box is not ticked
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"confirm": "1"})
    assert done.status_code == 200 and b"Your consent is withdrawn" in done.content
    link.refresh_from_db()
    assert link.status == Link.Status.REVOKED
    email = cast.customer.contact_email
    assert link.revoke_reason == (
        f"withdrawn by the customer ({email}) in the customer centre as {email}"
    )
    record = ConsentRecord.objects.get(decision="withdrawn")
    assert record.link == link and record.contact_email == email
    assert record.receipt_reference.startswith("WD-")
    assert record.confirmed_by == ConsentRecord.ConfirmedBy.CENTRE
    assert Notification.objects.filter(link=link, kind="link_revoked").count() >= 2
    history = link.history.latest("history_date")
    assert history.history_user is None and "by the customer" in history.history_change_reason
    # Once ended, the page says so instead of offering it again.
    assert client.post(url, {"confirm": "1"}).status_code == 410


def test_a_waiting_request_is_decided_in_the_centre_as_the_customer(
    client, cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        req = pending_consent(cast)
    item = req.items.get()
    signed_in(client, cast.customer.contact_email, django_capture_on_commit_callbacks)
    url = reverse("customer:decide", args=[req.pk])
    page = client.get(url)
    # The consent page's form, inside the centre: nothing is decided on a GET.
    assert page.status_code == 200 and f'name="decision_{item.pk}"' in page.content.decode()
    assert b'id="back-to-centre"' in page.content
    req.refresh_from_db()
    assert req.status == LinkRequest.Status.PENDING_CONSENT
    # The same rule as the consent link: every item needs an answer.
    assert client.post(url, {}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {f"decision_{item.pk}": "accept"})
    assert done.status_code == 302 and done.url.startswith("/consent/receipt/")
    req.refresh_from_db()
    assert req.status == LinkRequest.Status.COMPLETED and req.consent_token_hash == ""
    email = cast.customer.contact_email
    record = ConsentRecord.objects.get(item=item)
    assert record.confirmed_by == ConsentRecord.ConfirmedBy.CENTRE
    assert record.contact_email == email
    # The history names the customer and where they acted; no portal user did it.
    last = req.history.latest("history_date")
    assert last.history_user is None
    assert last.history_change_reason == (
        f"customer accepted (customer contact {email} in the customer centre as {email})"
    )
    item_row = item.history.latest("history_date")
    assert item_row.history_user is None and "in the customer centre as" in (
        item_row.history_change_reason
    )
    kinds = set(Notification.objects.filter(request=req).values_list("kind", flat=True))
    assert {"consent_receipt", "customer_decided"} <= kinds
    # Decided: the page says so instead of offering the form again.
    assert client.get(url).status_code == 410


def test_manage_access_to_a_sensitive_service_in_the_centre_needs_no_code(
    client, cast, django_capture_on_commit_callbacks
):
    """The centre's session was opened with a code sent to the contact address: it confirms the
    customer as a fresh code would (by the e-mailed link the same decision asks for one)."""
    from django.core import mail

    from linking.checks import ItemSpec

    manage = ItemSpec(
        link_type="delegation",
        services=["ECS", "IAM"],
        regions=["ap-southeast-1"],
        access_level="manage",
        duration_days=30,
    )
    with django_capture_on_commit_callbacks(execute=True):
        req = pending_consent(cast, specs=[manage])
    item = req.items.get()
    signed_in(client, cast.customer.contact_email, django_capture_on_commit_callbacks)
    url = reverse("customer:decide", args=[req.pk])
    assert b"no code is needed" in client.get(url).content.lower()
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {f"decision_{item.pk}": "accept"})
    assert done.status_code == 302
    assert ConsentRecord.objects.get(item=item).confirmed_by == ConsentRecord.ConfirmedBy.CENTRE
    assert not [m for m in mail.outbox[sent:] if "code" in m.subject.lower()]


def test_deciding_in_the_centre_kills_the_e_mailed_link(
    client, cast, django_capture_on_commit_callbacks
):
    from linking.consent.services import consent_issue_token

    with django_capture_on_commit_callbacks(execute=True):
        req = pending_consent(cast)
    token = consent_issue_token(request_id=req.pk)
    item = req.items.get()
    signed_in(client, cast.customer.contact_email, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("customer:decide", args=[req.pk]), {f"decision_{item.pk}": "decline"})
    req.refresh_from_db()
    assert req.status == LinkRequest.Status.DECLINED
    assert client.get(reverse("consent:page", args=[token])).status_code == 410


def test_a_withdrawal_receipt_downloads_from_the_centre(
    client, cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        link = accepted_link(cast)
    signed_in(client, cast.customer.contact_email, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("customer:withdraw", args=[link.pk]), {"confirm": "1"})
    reference = ConsentRecord.objects.get(decision="withdrawn").receipt_reference
    page = client.get(HOME).content.decode()
    url = reverse("customer:receipt-download", args=[reference])
    assert url in page
    response = client.get(url)
    assert response.status_code == 200 and reference in response.content.decode()
    assert "Withdrawn" in response.content.decode()


def signed_in_for_real(client, email) -> None:
    client.post(SIGN_IN, {"email": email})
    response = client.post(CODE, {"code": deliver_codes()})
    assert response.url == HOME


def test_a_manage_acceptance_records_the_emailed_code(cast, django_capture_on_commit_callbacks):
    from linking.checks import ItemSpec

    # Manage access to a sensitive service: the consent page asks for an e-mailed code.
    manage = ItemSpec(
        link_type="delegation",
        services=["ECS", "IAM"],
        regions=["ap-southeast-1"],
        access_level="manage",
        duration_days=30,
    )
    with django_capture_on_commit_callbacks(execute=True):
        link = accepted_link(cast, specs=[manage])
    record = ConsentRecord.objects.get(item=link.source_item)
    assert record.confirmed_by == ConsentRecord.ConfirmedBy.EMAIL_CODE
