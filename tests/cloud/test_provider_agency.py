"""A customer's agency: temporary keys, the projects they reach, a read and a dry-run write."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone

from linking.cloud.huawei import forget_cached_credentials
from linking.cloud.types import AccessDenied, CredentialsRefused, NotFound
from tests.cloud.provider_setup import OTHER_REGION, REGION, connect, project_of


@pytest.fixture(autouse=True)
def _fresh_credentials_cache():
    forget_cached_credentials()
    yield
    forget_cached_credentials()


def _customer_with_agency(cloud, partner, roles, name="acme", agency="portal-read"):
    customer = cloud.control.create_account(name)
    cloud.control.associate(partner.domain_id, customer["domain_id"])
    cloud.control.create_agency(
        customer["domain_id"], agency, partner.name, project_roles=roles, duration="FOREVER"
    )
    return customer["domain_id"]


def test_assume_agency_answers_temporary_credentials_and_reuses_them(cloud):
    partner = connect(cloud)
    customer = _customer_with_agency(cloud, partner, {REGION: ["ECS ReadOnlyAccess"]})

    creds = partner.provider.assume_agency(customer_domain_id=customer, agency_name="portal-read")

    assert creds.access and creds.secret and creds.security_token
    assert (creds.customer_domain_id, creds.agency_name) == (customer, "portal-read")
    assert creds.expires_at > timezone.now() + timedelta(minutes=10)
    again = partner.provider.assume_agency(customer_domain_id=customer, agency_name="portal-read")
    assert again is creds
    forget_cached_credentials()
    fresh = partner.provider.assume_agency(customer_domain_id=customer, agency_name="portal-read")
    assert fresh.access != creds.access


def test_list_projects_answers_the_regions_the_agency_reaches(cloud):
    partner = connect(cloud)
    customer = _customer_with_agency(
        cloud, partner, {REGION: ["ECS ReadOnlyAccess"], OTHER_REGION: ["OBS ReadOnlyAccess"]}
    )
    creds = partner.provider.assume_agency(customer_domain_id=customer, agency_name="portal-read")

    projects = partner.provider.list_projects(creds)

    assert sorted(p.name for p in projects) == sorted([REGION, OTHER_REGION])
    assert all(len(p.id) == 32 for p in projects)


def test_list_servers_reads_the_servers_of_a_granted_project(cloud):
    partner = connect(cloud)
    customer = _customer_with_agency(cloud, partner, {REGION: ["ECS ReadOnlyAccess"]})
    cloud.control.create_server(customer, REGION, "web-1")
    cloud.control.create_server(customer, REGION, "web-2")
    cloud.control.create_server(customer, OTHER_REGION, "elsewhere")
    creds = partner.provider.assume_agency(customer_domain_id=customer, agency_name="portal-read")
    project = project_of(partner.provider, creds)

    servers = partner.provider.list_servers(creds, project_id=project)

    assert sorted(s["name"] for s in servers) == ["web-1", "web-2"]
    # ECS pages by page number from 1: the second page of one server each is the second server.
    page_two = partner.provider.list_servers(creds, project_id=project, limit=1, offset=2)
    assert [s["name"] for s in page_two] == [sorted(s["name"] for s in servers)[1]]


def test_list_servers_where_the_agency_grants_nothing_is_access_denied(cloud):
    partner = connect(cloud)
    customer = _customer_with_agency(
        cloud, partner, {REGION: ["ECS ReadOnlyAccess"], OTHER_REGION: ["OBS ReadOnlyAccess"]}
    )
    creds = partner.provider.assume_agency(customer_domain_id=customer, agency_name="portal-read")
    project = project_of(partner.provider, creds, OTHER_REGION)

    with pytest.raises(AccessDenied) as refused:
        partner.provider.list_servers(creds, project_id=project, region=OTHER_REGION)

    error = refused.value
    assert (error.code, error.stage, error.status) == ("LNK-G003", "propagation", 403)
    assert (error.operation, error.error_code) == ("ListServersDetails", "APIGW.0302")
    assert OTHER_REGION in error.message and customer in error.message


def test_dry_run_create_server_is_allowed_with_a_write_role(cloud):
    partner = connect(cloud)
    customer = _customer_with_agency(cloud, partner, {REGION: ["ECS FullAccess"]})
    creds = partner.provider.assume_agency(customer_domain_id=customer, agency_name="portal-read")

    allowed = partner.provider.dry_run_create_server(
        creds, project_id=project_of(partner.provider, creds)
    )

    assert allowed is True
    assert (
        partner.provider.list_servers(creds, project_id=project_of(partner.provider, creds)) == []
    )


def test_dry_run_create_server_with_a_read_role_is_access_denied(cloud):
    partner = connect(cloud)
    customer = _customer_with_agency(cloud, partner, {REGION: ["ECS ReadOnlyAccess"]})
    creds = partner.provider.assume_agency(customer_domain_id=customer, agency_name="portal-read")

    with pytest.raises(AccessDenied) as refused:
        partner.provider.dry_run_create_server(
            creds, project_id=project_of(partner.provider, creds)
        )

    assert (refused.value.code, refused.value.operation) == ("LNK-G003", "CreateServers")


def test_unknown_agency_is_not_found(cloud):
    partner = connect(cloud)
    customer = _customer_with_agency(cloud, partner, {REGION: ["ECS ReadOnlyAccess"]})

    with pytest.raises(NotFound) as missing:
        partner.provider.assume_agency(customer_domain_id=customer, agency_name="no-such-agency")

    error = missing.value
    assert (error.code, error.stage, error.status) == ("LNK-G002", "propagation", 404)
    assert "no-such-agency" in error.message and error.request_id


def test_unknown_account_is_not_found(cloud):
    partner = connect(cloud)

    with pytest.raises(NotFound) as missing:
        partner.provider.assume_agency(customer_domain_id="f" * 32, agency_name="portal-read")

    assert missing.value.code == "LNK-G002"


def test_agency_trusting_another_partner_is_access_denied(cloud):
    partner = connect(cloud)
    other = connect(cloud, name="partner-two")
    customer = _customer_with_agency(cloud, other, {REGION: ["ECS ReadOnlyAccess"]})

    with pytest.raises(AccessDenied) as refused:
        partner.provider.assume_agency(customer_domain_id=customer, agency_name="portal-read")

    assert (refused.value.code, refused.value.status) == ("LNK-G002", 403)


def test_refused_temporary_credentials_are_forgotten(cloud):
    partner = connect(cloud)
    customer = _customer_with_agency(cloud, partner, {REGION: ["ECS ReadOnlyAccess"]})
    creds = partner.provider.assume_agency(customer_domain_id=customer, agency_name="portal-read")
    # The cache answers these keys until they are refused; a changed secret stands for keys
    # the cloud no longer accepts (revoked, or the agency was replaced).
    broken = replace(creds, secret="x" * len(creds.secret))
    from linking.cloud import huawei

    key = next(k for k, c in huawei._credentials_cache.items() if c is creds)
    huawei._credentials_cache[key] = broken

    with pytest.raises(CredentialsRefused) as refused:
        partner.provider.list_projects(broken)

    assert (refused.value.code, refused.value.stage) == ("LNK-G004", "propagation")
    fresh = partner.provider.assume_agency(customer_domain_id=customer, agency_name="portal-read")
    assert fresh.access != creds.access
    assert partner.provider.list_projects(fresh)
