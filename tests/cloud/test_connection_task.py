"""The connection test task against the sandbox cloud: the real SDK, a real signature check."""

import pytest

from linking.cloud import services
from linking.cloud.models import CloudConnection
from linking.cloud.tasks import cloud_connection_test_task
from tests.cloud.connection_setup import connect_to_sandbox

pytestmark = pytest.mark.django_db


def _test(cast) -> tuple[str, CloudConnection]:
    connection = services.cloud_connection_request_test(actor=cast.admin, reseller=cast.reseller)
    result = cloud_connection_test_task(connection.pk, connection.revision)
    connection.refresh_from_db()
    return result, connection


def test_a_right_key_is_stored_as_working(cast, cloud):
    connect_to_sandbox(cast, cloud)
    result, connection = _test(cast)
    assert result == "ok"
    assert connection.test_status == CloudConnection.TestStatus.OK
    assert connection.tested_at is not None
    assert (connection.test_code, connection.test_message) == ("", "")


def test_a_wrong_secret_is_stored_as_lnk_n003(cast, cloud):
    connect_to_sandbox(cast, cloud, secret_key="WrongSecretWrongSecretWrongSecret0000000")
    result, connection = _test(cast)
    assert result == "LNK-N003"
    assert connection.test_status == CloudConnection.TestStatus.FAILED
    assert connection.test_code == "LNK-N003"
    assert "refused your partner access key" in connection.test_message
    assert "Create a new access key" in connection.test_hint
    # A test is an observation, not a change: the history has the creation only.
    assert connection.history.count() == 1


def test_an_unreachable_endpoint_is_stored_as_lnk_n001(cast, cloud):
    from tests.cloud.conftest import _free_port

    connect_to_sandbox(cast, cloud)
    services.cloud_connection_save(
        actor=cast.admin,
        reseller=cast.reseller,
        partner_domain_id=CloudConnection.objects.get().partner_domain_id,
        partner_account_name="northwind-partner",
        bss_endpoint=f"http://127.0.0.1:{_free_port()}",
        iam_endpoint=cloud.url,
        ecs_endpoint=cloud.url,
    )
    result, connection = _test(cast)
    assert result == "LNK-N001"
    assert connection.test_code == "LNK-N001"


def test_a_result_for_settings_changed_meanwhile_is_not_stored(cast, cloud):
    connect_to_sandbox(cast, cloud)
    connection = services.cloud_connection_request_test(actor=cast.admin, reseller=cast.reseller)
    services.cloud_connection_save(
        actor=cast.admin,
        reseller=cast.reseller,
        partner_domain_id=connection.partner_domain_id,
        partner_account_name="renamed",
        **connection.endpoints,
    )
    assert cloud_connection_test_task(connection.pk, connection.revision) == "stale"
    connection.refresh_from_db()
    assert connection.test_status == CloudConnection.TestStatus.UNTESTED
    assert connection.tested_at is None
