"""Input of the single sign-on pages: validated and normalised here, acted on by the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.sso.services import clean_domains
from portal.errors import PortalError
from portal.identifiers import IdentifierEmailField


class SsoStartForm(forms.Form):
    email = IdentifierEmailField(
        label=_("Work e-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class IdentityProviderForm(forms.Form):
    issuer = forms.URLField(
        label=_("Issuer URL"),
        max_length=300,
        assume_scheme="https",
        help_text=_("As the provider publishes it, e.g. https://login.example.com/realms/staff."),
    )
    client_id = forms.CharField(label=_("Client id"), max_length=200)
    client_secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        strip=True,
        max_length=500,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    domains = forms.CharField(
        label=_("Allowed e-mail domains"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, e.g. example.com. Only addresses in these domains sign in."),
    )
    enabled = forms.BooleanField(
        label=_("Members may sign in through the provider"), required=False
    )
    required = forms.BooleanField(
        label=_("Require single sign-on: refuse passwords for members (not platform staff)"),
        required=False,
    )

    def __init__(self, *args, has_secret: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_secret = has_secret
        if has_secret:
            self.fields["client_secret"].help_text = _(
                "Stored encrypted and never shown; leave empty to keep the stored secret."
            )
        else:
            self.fields["client_secret"].help_text = _("Stored encrypted and never shown again.")

    def clean_issuer(self) -> str:
        return self.cleaned_data["issuer"].strip().rstrip("/")

    def clean_domains(self) -> list[str]:
        try:
            return clean_domains(self.cleaned_data["domains"])
        except PortalError as error:
            raise forms.ValidationError(error.as_text()) from None

    def clean(self):
        cleaned = super().clean() or {}
        if not self.has_secret and not cleaned.get("client_secret"):
            self.add_error("client_secret", PortalError("ACC-O013").as_text())
        return cleaned
