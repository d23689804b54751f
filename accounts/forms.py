"""Input of the account pages: validated and normalised here, acted on by the services."""

from __future__ import annotations

from django import forms

from accounts.models import Role
from portal.identifiers import IdentifierEmailField


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
