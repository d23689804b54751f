"""Login lockout (django-axes) per user name and address, and the password rules."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD, cast_shared_by_the_module

pytestmark = pytest.mark.django_db

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

LOGIN = reverse("accounts:login")


@pytest.fixture
def limit(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    return 3


def attempt(client, user, password, address="10.0.0.1"):
    return client.post(
        LOGIN, {"username": user.username, "password": password}, REMOTE_ADDR=address
    )


def fail(client, user, times, address="10.0.0.1"):
    for _ in range(times):
        attempt(client, user, "wrong-password", address)


def test_lockout_after_the_limit_shows_a_clear_page(client, cast, limit):
    fail(client, cast.admin, limit - 1)
    response = attempt(client, cast.admin, "wrong-password")
    assert response.status_code == 429
    page = response.content.decode()
    assert "ACC-S001" in page
    assert "15 minutes" in page
    assert cast.admin.username not in page and cast.admin.email not in page


def test_locked_out_means_even_the_right_password_is_refused(client, cast, limit):
    fail(client, cast.admin, limit)
    response = attempt(client, cast.admin, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_user_name_and_address(client, cast, limit):
    fail(client, cast.admin, limit, address="10.0.0.1")
    # The same person from another address, and another user from the attacker's address.
    assert attempt(client, cast.admin, PASSWORD, address="10.0.0.2").status_code == 302
    client.logout()
    assert attempt(client, cast.viewer, PASSWORD, address="10.0.0.1").status_code == 302


def test_lockout_ends_after_the_cool_off(client, cast, limit):
    fail(client, cast.admin, limit)
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        assert attempt(client, cast.admin, PASSWORD).status_code == 302


def test_a_successful_login_clears_the_count(client, cast, limit):
    fail(client, cast.admin, limit - 1)
    assert attempt(client, cast.admin, PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username=cast.admin.username).exists()
    client.logout()
    fail(client, cast.admin, limit - 1)
    assert attempt(client, cast.admin, PASSWORD).status_code == 302


def test_unknown_user_names_lock_out_the_same_way(client, cast, limit):
    # The page must not tell an existing account from a made-up one.
    class Nobody:
        username = "no-such-user@example.com"

    fail(client, Nobody, limit - 1)
    response = attempt(client, Nobody, "wrong-password")
    assert response.status_code == 429
    assert "ACC-S001" in response.content.decode()


def test_failed_attempts_do_not_store_the_password(client, cast, limit):
    attempt(client, cast.admin, "my-secret-guess-123")
    row = AccessAttempt.objects.get(username=cast.admin.username)
    assert "my-secret-guess-123" not in row.post_data


@pytest.mark.parametrize(
    "password",
    ["short-pw1", "123456789012345", "password1234", "admin.northwind"],
    ids=["too-short", "numeric", "common", "like-the-email"],
)
def test_weak_passwords_are_refused(cast, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=cast.admin)


def test_a_long_unusual_password_is_accepted(cast):
    validate_password("correct horse battery staple 42", user=cast.admin)


def test_a_user_name_longer_than_any_address_is_refused_without_a_server_error(client, cast):
    response = client.post(LOGIN, {"username": "a" * 1000 + "@example.com", "password": "x"})
    assert response.status_code == 200
    assert all(len(a.username or "") <= 254 for a in AccessAttempt.objects.all())


def test_invisible_characters_in_the_user_name_count_toward_the_same_lockout(client, cast, limit):
    hidden = cast.approver.username[:2] + "\u200b" + cast.approver.username[2:]
    for _ in range(limit - 1):
        client.post(LOGIN, {"username": hidden, "password": "wrong"}, REMOTE_ADDR="10.0.0.1")
    attempt(client, cast.approver, "wrong")
    assert attempt(client, cast.approver, PASSWORD).status_code == 429
