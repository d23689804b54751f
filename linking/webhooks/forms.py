"""Input of the webhook pages: validated and normalised, nothing saved or resolved here."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from linking.webhooks.addresses import parse
from linking.webhooks.events import event_choices
from portal.errors import PortalError


class WebhookEndpointForm(forms.Form):
    url = forms.CharField(
        label=_("Address"),
        max_length=500,
        help_text=_("The https:// address of your receiver. Events are POSTed to it as JSON."),
        widget=forms.URLInput(attrs={"class": "form-control", "placeholder": "https://"}),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=event_choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick the events your system needs (WHK-E002)."},
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )

    def clean_url(self) -> str:
        value = self.cleaned_data["url"].strip()
        try:
            parse(value)  # the form of the address; where it leads is the service's check
        except PortalError as error:
            raise ValidationError(error.as_text()) from None
        return value


class EnabledForm(forms.Form):
    enabled = forms.TypedChoiceField(
        choices=[("1", "enable"), ("0", "disable")], coerce=lambda v: v == "1"
    )
