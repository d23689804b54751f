"""Idempotency-Key: the same call twice creates once; the same key with another body is 409."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.utils import timezone

from accounts.models import IdempotencyRecord
from linking.api.idempotency import idempotency_purge
from linking.models import LinkRequest

BODY = {"items": [{"link_type": "billing"}]}


def _body(cast, **extra):
    return {"account_id": cast.customer.account_id, **BODY, **extra}


def test_a_retried_create_returns_the_first_answer_and_creates_nothing_twice(cast, initiator_api):
    first = initiator_api.post("/api/v1/requests/", _body(cast), HTTP_IDEMPOTENCY_KEY="k-1")
    again = initiator_api.post("/api/v1/requests/", _body(cast), HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again["Idempotent-Replayed"] == "true"
    assert again["Location"] == first["Location"]
    assert LinkRequest.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(cast, initiator_api):
    initiator_api.post("/api/v1/requests/", _body(cast), HTTP_IDEMPOTENCY_KEY="k-2")
    other = initiator_api.post(
        "/api/v1/requests/", _body(cast, ticket_reference="X"), HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert other.status_code == 409 and other.json()["code"] == "API-I001"
    assert LinkRequest.objects.count() == 1


def test_a_refusal_is_replayed_too(cast, initiator_api):
    req = initiator_api.post("/api/v1/requests/", _body(cast)).json()
    url = f"/api/v1/requests/{req['id']}/cancel/"
    assert initiator_api.post(url, HTTP_IDEMPOTENCY_KEY="c").status_code == 200
    again = initiator_api.post(url, HTTP_IDEMPOTENCY_KEY="c")
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    fresh = initiator_api.post(url, HTTP_IDEMPOTENCY_KEY="c2")
    assert fresh.status_code == 409 and fresh.json()["code"] == "LNK-S001"


def test_keys_are_per_api_key(cast, initiator_api):
    from tests.api.conftest import Api, make_key

    other = Api(make_key(cast, "initiator"))
    initiator_api.post("/api/v1/requests/", _body(cast), HTTP_IDEMPOTENCY_KEY="same")
    assert (
        other.post("/api/v1/requests/", _body(cast), HTTP_IDEMPOTENCY_KEY="same").status_code == 201
    )
    assert LinkRequest.objects.count() == 2


def test_a_key_lives_a_day(cast, initiator_api):
    initiator_api.post("/api/v1/requests/", _body(cast), HTTP_IDEMPOTENCY_KEY="day")
    with time_machine.travel(timezone.now() + dt.timedelta(hours=25)):
        later = initiator_api.post(
            "/api/v1/requests/", _body(cast, ticket_reference="T"), HTTP_IDEMPOTENCY_KEY="day"
        )
        assert later.status_code == 201
        assert LinkRequest.objects.count() == 2
    with time_machine.travel(timezone.now() + dt.timedelta(hours=50)):
        assert idempotency_purge() == 1
    assert not IdempotencyRecord.objects.exists()


def test_an_unusable_key_is_refused(cast, initiator_api):
    response = initiator_api.post("/api/v1/requests/", _body(cast), HTTP_IDEMPOTENCY_KEY="x" * 300)
    assert response.status_code == 400 and response.json()["code"] == "API-I002"
    assert not LinkRequest.objects.exists()


def test_a_read_is_never_stored(cast, initiator_api):
    response = initiator_api.get("/api/v1/requests/", HTTP_IDEMPOTENCY_KEY="read")
    assert response.status_code == 200 and not IdempotencyRecord.objects.exists()
