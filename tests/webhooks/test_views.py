"""The webhook pages: roles, another reseller's endpoint, the step-up, the secret shown once,
the deliveries list and its query budget."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from linking.webhooks.models import WebhookDelivery, WebhookEndpoint
from linking.webhooks.services import webhook_emit
from tests.accounts.test_step_up import step_up_target
from tests.conftest import login
from tests.webhooks.conftest import register

pytestmark = pytest.mark.django_db

LIST = reverse("webhooks:list")
CREATE = reverse("webhooks:create")


def urls_of(endpoint, delivery):
    pk = endpoint.pk
    return {
        "GET": [
            reverse("webhooks:detail", args=[pk]),
            reverse("webhooks:edit", args=[pk]),
            reverse("webhooks:delete", args=[pk]),
        ],
        "POST": [
            reverse("webhooks:edit", args=[pk]),
            reverse("webhooks:set-enabled", args=[pk]),
            reverse("webhooks:delete", args=[pk]),
            reverse("webhooks:redeliver", args=[pk, delivery.pk]),
        ],
    }


@pytest.fixture
def endpoint(cast, receiver):
    endpoint, _ = register(cast, receiver)
    (delivery,) = webhook_emit(cast.reseller, "link.active", ("link", 1), {})
    return endpoint, delivery


def form(receiver, **changes):
    return {"url": receiver.url, "events": ["link.active", "request.submitted"], **changes}


def test_anonymous_visitors_are_sent_to_log_in(client, endpoint):
    urls = urls_of(*endpoint)
    for url in [LIST, CREATE, *urls["GET"]]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for url in urls["POST"]:
        response = client.post(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_members_without_the_admin_role_are_refused(client, cast, endpoint):
    urls = urls_of(*endpoint)
    for user in (cast.viewer, cast.initiator, cast.approver):
        login(client, user)
        assert {client.get(url).status_code for url in [LIST, CREATE, *urls["GET"]]} == {403}
        assert {client.post(url).status_code for url in urls["POST"]} == {403}


def test_another_resellers_admin_finds_no_such_endpoint(client, cast, endpoint):
    urls = urls_of(*endpoint)
    login(client, cast.outsider_admin)
    assert {client.get(url).status_code for url in urls["GET"]} == {404}
    assert {client.post(url).status_code for url in urls["POST"]} == {404}
    assert endpoint[0].url not in client.get(LIST).content.decode()
    assert WebhookEndpoint.objects.get().enabled


def test_posts_need_the_csrf_token(cast, receiver):
    client = Client(enforce_csrf_checks=True)
    login(client, cast.admin)
    assert client.post(CREATE, form(receiver)).status_code == 403
    assert not WebhookEndpoint.objects.exists()


def test_an_admin_registers_an_endpoint_and_sees_its_secret_once(client, cast, receiver):
    login(client, cast.admin)
    assert client.get(CREATE).status_code == 200
    response = client.post(CREATE, form(receiver, description="CRM"))
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    endpoint = WebhookEndpoint.objects.get()
    secret = response.context["secret"]
    assert secret.startswith("whsec_") and secret in response.content.decode()
    assert endpoint.events == ["request.submitted", "link.active"]
    detail = client.get(reverse("webhooks:detail", args=[endpoint.pk])).content.decode()
    assert secret not in detail and f"…{secret[-4:]}" in detail
    assert secret not in client.get(LIST).content.decode()
    event = AuditEvent.objects.get(action="webhook_endpoint_changed")
    assert event.actor == cast.admin and event.reason.startswith("registered: ")


def test_registration_asks_for_the_password_again(client, cast, receiver):
    login(client, cast.admin)
    with time_machine.travel(timezone.now() + timedelta(minutes=30), tick=False):
        assert step_up_target(client.get(CREATE)) == CREATE
        assert step_up_target(client.post(CREATE, form(receiver))) == CREATE
    assert not WebhookEndpoint.objects.exists()


def test_a_refused_address_is_said_with_its_code(client, cast, settings):
    settings.PORTAL_WEBHOOK_ALLOWED_NETWORKS = []
    login(client, cast.admin)
    response = client.post(CREATE, {"url": "https://169.254.169.254/", "events": ["link.active"]})
    assert response.status_code == 400
    assert "WHK-U002" in response.content.decode()
    response = client.post(CREATE, {"url": "https://93.184.215.14/"})
    assert response.status_code == 400 and "WHK-E002" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_changing_the_events_needs_no_step_up_but_the_address_does(
    client, cast, receiver, endpoint
):
    endpoint = endpoint[0]
    edit = reverse("webhooks:edit", args=[endpoint.pk])
    login(client, cast.admin)
    with time_machine.travel(timezone.now() + timedelta(minutes=30), tick=False):
        response = client.post(edit, form(receiver, events=["batch.finished"]))
        assert response.status_code == 302
        moved = f"http://127.0.0.1:{receiver.port}/other"
        assert step_up_target(client.post(edit, form(receiver, url=moved))) == edit
    endpoint.refresh_from_db()
    assert endpoint.events == ["batch.finished"] and endpoint.url == receiver.url
    login(client, cast.admin)  # a fresh password
    assert client.post(edit, form(receiver, url=moved)).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.url == moved
    reasons = list(
        AuditEvent.objects.filter(action="webhook_endpoint_changed")
        .order_by("id")
        .values_list("reason", flat=True)
    )
    assert reasons[1] == "changed: events batch.finished"
    assert reasons[2].startswith(f"changed: address {receiver.url} → {moved}")


def test_an_admin_disables_enables_and_deletes_an_endpoint(client, cast, endpoint):
    endpoint, _ = endpoint
    login(client, cast.admin)
    toggle = reverse("webhooks:set-enabled", args=[endpoint.pk])
    assert client.post(toggle, {"enabled": "0"}).status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    client.post(toggle, {"enabled": "1"})
    endpoint.refresh_from_db()
    assert endpoint.enabled
    delete = reverse("webhooks:delete", args=[endpoint.pk])
    assert "webhook-delete" in client.get(delete).content.decode()
    assert client.post(delete).status_code == 302
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()
    assert AuditEvent.objects.filter(reason=f"deleted: {endpoint.url}").exists()


def test_an_admin_redelivers_an_event(client, cast, endpoint):
    endpoint, delivery = endpoint
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed")
    login(client, cast.admin)
    response = client.post(reverse("webhooks:redeliver", args=[endpoint.pk, delivery.pk]))
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING


def test_the_deliveries_page_costs_the_same_queries_for_3_or_60_rows(
    client, cast, endpoint, django_assert_num_queries
):
    endpoint, _ = endpoint
    detail = reverse("webhooks:detail", args=[endpoint.pk])
    login(client, cast.admin)
    client.get(detail)
    for count in (3, 60):
        while endpoint.deliveries.count() < count:
            webhook_emit(cast.reseller, "link.active", ("link", endpoint.deliveries.count()), {})
        # session, user, membership with reseller, the endpoint, the capped count, the rows
        with django_assert_num_queries(6):
            response = client.get(detail)
        assert response.status_code == 200
    page = response.content.decode()
    assert page.count("Redeliver") == 25 and "after=" in page
    register(cast, None, url=endpoint.url)
    # session, user, membership with reseller, the endpoints with what each is still owed
    with django_assert_num_queries(4):
        assert client.get(LIST).status_code == 200
