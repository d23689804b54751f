"""Property-based tests: arbitrary input to every form, the customer's consent and withdrawal
pages, the receipt links, the query strings of the list pages and every form page, and every
list of the admin (each filter choice, any filter or search value) as staff and as auditor.

Never a 500 (the test client re-raises a view's exception), and a refused input writes nothing.
"""

from __future__ import annotations

import importlib
import pkgutil
import time
from collections import Counter
from urllib.parse import quote, urlencode

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.messages import constants as message_levels
from django.db import connection, transaction
from django.test import Client, RequestFactory
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from accounts.activity import activity_people
from accounts.admin import PortalUserChangeForm
from accounts.audit_admin import TrailFilterForm
from accounts.audit_trail import trail_sources
from accounts.forms import (
    ActivityFilterForm,
    ApiKeyForm,
    InvitationPasswordForm,
    InviteForm,
    LoginForm,
    MemberAddForm,
    MemberRoleForm,
    ResellerSettingsForm,
    SecondFactorCodeForm,
    StepUpForm,
    SwitchResellerForm,
    TotpAddForm,
)
from accounts.models import User
from accounts.sso.forms import IdentityProviderForm, SsoStartForm
from accounts.team_views import TeamMemberForm, TeamNameForm
from linking import forms as linking_forms
from linking import preset_forms
from linking.admin import CustomerAccountForm
from linking.batches import forms as batch_forms
from linking.centre import views as centre_views
from linking.cloud.forms import CloudConnectionForm
from linking.consent.forms import ConsentForm
from linking.consent.withdrawal_views import WithdrawForm
from linking.models import ConsentRecord, Link
from linking.views.funnel import FunnelPeriodForm
from linking.webhooks.forms import EnabledForm, WebhookEndpointForm
from tests.security.fuzz import EXAMPLES, FORM_EXAMPLES, FUZZ, FUZZ_FORMS, bodies, pairs, text
from tests.security.world import World, receipt_link

EXAMPLES_RUN: Counter = Counter()
SECONDS: Counter = Counter()


def _count(target: str) -> None:
    EXAMPLES_RUN[target] += 1


def _timed(target: str, run) -> None:
    started = time.monotonic()
    try:
        run()
    finally:
        SECONDS[target] += time.monotonic() - started


def _report() -> None:
    var = settings.VAR_DIR
    var.mkdir(parents=True, exist_ok=True)
    lines = [
        f"{target}: {n} examples, {SECONDS[target]:.1f} s"
        for target, n in sorted(EXAMPLES_RUN.items())
    ]
    (var / "fuzz-report.txt").write_text(
        f"max_examples per page: {EXAMPLES}, per form: {FORM_EXAMPLES}\n" + "\n".join(lines) + "\n"
    )


@pytest.fixture
def world(shared_world) -> World:
    # One world for the module (tests/security/conftest.py); every test here is one target,
    # so test processes share them.
    yield shared_world
    _report()


@pytest.fixture
def cast():
    pytest.fail("the tests of this module share one cast: take `world` instead of `cast`")


# --- every form of the project ----------------------------------------------------------------

APPS = ("accounts", "linking", "portal")
# The sandbox cloud is a process of its own with its own settings (its pages are tried over HTTP
# in tests/cloud), not part of the portal.
NOT_IMPORTED = ("migrations", "management", "wsgi", "asgi", "settings", "settings_test", "sandbox")


def project_forms() -> dict[str, type]:
    """Every form class defined in the project's modules, by dotted name."""
    found = {}
    for app in APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
            if any(part in NOT_IMPORTED for part in info.name.split(".")):
                continue
            module = importlib.import_module(info.name)
            for value in vars(module).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, forms.BaseForm)
                    and value.__module__ == module.__name__
                ):
                    found[f"{value.__module__}.{value.__qualname__}"] = value
    return found


def _draft_items(world):
    return list(world.a.requests["draft"].items.all())


def _consent_items(world):
    return list(world.a.requests["pending_consent"].items.all())


