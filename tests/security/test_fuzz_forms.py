"""Property-based tests of every form of the project: each is built as its page builds it and
given arbitrary data, and none is left out.

Never a 500 (the test client re-raises a view's exception), and a refused input writes nothing.
The world is built once per module (tests/security/conftest.py).
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from django import forms
from django.test import RequestFactory
from hypothesis import given

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
from linking.views.funnel import FunnelPeriodForm
from linking.webhooks.forms import EnabledForm, WebhookEndpointForm
from tests.security.fuzz import FUZZ_FORMS, bodies
from tests.security.fuzz_harness import _count, _no_nul, _timed

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


def test_every_form_of_the_project_is_fuzzed():
    missing = sorted(set(project_forms()) - set(FORM_BUILDERS))
    assert not missing, (
        f"forms nobody fuzzes: {missing}; "
        "add each to FORM_BUILDERS in tests/security/test_fuzz_forms.py"
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
