"""Every error a customer or an operator can meet is a portal page: its code, a plain message
and what to do; none echoes the address (a consent address carries its token)."""

import pytest
from django.test import Client
from django.urls import reverse

from linking.models import ConsentRecord, LinkRequest
from portal.codes import CODES
from portal.errors import PortalError
from tests.conftest import cast_shared_by_the_module, consent_token_for, login, make_draft, submit
from tests.journeys import pending_consent_with_token
from tests.linking.test_consent_views import _answers

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()


def _body(response) -> str:
    return response.content.decode()


def test_a_nul_byte_in_an_admin_list_filter_is_a_400_page(client, cast):
    login(client, cast.staff)
    response = client.get("/admin/linking/linkrequest/", {"status__exact": "\x00"})
    assert response.status_code == 400
    assert "PRT-P002" in _body(response)
    assert "the address" in _body(response)


@pytest.mark.parametrize("query", [{"q": "a\x00b"}, {"x\x00": "1"}, {"status": ["draft", "\x00"]}])
def test_unstorable_characters_in_any_query_parameter_are_refused(client, cast, query):
    login(client, cast.viewer)
    response = client.get(reverse("linking:request-list"), query)
    assert response.status_code == 400
    assert "PRT-P002" in _body(response)


def test_a_nul_byte_in_a_form_field_is_refused_and_writes_nothing(client, cast):
    login(client, cast.initiator)
    draft = make_draft(cast)
    before = draft.ticket_reference
    url = reverse("linking:request-wizard", kwargs={"pk": draft.pk, "step": 4})
    response = client.post(url, {"ticket_reference": "INC\x00-1", "consent_days": "14"})
    assert response.status_code == 400
    assert "PRT-P002" in _body(response)
    draft.refresh_from_db()
    assert draft.ticket_reference == before


def test_a_nul_byte_on_the_consent_page_is_a_customer_page_without_the_token(client, cast):
    req, token = pending_consent_with_token(cast)
    response = client.post(
        reverse("consent:page", args=[token]), _answers(req, "accept", reasons=["x\x00"])
    )
    assert response.status_code == 400
    assert "PRT-P002" in _body(response)
    assert token not in _body(response)
    assert "customer consent" in _body(response)  # the customer's layout, no portal navigation
    assert not ConsentRecord.objects.exists()


def test_a_lost_csrf_cookie_on_the_consent_page_says_reload_and_nothing_recorded(cast):
    req, token = pending_consent_with_token(cast)
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(reverse("consent:page", args=[token]), _answers(req, "accept"))
    assert response.status_code == 403
    body = _body(response)
    assert "PRT-P007" in body
    assert "Reload this page from the link in your e-mail" in body
    assert "nothing was recorded" in body
    assert token not in body and "CSRF verification" not in body
    assert not ConsentRecord.objects.exists()


def test_a_lost_csrf_cookie_on_the_withdrawal_page_says_the_same(cast):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(reverse("consent:withdraw", args=["some-token"]), {"confirm": "on"})
    assert response.status_code == 403
    assert "PRT-P007" in _body(response) and "some-token" not in _body(response)


def test_a_lost_csrf_cookie_in_the_portal_is_a_portal_page(cast):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast.initiator)
    response = browser.post(reverse("linking:request-new"))
    assert response.status_code == 403
    body = _body(response)
    assert "PRT-P006" in body and "Reload the page" in body
    assert "CSRF verification" not in body
    assert not LinkRequest.objects.exists()


def test_a_lost_csrf_cookie_in_the_customer_centre_is_a_customer_page(cast):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(reverse("customer:sign-in"), {"email": cast.customer.contact_email})
    assert response.status_code == 403
    body = _body(response)
    # The customer's layout, and the centre's form is reloaded like any page (no e-mail link).
    assert "customer consent" in body
    assert "PRT-P006" in body and "Reload the page" in body
    assert "CSRF verification" not in body


def test_an_unknown_customer_centre_address_is_a_customer_page(client, cast):
    response = client.get("/customer/nothing-here/")
    assert response.status_code == 404
    assert "PRT-P004" in _body(response) and "customer consent" in _body(response)


def test_not_found_and_forbidden_are_portal_pages_with_a_code(client, cast):
    login(client, cast.viewer)
    forbidden = client.get(reverse("ops:outbox"))
    assert forbidden.status_code == 403 and "PRT-P003" in _body(forbidden)
    missing = client.get("/no-such-page/secret-token-123/")
    assert missing.status_code == 404 and "PRT-P004" in _body(missing)
    assert "secret-token-123" not in _body(missing)


def test_a_server_error_is_a_portal_page_with_a_code(client, cast):
    from portal.views import server_error

    request = client.get("/").wsgi_request
    response = server_error(request)
    assert response.status_code == 500
    assert "PRT-P005" in _body(response) and "Try again" in _body(response)


def test_an_unknown_consent_address_is_a_customer_page(client, cast):
    req = submit(cast, make_draft(cast))
    token = consent_token_for(req) if req.status == "pending_consent" else "tok"
    response = client.get(f"/consent/{token}/nothing-here/")
    assert response.status_code == 404
    assert "customer consent" in _body(response) and token not in _body(response)


@pytest.mark.parametrize(
    "query",
    [
        {"created_at__year": "2147483648"},
        {"created_at__year": "9999"},
        {"created_at__year": "9999", "created_at__month": "12"},
        {"created_at__year": "0"},
    ],
)
def test_an_impossible_date_drill_down_in_an_admin_list_is_not_a_server_error(client, cast, query):
    from django.contrib.admin.sites import site

    login(client, cast.staff)
    lists = [m for m, a in site._registry.items() if a.date_hierarchy]
    assert lists
    for model in lists:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url, query)
        assert response.status_code == 302 and "e=1" in response["Location"], url


def test_an_error_of_the_catalogue_carries_its_stage_message_and_hint():
    error = PortalError("LNK-L004", reference="LK-000001")
    assert (error.code, error.stage) == ("LNK-L004", CODES["LNK-L004"].stage)
    assert "LK-000001" in error.message and error.hint


def test_a_code_outside_the_catalogue_is_refused_where_it_is_raised():
    with pytest.raises(ValueError, match="LNK-X999"):
        PortalError("LNK-X999", "Something went wrong.")


def test_a_method_a_page_does_not_take_is_a_portal_page_with_its_allow_header(client, cast):
    login(client, cast.initiator)
    response = client.get(reverse("linking:request-new"))
    assert response.status_code == 405
    assert "PRT-P008" in _body(response)
    assert "does not answer a GET request" in _body(response)
    assert response["Allow"] == "POST"
    assert "Content-Security-Policy" in response
    assert response["X-Frame-Options"] == "DENY"


def test_a_method_the_consent_page_does_not_take_is_a_customer_page_without_the_token(cast):
    token = pending_consent_with_token(cast)[1]
    response = Client().generic("BREW", reverse("consent:page", args=[token]))
    assert response.status_code == 405
    body = _body(response)
    assert "PRT-P008" in body
    assert "does not answer this kind of request" in body
    assert "BREW" not in body
    assert token not in body