# Form -> how a page builds it from posted data (the arguments the view passes).
FORM_BUILDERS = {
    "accounts.forms.MemberAddForm": lambda w, d: MemberAddForm(d),
    "accounts.forms.InviteForm": lambda w, d: InviteForm(d),
    # A new person's password, checked against the policy for the user about to be made.
    "accounts.forms.InvitationPasswordForm": lambda w, d: InvitationPasswordForm(
        User(username="new@example.com", email="new@example.com"), d
    ),
    "accounts.forms.ApiKeyForm": lambda w, d: ApiKeyForm(d),
    "accounts.forms.LoginForm": lambda w, d: LoginForm(
        RequestFactory().post("/accounts/login/"), data=d
    ),
    "accounts.forms.MemberRoleForm": lambda w, d: MemberRoleForm(d),
    "accounts.team_views.TeamNameForm": lambda w, d: TeamNameForm(d),
    "accounts.sso.forms.SsoStartForm": lambda w, d: SsoStartForm(d),
    "accounts.sso.forms.IdentityProviderForm": lambda w, d: IdentityProviderForm(d),
    "linking.views.funnel.FunnelPeriodForm": lambda w, d: FunnelPeriodForm(d),
    "accounts.team_views.TeamMemberForm": lambda w, d: TeamMemberForm(d),
    "accounts.forms.ResellerSettingsForm": lambda w, d: ResellerSettingsForm(d),
    "accounts.forms.ActivityFilterForm": lambda w, d: ActivityFilterForm(
        d, people=activity_people(reseller=w.a.reseller)
    ),
    "accounts.forms.SwitchResellerForm": lambda w, d: SwitchResellerForm(d),
    "linking.forms.FilterForm": lambda w, d: linking_forms.FilterForm(d),
    "linking.forms.RequestFilterForm": lambda w, d: linking_forms.RequestFilterForm(
        d, reseller=w.a.reseller
    ),
    "linking.forms.LinkFilterForm": lambda w, d: linking_forms.LinkFilterForm(d),
    "linking.forms.SearchForm": lambda w, d: linking_forms.SearchForm(d),
    "linking.forms.TypesForm": lambda w, d: linking_forms.TypesForm(d, reseller=w.a.reseller),
    "linking.forms.CustomerForm": lambda w, d: linking_forms.CustomerForm(d),
    "linking.forms.ScopeForm": lambda w, d: linking_forms.ScopeForm(
        d, items=_draft_items(w), reseller=w.a.reseller
    ),
    "linking.forms.TeamsForm": lambda w, d: linking_forms.TeamsForm(d, reseller=w.a.reseller),
    "linking.forms.DetailsForm": lambda w, d: linking_forms.DetailsForm(d),
    "linking.forms.ReasonForm": lambda w, d: linking_forms.ReasonForm(d),
    "linking.forms.ResendForm": lambda w, d: linking_forms.ResendForm(d),
    "linking.consent.forms.ConsentForm": lambda w, d: ConsentForm(
        d, items=_consent_items(w), needs_confirmation=True
    ),
    "linking.consent.withdrawal_views.WithdrawForm": lambda w, d: WithdrawForm(d),
    "linking.centre.views.EmailForm": lambda w, d: centre_views.EmailForm(d),
    "linking.centre.views.CodeForm": lambda w, d: centre_views.CodeForm(d),
    "accounts.forms.StepUpForm": lambda w, d: StepUpForm(d),
    "accounts.forms.SecondFactorCodeForm": lambda w, d: SecondFactorCodeForm(d),
    "accounts.forms.TotpAddForm": lambda w, d: TotpAddForm(d),
    "accounts.audit_admin.TrailFilterForm": lambda w, d: TrailFilterForm(
        d, sources=trail_sources(), require_dates=True
    ),
    "linking.forms.RequestSearchForm": lambda w, d: linking_forms.RequestSearchForm(d),
    "linking.batches.forms.BatchRowFilterForm": lambda w, d: batch_forms.BatchRowFilterForm(d),
    # The file itself is fuzzed by the upload endpoint's and the reader's property tests.
    "linking.batches.forms.UploadForm": lambda w, d: batch_forms.UploadForm(d),
    "linking.preset_forms.PresetForm": lambda w, d: preset_forms.PresetForm(
        d, reseller=w.a.reseller
    ),
    "linking.preset_forms.ApplyPresetForm": lambda w, d: preset_forms.ApplyPresetForm(
        d, presets=[w.a.preset]
    ),
    "linking.cloud.forms.CloudConnectionForm": lambda w, d: CloudConnectionForm(d, has_keys=True),
    "linking.webhooks.forms.WebhookEndpointForm": lambda w, d: WebhookEndpointForm(d),
    "linking.webhooks.forms.EnabledForm": lambda w, d: EnabledForm(d),
    # The directory admin's form: account ids and names as staff paste them.
    "linking.admin.CustomerAccountForm": lambda w, d: CustomerAccountForm(d),
    # The user admin's form, on a member (who holds a role group the form must keep).
    "accounts.admin.PortalUserChangeForm": lambda w, d: PortalUserChangeForm(
        d, instance=w.a.reseller.memberships.select_related("user").first().user
    ),
}


