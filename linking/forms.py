"""Input of the linking pages: validated and normalised here, acted on by the services."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import LinkType, Reseller, Team
from accounts.selectors import member_choices_for_reseller
from linking.checks.reasons import MAX_DELEGATION_DAYS, MIN_DELEGATION_DAYS, ItemSpec
from linking.models import (
    AccessLevel,
    CleanupStatus,
    Link,
    LinkRequest,
    Region,
    RequestItem,
    Service,
)
from linking.selectors.requests import RequestFilters
from portal.form_rendering import quick_widget_renderer
from portal.identifiers import IdentifierEmailField, IdentifierField

WAITING_ON_CHOICES = [
    ("", "Anyone"),
    ("initiator", "Initiator (draft)"),
    ("approver", "Approver"),
    ("delivery", "Delivery of the consent e-mail"),
    ("customer", "Customer"),
    ("activation", "Activation"),
    ("customer setup", "Customer's setup in the cloud"),
]


def style_fields(form: forms.Form) -> None:
    for field in form.fields.values():
        css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        field.widget.attrs.setdefault("class", f"{css} form-control-sm")


StrOrPromise = str | Promise
# The empty choice of a filter: no condition on that field.
ANY = _("Any")


def with_any(choices, label: StrOrPromise = ANY) -> list[tuple[str, StrOrPromise]]:
    return [("", label), *choices]


# --- Filters (GET): a bad value is dropped and reported, never a server error ----------------


class FilterForm(forms.Form):
    """A list page's filters: a bad value is dropped and reported, the others still apply."""

    def valid_data(self) -> dict[str, Any]:
        """The fields that parsed; the invalid ones are ignored (and shown as errors)."""
        errors = self.errors  # validates every field: a bad one must not hide the good ones
        return {name: self.cleaned_data.get(name) for name in self.fields if name not in errors}


class RequestFilterForm(FilterForm):
    default_renderer = quick_widget_renderer  # a list page's filters, on every view of it
    status = forms.ChoiceField(required=False, choices=with_any(LinkRequest.Status.choices))
    link_type = forms.ChoiceField(
        required=False, label=_("Type"), choices=with_any(LinkType.choices)
    )
    waiting_on = forms.ChoiceField(
        required=False, label=_("Waiting on"), choices=WAITING_ON_CHOICES
    )
    customer = IdentifierField(required=False, max_length=200, label=_("Customer (id or name)"))
    initiator = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    q = IdentifierField(required=False, max_length=200, label=_("Search"))
    ticket = IdentifierField(required=False, max_length=80, label=_("Ticket (starts with)"))

    def __init__(self, *args, reseller: Reseller, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["initiator"]).choices = with_any(
            member_choices_for_reseller(reseller=reseller), "Anyone"
        )
        style_fields(self)

    def filters(self) -> RequestFilters:
        """The selector's filters for this query string: the list page's and its export's."""
        data = self.valid_data() if self.is_bound else {}
        return RequestFilters(
            status=data.get("status") or "",
            link_type=data.get("link_type") or "",
            waiting_on=data.get("waiting_on") or "",
            customer=(data.get("customer") or "").strip(),
            initiator=data.get("initiator"),
            q=(data.get("q") or "").strip(),
            ticket=(data.get("ticket") or "").strip(),
        )


EXPIRING_SOON_DAYS = 30


