"""Injected faults: throttling, 5xx, delay and an agency broader than asked."""

import time

import pytest
from huaweicloudsdkcore.exceptions.exceptions import (
    ClientRequestException,
    ServerResponseException,
)

from linking.cloud.sandbox.control import SandboxControlError
from linking.cloud.sandbox.roles import REGIONS
from tests.cloud import sdk_clients
from tests.cloud.test_sandbox_agency import REGION, assume, dry_run, projects
from tests.cloud.test_sandbox_bss import _page


@pytest.fixture
def partner(cloud):
    return cloud.control.create_account("partner-one")


def test_throttle_answers_429_with_retry_after_then_recovers(cloud, partner):
    cloud.control.add_fault("ListSubCustomers", "throttle", times=1, seconds=7)
    client = sdk_clients.bss(cloud.url, partner)

    with pytest.raises(ClientRequestException) as throttled:
        _page(client)
    assert throttled.value.status_code == 429
    assert throttled.value.error_code == "APIGW.0308"

    assert _page(client).count == 0


def test_error_answers_5xx_for_the_named_operation_only(cloud, partner):
    cloud.control.add_fault("CreateTemporaryAccessKeyByAgency", "error", times=2, status=500)
    client = sdk_clients.bss(cloud.url, partner)
    assert _page(client).count == 0
    customer = cloud.control.create_account("acme")
    cloud.control.create_agency(
        customer["domain_id"], "portal", "partner-one", {REGION: ["ECS ReadOnlyAccess"]}
    )
    for _ in range(2):
        with pytest.raises(ServerResponseException) as failed:
            assume(cloud, partner, customer["domain_id"], "portal")
        assert failed.value.status_code == 500
    assert assume(cloud, partner, customer["domain_id"], "portal").access


def test_delay_holds_the_answer(cloud, partner):
    cloud.control.add_fault("*", "delay", seconds=1.5)
    client = sdk_clients.bss(cloud.url, partner)
    started = time.monotonic()
    _page(client)
    assert time.monotonic() - started >= 1.5


def test_broaden_makes_the_next_agency_act_as_tenant_administrator(cloud, partner):
    customer = cloud.control.create_account("acme")
    cloud.control.create_agency(
        customer["domain_id"], "portal", "partner-one", {REGION: ["ECS ReadOnlyAccess"]}
    )
    cloud.control.add_fault("*", "broaden")

    broad = assume(cloud, partner, customer["domain_id"], "portal")
    reachable = projects(cloud, broad, customer["domain_id"])
    assert len(reachable) == len(REGIONS)  # every project of the account
    dry_run(cloud, broad, reachable[REGION])

    narrow = assume(cloud, partner, customer["domain_id"], "portal")
    with pytest.raises(ClientRequestException):
        dry_run(cloud, narrow, reachable[REGION])


def test_clear_faults_and_invalid_faults(cloud, partner):
    cloud.control.add_fault("ListSubCustomers", "error", times=5)
    cloud.control.clear_faults()
    assert _page(sdk_clients.bss(cloud.url, partner)).count == 0
    with pytest.raises(SandboxControlError) as invalid:
        cloud.control.add_fault("DeleteEverything", "error")
    assert invalid.value.status == 400


def test_control_api_needs_the_token(cloud):
    from linking.cloud.sandbox.control import SandboxControl

    with pytest.raises(SandboxControlError) as refused:
        SandboxControl(cloud.url, "wrong").reset()
    assert refused.value.status == 401
