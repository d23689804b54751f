"""Keys of the test cast's reseller, made through the service the key page calls."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.services import api_key_create
from tests.conftest import _member


class Api:
    """A client that sends the key as a script would."""

    def __init__(self, key: str):
        self.key = key
        self.client = Client()

    def _headers(self, headers: dict | None) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.key}", **(headers or {})}

    def get(self, path: str, data=None, **headers):
        return self.client.get(path, data, **self._headers(headers))

    def post(self, path: str, body=None, **headers):
        return self.client.post(
            path, body or {}, content_type="application/json", **self._headers(headers)
        )


def make_key(cast, role: str, *, actor=None, **kwargs) -> str:
    _, whole = api_key_create(
        actor=actor or cast.admin, reseller=cast.reseller, name=f"{role} key", role=role, **kwargs
    )
    return whole


@pytest.fixture
def second_admin(cast):
    """Another admin: maker-checker needs the approving key to act for another person."""
    user = _member(cast.reseller, "viewer", "second.admin@partners.example")
    from accounts.models import Membership
    from accounts.services import membership_set_role

    membership = Membership.objects.get(user=user, reseller=cast.reseller)
    membership_set_role(actor=cast.admin, membership_id=membership.pk, role="admin")
    return user


@pytest.fixture
def initiator_api(cast) -> Api:
    return Api(make_key(cast, "initiator"))


@pytest.fixture
def viewer_api(cast) -> Api:
    return Api(make_key(cast, "viewer"))


@pytest.fixture
def approver_api(cast, second_admin) -> Api:
    return Api(make_key(cast, "approver", actor=second_admin))
