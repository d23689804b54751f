"""The sandbox cloud accepts the agency the portal asks for, and it works as consented."""

import pytest
from django.utils import timezone

from linking.checks import ItemSpec
from linking.cloud import policies, provider_for
from linking.cloud.huawei import forget_cached_credentials
from linking.cloud.provider import ConnectionSettings
from linking.cloud.types import AccessDenied
from linking.consent.setup import receipt_setup
from linking.models import ConsentRecord
from tests.cloud.connection_setup import save_connection
from tests.journeys import accepted

REGION = "ap-southeast-1"
OTHER_REGION = "eu-west-101"


@pytest.fixture(autouse=True)
def _fresh_credentials_cache():
    forget_cached_credentials()
    yield
    forget_cached_credentials()


def _partner(cast, cloud):
    """A partner account in the sandbox, the reseller's connection to it, and its provider."""
    account = cloud.control.create_account("northwind-partner", display_name="Northwind")
    save_connection(
        cast,
        url=cloud.url,
        partner_domain_id=account["domain_id"],
        partner_account_name=account["name"],
        access_key=account["access_key"],
        secret_key=account["secret_key"],
    )
    settings = ConnectionSettings(
        partner_domain_id=account["domain_id"],
        partner_account_name=account["name"],
        access_key=account["access_key"],
        secret_key=account["secret_key"],
        bss_endpoint=cloud.url,
        iam_endpoint=cloud.url,
        ecs_endpoint=cloud.url,
        timeout_seconds=2.0,
        max_attempts=2,
        max_total_seconds=4.0,
    )
    return provider_for(settings)


def _setups(cast, specs):
    req = accepted(cast, specs)
    records = list(ConsentRecord.objects.filter(request=req))
    return {
        row.setup.link_type: row.setup
        for row in receipt_setup(req, records, region_names={}, now=timezone.now())
    }


def _create_in_sandbox(cloud, customer_domain_id, agency):
    """The customer creates the agency with exactly the values the portal gave."""
    return cloud.control.create_agency(
        customer_domain_id,
        agency.name,
        agency.trusted_domain_name,
        project_roles={p.project: list(p.roles) for p in agency.project_roles},
        domain_roles=list(agency.domain_roles),
        duration=agency.duration.value,
        description=agency.description,
    )


def test_the_derived_delegation_agency_is_accepted_and_reads_what_was_consented(cast, cloud):
    provider = _partner(cast, cloud)
    customer = cloud.control.create_account("acme-retail")["domain_id"]
    delegation = ItemSpec(
        link_type="delegation",
        services=["ECS", "OBS"],
        regions=[REGION],
        access_level="read_only",
        duration_days=30,
    )
    agency = _setups(cast, [delegation])["delegation"].agency

    _create_in_sandbox(cloud, customer, agency)

    creds = provider.assume_agency(customer_domain_id=customer, agency_name=agency.name)
    projects = {p.name: p.id for p in provider.list_projects(creds)}
    # OBS is granted in the global project, so the sandbox lets the agency see every project;
    # ECS reads work in the consented region.
    assert REGION in projects
    assert provider.list_servers(creds, project_id=projects[REGION], region=REGION) == []
    with pytest.raises(AccessDenied):
        provider.dry_run_create_server(creds, project_id=projects[REGION], region=REGION)


def test_the_derived_provisioning_agency_may_create_servers_only_where_consented(cast, cloud):
    provider = _partner(cast, cloud)
    customer = cloud.control.create_account("globex")["domain_id"]
    provisioning = ItemSpec(link_type="provisioning", services=["ECS"], regions=[OTHER_REGION])
    agency = _setups(cast, [provisioning])["provisioning"].agency
    assert agency.duration.value == "FOREVER"

    _create_in_sandbox(cloud, customer, agency)

    creds = provider.assume_agency(customer_domain_id=customer, agency_name=agency.name)
    projects = {p.name: p.id for p in provider.list_projects(creds)}
    assert list(projects) == [OTHER_REGION]
    assert provider.dry_run_create_server(
        creds, project_id=projects[OTHER_REGION], region=OTHER_REGION
    )


def test_the_sandbox_accepts_every_permission_name_of_the_table(cloud):
    partner = cloud.control.create_account("partner-all")
    customer = cloud.control.create_account("customer-all")["domain_id"]
    names = sorted(policies.all_names())
    global_names = [
        n for n in names if policies.BY_SERVICE[policies.all_names()[n][0]].scope == "global"
    ]
    project_names = [n for n in names if n not in global_names]

    created = cloud.control.create_agency(
        customer,
        "all-permissions",
        partner["name"],
        project_roles={REGION: project_names},
        domain_roles=global_names,
        duration="ONEDAY",
    )

    assert created["name"] == "all-permissions"
