"""The cloud-side setup derived from a consented scope: names, validity, permissions, steps."""

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from linking.cloud import policies
from linking.cloud.sandbox import roles as sandbox_roles
from linking.cloud.setup import (
    LINK_ENDED,
    NO_CONNECTION,
    NO_INVITATION,
    NO_LINK,
    NOTHING_GRANTABLE,
    SUPERSEDED,
    AgencyDuration,
    BillingSetup,
    ConsentedItem,
    PartnerAccount,
    ProjectRoles,
    agency_duration,
    agency_name,
    derive_setup,
    setup_steps,
)
from linking.demo_data import SERVICES
from linking.models import AccessLevel

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
PARTNER = PartnerAccount(
    partner_id="P-100001",
    partner_name="Northwind Cloud",
    domain_name="northwind-partner",
    domain_id="0123456789abcdef0123456789abcdef",
    invitation_url="https://example.test/console/invitations/0123456789abcdef0123456789abcdef/",
)
# Huawei Cloud's rules (the sandbox holds the same; its services module is not imported here:
# it would register the sandbox's models in the portal's app registry).
HUAWEI_AGENCY_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
HUAWEI_DURATION = re.compile(r"^(FOREVER|ONEDAY|[1-9][0-9]{0,3})$")


def item(link_type, services=(), regions=(), level="", days=None, reference="LK-000042"):
    return ConsentedItem(
        link_type=link_type,
        link_reference=reference,
        services=tuple(services),
        regions=tuple(regions),
        access_level=level,
        ends_at=NOW + timedelta(days=days) if days else None,
    )


# --- the table of system permissions ---------------------------------------------------------


def test_the_tables_levels_are_the_portals_access_levels():
    assert set(policies.LEVELS) == set(AccessLevel.values)


def test_every_service_of_the_demo_catalog_has_a_read_only_permission():
    missing = [code for code, *_ in SERVICES if policies.permission_for(code, "read_only") is None]
    assert missing == []


def test_the_sandbox_accepts_every_permission_of_the_table_at_its_level():
    for name, (service, level) in policies.all_names().items():
        granted_service, granted_level = sandbox_roles.ROLES[name]
        assert granted_service == service.lower()
        assert granted_level == ("write" if level == "manage" else "read")


def test_iam_cannot_be_managed_through_an_agency():
    assert policies.permission_for("IAM", "manage") is None
    assert policies.permission_for("IAM", "read_only") == ("IAM ReadOnlyAccess", "global")


# --- the agency's name -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("partner_id", "reference", "expected"),
    [
        ("P-100001", "LK-000042", "partner-P-100001-LK-000042"),
        ("P 10/0\"01'", "LK-000042", "partner-P-10-0-01-LK-000042"),
        ("$(reboot)", "LK-1234567", "partner-reboot-LK-1234567"),
        ("P-" + "9" * 40, "LK-000042", "partner-P-999999999999999999-LK-000042"),
        ("中文", "LK-000042", "partner-LK-000042"),
    ],
)
def test_the_agency_name_is_stable_and_valid_for_huawei_cloud(partner_id, reference, expected):
    name = agency_name(partner_id, reference)
    assert name == expected
    assert HUAWEI_AGENCY_NAME.match(name)
    assert agency_name(partner_id, reference) == name


def test_the_agency_name_never_exceeds_64_characters():
    name = agency_name("P-" + "x" * 200, "LK-" + "9" * 100)
    assert len(name) == 64
    assert HUAWEI_AGENCY_NAME.match(name)


# --- the validity period ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ends_in", "value", "outlasts"),
    [
        (None, "FOREVER", False),
        (timedelta(days=90), "90", False),
        (timedelta(days=90) - timedelta(seconds=1), "89", False),
        (timedelta(days=2), "2", False),
        (timedelta(days=1, hours=23), "ONEDAY", False),
        (timedelta(days=1), "ONEDAY", False),
        (timedelta(hours=5), "ONEDAY", True),
    ],
)
def test_the_validity_is_the_longest_that_does_not_outlast_the_link(ends_in, value, outlasts):
    ends_at = NOW + ends_in if ends_in else None
    duration = agency_duration(ends_at, NOW)
    assert (duration.value, duration.outlasts_link) == (value, outlasts)
    assert HUAWEI_DURATION.match(duration.value)
    if duration.days and not outlasts:
        assert NOW + timedelta(days=duration.days) <= ends_at


def test_an_agency_created_a_day_later_gets_a_day_less():
    ends_at = NOW + timedelta(days=30)
    assert agency_duration(ends_at, NOW).value == "30"
    assert agency_duration(ends_at, NOW + timedelta(days=1, minutes=1)).value == "28"


# --- the setup per link type and scope -------------------------------------------------------

CASES = [
    pytest.param(
        item("delegation", ["ECS", "OBS"], ["ap-southeast-1", "eu-west-101"], "read_only", 90),
        (
            ProjectRoles("ap-southeast-1", ("ECS ReadOnlyAccess",)),
            ProjectRoles("eu-west-101", ("ECS ReadOnlyAccess",)),
        ),
        ("OBS ReadOnlyAccess",),
        "90",
        (),
        id="delegation read-only: project and global permissions",
    ),
    pytest.param(
        item("delegation", ["ECS", "VPC", "RDS"], ["ap-southeast-3"], "manage", 30),
        (ProjectRoles("ap-southeast-3", ("ECS FullAccess", "VPC FullAccess", "RDS FullAccess")),),
        (),
        "30",
        (),
        id="delegation manage: full access per service",
    ),
    pytest.param(
        item("delegation", ["ECS", "IAM"], ["ap-southeast-1"], "manage", 7),
        (ProjectRoles("ap-southeast-1", ("ECS FullAccess",)),),
        (),
        "7",
        ("IAM",),
        id="delegation manage with IAM: IAM is not granted, and said so",
    ),
    pytest.param(
        item("delegation", ["OBS", "CDN"], ["ap-southeast-1"], "manage", 365),
        (),
        ("OBS Administrator", "CDN Administrator"),
        "365",
        (),
        id="global services only: no project roles",
    ),
    pytest.param(
        item("provisioning", ["ECS", "EVS"], ["eu-west-101"]),
        (ProjectRoles("eu-west-101", ("ECS FullAccess", "EVS FullAccess")),),
        (),
        "FOREVER",
        (),
        id="provisioning: write permissions, no end",
    ),
]


