"""Input of the account pages: validated and normalised here, acted on by the services."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm, UsernameField
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiKey, Reseller, Role
from portal.identifiers import IdentifierEmailField, IdentifierField, clean_identifier


class LoginForm(AuthenticationForm):
    """People log in with their e-mail address (their user name); it is typed or pasted, so it
    is normalised like every identifier."""

    username = UsernameField(
        label=_("E-mail address"),
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    def clean_username(self) -> str:
        return clean_identifier(self.cleaned_data.get("username"))

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        # A reseller that requires single sign-on refuses its members' passwords.
        from accounts.sso.services import password_login_refusal

        if refusal := password_login_refusal(user):
            raise forms.ValidationError(refusal.as_text(), code=refusal.code)


class MemberAddForm(forms.Form):
    email = IdentifierEmailField(label=_("E-mail address"), max_length=254)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class SwitchResellerForm(forms.Form):
    reseller = forms.IntegerField(min_value=1)


class StepUpForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ApiKeyForm(forms.Form):
    name = IdentifierField(max_length=100, label=_("Name"), help_text=_("What the key is for."))
    role = forms.ChoiceField(choices=ApiKey.KeyRole.choices, label=_("Role"))
    expires_on = forms.DateField(
        required=False,
        label=_("Expires on (optional)"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    allowed_networks = forms.CharField(
        required=False,
        max_length=2000,
        label=_("Allowed client addresses (optional)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("IP addresses or networks, one a line; empty: any address."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")
        self.fields["role"].widget.attrs["class"] = "form-select"

    def networks(self) -> list[str]:
        raw = self.cleaned_data.get("allowed_networks") or ""
        return [p for p in raw.replace(",", "\n").split() if p]


class ResellerSettingsForm(forms.Form):
    """The Settings page: each value in its type; the ranges are checked by the rules of
    accounts.governance, so the page and the service refuse with the same codes."""

    approval_policy = forms.ChoiceField(choices=Reseller.ApprovalPolicy.choices)
    approval_days = forms.IntegerField()
    approval_reminder_hours = forms.IntegerField()
    consent_days = forms.IntegerField()
    consent_reminders = forms.CharField(required=False, max_length=200)
    setup_window_days = forms.IntegerField()
    delegation_days = forms.IntegerField()
    require_mfa = forms.BooleanField(required=False)
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        from accounts.governance import SETTING_NAMES, settings_problems

        data = super().clean() or {}
        values = {name: data[name] for name in SETTING_NAMES if name in data}
        for name, error in settings_problems(values).items():
            self.add_error(name, error.as_text())
        return data


class ActivityFilterForm(forms.Form):
    """The activity log's filters: a date range (days, inclusive), a person, an object kind and
    a kind of change; anything not understood is ignored, never an error page."""

    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    person = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    kind = forms.ChoiceField(required=False)
    change = forms.ChoiceField(required=False)

    def __init__(self, *args, people: list[tuple[int, str]], **kwargs):
        from accounts.activity import CHANGES, KINDS

        super().__init__(*args, **kwargs)
        for name, choices in (
            ("person", people),
            ("kind", list(KINDS.items())),
            ("change", list(CHANGES.items())),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [("", "—"), *choices]


class InviteForm(forms.Form):
    email = IdentifierEmailField(label=_("E-mail address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER)

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class InvitationPasswordForm(SetPasswordForm):
    """A new person's name and password, the password checked against the password policy
    (AUTH_PASSWORD_VALIDATORS) for the user about to be made; saving is the service's."""

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    field_order = ["first_name", "last_name", "new_password1", "new_password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")


class SecondFactorCodeForm(forms.Form):
    """A code from an authenticator app, or one of the recovery codes."""

    code = forms.CharField(
        label=_("Code"),
        max_length=64,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "autofocus": True,
                "class": "form-control",
                "spellcheck": "false",
            }
        ),
        help_text=_("The 6 digits your authenticator app shows, or one of your recovery codes."),
    )


class TotpAddForm(forms.Form):
    name = IdentifierField(
        label=_("Name of the app or phone"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "Phone"}),
    )
    code = forms.CharField(
        label=_("The 6-digit code the app shows now"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "class": "form-control"}
        ),
    )
