"""API keys: the admins' page (step-up, shown once, audit event), and what a key may do."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiKey, AuditEvent
from accounts.services import api_key_create, api_key_revoke
from accounts.stepup import SESSION_KEY as STEP_UP_AT
from portal.errors import PortalError
from tests.api.conftest import Api, make_key


def _create(client, **fields):
    data = {"name": "CRM sync", "role": "initiator", **fields}
    return client.post(reverse("accounts:api-key-create"), data)


def test_an_admin_makes_a_key_that_is_shown_once_and_stored_hashed(client, cast):
    client.force_login(cast.admin)
    response = _create(client, allowed_networks="203.0.113.7\n198.51.100.0/24")
    assert response.status_code == 201
    body = response.content.decode()
    key = ApiKey.objects.get()
    whole = body.split('<code class="user-select-all">')[1].split("</code>")[0]
    assert whole.startswith(f"prt_{key.prefix}_") and whole.split("_", 2)[2] not in key.hashed_key
    assert key.allowed_networks == ["198.51.100.0/24", "203.0.113.7/32"]
    assert "no-store" in response["Cache-Control"]
    assert whole not in client.get(reverse("accounts:api-key-list")).content.decode()
    event = AuditEvent.objects.get(action="api_key_created")
    assert event.actor == cast.admin and event.reseller == cast.reseller
    history = key.history.get()
    assert not hasattr(history, "hashed_key") and history.history_user == cast.admin


def test_making_a_key_asks_for_the_password_when_it_is_old(client, cast):
    client.force_login(cast.admin)
    session = client.session
    session[STEP_UP_AT] = time.time() - 3600
    session.save()
    response = _create(client)
    assert response.status_code == 302 and reverse("accounts:step-up") in response["Location"]
    assert not ApiKey.objects.exists()


def test_other_roles_cannot_make_keys(client, cast):
    client.force_login(cast.initiator)
    assert _create(client).status_code == 403
    with pytest.raises(PortalError) as refused:
        api_key_create(actor=cast.initiator, reseller=cast.reseller, name="x", role="viewer")
    assert refused.value.code == "ACC-M004"


def test_a_bad_address_list_is_refused_with_its_code(client, cast):
    client.force_login(cast.admin)
    response = _create(client, allowed_networks="not-an-address")
    assert response.status_code == 400 and "API-K006" in response.content.decode()


def test_revoking_asks_to_confirm_and_stops_the_key_at_once(client, cast):
    whole = make_key(cast, "viewer")
    api = Api(whole)
    assert api.get("/api/v1/links/").status_code == 200
    key = ApiKey.objects.get()
    client.force_login(cast.admin)
    url = reverse("accounts:api-key-revoke", args=[key.pk])
    assert "Revoke the key" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    refused = api.get("/api/v1/links/")
    assert refused.status_code == 401 and refused.json()["code"] == "API-K002"
    assert refused["WWW-Authenticate"] == "Bearer"
    assert AuditEvent.objects.filter(action="api_key_revoked", actor=cast.admin).count() == 1


def test_another_resellers_key_page_is_not_found(client, cast):
    _, _ = api_key_create(actor=cast.outsider_admin, reseller=cast.other, name="x", role="viewer")
    theirs = ApiKey.objects.get()
    client.force_login(cast.admin)
    assert client.get(reverse("accounts:api-key-revoke", args=[theirs.pk])).status_code == 404


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer prt_nope", "Token prt_12345678_" + "a" * 43, "Bearer " + "x" * 300],
)
def test_a_missing_or_unknown_key_is_a_401_with_its_code(db, header):
    from django.test import Client

    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = Client().get("/api/v1/links/", **extra)
    assert response.status_code == 401 and response.json()["code"] == "API-K001"


def test_a_guessed_secret_of_a_real_prefix_is_refused(cast):
    whole = make_key(cast, "viewer")
    scheme, prefix, secret = whole.split("_", 2)
    guessed = Api(f"{scheme}_{prefix}_{'A' * len(secret)}")
    assert guessed.get("/api/v1/links/").json()["code"] == "API-K001"


def test_an_expired_key_is_refused(cast):
    api = Api(make_key(cast, "viewer", expires_at=timezone.now() + dt.timedelta(days=1)))
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        response = api.get("/api/v1/links/")
    assert response.status_code == 401 and response.json()["code"] == "API-K003"


def test_a_key_works_only_from_its_allowed_addresses(cast):
    api = Api(make_key(cast, "viewer", allowed_networks=["203.0.113.0/24"]))
    refused = api.get("/api/v1/links/")
    assert refused.status_code == 401 and refused.json()["code"] == "API-K004"
    assert api.get("/api/v1/links/", REMOTE_ADDR="203.0.113.9").status_code == 200


def test_a_key_stops_when_its_maker_leaves_the_reseller(cast):
    from accounts.models import Membership
    from accounts.services import membership_remove, membership_set_role
    from tests.conftest import _member

    maker = _member(cast.reseller, "viewer", "leaving.admin@partners.example")
    membership = Membership.objects.get(user=maker, reseller=cast.reseller)
    membership_set_role(actor=cast.admin, membership_id=membership.pk, role="admin")
    api = Api(make_key(cast, "initiator", actor=maker))
    assert api.get("/api/v1/links/").status_code == 200
    membership_remove(actor=cast.admin, membership_id=membership.pk)
    refused = api.get("/api/v1/links/")
    assert refused.status_code == 401 and refused.json()["code"] == "API-K005"


def test_a_key_records_its_last_use(cast):
    api = Api(make_key(cast, "viewer"))
    assert ApiKey.objects.get().last_used_at is None
    api.get("/api/v1/codes/")
    assert ApiKey.objects.get().last_used_at is not None
    assert ApiKey.history.count() == 1  # a use is not a change of the key


def test_calls_beyond_the_rate_get_429_with_retry_after(cast, settings):
    settings.PORTAL_API_RATE = "3/60"
    api = Api(make_key(cast, "viewer"))
    answers = [api.get("/api/v1/codes/") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].json()["code"] == "API-R001"
    assert 1 <= int(answers[-1]["Retry-After"]) <= 60
    # Another key has a count of its own.
    assert Api(make_key(cast, "viewer")).get("/api/v1/codes/").status_code == 200


def test_revoking_twice_changes_nothing(cast):
    make_key(cast, "viewer")
    key = ApiKey.objects.get()
    first = api_key_revoke(actor=cast.admin, reseller=cast.reseller, key_id=key.pk).revoked_at
    again = api_key_revoke(actor=cast.admin, reseller=cast.reseller, key_id=key.pk).revoked_at
    assert first == again and AuditEvent.objects.filter(action="api_key_revoked").count() == 1
