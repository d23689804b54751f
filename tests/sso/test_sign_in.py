"""Single sign-on against a real OpenID provider (tests/oidc): the code flow with PKCE, state
and nonce, the ID token's checks, and every refusal with its code."""

from __future__ import annotations

import html
import logging
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from joserfc import jwt
from joserfc.jwk import RSAKey

from accounts.current import SESSION_KEY
from accounts.models import AuditEvent, Membership
from accounts.sso import oidc
from accounts.sso.models import IdentityProvider
from accounts.sso.views import METHOD_KEY
from portal.errors import PortalError
from tests.sso.conftest import CLIENT_ID, CLIENT_SECRET, configure, sign_in_at_provider

pytestmark = pytest.mark.django_db


def _start(client, email="admin@northwind.example"):
    response = client.post(reverse("sso:start"), {"email": email})
    assert response.status_code == 200, response.content[:400]
    page = response.content.decode()
    href = re.search(r'id="sso-continue" href="([^"]+)"', page)
    assert href, page[:800]
    return html.unescape(href[1])


def _come_back(client, location):
    parts = urlsplit(location)
    return client.get(f"{parts.path}?{parts.query}")


def _sign_in(client, login, email="admin@northwind.example"):
    return _come_back(client, sign_in_at_provider(_start(client, email), login))


def _refusal_code(response) -> str:
    text = response.content.decode()
    marker = 'data-code="'
    assert marker in text, text[:600]
    return text.split(marker, 1)[1].split('"', 1)[0]


def test_a_member_signs_in_through_the_provider(client, cast, openid_provider):
    configure(cast, openid_provider)
    location = _start(client)
    query = parse_qs(urlsplit(location).query)
    # Authorization code flow with PKCE (S256), a state and a nonce, to the discovered endpoint.
    assert location.startswith(openid_provider.issuer)
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["client_id"] == [CLIENT_ID]
    assert query["state"][0] and query["nonce"][0] and query["code_challenge"][0]
    assert "openid" in query["scope"][0].split()

    response = _come_back(client, sign_in_at_provider(location, "admin"))

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:dashboard")
    assert int(client.session["_auth_user_id"]) == cast.admin.pk
    assert client.session[SESSION_KEY] == cast.reseller.pk
    assert client.session[METHOD_KEY] == "sso"
    assert client.get(reverse("portal:dashboard")).status_code == 200


def test_the_login_page_offers_the_company_sign_in(client, cast):
    page = client.get(reverse("accounts:login")).content.decode()
    assert reverse("sso:start") in page
    assert "Sign in with your company" in page


def test_an_address_no_reseller_covers_is_refused_before_any_provider(client, cast):
    response = client.post(reverse("sso:start"), {"email": "someone@nowhere.example"})
    assert response.status_code == 400
    assert "ACC-O001" in response.content.decode()


def test_a_disabled_provider_signs_nobody_in(client, cast, openid_provider):
    configure(cast, openid_provider, enabled=False)
    response = client.post(reverse("sso:start"), {"email": "admin@northwind.example"})
    assert "ACC-O001" in response.content.decode()


@pytest.mark.parametrize(
    ("login", "code"),
    [
        ("outside", "ACC-O005"),  # the provider vouches for an address in another domain
        ("unverified", "ACC-O006"),  # email_verified is false
        ("stranger", "ACC-O007"),  # a verified address in the domain, but no member
    ],
)
def test_the_provider_answer_is_refused_with_a_stable_code(
    client, cast, openid_provider, login, code
):
    configure(cast, openid_provider)
    response = _sign_in(client, login)
    assert response.status_code == 403
    assert _refusal_code(response) == code
    assert "_auth_user_id" not in client.session


def test_a_person_disabled_at_the_provider_cannot_sign_in(client, cast, openid_provider):
    configure(cast, openid_provider)
    # Still a member of the reseller here: only the provider knows they are disabled, and it
    # refuses to issue tokens for them.
    assert Membership.objects.filter(user=cast.approver, reseller=cast.reseller).exists()
    response = _sign_in(client, "disabled")
    assert response.status_code == 403
    assert _refusal_code(response) == "ACC-O008"
    assert "_auth_user_id" not in client.session


