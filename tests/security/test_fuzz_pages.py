"""Property-based tests of the pages of the portal: the query strings of the list pages, the
path arguments of the object pages, and arbitrary POST bodies to every form page.

Never a 500 (the test client re-raises a view's exception), and a refused input writes nothing.
The world is built once per module (tests/security/conftest.py).
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.messages import constants as message_levels
from django.db import connection, transaction
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.security.fuzz import FUZZ, bodies, text
from tests.security.fuzz_harness import _client, _count, _run, _send

# --- GET pages: arbitrary path arguments and query strings ------------------------------------

QUERY_PARAMS = [
    "q",
    "status",
    "link_type",
    "waiting_on",
    "customer",
    "initiator",
    "ticket",
    "page",
    "sort",
    "expiring",
    "failing",
    "account_id",
    "outcome",
    "after",
    "before",
]

LIST_PAGES = [
    ("linking:request-list", "viewer"),
    ("linking:link-list", "viewer"),
    ("linking:customer-list", "viewer"),
    ("linking:approval-queue", "approver"),
    ("linking:account-check", "initiator"),
    ("accounts:member-list", "admin"),
    ("portal:dashboard", "viewer"),
    ("portal:error-codes", "anonymous"),
    ("ops:outbox", "staff"),
    ("linking:batch-list", "viewer"),
    ("linking:preset-list", "viewer"),
    ("webhooks:list", "admin"),
    ("linking:request-export", "viewer"),
    ("linking:link-export", "viewer"),
]

_digits = st.one_of(st.integers(min_value=0).map(str), st.integers(1, 400).map(lambda n: "9" * n))
_path_text = text.filter(lambda s: s and "/" not in s)

# URL name -> the argument fuzzed, its strategy, the visitor, the other arguments.
PATH_PAGES = [
    ("consent:receipt", "signed", _path_text, "anonymous", {}),
    ("consent:receipt-download", "signed", _path_text, "anonymous", {}),
    ("consent:receipt-terraform", "signed", _path_text, "anonymous", {}),
    ("linking:receipt-download", "reference", _path_text, "viewer", {}),
    ("linking:request-detail", "pk", _digits, "viewer", {}),
    ("linking:link-detail", "pk", _digits, "viewer", {}),
    ("linking:customer-detail", "pk", _digits, "viewer", {}),
    ("accounts:member-remove", "pk", _digits, "admin", {}),
    ("linking:request-wizard", "step", _digits, "initiator", {"pk": "draft"}),
    ("linking:batch-detail", "pk", _digits, "viewer", {}),
    ("linking:preset-edit", "pk", _digits, "admin", {}),
    ("webhooks:detail", "pk", _digits, "admin", {}),
]


def _ids(targets) -> list[str]:
    """Test ids: the URL name, with the wizard's step where one name has several."""
    ids = [
        f"{t[0]}-step{t[1][1]}" if len(t) > 1 and isinstance(t[1], tuple) else t[0] for t in targets
    ]
    assert len(set(ids)) == len(ids), ids
    return ids


@pytest.mark.parametrize(("name", "visitor"), LIST_PAGES, ids=_ids(LIST_PAGES))
def test_list_pages_answer_any_query_string(world, name, visitor):
    def prop(name, visitor):
        client = _client(world, visitor)
        url = reverse(name)

        @FUZZ
        @given(data=bodies(QUERY_PARAMS))
        def check(data):
            _count(check.target_label)
            with transaction.atomic():
                response = _send(client, "GET", url, data)
                transaction.set_rollback(True)
            assert response.status_code < 500
            assert response.status_code not in (403, 404), response.status_code

        check.target_label = f"{name} ?query"
        return check

    _run(prop(name, visitor))


def _path_urls(name, arg, fixed, world):
    marker = "zzfuzzmarkerzz" if arg != "pk" and arg != "step" else 987654321
    kwargs = {**{k: world.a.requests[v].pk for k, v in fixed.items()}, arg: marker}
    return reverse(name, kwargs=kwargs), str(marker)


@pytest.mark.parametrize("target", PATH_PAGES, ids=_ids(PATH_PAGES))
def test_pages_answer_any_path_argument(world, target):
    def prop(name, arg, values, visitor, fixed):
        client = _client(world, visitor)
        template, marker = _path_urls(name, arg, fixed, world)

        @FUZZ
        @given(value=values)
        def check(value):
            _count(check.target_label)
            url = template.replace(marker, quote(value, safe=""))
            with transaction.atomic():
                response = _send(client, "GET", url)
                transaction.set_rollback(True)
            assert response.status_code < 500

        check.target_label = f"{name} <{arg}>"
        return check

    _run(prop(*target))


# --- every form page: arbitrary POST bodies ---------------------------------------------------

_COUNT_SQL = None


