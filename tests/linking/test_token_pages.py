"""Consent, withdrawal and receipt pages: rate limits, tokens kept secret, silent errors."""

import hashlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from linking import services
from linking.models import Link, LinkRequest, Notification
from linking.services._common import TOKEN_SALT
from portal.views import server_error
from tests.conftest import login, make_draft, submit, withdrawal_code_for
from tests.journeys import pending_consent_with_token
from tests.linking.test_consent_views import _answers, _assert_reveals_nothing

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    def set_rates(*, address="1000/600", token="1000/600"):
        settings.PORTAL_CONSENT_RATE_PER_ADDRESS = address
        settings.PORTAL_CONSENT_RATE_PER_LINK = token

    return set_rates


def consent_url(token):
    return reverse("consent:page", args=[token])


def assert_rate_limited(response, cast):
    assert response.status_code == 429
    assert response["Retry-After"] == "600"
    assert "ACC-S002" in response.content.decode()
    _assert_reveals_nothing(response, cast)


def test_one_address_is_held_to_its_rate_whatever_the_tokens(client, cast, rates):
    rates(address="3/600")
    for n in range(3):
        assert client.get(consent_url(f"guess-{n}")).status_code == 404
    assert_rate_limited(client.get(consent_url("guess-4")), cast)
    # Another address is not affected.
    assert Client(REMOTE_ADDR="192.0.2.9").get(consent_url("guess-5")).status_code == 404


def test_one_token_is_held_to_its_rate_whatever_the_addresses(client, cast, rates):
    rates(token="3/600")
    _req, token = pending_consent_with_token(cast)
    for n in range(3):
        assert Client(REMOTE_ADDR=f"192.0.2.{n + 1}").get(consent_url(token)).status_code == 200
    assert_rate_limited(Client(REMOTE_ADDR="192.0.2.50").get(consent_url(token)), cast)


def test_a_rate_limited_decision_decides_nothing(client, cast, rates):
    rates(token="1/600")
    req, token = pending_consent_with_token(cast)
    assert client.get(consent_url(token)).status_code == 200
    assert_rate_limited(client.post(consent_url(token), _answers(req, "accept")), cast)
    req.refresh_from_db()
    assert req.status == LinkRequest.Status.PENDING_CONSENT


def test_the_limit_lifts_after_the_window(client, cast, rates):
    rates(address="2/600")
    _req, token = pending_consent_with_token(cast)
    client.get(consent_url(token))
    client.get(consent_url(token))
    assert client.get(consent_url(token)).status_code == 429
    with time_machine.travel(timezone.now() + timedelta(seconds=601), tick=False):
        assert client.get(consent_url(token)).status_code == 200


def test_withdrawal_and_receipt_pages_are_rate_limited_too(client, cast, rates):
    rates(address="2/600")
    for name, arg in [("consent:withdraw", "some-token"), ("consent:receipt", "some-receipt")]:
        page = reverse(name, args=[arg])
        assert client.get(page).status_code == 404
        assert client.get(page).status_code == 404
        assert_rate_limited(client.get(page), cast)


def test_behind_the_proxy_the_address_is_the_one_the_proxy_appended(cast, rates, settings):
    rates(address="1/600")
    settings.PORTAL_BEHIND_PROXY = True
    first = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.7")
    assert first.get(consent_url("a")).status_code == 404
    # A forged left-hand entry does not make a new client.
    forged = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="9.9.9.9, 198.51.100.7")
    assert forged.get(consent_url("b")).status_code == 429
    other = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert other.get(consent_url("c")).status_code == 404


def test_when_the_cache_is_down_the_pages_keep_working_unthrottled(cast, rates, settings, caplog):
    rates(address="1/600", token="1/600")
    _req, token = pending_consent_with_token(cast)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_timeout": 0.2, "socket_connect_timeout": 0.2},
        }
    }
    client = Client()
    assert client.get(consent_url(token)).status_code == 200
    assert client.get(consent_url(token)).status_code == 200
    assert "the cache is unavailable" in caplog.text
    assert token not in caplog.text


# --- tokens --------------------------------------------------------------------------------


def test_consent_tokens_are_long_random_and_only_their_hash_is_stored(cast):
    req, token = pending_consent_with_token(cast)
    nonce = signing.TimestampSigner(salt=TOKEN_SALT).unsign_object(token)["n"]
    assert len(nonce) >= 43  # secrets.token_urlsafe(32): 256 random bits
    req.refresh_from_db()
    assert req.consent_token_hash == hashlib.sha256(nonce.encode()).hexdigest()
    rows = [
        *LinkRequest.objects.filter(pk=req.pk).values(),
        *LinkRequest.history.filter(id=req.pk).values(),
        *Notification.objects.filter(request=req).values(),
    ]
    for secret in (token, nonce):
        assert not any(secret in str(value) for row in rows for value in row.values())


def test_no_token_reaches_the_log(client, cast, caplog):
    caplog.set_level("DEBUG")
    req, token = pending_consent_with_token(cast)
    client.get(consent_url(token))
    client.post(consent_url(token), _answers(req, "accept"))
    assert client.get(consent_url(token)).status_code == 410  # used: logged by Django as "Gone"
    client.get(consent_url(token + "x"))
    link = Link.objects.get(reseller=cast.reseller, customer=req.customer)
    withdrawal = services.link_issue_withdrawal_token(link_id=link.pk)
    code = withdrawal_code_for(withdrawal)
    client.post(reverse("consent:withdraw", args=[withdrawal]), {"confirm": "on", "code": code})
    client.get(reverse("consent:withdraw", args=[withdrawal]))  # used: 410
    messages = [record.getMessage() for record in caplog.records]
    assert any("/consent/[redacted]/" in m for m in messages)
    assert any("/consent/withdraw/[redacted]/" in m for m in messages)
    for secret in (token, withdrawal, token.split(":")[0], withdrawal.split(":")[0]):
        assert not any(secret in m for m in messages)


# --- error pages ----------------------------------------------------------------------------


def _without_csrf(content: bytes) -> bytes:
    content = re.sub(rb'"X-CSRFToken": "[^"]*"', b"", content)
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", content)


def test_another_resellers_request_is_the_same_404_as_a_missing_one(client, cast):
    req = submit(cast, make_draft(cast))
    login(client, cast.outsider)
    theirs = client.get(reverse("linking:request-detail", args=[req.pk]))
    missing = client.get(reverse("linking:request-detail", args=[req.pk + 10_000]))
    assert theirs.status_code == missing.status_code == 404
    assert _without_csrf(theirs.content) == _without_csrf(missing.content)
    assert req.reference.encode() not in theirs.content


def test_the_server_error_page_names_nothing_of_the_request(cast):
    request = RequestFactory().get("/requests/1/?note=secret-marker")
    request.user = AnonymousUser()
    request.session = {}
    response = server_error(request)
    assert response.status_code == 500
    assert b"secret-marker" not in response.content
    assert b"Traceback" not in response.content