def _querydict(data: dict):
    from django.http import QueryDict

    qd = QueryDict(mutable=True)
    for key, values in data.items():
        qd.setlist(key, values if isinstance(values, list) else [values])
    return qd


def _no_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, list | tuple | set):
        return all(_no_nul(v) for v in value)
    return True


def test_every_form_of_the_project_is_fuzzed():
    missing = sorted(set(project_forms()) - set(FORM_BUILDERS))
    assert not missing, (
        f"forms nobody fuzzes: {missing}; add each to FORM_BUILDERS in tests/security/test_fuzz.py"
    )
    assert not set(FORM_BUILDERS) - set(project_forms()), "FORM_BUILDERS names a form that is gone"


def _form_property(world, name, build):
    field_names = list(build(world, None).fields)

    @FUZZ_FORMS
    @given(data=bodies(field_names))
    def check(data):
        _count(f"form {name}")
        form = build(world, _querydict(data))
        valid = form.is_valid()
        if hasattr(form, "valid_data"):
            form.valid_data()
        if valid:
            for method in ("scopes", "decisions", "code"):
                if hasattr(form, method):
                    getattr(form, method)()
        # What passes a form reaches the database; PostgreSQL refuses NUL in text.
        assert all(_no_nul(v) for v in form.cleaned_data.values()), form.cleaned_data
        form.as_div()

    return check


@pytest.mark.parametrize("name", list(FORM_BUILDERS))
def test_every_form_validates_arbitrary_input_without_raising(world, name):
    _timed(f"form {name}", _form_property(world, name, FORM_BUILDERS[name]))


# --- the customer's pages, by signed links ----------------------------------------------------


def _send(client, method, url, data=None, **extra):
    """One request, its data form-encoded as a browser sends it (any key, any value). A
    streamed answer (a CSV export) is read to its end, so its rows are produced here."""
    if method == "POST":
        response = client.post(
            url,
            urlencode(pairs(data or {})),
            content_type="application/x-www-form-urlencoded",
            **extra,
        )
    else:
        response = client.get(url, data=pairs(data or {}), **extra)
    if response.streaming:
        b"".join(response.streaming_content)
    return response


def _mutations(token: str):
    return st.one_of(
        st.just(token),
        text,
        st.builds(lambda s: token + s, text),
        st.integers(0, max(len(token) - 1, 0)).map(lambda n: token[:n]),
        st.builds(
            lambda i, c: token[:i] + c + token[i + 1 :],
            st.integers(0, max(len(token) - 1, 0)),
            st.characters(),
        ),
    )


def _consent_state(reqs):
    rows = []
    for req in reqs:
        req.refresh_from_db()
        rows.append((req.status, sorted(req.items.values_list("decision", flat=True))))
    return ConsentRecord.objects.count(), Link.objects.count(), rows


def test_consent_page_answers_any_token_and_body_all_or_nothing(world):
    reqs = [side.requests["pending_consent"] for side in world.sides]
    valid = {side.consent_token: i for i, side in enumerate(world.sides)}
    other_tokens = [world.b.consent_token, world.a.withdrawal_token, receipt_link(world.a)]
    items = list(reqs[0].items.all())
    names = [f"decision_{i.pk}" for i in items] + [f"reason_{i.pk}" for i in items]
    names.extend(["code", "send_code"])
    client = Client()

    @FUZZ
    @given(
        token=st.one_of(_mutations(world.a.consent_token), st.sampled_from(other_tokens)),
        method=st.sampled_from(["GET", "POST"]),
        data=bodies(names),
        agent=text,
    )
    # The decision that goes through, with a User-Agent no browser sends.
    @example(
        token=world.a.consent_token,
        method="POST",
        data={name: "accept" for name in names if name.startswith("decision_")},
        agent="Mozilla\x00",
    )
    def check(token, method, data, agent):
        _count("consent:page")
        url = f"/consent/{quote(token, safe='')}/"
        with transaction.atomic():
            before = _consent_state(reqs)
            response = _send(client, method, url, data, HTTP_USER_AGENT=agent)
            after = _consent_state(reqs)
            transaction.set_rollback(True)
        assert response.status_code < 500
        decided = response.status_code == 302 and "/consent/receipt/" in response["Location"]
        if token in valid and method == "POST" and decided:
            # All of it: one record per item, every item decided, the request moved on.
            i = valid[token]
            n_items = len(before[2][i][1])
            assert after[0] == before[0] + n_items
            status, decisions = after[2][i]
            assert status != before[2][i][0] and "pending" not in decisions
            assert after[2][1 - i] == before[2][1 - i]
        else:
            assert after == before, f"{method} {response.status_code} wrote {before} -> {after}"

    _timed("consent:page", check)


