"""The sandbox console's agency form takes exactly what a receipt gives the customer: the
agency's name, the delegated account, the validity period, the description, the permissions of
each region's project and the global ones, typed as they are."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from linking.cloud.setup import ConsentedItem, PartnerAccount, derive_setup, setup_steps
from tests.cloud.test_sandbox_console import Browser, people  # noqa: F401 (fixture)


def _receipt_agency(partner: dict, *, link_type: str, services, regions, days):
    now = timezone.now()
    item = ConsentedItem(
        link_type=link_type,
        link_reference="LK-000042",
        services=tuple(services),
        regions=tuple(regions),
        access_level="read_only",
        ends_at=now + timedelta(days=days) if days else None,
    )
    account = PartnerAccount(
        partner_id="P-100001",
        partner_name="Partner One",
        domain_name=partner["name"],
        domain_id=partner["domain_id"],
        invitation_url="",
    )
    setup = derive_setup(item, partner=account, now=now)
    assert setup.ready and setup.agency is not None
    return setup


def _form_of(setup) -> dict:
    """The form as a customer fills it from the receipt's steps, value by value."""
    steps = setup_steps(setup, region_names={})
    values = {value.label: value.text for step in steps for value in step.values}
    data = {
        "name": values["Agency name"],
        "trusted_domain_name": values["Delegated account"],
        "duration": values["Validity period"],
        "description": values["Description"],
    }
    for step in steps:
        roles = [value.text for value in step.values if value.label == "Permission"]
        if match := re.search(r"the project (\S+),", step.title):
            data[f"roles_{match.group(1)}"] = roles
        elif step.title.startswith("Permissions for global services"):
            data["domain_roles"] = roles
    return data


@pytest.mark.parametrize(
    ("link_type", "services", "regions", "days"),
    [
        ("delegation", ["ECS", "OBS", "VPC", "CDN"], ["ap-southeast-1", "eu-west-101"], 90),
        ("provisioning", ["ECS", "EVS", "RDS"], ["ap-southeast-3", "cn-north-4"], None),
        ("delegation", ["ECS"], ["ap-southeast-1"], 1),
    ],
)
def test_the_console_creates_the_agency_a_receipt_describes(
    people,  # noqa: F811
    link_type,
    services,
    regions,
    days,
):
    cloud, partner, _ = people
    setup = _receipt_agency(
        partner, link_type=link_type, services=services, regions=regions, days=days
    )
    agency = setup.agency
    data = _form_of(setup)
    browser = Browser(cloud.url)
    browser.sign_in("acme")

    created = browser.post("/console/agencies/new/", data)

    assert f"Agency {agency.name} created." in created.text, created.text
    edit = browser.get(f"/console/agencies/{agency.name}/edit/").text
    assert f'value="{agency.trusted_domain_name}"' in edit
    assert f'value="{agency.duration.value}"' in edit
    for project in agency.project_roles:
        for role in project.roles:
            assert re.search(
                rf'name="roles_{re.escape(project.project)}" value="{re.escape(role)}"[^>]*checked',
                edit,
            ), (project.project, role)
    for role in agency.domain_roles:
        assert re.search(rf'name="domain_roles" value="{re.escape(role)}"[^>]*checked', edit)
    # Exactly what the receipt says, nothing more: one checked box per permission given.
    given = sum(len(p.roles) for p in agency.project_roles) + len(agency.domain_roles)
    assert edit.count("checked") == given