class LinkFilterForm(FilterForm):
    default_renderer = quick_widget_renderer  # a list page's filters, on every view of it
    status = forms.ChoiceField(
        required=False, label=_("State"), choices=with_any(Link.Status.choices)
    )
    link_type = forms.ChoiceField(
        required=False, label=_("Type"), choices=with_any(LinkType.choices)
    )
    customer = IdentifierField(required=False, max_length=200, label=_("Customer (id or name)"))
    q = IdentifierField(
        required=False, max_length=200, label=_("Search (reference, customer, ticket)")
    )
    expiring = forms.BooleanField(
        required=False,
        label=format_lazy(_("Delegation ending within {days} days"), days=EXPIRING_SOON_DAYS),
    )
    failing = forms.BooleanField(required=False, label=_("Failing verification"))
    cleanup = forms.ChoiceField(
        required=False, label=_("Clean-up in the cloud"), choices=with_any(CleanupStatus.choices)
    )
    over_privileged = forms.BooleanField(required=False, label=_("Grants more than consented"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("expiring", "failing", "over_privileged"):
            self.fields[name].widget.attrs["class"] = "form-check-input"
        style_fields(self)

    def filters(self) -> dict:
        """`link_list_for_reseller` keywords for this query string: the page's and its export's."""
        data = self.valid_data() if self.is_bound else {}
        return {
            "status": data.get("status") or "",
            "link_type": data.get("link_type") or "",
            "q": (data.get("q") or "").strip(),
            "customer": (data.get("customer") or "").strip(),
            "expiring_within_days": EXPIRING_SOON_DAYS if data.get("expiring") else None,
            "failing_only": bool(data.get("failing")),
            "cleanup": data.get("cleanup") or "",
            "over_privileged_only": bool(data.get("over_privileged")),
        }


class SearchForm(FilterForm):
    default_renderer = quick_widget_renderer  # a list page's filters, on every view of it
    q = IdentifierField(required=False, max_length=200, label=_("Customer (id or name)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


class RequestSearchForm(FilterForm):
    default_renderer = quick_widget_renderer  # a list page's filters, on every view of it
    q = IdentifierField(
        required=False, max_length=200, label=_("Search (reference, ticket, customer)")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


# --- The wizard -----------------------------------------------------------------------------


class TypesForm(forms.Form):
    link_types = forms.MultipleChoiceField(
        label=_("Link types"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one link type."},
    )

    def __init__(self, *args, reseller: Reseller, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = set(reseller.allowed_link_types)
        cast(forms.ChoiceField, self.fields["link_types"]).choices = [
            (v, lbl) for v, lbl in LinkType.choices if v in allowed
        ]


class CustomerForm(forms.Form):
    account_id = IdentifierField(
        label=_("Customer account id"),
        max_length=80,
        required=False,
        help_text=_(
            "The customer's domain id: 32 hexadecimal characters, as shown under My "
            "Credentials in their console. Case, spaces and dashes are ignored."
        ),
    )


class ScopeForm(forms.Form):
    """One block of fields per item of the draft (or of a preset), prefixed by its link type."""

    def __init__(
        self, *args, items: Sequence[RequestItem | ItemSpec], reseller: Reseller, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.items = [item for item in items if item.link_type != LinkType.BILLING]
        services = list(Service.objects.filter(is_active=True))
        regions = list(Region.objects.filter(is_active=True, site=reseller.site))
        self.sensitive = {s.code for s in services if s.sensitive}
        service_choices = [
            (s.code, f"{s.name} ({s.code}){' — sensitive' if s.sensitive else ''}")
            for s in services
        ]
        region_choices = [(r.code, str(r)) for r in regions]
        for item in self.items:
            t = item.link_type
            self.fields[f"{t}-services"] = forms.MultipleChoiceField(
                label=_("Services"),
                required=False,
                choices=service_choices,
                initial=item.services,
                widget=forms.CheckboxSelectMultiple,
            )
            self.fields[f"{t}-regions"] = forms.MultipleChoiceField(
                label=_("Regions"),
                required=False,
                choices=region_choices,
                initial=item.regions,
                widget=forms.CheckboxSelectMultiple,
            )
            if t == LinkType.DELEGATION:
                self.fields[f"{t}-access_level"] = forms.ChoiceField(
                    label=_("Access level"),
                    choices=AccessLevel.choices,
                    initial=item.access_level or AccessLevel.READ_ONLY,
                    widget=forms.RadioSelect,
                )
                self.fields[f"{t}-duration_days"] = forms.IntegerField(
                    label=_("Duration (days)"),
                    min_value=MIN_DELEGATION_DAYS,
                    max_value=MAX_DELEGATION_DAYS,
                    initial=item.duration_days or 90,
                )

    def blocks(self) -> list[dict]:
        """The fields grouped per item, for the template."""
        out = []
        for item in self.items:
            t = item.link_type
            out.append(
                {
                    "item": item,
                    "fields": [self[name] for name in self.fields if name.startswith(f"{t}-")],
                }
            )
        return out

    def scopes(self) -> dict[str, ItemSpec]:
        data = self.cleaned_data
        scopes = {}
        for item in self.items:
            t = item.link_type
            scopes[t] = ItemSpec(
                link_type=t,
                services=list(data.get(f"{t}-services") or []),
                regions=list(data.get(f"{t}-regions") or []),
                access_level=data.get(f"{t}-access_level", ""),
                duration_days=data.get(f"{t}-duration_days"),
            )
        return scopes


class DetailsForm(forms.Form):
    ticket_reference = IdentifierField(
        label=_("Ticket reference"),
        max_length=80,
        required=False,
        help_text=_("Your own ticket or case number, so the team can find this request later."),
    )
    note_to_customer = forms.CharField(
        label=_("Note to the customer"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown on the consent page."),
    )
    # The 1-30 range is the service's rule; it answers with its own code (LNK-V022).
    consent_days = forms.IntegerField(
        label=_("Days the customer has to decide"), min_value=0, max_value=10000
    )


# --- Decisions ------------------------------------------------------------------------------


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ResendForm(forms.Form):
    contact_email = IdentifierEmailField(
        label=_("Corrected contact e-mail (optional)"),
        required=False,
        help_text=_("Must match the directory's contact address of the account."),
    )
    extend_days = forms.IntegerField(
        label=_("New deadline in days from now (optional)"),
        required=False,
        min_value=1,
        max_value=30,
    )


class TeamsForm(forms.Form):
    """Who may act on the customer through the request's delegation and provisioning links:
    the chosen teams, or none for the operators (admins and initiators), as before teams."""

    teams = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Teams that act on the customer"),
        help_text=_("None chosen: the operators (admins and initiators), as before teams."),
    )

    def __init__(self, *args, reseller, **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedMultipleChoiceField, self.fields["teams"])
        field.choices = [(team.pk, team.name) for team in Team.objects.filter(reseller=reseller)]
        self.has_teams = bool(field.choices)