def test_a_refusal_at_the_provider_is_shown(client, cast, openid_provider):
    configure(cast, openid_provider)
    location = sign_in_at_provider(_start(client), "admin", abort=True)
    assert "error=access_denied" in location
    response = _come_back(client, location)
    assert _refusal_code(response) == "ACC-O008"
    assert "access_denied" in response.content.decode()


def test_a_member_no_longer_active_is_refused(client, cast, openid_provider):
    configure(cast, openid_provider)
    cast.admin.is_active = False
    cast.admin.save()
    assert _refusal_code(_sign_in(client, "admin")) == "ACC-O007"


def test_a_provider_presenting_another_issuer_is_refused_when_saved(cast, openid_provider):
    # The same provider reached under another name: its discovery names 127.0.0.1.
    other_name = openid_provider.issuer.replace("127.0.0.1", "localhost")
    with pytest.raises(PortalError) as refused:
        configure(cast, openid_provider, issuer=other_name)
    assert refused.value.code == "ACC-O003"
    assert not IdentityProvider.objects.exists()


def test_a_token_from_another_issuer_is_refused(client, cast, openid_provider):
    configure(cast, openid_provider)
    # The provider's tokens name its issuer; the portal now expects another one.
    IdentityProvider.objects.update(issuer=openid_provider.issuer.replace("127.0.0.1", "localhost"))
    response = _sign_in(client, "admin")
    assert _refusal_code(response) == "ACC-O003"
    assert "_auth_user_id" not in client.session


def test_the_callback_is_used_once_and_only_by_the_browser_that_started(
    client, cast, openid_provider, django_user_model
):
    from django.test import Client

    configure(cast, openid_provider)
    location = sign_in_at_provider(_start(client), "admin")
    # Another browser (no state in its session) cannot finish this sign-in.
    assert _refusal_code(_come_back(Client(), location)) == "ACC-O009"
    assert _come_back(client, location).status_code == 302
    client.logout()
    assert _refusal_code(_come_back(client, location)) == "ACC-O009"


def test_a_sign_in_started_before_a_change_of_the_provider_is_not_finished(
    client, cast, openid_provider
):
    configure(cast, openid_provider)
    location = sign_in_at_provider(_start(client), "admin")
    configure(cast, openid_provider, domains=("northwind.example", "nw.example"))
    assert _refusal_code(_come_back(client, location)) == "ACC-O009"


def test_an_id_token_signed_with_another_key_is_refused(cast, openid_provider):
    provider = configure(cast, openid_provider)
    now = int(time.time())
    claims = {
        "iss": provider.issuer,
        "aud": CLIENT_ID,
        "sub": "admin",
        "iat": now,
        "exp": now + 300,
        "nonce": "n",
        "email": "admin@northwind.example",
        "email_verified": True,
    }
    forged = jwt.encode({"alg": "RS256", "kid": "forged"}, claims, RSAKey.generate_key(2048))
    with pytest.raises(PortalError) as refused:
        oidc.validate_id_token(
            forged,
            issuer=provider.issuer,
            client_id=CLIENT_ID,
            jwks_uri=provider.jwks_uri,
            algorithms=provider.signing_algorithms,
            nonce="n",
        )
    assert refused.value.code == "ACC-O004"


