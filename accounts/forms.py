"""Input of the account pages: validated and normalised here, acted on by the services."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UsernameField

from accounts.models import Role
from portal.identifiers import IdentifierEmailField, clean_identifier


class LoginForm(AuthenticationForm):
    """People log in with their e-mail address (their user name); it is typed or pasted, so it
    is normalised like every identifier."""

    username = UsernameField(
        label="E-mail address",
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    def clean_username(self) -> str:
        return clean_identifier(self.cleaned_data.get("username"))


class MemberAddForm(forms.Form):
    email = IdentifierEmailField(label="E-mail address", max_length=254)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class SwitchResellerForm(forms.Form):
    reseller = forms.IntegerField(min_value=1)


class StepUpForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
