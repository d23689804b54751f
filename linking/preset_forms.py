"""Input of the preset pages: the wizard's own fields, so a preset reads like steps 1 and 3."""

from __future__ import annotations

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import LinkType, Reseller
from linking.checks.reasons import ItemSpec
from linking.forms import ScopeForm, TypesForm, style_fields
from linking.models import AccessLevel


def default_spec(link_type: str) -> ItemSpec:
    """What a new item of this type starts with in the wizard."""
    if link_type == LinkType.DELEGATION:
        return ItemSpec(link_type=link_type, access_level=AccessLevel.READ_ONLY, duration_days=90)
    return ItemSpec(link_type=link_type)


class PresetForm(TypesForm):
    """Name, description, consent deadline and the link types of step 1 (TypesForm)."""

    name = forms.CharField(label=_("Name"), max_length=80)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("When to use it, e.g. “monitoring contracts in Asia-Pacific”."),
    )
    # The 1-30 range is the wizard's rule; the service answers with its code (LNK-V022).
    consent_days = forms.IntegerField(
        label=_("Days the customer has to decide"),
        required=False,
        min_value=0,
        max_value=10000,
        help_text=_("Empty: your reseller's default."),
    )
    field_order = ["name", "description", "link_types", "consent_days"]

    def __init__(self, *args, reseller: Reseller, **kwargs):
        super().__init__(*args, reseller=reseller, **kwargs)
        for name in ("name", "description", "consent_days"):
            self.fields[name].widget.attrs.setdefault("class", "form-control")


def scope_form(data, *, reseller: Reseller, specs: list[ItemSpec]) -> ScopeForm:
    """The wizard's scope step for every scoped type the program allows, pre-filled from specs
    (the preset's, or the wizard's defaults)."""
    by_type = {spec.link_type: spec for spec in specs}
    items = [
        by_type.get(link_type) or default_spec(link_type)
        for link_type in reseller.allowed_link_types
        if link_type != LinkType.BILLING
    ]
    return ScopeForm(data, items=items, reseller=reseller)


def chosen_specs(form: PresetForm, scope: ScopeForm) -> list[ItemSpec] | None:
    """The items of the chosen link types, or None while a chosen type's fields are invalid.

    The scope fields of types not chosen are ignored, whatever they hold.
    """
    chosen = list(form.cleaned_data.get("link_types") or [])
    if any(name.split("-", 1)[0] in chosen for name in scope.errors):
        return None
    scopes = scope.scopes()
    return [scopes.get(t) or ItemSpec(link_type=t) for t in chosen]


class ApplyPresetForm(forms.Form):
    preset = forms.TypedChoiceField(label=_("Start from a preset"), coerce=int)

    def __init__(self, *args, presets, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.TypedChoiceField, self.fields["preset"]).choices = [
            (str(p.pk), p.name) for p in presets
        ]
        style_fields(self)