def test_sso_required_refuses_members_passwords_but_not_staff(client, cast, openid_provider):
    configure(cast, openid_provider, required=True)
    response = client.post(
        reverse("accounts:login"),
        {"username": "viewer@northwind.example", "password": "pass-word-1234"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "ACC-O010" in page and "Sign in with your company" in page
    assert "_auth_user_id" not in client.session
    # Platform staff keep their password, even as members of the reseller.
    Membership.objects.create(user=cast.staff, reseller=cast.reseller, role="viewer")
    response = client.post(
        reverse("accounts:login"),
        {"username": cast.staff.username, "password": "pass-word-1234"},
    )
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == cast.staff.pk


def test_without_sso_required_passwords_still_work(client, cast, openid_provider):
    configure(cast, openid_provider, required=False)
    response = client.post(
        reverse("accounts:login"),
        {"username": "viewer@northwind.example", "password": "pass-word-1234"},
    )
    assert response.status_code == 302


def test_the_admin_sets_up_sso_and_the_secret_never_shows_again(
    client, cast, openid_provider, caplog
):
    caplog.set_level(logging.DEBUG)
    client.force_login(cast.admin)
    form = {
        "issuer": openid_provider.issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "domains": "northwind.example\nNW.example",
        "enabled": "on",
        "required": "on",
    }
    response = client.post(reverse("sso:provider-edit"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    provider = IdentityProvider.objects.get(reseller=cast.reseller)
    assert provider.required and provider.enabled
    assert sorted(provider.domains.values_list("domain", flat=True)) == [
        "northwind.example",
        "nw.example",
    ]
    assert provider.token_endpoint.startswith(openid_provider.issuer)
    event = AuditEvent.objects.get(action=AuditEvent.Action.SSO_PROVIDER_CHANGED)
    assert event.actor == cast.admin and event.reseller == cast.reseller
    assert "client secret" in event.reason

    # Change without a secret: the stored one is kept.
    form.update(client_secret="", required="")
    assert client.post(reverse("sso:provider-edit"), form).status_code == 302
    provider.refresh_from_db()
    assert not provider.required
    from accounts.sso.services import client_secret

    assert client_secret(provider) == CLIENT_SECRET

    # And a member signs in with it.
    other = type(client)()
    assert _sign_in(other, "admin").status_code == 302

    pages = [
        client.get(reverse("sso:provider")).content.decode(),
        client.get(reverse("sso:provider-edit")).content.decode(),
        client.get(reverse("accounts:activity")).content.decode(),
    ]
    history = [repr(row.__dict__) for row in provider.history.all()]
    events = [repr(e.__dict__) for e in AuditEvent.objects.all()]
    assert CLIENT_SECRET not in provider.client_secret_encrypted
    for text in [caplog.text, *pages, *history, *events]:
        assert CLIENT_SECRET not in text
    assert openid_provider.issuer in pages[0]


def test_a_domain_of_another_reseller_is_refused(client, cast, openid_provider):
    configure(cast, openid_provider)
    client.force_login(cast.outsider_admin)
    response = client.post(
        reverse("sso:provider-edit"),
        {
            "issuer": openid_provider.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "domains": "northwind.example",
            "enabled": "on",
        },
    )
    assert response.status_code == 400
    assert "ACC-O011" in response.content.decode()


def test_an_unreachable_provider_is_refused_when_saved(client, cast):
    client.force_login(cast.admin)
    response = client.post(
        reverse("sso:provider-edit"),
        {
            "issuer": "http://127.0.0.1:9",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "domains": "northwind.example",
        },
    )
    assert response.status_code == 400
    assert "ACC-O002" in response.content.decode()
    assert not IdentityProvider.objects.exists()


def test_changing_the_provider_needs_a_fresh_password(client, cast, openid_provider, settings):
    client.force_login(cast.admin)
    settings.PORTAL_STEP_UP_MINUTES = 0
    time.sleep(0.01)
    response = client.get(reverse("sso:provider-edit"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:step-up"))


def test_other_roles_cannot_change_the_provider(client, cast):
    client.force_login(cast.viewer)
    assert client.get(reverse("sso:provider-edit")).status_code == 403


def test_the_callback_code_and_state_never_reach_a_log(client, cast, openid_provider, caplog):
    caplog.set_level(logging.DEBUG)
    configure(cast, openid_provider)
    location = sign_in_at_provider(_start(client), "admin")
    query = parse_qs(urlsplit(location).query)
    logging.getLogger("django.server").info('"GET %s HTTP/1.1" 302 0', location)
    assert _come_back(client, location).status_code == 302
    # A replay: refused, logged by Django's request logger with its path.
    _come_back(client, location)
    assert caplog.text
    for secret in (query["code"][0], query["state"][0], CLIENT_SECRET):
        assert secret not in caplog.text
