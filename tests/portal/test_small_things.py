"""What a user notices first: names in the admin, the favicon, the login form's words."""

import re

import pytest
from django.apps import apps
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.forms import LoginForm
from tests.conftest import PASSWORD


def test_every_model_has_a_proper_plural_in_the_admin():
    wrong = [
        m._meta.label
        for m in apps.get_models()
        if m._meta.app_label in ("accounts", "linking")
        and re.search(r"(chs|shs|sss|xs|[^aeiou]ys)$", str(m._meta.verbose_name_plural))
    ]
    assert not wrong


def test_the_admin_index_says_batches(client, cast):
    client.force_login(cast.staff)
    body = client.get(reverse("admin:index")).content.decode()
    assert "Batches" in body and "Batchs" not in body


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/", "/help/error-codes/"])
def test_every_layout_links_its_icon(url):
    body = Client().get(url).content.decode()
    assert 'rel="icon"' in body and "portal/favicon.svg" in body


def test_the_consent_layout_links_its_icon(client):
    body = client.get(reverse("consent:page", args=["not-a-token"])).content.decode()
    assert 'rel="icon"' in body


def test_favicon_ico_answers_anonymous_visitors(db):
    response = Client().get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("portal/favicon.svg")


def test_the_login_form_asks_for_the_e_mail_address(client, cast):
    body = client.get(reverse("accounts:login")).content.decode()
    assert "E-mail address" in body and "Username" not in body


def test_the_login_takes_an_e_mail_pasted_with_invisible_characters(client, cast):
    response = client.post(
        reverse("accounts:login"),
        {"username": "\u200b" + cast.viewer.email + "\u00a0", "password": PASSWORD},
    )
    assert response.status_code == 302
    data = {"username": "\ufeffnobody@example.com\u200b", "password": "x"}
    form = LoginForm(RequestFactory().post("/accounts/login/"), data=data)
    assert not form.is_valid()
    assert form.cleaned_data["username"] == "nobody@example.com"
