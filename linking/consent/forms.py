"""The customer's consent form: one accept/decline choice per item, never pre-selected."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from linking.models import RequestItem

ACCEPT = "accept"
DECLINE = "decline"


class ConsentForm(forms.Form):
    """Validates and normalises the customer's answers; the decision itself is a service."""

    def __init__(self, *args, items: list[RequestItem], needs_confirmation: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            # required=False: a missing answer is the service's LNK-C006, shown on the form.
            self.fields[f"decision_{item.pk}"] = forms.ChoiceField(
                choices=[(ACCEPT, _("Accept")), (DECLINE, _("Decline"))],
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                required=False,
                label=_("Your decision"),
            )
            self.fields[f"reason_{item.pk}"] = forms.CharField(
                required=False,
                max_length=2000,
                label=_("Reason for declining (optional)"),
                widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
            )
        if needs_confirmation:
            # Normalised here; whether it is needed and right is the service's to say.
            self.fields["code"] = forms.CharField(required=False, max_length=20, strip=True)

    def decision_field(self, item: RequestItem) -> forms.BoundField:
        return self[f"decision_{item.pk}"]

    def reason_field(self, item: RequestItem) -> forms.BoundField:
        return self[f"reason_{item.pk}"]

    def decisions(self) -> dict[int, tuple[bool, str]]:
        """The answers given, keyed by item id; unanswered items are simply absent."""
        decided: dict[int, tuple[bool, str]] = {}
        for item in self.items:
            choice = self.cleaned_data.get(f"decision_{item.pk}")
            if choice in (ACCEPT, DECLINE):
                reason = self.cleaned_data.get(f"reason_{item.pk}") or ""
                decided[item.pk] = (choice == ACCEPT, reason)
        return decided

    def code(self) -> str:
        return self.cleaned_data.get("code") or ""