def _write_counts() -> tuple:
    """Rows of every table a write touches (each domain write leaves a history row), in one
    query."""
    global _COUNT_SQL
    if _COUNT_SQL is None:
        tables = [
            m._meta.db_table
            for m in apps.get_models()
            if m._meta.app_label in ("accounts", "linking")
            and (m.__name__.startswith("Historical") or m.__name__ == "Notification")
        ]
        quote_name = connection.ops.quote_name
        # Table names of the project's own models, quoted: no outside input reaches this SQL.
        _COUNT_SQL = "SELECT " + ", ".join(  # noqa: S608
            f"(SELECT COUNT(*) FROM {quote_name(t)})"  # noqa: S608
            for t in tables
        )
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_SQL)
        return cursor.fetchone()


def _refused(response) -> bool:
    if response.status_code >= 400:
        return True
    queued = getattr(getattr(response.wsgi_request, "_messages", None), "_queued_messages", [])
    if any(m.level >= message_levels.ERROR for m in queued):
        return True
    form = (response.context or {}).get("form") if response.status_code == 200 else None
    return bool(form is not None and form.errors)


# URL name -> the object it acts on (a state of the first reseller's requests, "link",
# "membership" or nothing), the visitor, the field names of its form.
POST_PAGES = [
    ("linking:request-new", None, "initiator", []),
    *(
        ("linking:request-wizard", ("draft", step), "initiator", fields)
        for step, fields in [
            (1, ["link_types"]),
            (2, ["account_id"]),
            (
                3,
                [
                    "delegation-services",
                    "delegation-regions",
                    "delegation-access_level",
                    "delegation-duration_days",
                ],
            ),
            (4, ["ticket_reference", "note_to_customer", "consent_days"]),
        ]
    ),
    ("linking:request-submit", "draft", "initiator", []),
    ("linking:request-cancel", "pending_consent", "initiator", ["reason"]),
    ("linking:request-resend", "pending_consent", "initiator", ["contact_email", "extend_days"]),
    ("linking:request-approve", "pending_approval", "approver", ["reason"]),
    ("linking:request-reject", "pending_approval", "approver", ["reason"]),
    ("linking:link-revoke", "link", "approver", ["reason", "confirm_reference"]),
    ("linking:link-verify", "link", "viewer", []),
    ("accounts:member-add", None, "admin", ["email", "role"]),
    ("accounts:invitation-create", None, "admin", ["email", "role"]),
    ("accounts:member-role", "membership", "admin", ["role"]),
    ("accounts:member-remove", "membership", "admin", []),
    ("accounts:switch-reseller", None, "viewer", ["reseller"]),
    ("accounts:password-change", None, "viewer", ["old_password", "new_password1"]),
    ("accounts:login", None, "anonymous", ["username", "password"]),
    ("accounts:password-reset", None, "anonymous", ["email"]),
    ("ops:outbox-requeue", None, "staff", ["id", "all"]),
    ("accounts:step-up", None, "viewer", ["password", "next"]),
    ("accounts:mfa-verify", None, "viewer", ["code", "next"]),
    ("accounts:mfa-totp-add", None, "viewer", ["name", "code", "next"]),
    ("linking:preset-create", None, "admin", ["name", "description", "link_types", "consent_days"]),
    ("linking:preset-edit", "preset", "admin", ["name", "description", "link_types"]),
    ("linking:request-preset", "draft", "initiator", ["preset"]),
    ("linking:batch-confirm", "batch", "initiator", []),
    ("linking:batch-retry", "batch", "initiator", []),
    ("webhooks:edit", "webhook_endpoint", "admin", ["url", "events", "description"]),
    ("webhooks:set-enabled", "webhook_endpoint", "admin", ["enabled"]),
]


def _post_url(name, target, world):
    if target is None:
        return reverse(name)
    if isinstance(target, tuple):
        state, step = target
        return reverse(name, kwargs={"pk": world.a.requests[state].pk, "step": step})
    if target == "link":
        return reverse(name, kwargs={"pk": world.a.link.pk})
    if target == "membership":
        return reverse(name, kwargs={"pk": world.a.membership.pk})
    if target in ("preset", "batch", "webhook_endpoint"):
        return reverse(name, kwargs={"pk": getattr(world.a, target).pk})
    return reverse(name, kwargs={"pk": world.a.requests[target].pk})


@pytest.mark.parametrize("target", POST_PAGES, ids=_ids(POST_PAGES))
def test_form_pages_answer_any_post_body_and_a_refusal_writes_nothing(world, target):
    def prop(name, target, visitor, fields):
        client = _client(world, visitor)
        url = _post_url(name, target, world)
        label = f"{name} POST" + (f" step {target[1]}" if isinstance(target, tuple) else "")

        @FUZZ
        @given(data=bodies(fields))
        def check(data):
            _count(check.target_label)
            with transaction.atomic():
                before = _write_counts()
                response = _send(client, "POST", url, data)
                after = _write_counts()
                transaction.set_rollback(True)
            client.cookies.pop("messages", None)
            if visitor != "anonymous" and settings.SESSION_COOKIE_NAME not in client.cookies:
                client.force_login(next(v.user for v in world.visitors if v.name == visitor))
            assert response.status_code < 500
            if _refused(response):
                assert after == before, f"refused ({response.status_code}) but wrote"

        check.target_label = label
        return check

    _run(prop(*target))
