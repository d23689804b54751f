"""Agencies through the real IAM and ECS clients: temporary credentials, projects, ECS rights."""

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkecs.v2 import (
    CreateServersRequest,
    CreateServersRequestBody,
    ListServersDetailsRequest,
    PrePaidServer,
    PrePaidServerNic,
    PrePaidServerRootVolume,
)
from huaweicloudsdkiam.v3 import (
    AgencyAuth,
    AgencyAuthIdentity,
    CreateTemporaryAccessKeyByAgencyRequest,
    CreateTemporaryAccessKeyByAgencyRequestBody,
    IdentityAssumerole,
    KeystoneListAuthProjectsRequest,
)

from tests.cloud import sdk_clients

REGION = "ap-southeast-1"


@pytest.fixture
def world(cloud):
    partner = cloud.control.create_account("partner-one")
    customer = cloud.control.create_account("acme")
    cloud.control.associate(partner["domain_id"], customer["domain_id"])
    return cloud, partner, customer


def assume(cloud, partner, customer_domain_id, agency, duration=900):
    body = CreateTemporaryAccessKeyByAgencyRequestBody(
        auth=AgencyAuth(
            identity=AgencyAuthIdentity(
                methods=["assume_role"],
                assume_role=IdentityAssumerole(
                    agency_name=agency, domain_id=customer_domain_id, duration_seconds=duration
                ),
            )
        )
    )
    client = sdk_clients.iam(cloud.url, partner)
    request = CreateTemporaryAccessKeyByAgencyRequest(body=body)
    return client.create_temporary_access_key_by_agency(request).credential


def projects(cloud, credential, domain_id):
    client = sdk_clients.iam_temporary(cloud.url, credential, domain_id)
    return {
        p.name: p.id
        for p in client.keystone_list_auth_projects(KeystoneListAuthProjectsRequest()).projects
    }


def list_servers(cloud, credential, project_id, **query):
    client = sdk_clients.ecs_temporary(cloud.url, credential, project_id)
    return client.list_servers_details(ListServersDetailsRequest(**query))


def dry_run(cloud, credential, project_id):
    server = PrePaidServer(
        image_ref="image",
        flavor_ref="s6.small.1",
        name="dry-run",
        vpcid="vpc",
        nics=[PrePaidServerNic(subnet_id="subnet")],
        root_volume=PrePaidServerRootVolume(volumetype="SSD"),
    )
    client = sdk_clients.ecs_temporary(cloud.url, credential, project_id)
    body = CreateServersRequestBody(dry_run=True, server=server)
    return client.create_servers(CreateServersRequest(body=body))


def test_read_only_agency_reaches_its_region_and_reads_but_cannot_write(world):
    cloud, partner, customer = world
    cloud.control.create_agency(
        customer["domain_id"], "portal-read", "partner-one", {REGION: ["ECS ReadOnlyAccess"]}
    )
    cloud.control.create_server(customer["domain_id"], REGION, "web-1")
    cloud.control.create_server(customer["domain_id"], REGION, "web-2", "SHUTOFF")
    cloud.control.create_server(customer["domain_id"], "cn-north-4", "elsewhere")

    credential = assume(cloud, partner, customer["domain_id"], "portal-read")
    assert credential.access and credential.secret and credential.securitytoken
    assert credential.expires_at.endswith("Z")

    reachable = projects(cloud, credential, customer["domain_id"])
    assert list(reachable) == [REGION]

    servers = list_servers(cloud, credential, reachable[REGION], limit=1, offset=2)
    assert servers.count == 2
    assert [s.name for s in servers.servers] == ["web-2"]
    assert servers.servers[0].status == "SHUTOFF"

    with pytest.raises(ClientRequestException) as refused:
        dry_run(cloud, credential, reachable[REGION])
    assert refused.value.status_code == 403


def test_full_access_allows_the_dry_run_and_creates_nothing(world):
    cloud, partner, customer = world
    cloud.control.create_agency(
        customer["domain_id"], "portal-manage", "partner-one", {REGION: ["ECS FullAccess"]}
    )
    credential = assume(cloud, partner, customer["domain_id"], "portal-manage")
    project = projects(cloud, credential, customer["domain_id"])[REGION]

    dry_run(cloud, credential, project)

    assert list_servers(cloud, credential, project).count == 0


def test_region_not_granted_is_refused(world):
    cloud, partner, customer = world
    cloud.control.create_agency(
        customer["domain_id"], "portal-read", "partner-one", {REGION: ["OBS ReadOnlyAccess"]}
    )
    credential = assume(cloud, partner, customer["domain_id"], "portal-read")
    reachable = projects(cloud, credential, customer["domain_id"])
    with pytest.raises(ClientRequestException) as refused:
        list_servers(cloud, credential, reachable[REGION])
    assert refused.value.status_code == 403
    assert refused.value.error_code == "APIGW.0302"


def test_agency_of_another_partner_or_unknown_is_refused(world):
    cloud, partner, customer = world
    other = cloud.control.create_account("partner-two")
    cloud.control.create_agency(
        customer["domain_id"], "portal-read", "partner-one", {REGION: ["ECS ReadOnlyAccess"]}
    )
    with pytest.raises(ClientRequestException) as refused:
        assume(cloud, other, customer["domain_id"], "portal-read")
    assert refused.value.status_code == 403
    with pytest.raises(ClientRequestException) as missing:
        assume(cloud, partner, customer["domain_id"], "no-such-agency")
    assert missing.value.status_code == 404


def test_temporary_credentials_need_their_security_token(world):
    cloud, partner, customer = world
    cloud.control.create_agency(
        customer["domain_id"], "portal-read", "partner-one", {REGION: ["ECS ReadOnlyAccess"]}
    )
    credential = assume(cloud, partner, customer["domain_id"], "portal-read")
    token = credential.securitytoken
    credential.securitytoken = token[:-2] + ("yy" if token.endswith("xx") else "xx")
    with pytest.raises(ClientRequestException) as refused:
        projects(cloud, credential, customer["domain_id"])
    assert refused.value.status_code == 401


def test_deleted_agency_leaves_issued_credentials_without_rights(world):
    cloud, partner, customer = world
    cloud.control.create_agency(
        customer["domain_id"], "portal-read", "partner-one", {REGION: ["ECS ReadOnlyAccess"]}
    )
    credential = assume(cloud, partner, customer["domain_id"], "portal-read")
    project = projects(cloud, credential, customer["domain_id"])[REGION]
    cloud.control.delete_agency(customer["domain_id"], "portal-read")

    assert projects(cloud, credential, customer["domain_id"]) == {}
    with pytest.raises(ClientRequestException) as refused:
        list_servers(cloud, credential, project)
    assert refused.value.status_code == 403
