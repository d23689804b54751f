"""Input of the Cloud connection page: validated and normalised, nothing saved here."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from linking import identity

ACCESS_KEY_RX = re.compile(r"^[A-Za-z0-9]{16,64}$")
SECRET_KEY_RX = re.compile(r"^[A-Za-z0-9]{20,64}$")
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
_url = URLValidator(schemes=["http", "https"])


def clean_endpoint(value: str, *, placeholder: bool = False) -> str:
    """An https address (http only on this machine, for the sandbox cloud), no trailing
    slash; with `placeholder`, `{region}` may stand for the region."""
    value = value.strip().rstrip("/")
    probe = value.replace("{region}", "region") if placeholder else value
    try:
        _url(probe)
    except ValidationError:
        raise ValidationError(
            "Enter a full address, such as https://iam.myhuaweicloud.com."
        ) from None
    parts = urlsplit(probe)
    if parts.scheme != "https" and parts.hostname not in LOOPBACK_HOSTS:
        raise ValidationError("Use https: the cloud is reached over TLS.")
    if parts.query or parts.fragment or parts.username:
        raise ValidationError("Enter the address without a query, fragment or user name.")
    return value


class _Secret(forms.CharField):
    # Never rendered back into the page: the browser's field stays empty after an error too.
    widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})


class CloudConnectionForm(forms.Form):
    partner_domain_id = forms.CharField(
        label=_("Partner account id"),
        max_length=64,
        help_text=_(
            "The account id of your partner account (32 characters, 0-9 and a-f), "
            "shown under My Credentials in the cloud console."
        ),
    )
    partner_account_name = forms.CharField(label=_("Partner account name"), max_length=64)
    access_key = _Secret(
        label=_("Access key id"),
        required=False,
        max_length=64,
        help_text=_("An access key of the partner account. Never shown again once saved."),
    )
    secret_key = _Secret(
        label=_("Secret access key"),
        required=False,
        max_length=64,
        help_text=_("Stored encrypted; never shown again."),
    )
    bss_endpoint = forms.CharField(label=_("BSS endpoint"), max_length=200)
    iam_endpoint = forms.CharField(label=_("IAM endpoint"), max_length=200)
    ecs_endpoint = forms.CharField(
        label=_("ECS endpoint"),
        max_length=200,
        help_text=_("{region} stands for the region of each call."),
    )
    invitation_url = forms.CharField(
        label=_("Customer-association invitation link"),
        max_length=500,
        required=False,
        help_text=_("The link your partner account gives customers to accept the association."),
    )

    def __init__(self, *args, has_keys: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_keys = has_keys
        if has_keys:
            for name in ("access_key", "secret_key"):
                self.fields[name].help_text += " Leave empty to keep the stored key."
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")

    def clean_partner_domain_id(self) -> str:
        # A partner account is identified as a customer account is (`linking.identity`).
        value, refused = identity.parse_account_id(self.cleaned_data["partner_domain_id"])
        if refused:
            raise ValidationError("An account id is 32 characters of 0-9 and a-f.")
        return value

    def clean_partner_account_name(self) -> str:
        value, refused = identity.parse_account_name(self.cleaned_data["partner_account_name"])
        if refused or not value:
            raise ValidationError("Letters, digits, '_', '.' or '-', at most 64.")
        return value

    def clean_access_key(self) -> str:
        value = self.cleaned_data["access_key"].strip()
        if value and not ACCESS_KEY_RX.match(value):
            raise ValidationError("An access key id is 16 to 64 letters and digits.")
        return value

    def clean_secret_key(self) -> str:
        value = self.cleaned_data["secret_key"].strip()
        if value and not SECRET_KEY_RX.match(value):
            raise ValidationError("A secret access key is 20 to 64 letters and digits.")
        return value

    def clean_bss_endpoint(self) -> str:
        return clean_endpoint(self.cleaned_data["bss_endpoint"])

    def clean_iam_endpoint(self) -> str:
        return clean_endpoint(self.cleaned_data["iam_endpoint"])

    def clean_ecs_endpoint(self) -> str:
        return clean_endpoint(self.cleaned_data["ecs_endpoint"], placeholder=True)

    def clean_invitation_url(self) -> str:
        value = self.cleaned_data["invitation_url"].strip()
        return clean_endpoint(value) + ("/" if value.endswith("/") else "") if value else ""
