"""The sandbox verifies SDK-HMAC-SHA256 signatures as the cloud's gateway does."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import requests
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from tests.cloud.test_sandbox_agency import REGION, assume, list_servers, projects


def signed(cloud, account, method, path, query=(), body=b"", when=None, sent=None):
    """A request signed by the SDK's own Signer, sent with requests."""
    host = urlsplit(cloud.url).netloc
    headers = {"Content-Type": "application/json", "Host": host}
    if when is not None:
        headers["X-Sdk-Date"] = when.strftime("%Y%m%dT%H%M%SZ")
    request = SdkRequest(
        method=method,
        host=host,
        resource_path=path,
        query_params=list(query),
        header_params=headers,
        body=body,
    )
    Signer(SimpleNamespace(ak=account["access_key"], sk=account["secret_key"])).sign(request)
    return requests.request(
        method,
        cloud.url + request.uri,
        headers=request.header_params,
        data=body if sent is None else sent,
        timeout=10,
    )


def test_query_strings_with_reserved_characters_round_trip(cloud):
    partner = cloud.control.create_account("partner-one")
    customer = cloud.control.create_account("acme")
    cloud.control.create_agency(
        customer["domain_id"], "portal-read", "partner-one", {REGION: ["Tenant Guest"]}
    )
    cloud.control.create_server(customer["domain_id"], REGION, "web 1/ü+&=")
    cloud.control.create_server(customer["domain_id"], REGION, "db")
    credential = assume(cloud, partner, customer["domain_id"], "portal-read")
    project = projects(cloud, credential, customer["domain_id"])[REGION]

    servers = list_servers(cloud, credential, project, name="web 1/ü+&=", limit=10, offset=1)

    assert [server.name for server in servers.servers] == ["web 1/ü+&="]


def test_signature_of_another_body_is_refused(cloud):
    partner = cloud.control.create_account("partner-one")
    ok = signed(cloud, partner, "POST", "/v2/partners/sub-customers/query", body=b'{"limit":5}')
    assert ok.status_code == 200
    tampered = signed(
        cloud,
        partner,
        "POST",
        "/v2/partners/sub-customers/query",
        body=b'{"limit":5}',
        sent=b'{"limit":6}',
    )
    assert tampered.status_code == 401
    assert tampered.json()["error_code"] == "APIGW.0301"
    assert tampered.headers["X-Request-Id"]


@pytest.mark.parametrize("minutes", [-20, 20])
def test_signing_time_far_from_now_is_refused(cloud, minutes):
    partner = cloud.control.create_account("partner-one")
    when = datetime.now(UTC) + timedelta(minutes=minutes)
    answer = signed(cloud, partner, "POST", "/v2/partners/sub-customers/query", when=when)
    assert answer.status_code == 401
    assert "X-Sdk-Date" in answer.json()["error_msg"]


def test_a_test_travelling_in_time_sets_the_sandbox_clock_and_stays_checked(cloud):
    partner = cloud.control.create_account("partner-one")
    travelled = datetime.now(UTC) - timedelta(days=10)
    path = "/v2/partners/sub-customers/query"
    assert signed(cloud, partner, "POST", path, when=travelled).status_code == 401

    cloud.control.set_clock(travelled)
    assert signed(cloud, partner, "POST", path, when=travelled).status_code == 200
    # As strict as ever around its new time: the real time is now far off.
    assert signed(cloud, partner, "POST", path, when=datetime.now(UTC)).status_code == 401

    cloud.control.real_clock()
    assert signed(cloud, partner, "POST", path, when=datetime.now(UTC)).status_code == 200


def test_unsigned_and_other_algorithms_are_refused(cloud):
    unsigned = requests.post(cloud.url + "/v2/partners/sub-customers/query", timeout=10)
    assert unsigned.status_code == 401
    other = requests.get(
        cloud.url + "/v3/auth/projects",
        headers={"Authorization": "SDK-HMAC-SM3 Access=A, SignedHeaders=host, Signature=00"},
        timeout=10,
    )
    assert other.status_code == 401
    assert other.headers["X-Request-Id"]


def test_unknown_path_is_apigw_0101(cloud):
    answer = requests.get(cloud.url + "/v9/nothing", timeout=10)
    assert answer.status_code == 404
    assert answer.json()["error_code"] == "APIGW.0101"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v2/partners/sub-customers/query", b"[1, 2]"),
        ("/v2/partners/sub-customers/query", b'{"offset": "x", "limit": {}}'),
        ("/v2/partners/sub-customers/query", b"not json"),
        ("/v3.0/OS-CREDENTIAL/securitytokens", b'{"auth": [1]}'),
        ("/v3.0/OS-CREDENTIAL/securitytokens", b'{"auth": {"identity": "x"}}'),
        (
            "/v3.0/OS-CREDENTIAL/securitytokens",
            b'{"auth": {"identity": {"methods": ["assume_role"], "assume_role": '
            b'{"agency_name": ["a"], "domain_id": {}, "duration_seconds": 10}}}}',
        ),
        ("/v1.1/" + "0" * 32 + "/cloudservers", b'{"dry_run": "yes"}'),
    ],
)
def test_signed_garbage_is_a_4xx_never_a_5xx(cloud, path, body):
    partner = cloud.control.create_account("partner-one")
    answer = signed(cloud, partner, "POST", path, body=body)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.headers["X-Request-Id"]
