"""ListSubCustomers through the real BSS client against the sandbox."""

import time

import pytest
from huaweicloudsdkbssintl.v2 import ListSubCustomersRequest, QuerySubCustomerListReq
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from linking.cloud.sandbox.control import SandboxControlError
from tests.cloud import sdk_clients


def _page(client, offset=0, limit=100, **filters):
    body = QuerySubCustomerListReq(offset=offset, limit=limit, **filters)
    return client.list_sub_customers(ListSubCustomersRequest(body=body))


def test_partner_lists_its_associated_customers(cloud):
    partner = cloud.control.create_account("partner-one")
    customer = cloud.control.create_account(
        "acme", display_name="Acme Ltd", email="it@acme.test", verified_status="0"
    )
    stranger = cloud.control.create_account("stranger")
    cloud.control.associate(partner["domain_id"], customer["domain_id"], "2")
    other = cloud.control.create_account("partner-two")
    cloud.control.associate(other["domain_id"], stranger["domain_id"])

    response = _page(sdk_clients.bss(cloud.url, partner))

    assert response.count == 1
    [info] = response.customer_infos
    assert info.customer_id == customer["domain_id"]
    assert info.account_name == "acme"
    assert info.customer == "Acme Ltd"
    assert info.association_type == "2"
    assert info.verified_status == "0"
    assert info.is_frozen == 0
    assert info.email == "it@acme.test"


def test_wrong_secret_is_refused_with_401(cloud):
    partner = cloud.control.create_account("partner-one")
    secret = partner["secret_key"]
    wrong = {**partner, "secret_key": secret[:-1] + ("y" if secret.endswith("x") else "x")}

    with pytest.raises(ClientRequestException) as refused:
        _page(sdk_clients.bss(cloud.url, wrong))

    assert refused.value.status_code == 401
    assert refused.value.error_code == "APIGW.0301"
    assert refused.value.request_id


def test_unknown_access_key_is_refused(cloud):
    partner = cloud.control.create_account("partner-one")
    unknown = {**partner, "access_key": "A" * 20}
    with pytest.raises(ClientRequestException) as refused:
        _page(sdk_clients.bss(cloud.url, unknown))
    assert refused.value.status_code == 401


def test_paging_and_filters(cloud):
    partner = cloud.control.create_account("partner-one")
    cloud.control.bulk_customers(partner["domain_id"], 250, "cust-")
    client = sdk_clients.bss(cloud.url, partner)

    seen = []
    offset = 0
    while True:
        page = _page(client, offset=offset, limit=100)
        assert page.count == 250
        seen += [info.account_name for info in page.customer_infos]
        offset += 100
        if offset >= page.count:
            break
    assert len(seen) == len(set(seen)) == 250
    assert _page(client, account_name="cust-00").count == 9  # cust-001 .. cust-009

    with pytest.raises(ClientRequestException) as refused:
        _page(client, limit=101)
    assert (refused.value.status_code, refused.value.error_code) == (400, "CBC.0100")


def test_ten_thousand_customers_bulk_and_page_quickly(cloud):
    partner = cloud.control.create_account("partner-big")
    started = time.monotonic()
    cloud.control.bulk_customers(partner["domain_id"], 10_000, "bulk-")
    assert time.monotonic() - started < 10
    client = sdk_clients.bss(cloud.url, partner)
    started = time.monotonic()
    last = _page(client, offset=9_950, limit=100)
    assert time.monotonic() - started < 2
    assert last.count == 10_000
    assert len(last.customer_infos) == 50


def test_account_with_given_keys_signs_with_them(cloud):
    partner = cloud.control.create_account(
        "demo-partner", access_key="DEMOPARTNERKEY000001", secret_key="d" * 40
    )
    assert (partner["access_key"], partner["secret_key"]) == ("DEMOPARTNERKEY000001", "d" * 40)
    assert _page(sdk_clients.bss(cloud.url, partner)).count == 0
    with pytest.raises(SandboxControlError) as taken:
        cloud.control.create_account("other", access_key="DEMOPARTNERKEY000001")
    assert taken.value.status == 409
    with pytest.raises(SandboxControlError) as invalid:
        cloud.control.create_account("third", secret_key="short")
    assert invalid.value.status == 400


def test_invalid_control_input_is_400_not_500(cloud):
    partner = cloud.control.create_account("partner-one")
    for call in (
        lambda: cloud.control.create_account("bad name!"),
        lambda: cloud.control.create_account("x", domain_id="XYZ"),
        lambda: cloud.control.bulk_customers(partner["domain_id"], 0),
        lambda: cloud.control.create_agency(partner["domain_id"], "a", "b", {"mars-1": ["X"]}),
        lambda: cloud.control.create_agency(partner["domain_id"], "a", "b", {"cn-north-4": ["X"]}),
    ):
        with pytest.raises(SandboxControlError) as invalid:
            call()
        assert invalid.value.status == 400
    with pytest.raises(SandboxControlError) as missing:
        cloud.control.associate(partner["domain_id"], "0" * 32)
    assert missing.value.status == 404
