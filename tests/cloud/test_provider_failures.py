"""Every typed failure of the provider, from real answers of the sandbox cloud over HTTP."""

import logging
import socket
import time
import traceback

import pytest
from django.db import transaction
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException, SdkError

from linking.cloud.huawei import SDK_LOGGERS, _translate, forget_cached_credentials
from linking.cloud.types import (
    CloudCallInTransaction,
    CloudFailure,
    CredentialsRefused,
    Throttled,
    Unreachable,
)
from tests.cloud.provider_setup import REGION, connect


@pytest.fixture(autouse=True)
def _fresh_credentials_cache():
    forget_cached_credentials()
    yield
    forget_cached_credentials()


def test_wrong_secret_is_credentials_refused(cloud):
    partner = connect(cloud)
    provider = partner.with_settings(secret_key="wrong-" + partner.settings.secret_key)

    with pytest.raises(CredentialsRefused) as refused:
        provider.check_connection()

    error = refused.value
    assert (error.code, error.stage, error.status) == ("LNK-N003", "connection", 401)
    assert (error.operation, error.error_code) == ("ListSubCustomers", "APIGW.0301")
    assert error.request_id


def test_unknown_access_key_is_credentials_refused(cloud):
    partner = connect(cloud)

    with pytest.raises(CredentialsRefused):
        partner.with_settings(access_key="NOSUCHKEY").list_sub_customers()


def test_a_throttled_call_is_retried_after_retry_after_and_succeeds(cloud):
    partner = connect(cloud)
    cloud.control.add_fault("ListSubCustomers", "throttle", times=1, seconds=1)
    started = time.monotonic()

    page = partner.provider.list_sub_customers()

    assert page.total == 0
    assert time.monotonic() - started >= 1.0  # the Retry-After of one second was honoured


def test_a_call_throttled_past_the_time_budget_is_throttled(cloud):
    partner = connect(cloud)
    cloud.control.add_fault("ListSubCustomers", "throttle", times=50, seconds=1)
    provider = partner.with_settings(max_total_seconds=2.5)

    started = time.monotonic()
    with pytest.raises(Throttled) as throttled:
        provider.list_sub_customers()

    assert time.monotonic() - started < 5
    error = throttled.value
    assert (error.code, error.stage, error.status) == ("LNK-N002", "connection", 429)
    assert error.retry_after == 1.0
    assert error.error_code == "APIGW.0308"


def test_a_server_error_is_retried_and_succeeds(cloud):
    partner = connect(cloud)
    customer = cloud.control.create_account("acme")
    cloud.control.create_agency(
        customer["domain_id"], "portal", partner.name, {REGION: ["ECS ReadOnlyAccess"]}
    )
    cloud.control.add_fault("CreateTemporaryAccessKeyByAgency", "error", times=2, status=503)

    creds = partner.provider.assume_agency(
        customer_domain_id=customer["domain_id"], agency_name="portal"
    )

    assert creds.access


def test_server_errors_past_the_attempts_are_a_cloud_failure(cloud):
    partner = connect(cloud)
    cloud.control.add_fault("ListSubCustomers", "error", times=50, status=500)
    provider = partner.with_settings(max_attempts=2)

    with pytest.raises(CloudFailure) as failed:
        provider.list_sub_customers()

    error = failed.value
    assert (error.code, error.stage, error.status) == ("LNK-N005", "connection", 500)
    assert "HTTP 500" in error.message


def test_a_slow_answer_past_the_timeout_is_unreachable(cloud):
    partner = connect(cloud)
    cloud.control.add_fault("ListSubCustomers", "delay", times=1, seconds=3)
    provider = partner.with_settings(timeout_seconds=1.0)

    started = time.monotonic()
    with pytest.raises(Unreachable) as unreachable:
        provider.list_sub_customers()

    assert time.monotonic() - started < 2.5  # not retried: the task retries later
    assert (unreachable.value.code, unreachable.value.stage) == ("LNK-N001", "connection")


def test_a_closed_port_is_unreachable(cloud):
    partner = connect(cloud)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"

    with pytest.raises(Unreachable):
        partner.with_settings(bss_endpoint=closed).list_sub_customers()


def test_no_such_api_at_the_gateway_is_a_cloud_failure_not_a_missing_object():
    # The SDK keeps only the host of an endpoint, so no path of the sandbox answers this; the
    # gateway's answer is built as the SDK builds it from a 404 body.
    answer = ClientRequestException(404, SdkError("r-1", "APIGW.0101", "The API does not exist"))

    error = _translate(answer, "CreateTemporaryAccessKeyByAgency", {"agency": "portal"})

    assert type(error) is CloudFailure
    assert (error.code, error.status, error.error_code) == ("LNK-N005", 404, "APIGW.0101")


def test_a_cloud_call_inside_a_transaction_is_refused(cloud, transactional_db):
    partner = connect(cloud)

    with transaction.atomic(), pytest.raises(CloudCallInTransaction):
        partner.provider.list_sub_customers()

    partner.provider.list_sub_customers()  # outside the transaction it goes through


def test_a_cloud_call_inside_a_transaction_in_a_test_case_is_refused(cloud, db):
    partner = connect(cloud)
    partner.provider.list_sub_customers()  # the test case's own transaction does not count

    with transaction.atomic(), pytest.raises(CloudCallInTransaction):
        partner.provider.list_sub_customers()


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


def test_no_secret_reaches_a_log_an_exception_or_a_repr(cloud):
    partner = connect(cloud)
    customer = cloud.control.create_account("acme")
    cloud.control.create_agency(
        customer["domain_id"], "portal", partner.name, {REGION: ["ECS ReadOnlyAccess"]}
    )
    capture = _Capture()
    capture.setFormatter(logging.Formatter("%(name)s %(message)s"))
    loggers = [logging.getLogger(), *map(logging.getLogger, SDK_LOGGERS)]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(capture)
        logger.setLevel(logging.DEBUG)
    wrong_secret = "Wr0ngSecret" + partner.settings.secret_key
    provider = partner.with_settings(secret_key=wrong_secret)
    try:
        with pytest.raises(CredentialsRefused) as refused:
            provider.list_sub_customers()
        creds = partner.provider.assume_agency(
            customer_domain_id=customer["domain_id"], agency_name="portal"
        )
        partner.provider.list_projects(creds)
        logging.getLogger("tests").exception("a failure", exc_info=refused.value)
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(capture)
            logger.setLevel(level)

    texts = [
        *capture.lines,
        str(refused.value),
        repr(refused.value),
        "".join(traceback.format_exception(refused.value)),
        repr(provider),
        repr(provider.settings),
        repr(creds),
    ]
    assert any("ListSubCustomers" in line or "sub-customers" in line for line in capture.lines)
    for secret in (wrong_secret, partner.settings.secret_key, creds.secret, creds.security_token):
        assert not [text for text in texts if secret in text]
