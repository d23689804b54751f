"""The connection's service: encrypted keys, rotation, who may change it, history and audit."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from accounts.models import AuditEvent
from linking.cloud import encryption, services
from linking.cloud.models import CloudConnection
from portal.errors import PortalError
from tests.cloud.connection_setup import ACCESS_KEY, SECRET_KEY, save_connection
from tests.conftest import cast_shared_by_the_module

pytestmark = pytest.mark.django_db

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()


def test_the_key_pair_is_stored_encrypted_and_read_back(cast):
    connection = save_connection(cast)
    stored = CloudConnection.objects.get(pk=connection.pk)
    assert SECRET_KEY not in stored.credentials_encrypted
    assert ACCESS_KEY not in stored.credentials_encrypted
    settings = services.cloud_connection_settings(stored)
    assert (settings.access_key, settings.secret_key) == (ACCESS_KEY, SECRET_KEY)
    assert stored.access_key_hint == ACCESS_KEY[-4:]
    assert SECRET_KEY not in repr(settings)


def test_the_first_key_encrypts_every_key_decrypts_and_the_command_reencrypts(cast, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PORTAL_ENCRYPTION_KEYS = [old]
    connection = save_connection(cast)
    settings.PORTAL_ENCRYPTION_KEYS = [new, old]
    assert services.cloud_connection_settings(connection).secret_key == SECRET_KEY
    settings.PORTAL_ENCRYPTION_KEYS = [new]
    with pytest.raises(PortalError) as unreadable:
        services.cloud_connection_settings(connection)
    assert unreadable.value.code == "LNK-N008"

    settings.PORTAL_ENCRYPTION_KEYS = [new, old]
    call_command("reencrypt_secrets", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.PORTAL_ENCRYPTION_KEYS = [new]
    connection.refresh_from_db()
    assert services.cloud_connection_settings(connection).secret_key == SECRET_KEY
    # Re-encrypting is no change a person sees: no history row.
    assert connection.history.count() == 1


def test_the_command_names_what_no_key_reads(cast, settings):
    connection = save_connection(cast)
    settings.PORTAL_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match=str(connection.pk)):
        call_command("reencrypt_secrets", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.mark.parametrize("keys", [[], ["not-a-fernet-key"]])
def test_without_usable_keys_nothing_is_stored(cast, settings, keys):
    settings.PORTAL_ENCRYPTION_KEYS = keys
    with pytest.raises(PortalError) as refused:
        save_connection(cast)
    assert refused.value.code == "LNK-N007"
    assert not CloudConnection.objects.exists()


def test_only_admins_change_the_connection(cast):
    for user in (cast.viewer, cast.initiator, cast.approver, cast.outsider_admin):
        with pytest.raises(PortalError) as refused:
            save_connection(cast, actor=user)
        assert refused.value.code == "LNK-N009"
    assert not CloudConnection.objects.exists()
    assert not AuditEvent.objects.filter(action="cloud_connection_changed").exists()


def test_a_new_connection_needs_both_parts_of_the_key(cast):
    for missing in ({"secret_key": ""}, {"access_key": "", "secret_key": ""}):
        with pytest.raises(PortalError) as refused:
            save_connection(cast, **missing)
        assert refused.value.code == "LNK-N010"


def test_empty_keys_keep_the_stored_pair_and_an_access_key_alone_is_refused(cast):
    save_connection(cast)
    connection = save_connection(cast, access_key="", secret_key="", partner_account_name="nw2")
    assert services.cloud_connection_settings(connection).secret_key == SECRET_KEY
    with pytest.raises(PortalError) as refused:
        save_connection(cast, access_key="AKANOTHERKEY00000001", secret_key="")
    assert refused.value.code == "LNK-N010"


def test_each_change_writes_history_without_the_pair_and_an_audit_event(cast):
    connection = save_connection(cast)
    save_connection(cast, secret_key="AnotherSecretOfTheNorthwindPartner012345")
    save_connection(cast, secret_key="AnotherSecretOfTheNorthwindPartner012345")  # no change
    connection.refresh_from_db()
    rows = list(connection.history.order_by("history_id"))
    assert [row.history_type for row in rows] == ["+", "~"]
    assert all(row.history_user == cast.admin for row in rows)
    assert not any(hasattr(row, "credentials_encrypted") for row in rows)
    assert rows[1].credentials_set_at > rows[0].credentials_set_at
    events = list(
        AuditEvent.objects.filter(action="cloud_connection_changed").order_by("created_at", "id")
    )
    assert [e.reason for e in events] == [
        "created: partner account id, partner account name, BSS endpoint, IAM endpoint, "
        "ECS endpoint, invitation link, access key pair",
        "changed: access key pair",
    ]
    assert {(e.actor, e.reseller_id, e.object_id) for e in events} == {
        (cast.admin, cast.reseller.pk, str(connection.pk))
    }


def test_a_change_clears_the_last_test(cast):
    connection = services.cloud_connection_request_test(
        actor=cast.admin, reseller=save_connection(cast).reseller
    )
    assert connection.test_status == CloudConnection.TestStatus.TESTING
    connection = save_connection(cast, partner_account_name="renamed")
    assert connection.test_status == CloudConnection.TestStatus.UNTESTED
    assert connection.test_revision is None


def test_testing_without_a_connection_is_lnk_n006(cast):
    with pytest.raises(PortalError) as refused:
        services.cloud_connection_request_test(actor=cast.admin, reseller=cast.reseller)
    assert refused.value.code == "LNK-N006"


def test_default_endpoints_are_huawei_clouds_unless_developing_with_a_sandbox(settings):
    settings.SANDBOX_URL = "http://127.0.0.1:8010"
    settings.DEBUG = False
    assert services.default_endpoints() == {
        "bss_endpoint": "https://bss-intl.myhuaweicloud.com",
        "iam_endpoint": "https://iam.myhuaweicloud.com",
        "ecs_endpoint": "https://ecs.{region}.myhuaweicloud.com",
    }
    settings.DEBUG = True
    assert set(services.default_endpoints().values()) == {"http://127.0.0.1:8010"}
    settings.SANDBOX_URL = ""
    assert services.default_endpoints()["iam_endpoint"] == "https://iam.myhuaweicloud.com"


def test_the_deploy_check_wants_keys_and_every_check_wants_fernet_keys(settings):
    settings.PORTAL_ENCRYPTION_KEYS = []
    assert [m.id for m in encryption.check_encryption_keys_set()] == ["portal.E101"]
    settings.PORTAL_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), "nope"]
    assert [m.id for m in encryption.check_encryption_keys_valid()] == ["portal.E102"]


def test_an_error_report_does_not_show_the_keys(cast, rf, settings):
    import sys

    from django.views.debug import ExceptionReporter

    # A failure deep inside the save, while the keys are variables of its frames. The test's
    # own frame holds no key (as a view's frame holds only its form), so what the report
    # shows comes from the service's frames.
    settings.PORTAL_ENCRYPTION_KEYS = ["not-a-fernet-key"]
    try:
        services.cloud_connection_save(
            actor=cast.admin,
            reseller=cast.reseller,
            partner_domain_id="0" * 32,
            partner_account_name="northwind-partner",
            access_key=ACCESS_KEY,
            secret_key=SECRET_KEY,
            **services.default_endpoints(),
        )
    except PortalError:
        report = ExceptionReporter(rf.post("/"), *sys.exc_info()).get_traceback_html()
    assert "cloud_connection_save" in report and "LNK-N007" in report
    assert SECRET_KEY not in report and ACCESS_KEY not in report