def _withdraw_state(links):
    for link in links:
        link.refresh_from_db()
    return ConsentRecord.objects.count(), [(link.status, link.revoked_at) for link in links]


def test_withdrawal_page_answers_any_token_and_body_all_or_nothing(world):
    links = [side.link for side in world.sides]
    valid = {side.withdrawal_token: i for i, side in enumerate(world.sides)}
    other_tokens = [world.b.withdrawal_token, world.a.consent_token]
    client = Client()

    @FUZZ
    @given(
        token=st.one_of(_mutations(world.a.withdrawal_token), st.sampled_from(other_tokens)),
        method=st.sampled_from(["GET", "POST"]),
        data=bodies(["confirm", "code", "send_code"]),
        agent=text,
    )
    @example(token=world.a.withdrawal_token, method="POST", data={"confirm": "on"}, agent="\x00")
    def check(token, method, data, agent):
        _count("consent:withdraw")
        url = f"/consent/withdraw/{quote(token, safe='')}/"
        with transaction.atomic():
            before = _withdraw_state(links)
            response = _send(client, method, url, data, HTTP_USER_AGENT=agent)
            after = _withdraw_state(links)
            transaction.set_rollback(True)
        assert response.status_code < 500
        if token in valid and method == "POST" and after != before:
            # All of it: the withdrawal record, and the link ended now (delegation).
            i = valid[token]
            assert response.status_code == 200
            assert after[0] == before[0] + 1
            assert after[1][i][0] == "revoked" and after[1][i][1] is not None
            assert after[1][1 - i] == before[1][1 - i]
        else:
            assert after == before, f"{method} {response.status_code} wrote {before} -> {after}"

    _timed("consent:withdraw", check)


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


def _client(world, visitor_name):
    client = Client()
    visitor = next(v for v in world.visitors if v.name == visitor_name)
    if visitor.user is not None:
        client.force_login(visitor.user)
    return client


def _run(check) -> None:
    _timed(check.target_label, check)


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


# --- the admin: every registered ModelAdmin's list, its filters and its search ----------------


def _admin_targets():
    from django.contrib.admin.sites import site

    return sorted(
        (model._meta.app_label, model._meta.model_name, model_admin)
        for model, model_admin in site._registry.items()
    )


def _admin_parameters(client, url) -> tuple[list[str], list[str]]:
    """The list's filter parameter names (with the date drill-down's) and the query string of
    every choice its filters offer, read from the page itself."""
    response = client.get(url)
    assert response.status_code in (200, 403), (url, response.status_code)
    if response.status_code == 403:
        return [], []
    cl = response.context["cl"]
    names, choices = ["q", "o", "p", "e", "all", "_to_field"], []
    for spec in cl.filter_specs:
        names.extend(spec.expected_parameters())
        choices.extend(choice["query_string"] for choice in spec.choices(cl))
    if cl.date_hierarchy:
        names.extend(f"{cl.date_hierarchy}__{part}" for part in ("year", "month", "day"))
    return names, choices


# "app.model" of every list of the admin, and the audit trail.
ADMIN_LISTS = [f"{app}.{model}" for app, model, _ in _admin_targets()] + ["audit trail"]


@pytest.mark.parametrize("target", ADMIN_LISTS)
@pytest.mark.parametrize("visitor", ["staff", "auditor"])
def test_admin_lists_answer_every_filter_choice_and_any_filter_or_search_value(
    world, visitor, target
):
    client = _client(world, visitor)
    # The audit trail's filter form: its field names are its parameters.
    trail_names = ["start", "end", "actor", "reseller", "model", "kind", "p"]

    def prop(label, url):
        if label == "admin audit trail":
            names, choices = trail_names, []
        else:
            names, choices = _admin_parameters(client, url)
        for query in choices:
            response = client.get(url + query)
            assert response.status_code in (200, 302), (url + query, response.status_code)

        @FUZZ
        @given(data=bodies(names or ["q"]))
        @example(data=dict.fromkeys(names or ["q"], "\x00"))
        def check(data):
            _count(check.target_label)
            with transaction.atomic():
                response = _send(client, "GET", url, data)
                transaction.set_rollback(True)
            assert response.status_code < 500
            if not all(_no_nul(pair) for pair in pairs(data)):
                assert response.status_code == 400, "a NUL byte was not refused"

        check.target_label = f"{label} ?query as {visitor}"
        return check

    if target == "audit trail":
        url = reverse("admin:accounts_auditevent_trail")
    else:
        app, model = target.split(".")
        url = reverse(f"admin:{app}_{model}_changelist")
    _run(prop(f"admin {target}", url))