@pytest.mark.parametrize(("consented", "projects", "domain", "duration", "not_granted"), CASES)
def test_the_agency_holds_the_consented_permissions_in_the_consented_regions(
    consented, projects, domain, duration, not_granted
):
    setup = derive_setup(consented, partner=PARTNER, now=NOW)

    assert setup.ready and setup.billing is None
    agency = setup.agency
    assert agency.name == "partner-P-100001-LK-000042"
    assert (agency.trusted_domain_name, agency.trusted_domain_id) == (
        "northwind-partner",
        PARTNER.domain_id,
    )
    assert agency.project_roles == projects
    assert agency.domain_roles == domain
    assert agency.duration.value == duration
    assert agency.not_grantable == not_granted
    assert "Northwind Cloud (P-100001)" in agency.description and len(agency.description) <= 255


def test_billing_is_the_partners_invitation_and_a_resale_association():
    setup = derive_setup(item("billing"), partner=PARTNER, now=NOW)
    assert setup.ready and setup.agency is None
    assert setup.billing == BillingSetup(
        invitation_url=PARTNER.invitation_url,
        partner_domain_name="northwind-partner",
        association_type="resale",
    )


@pytest.mark.parametrize(
    ("consented", "partner", "missing"),
    [
        (item("delegation", ["ECS"], ["ap-southeast-1"], "read_only", 9), None, NO_CONNECTION),
        (item("billing"), PartnerAccount("P-1", "N", "n", "x", ""), NO_INVITATION),
        (item("provisioning", ["ECS"], ["ap-southeast-1"], reference=""), PARTNER, NO_LINK),
        (item("billing", reference=""), PARTNER, NO_LINK),
        (
            replace(
                item("delegation", ["ECS"], ["ap-southeast-1"], "read_only", 9), superseded=True
            ),
            PARTNER,
            SUPERSEDED,
        ),
        (item("delegation", ["IAM"], ["ap-southeast-1"], "manage", 9), PARTNER, NOTHING_GRANTABLE),
    ],
)
def test_a_setup_that_cannot_be_given_says_why(consented, partner, missing):
    setup = derive_setup(consented, partner=partner, now=NOW)
    assert setup.missing == (missing,)
    assert not setup.ready
    steps = setup_steps(setup, region_names={})
    assert len(steps) == 1 and steps[0].values == ()


def test_an_ended_link_needs_no_setup():
    consented = item("delegation", ["ECS"], ["ap-southeast-1"], "read_only", 1)
    setup = derive_setup(consented, partner=PARTNER, now=NOW + timedelta(days=2))
    assert setup.missing == (LINK_ENDED,)


# --- the steps -------------------------------------------------------------------------------


def test_the_steps_give_every_value_of_the_agency_once_in_order():
    consented = item("delegation", ["ECS", "OBS"], ["ap-southeast-1"], "read_only", 90)
    setup = derive_setup(consented, partner=PARTNER, now=NOW)

    steps = setup_steps(setup, region_names={"ap-southeast-1": "AP-Singapore"})

    values = [(v.label, v.text) for step in steps for v in step.values]
    assert values == [
        ("Agency name", "partner-P-100001-LK-000042"),
        ("Delegated account", "northwind-partner"),
        ("Validity period", "90"),
        ("Description", setup.agency.description),
        ("Permission", "ECS ReadOnlyAccess"),
        ("Permission", "OBS ReadOnlyAccess"),
    ]
    assert "AP-Singapore (ap-southeast-1)" in steps[5].title
    assert "2027-03-06 10:00 UTC" in steps[3].note


def test_the_steps_say_when_oneday_outlasts_the_link():
    duration = AgencyDuration("ONEDAY", 1, NOW + timedelta(days=1), outlasts_link=True)
    consented = item("delegation", ["ECS"], ["ap-southeast-1"], "read_only", 1)
    setup = derive_setup(consented, partner=PARTNER, now=NOW + timedelta(hours=21))
    assert setup.agency.duration == duration
    note = setup_steps(setup, region_names={})[3].note
    assert "less than a day" in note and "delete it after" in note


@pytest.mark.parametrize(
    ("ends_in", "words"),
    [(timedelta(days=1, hours=2), "so 1 day created"), (timedelta(days=2), "so 2 days created")],
)
def test_the_validity_note_counts_days_in_words(ends_in, words):
    consented = item("delegation", ["ECS"], ["ap-southeast-1"], "read_only", 30)
    setup = derive_setup(consented, partner=PARTNER, now=NOW)
    duration = agency_duration(NOW + ends_in, NOW)
    agency = replace(setup.agency, duration=duration)
    note = setup_steps(replace(setup, agency=agency), region_names={})[3].note
    assert words in note


def test_billing_steps_give_the_invitation_link_and_the_partner_account():
    setup = derive_setup(item("billing"), partner=PARTNER, now=NOW)
    steps = setup_steps(setup, region_names={})
    assert [v.text for step in steps for v in step.values] == [
        PARTNER.invitation_url,
        "northwind-partner",
    ]
    assert "resale" in steps[1].title
