"""Whose move it is: initiator, approver, delivery, customer, activation; since when; the list
filter, the request page and the dashboard."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from linking import journeys
from linking.checks import ItemSpec
from linking.models import LinkRequest, Notification
from linking.outbox.delivery import notification_deliver
from linking.selectors.requests import RequestFilters, link_request_list_for_reseller
from tests.conftest import cast_shared_by_the_module, login, make_draft, submit
from tests.factories import CustomerFactory
from tests.journeys import accepted, pending_consent_with_token, prove_setup

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

BILLING = [ItemSpec(link_type="billing")]


def _customer(cast):
    return CustomerFactory(enabled_regions=[cast.region_a, cast.region_b])


@dataclass
class Moves:
    draft: LinkRequest
    approver: LinkRequest
    delivery: LinkRequest
    customer: LinkRequest
    activation: LinkRequest
    done: LinkRequest


@pytest.fixture
def moves(cast, django_capture_on_commit_callbacks) -> Moves:
    # Nothing published runs: the consent e-mails and link activations wait for the test.
    with django_capture_on_commit_callbacks(execute=False):
        moves = Moves(
            draft=make_draft(cast, customer=_customer(cast)),
            approver=submit(cast, make_draft(cast, customer=_customer(cast), specs=BILLING)),
            delivery=submit(cast, make_draft(cast, customer=_customer(cast))),
            customer=pending_consent_with_token(cast, customer=_customer(cast))[0],
            activation=accepted(cast, customer=_customer(cast)),
            done=accepted(cast, customer=_customer(cast)),
        )
        for link in journeys.activate(moves.done):
            prove_setup(cast, link)  # the customer's setup, proven in the (sandbox) cloud
        moves.done.refresh_from_db()
        return moves


def listed(cast, waiting_on):
    filters = RequestFilters(waiting_on=waiting_on)
    return list(link_request_list_for_reseller(reseller=cast.reseller, filters=filters))


def test_each_request_says_whose_move_it_is(moves):
    for name in ("draft", "approver", "delivery", "customer", "activation", "done"):
        req = LinkRequest.objects.get(pk=getattr(moves, name).pk)
        expected = {"draft": "initiator", "done": ""}.get(name, name)
        assert req.waiting_on == expected, name


def test_waiting_since_is_the_delivery_for_the_customer_and_the_status_change_otherwise(moves):
    assert moves.customer.waiting_since == moves.customer.consent_sent_at
    assert moves.delivery.waiting_since == moves.delivery.status_changed_at
    assert moves.approver.waiting_since == moves.approver.status_changed_at


@pytest.mark.parametrize(
    "waiting_on", ["initiator", "approver", "delivery", "customer", "activation"]
)
def test_the_list_filters_by_each_waiting_on(cast, moves, waiting_on):
    expected = moves.draft if waiting_on == "initiator" else getattr(moves, waiting_on)
    assert listed(cast, waiting_on) == [expected]


def test_an_overdue_request_waits_on_nobody(cast, moves):
    with time_machine.travel(moves.customer.consent_deadline + timedelta(seconds=1)):
        assert LinkRequest.objects.get(pk=moves.customer.pk).waiting_on == ""
        assert listed(cast, "customer") == []


def test_a_refused_consent_email_keeps_the_request_waiting_on_delivery(cast, moves, settings):
    import smtplib

    from tests.linking.outbox_helpers import FailingBackend

    settings.EMAIL_BACKEND = "tests.linking.outbox_helpers.FailingBackend"
    FailingBackend.error = smtplib.SMTPRecipientsRefused({"x": (550, b"no such user")})
    try:
        notification = Notification.objects.get(request=moves.delivery, kind="consent_request")
        assert notification_deliver(notification_id=notification.pk) == "failed"
    finally:
        FailingBackend.error = OSError("connection refused")
    assert listed(cast, "delivery") == [moves.delivery]


def test_listed_rows_know_their_activation_without_a_query(cast, moves, django_assert_num_queries):
    rows = listed(cast, "")
    with django_assert_num_queries(0):
        assert [r.waiting_on for r in rows].count("activation") == 1


def test_the_property_asks_once_without_the_annotation(moves, django_assert_num_queries):
    req = LinkRequest.objects.get(pk=moves.activation.pk)
    with django_assert_num_queries(1):
        assert req.waiting_on == "activation"
        assert req.waiting_on == "activation"


# --- pages -----------------------------------------------------------------------------------


def test_the_list_page_offers_and_applies_every_waiting_on(client, cast, moves):
    login(client, cast.viewer)
    body = client.get(reverse("linking:request-list")).content.decode()
    for value in ("initiator", "approver", "delivery", "customer", "activation"):
        assert f'value="{value}"' in body
    body = client.get(reverse("linking:request-list"), {"waiting_on": "activation"}).content
    body = body.decode()
    assert moves.activation.reference in body
    assert moves.done.reference not in body
    assert 'data-waiting-on="activation"' in body


def test_the_filtered_list_costs_the_same_queries_with_3_and_30_rows(
    client, cast, django_assert_num_queries, django_capture_on_commit_callbacks
):
    from tests.linking.test_views_pages import BUDGETS

    login(client, cast.viewer)
    target = reverse("linking:request-list") + "?waiting_on=activation"
    for rows in (3, 27):
        with django_capture_on_commit_callbacks(execute=False):
            for _ in range(rows):
                accepted(cast, customer=_customer(cast))
        client.get(target)
        with django_assert_num_queries(BUDGETS["request-list"]):
            response = client.get(target)
        assert response.status_code == 200


def test_the_request_page_shows_the_wait_the_last_email_and_the_expiry(client, cast, moves):
    LinkRequest.objects.filter(pk=moves.customer.pk).update(
        next_reminder_at=timezone.now() + timedelta(days=3)
    )
    login(client, cast.viewer)
    body = client.get(reverse("linking:request-detail", args=[moves.customer.pk])).content
    body = body.decode()
    assert 'data-waiting-on="customer"' in body
    assert 'id="next-reminder"' in body
    assert 'id="next-expiry"' in body
    assert moves.customer.consent_deadline.strftime("%Y-%m-%d") in body
    assert 'id="last-notification"' in body
    assert 'data-status="sent"' in body


def test_the_request_page_explains_a_retrying_email_in_words(client, cast, moves):
    notification = Notification.objects.get(request=moves.delivery, kind="consent_request")
    Notification.objects.filter(pk=notification.pk).update(
        status="retrying",
        attempts=2,
        last_error="temporary: ConnectionRefusedError",
        next_attempt_at=timezone.now() + timedelta(minutes=1),
    )
    login(client, cast.viewer)
    body = client.get(reverse("linking:request-detail", args=[moves.delivery.pk])).content
    body = body.decode()
    assert 'data-waiting-on="delivery"' in body
    assert 'data-status="retrying"' in body
    assert "after 2 attempts" in body
    assert "The mail server could not be reached; retried automatically." in body


def test_the_request_page_of_an_approval_shows_its_expiry(client, cast, moves):
    login(client, cast.viewer)
    body = client.get(reverse("linking:request-detail", args=[moves.approver.pk])).content
    body = body.decode()
    assert "Expires unless approved by" in body
    assert moves.approver.approval_deadline.strftime("%Y-%m-%d %H:%M") in body


def test_the_dashboard_shows_the_oldest_per_waiting_on(client, cast, moves):
    login(client, cast.viewer)
    body = client.get(reverse("portal:dashboard")).content.decode()
    for name in ("approver", "delivery", "customer", "activation"):
        section = body.split(f'data-waiting-on="{name}"', 1)[1].split("</tbody>", 1)[0]
        assert getattr(moves, name).reference in section, name
    assert moves.draft.reference not in body
    assert moves.done.reference not in body
