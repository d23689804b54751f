from django import forms

from .roles import REGIONS, ROLES

ROLE_CHOICES = [(name, name) for name in ROLES]


def region_field(region):
    return f"roles_{region}"


class SignInForm(forms.Form):
    name = forms.CharField(label="Account name", max_length=64)
    password = forms.CharField(label="Password", widget=forms.PasswordInput, max_length=128)


class AgencyForm(forms.Form):
    name = forms.CharField(label="Agency name", max_length=64)
    trusted_domain_name = forms.CharField(
        label="Delegated account (the partner's account name)", max_length=64
    )
    duration = forms.CharField(
        label="Validity period",
        max_length=16,
        initial="FOREVER",
        help_text='"FOREVER", "ONEDAY" or a number of days.',
    )
    description = forms.CharField(label="Description", max_length=255, required=False)
    domain_roles = forms.MultipleChoiceField(
        label="Global services (all regions)",
        choices=ROLE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        for region in REGIONS:
            self.fields[region_field(region)] = forms.MultipleChoiceField(
                label=f"Project {region}",
                choices=ROLE_CHOICES,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
        if editing:
            self.fields["name"].disabled = True

    def region_fields(self):
        return [self[region_field(region)] for region in REGIONS]

    def project_roles(self):
        return {region: self.cleaned_data[region_field(region)] for region in REGIONS}


def initial_from_agency(agency):
    initial = {
        "name": agency.name,
        "trusted_domain_name": agency.trusted_domain_name,
        "duration": agency.duration,
        "description": agency.description,
        "domain_roles": agency.domain_roles,
    }
    for region, roles in agency.project_roles.items():
        initial[region_field(region)] = roles
    return initial


def initial_from_query(query):
    """A link may prefill the form: ?name=…&trusted_domain_name=…&roles_<region>=<role>…"""
    initial = {key: query.get(key) for key in ("name", "trusted_domain_name", "duration")}
    initial["domain_roles"] = query.getlist("domain_roles")
    for region in REGIONS:
        initial[region_field(region)] = query.getlist(region_field(region))
    return {key: value for key, value in initial.items() if value}
