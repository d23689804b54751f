"""The sign-in's queries do not grow with the reseller's members or domains."""

from __future__ import annotations

import pytest

from accounts.models import Role
from accounts.services import membership_add
from tests.factories import UserFactory
from tests.sso.conftest import configure, sign_in_at_provider
from tests.sso.test_sign_in import _come_back, _start

pytestmark = pytest.mark.django_db

# The same at both sizes (22 today: the session, the login and its signals, the lookups).
BUDGET = 24


def _grow(cast, size: int) -> None:
    for n in range(size):
        email = f"member{n}@northwind.example"
        UserFactory(email=email, username=email)
        membership_add(
            actor=None, reseller=cast.reseller, email=email, role=Role.VIEWER, check_actor=False
        )


@pytest.mark.parametrize("size", [0, 25])
def test_start_and_callback_stay_within_budget(
    client, cast, openid_provider, django_assert_max_num_queries, size
):
    _grow(cast, size)
    configure(
        cast,
        openid_provider,
        domains=["northwind.example", *[f"d{n}.example" for n in range(size)]],
    )
    with django_assert_max_num_queries(BUDGET):
        location = _start(client)
    back = sign_in_at_provider(location, "admin")
    with django_assert_max_num_queries(BUDGET):
        response = _come_back(client, back)
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == cast.admin.pk
