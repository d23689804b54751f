"""Every write on a reseller's cloud connection, and the test that calls the cloud.

Admins of the reseller change the connection (the page asks for the password first); each
change writes a history row without the access key pair and an audit event naming the parts
that changed. Testing the connection is a Celery task: the page only asks for it.
"""

from __future__ import annotations

import json
from dataclasses import fields

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.models import AuditEvent, Reseller, User
from accounts.permissions import has_reseller_perm
from linking.cloud import encryption, provider_for
from linking.cloud.models import CloudConnection
from linking.cloud.provider import ConnectionSettings
from portal.errors import PortalError
from portal.publish import publish_on_commit

MANAGE = "manage_members"
ENDPOINT_FIELDS = ("bss_endpoint", "iam_endpoint", "ecs_endpoint")
# What the audit event calls each part of a connection.
PART_NAMES = {
    "partner_domain_id": "partner account id",
    "partner_account_name": "partner account name",
    "credentials": "access key pair",
    "bss_endpoint": "BSS endpoint",
    "iam_endpoint": "IAM endpoint",
    "ecs_endpoint": "ECS endpoint",
    "invitation_url": "invitation link",
}


def default_endpoints() -> dict[str, str]:
    """The endpoints a new connection starts with: the sandbox cloud's in development when
    SANDBOX_URL is set, Huawei Cloud's otherwise."""
    if settings.DEBUG and settings.SANDBOX_URL:
        return dict.fromkeys(ENDPOINT_FIELDS, settings.SANDBOX_URL)
    defaults = {f.name: f.default for f in fields(ConnectionSettings) if isinstance(f.default, str)}
    return {name: defaults[name] for name in ENDPOINT_FIELDS}


def can_manage_connection(*, actor: User | None, reseller: Reseller) -> PortalError | None:
    """None when `actor` may change and test the reseller's connection (its admins)."""
    if has_reseller_perm(user=actor, reseller=reseller, perm=MANAGE):
        return None
    return PortalError("LNK-N009", reseller=reseller.name)


# Error reports (the 500 e-mail to ADMINS) show each frame's variables: not these.
@sensitive_variables()
def _sealed(access_key: str, secret_key: str) -> str:
    return encryption.encrypt(json.dumps({"access_key": access_key, "secret_key": secret_key}))


def _opened(connection: CloudConnection) -> dict:
    return json.loads(encryption.decrypt(connection.credentials_encrypted))


# Error reports show each frame's variables: not the keys (hence no @atomic around it).
@sensitive_variables("access_key", "secret_key", "stored")
def cloud_connection_save(
    *,
    actor: User | None,
    reseller: Reseller,
    partner_domain_id: str,
    partner_account_name: str,
    access_key: str = "",
    secret_key: str = "",
    bss_endpoint: str,
    iam_endpoint: str,
    ecs_endpoint: str,
    invitation_url: str = "",
    check_actor: bool = True,
    reason: str = "",
) -> CloudConnection:
    """Create or change the reseller's connection (its admins; `check_actor=False` for demo
    data). An empty access key and secret key keep the stored pair. Writes a history row
    without the pair and an audit event; the last test's result is cleared by a change."""
    if check_actor and (refusal := can_manage_connection(actor=actor, reseller=reseller)):
        raise refusal
    with transaction.atomic():
        connection = CloudConnection.objects.select_for_update().filter(reseller=reseller).first()
        creating = connection is None
        if access_key and not secret_key:
            raise PortalError("LNK-N010")
        if creating and not (access_key and secret_key):
            raise PortalError("LNK-N010")
        if connection is None:
            connection = CloudConnection(reseller=reseller, revision=0)
        values = {
            "partner_domain_id": partner_domain_id,
            "partner_account_name": partner_account_name,
            "bss_endpoint": bss_endpoint,
            "iam_endpoint": iam_endpoint,
            "ecs_endpoint": ecs_endpoint,
            "invitation_url": invitation_url,
        }
        changed = [name for name, value in values.items() if getattr(connection, name) != value]
        if secret_key:
            stored = None if creating else _stored_pair_or_none(connection)
            access_key = access_key or (stored or {}).get("access_key", "")
            if not access_key:  # a secret alone, for a pair that cannot be read any more
                raise PortalError("LNK-N010")
            if stored != {"access_key": access_key, "secret_key": secret_key}:
                connection.credentials_encrypted = _sealed(access_key, secret_key)
                connection.access_key_hint = access_key[-4:]
                connection.credentials_set_at = timezone.now()
                changed.append("credentials")
        if not changed:
            return connection  # nothing to change: no history row, no event, the test stands
        for name, value in values.items():
            setattr(connection, name, value)
        connection.revision += 1
        connection.updated_by = actor
        connection.test_status = CloudConnection.TestStatus.UNTESTED
        connection.test_revision = None
        connection.test_requested_at = connection.tested_at = None
        connection.test_code = connection.test_message = connection.test_hint = ""
        parts = ", ".join(PART_NAMES[name] for name in changed)
        summary = f"{'created' if creating else 'changed'}: {parts}"
        connection._history_user = actor
        connection._change_reason = reason or f"cloud connection {summary}"
        connection.save()
        AuditEvent.objects.create(
            actor=actor,
            action=AuditEvent.Action.CLOUD_CONNECTION_CHANGED,
            content_type=ContentType.objects.get_for_model(CloudConnection),
            object_id=str(connection.pk),
            object_repr=str(connection)[:200],
            reseller=reseller,
            reason=summary,
        )
        return connection


def _stored_pair_or_none(connection: CloudConnection) -> dict | None:
    # A pair no key reads any more is replaced, not compared.
    try:
        return _opened(connection)
    except PortalError:
        return None


@sensitive_variables("pair")
def cloud_connection_settings(connection: CloudConnection) -> ConnectionSettings:
    """The provider settings of a connection, its pair decrypted (in memory only)."""
    pair = _opened(connection)
    return ConnectionSettings(
        partner_domain_id=connection.partner_domain_id,
        partner_account_name=connection.partner_account_name,
        access_key=pair["access_key"],
        secret_key=pair["secret_key"],
        bss_endpoint=connection.bss_endpoint,
        iam_endpoint=connection.iam_endpoint,
        ecs_endpoint=connection.ecs_endpoint,
        retry_base_delay_seconds=settings.PORTAL_CLOUD_RETRY_BASE_DELAY_MS / 1000,
    )


@transaction.atomic
def cloud_connection_request_test(*, actor: User, reseller: Reseller) -> CloudConnection:
    """Ask a worker to test the reseller's connection (its admins); the page shows "testing"
    until the result is stored. Asking again while a test runs asks once more."""
    if refusal := can_manage_connection(actor=actor, reseller=reseller):
        raise refusal
    connection = CloudConnection.objects.select_for_update().filter(reseller=reseller).first()
    if connection is None:
        raise PortalError("LNK-N006", reseller=reseller.name)
    connection.test_status = CloudConnection.TestStatus.TESTING
    connection.test_revision = connection.revision
    connection.test_requested_at = timezone.now()
    connection.save_without_historical_record(
        update_fields=["test_status", "test_revision", "test_requested_at"]
    )
    from linking.cloud.tasks import cloud_connection_test_task

    publish_on_commit(cloud_connection_test_task, connection.pk, connection.revision)
    return connection


def cloud_connection_test(*, connection_id: int, revision: int) -> str:
    """Call the cloud with the connection's keys and store the outcome, unless the connection
    changed (or was tested) meanwhile. The task's only work; the call is made outside any
    transaction. Returns "ok", the failure's code, or "stale"."""
    connection = CloudConnection.objects.filter(pk=connection_id).first()
    if connection is None or not _awaits_test(connection, revision):
        return "stale"
    try:
        provider_for(cloud_connection_settings(connection)).check_connection()
    except PortalError as error:  # every CloudError, and a pair that cannot be read
        outcome = (CloudConnection.TestStatus.FAILED, error.code, error.message, error.hint)
    else:
        outcome = (CloudConnection.TestStatus.OK, "", "", "")
    with transaction.atomic():
        connection = CloudConnection.objects.select_for_update().filter(pk=connection_id).first()
        if connection is None or not _awaits_test(connection, revision):
            return "stale"
        status, code, message, hint = outcome
        connection.test_status = status
        connection.tested_at = timezone.now()
        connection.test_code, connection.test_message, connection.test_hint = code, message, hint
        connection.save_without_historical_record(
            update_fields=["test_status", "tested_at", "test_code", "test_message", "test_hint"]
        )
    return code or "ok"


def _awaits_test(connection: CloudConnection, revision: int) -> bool:
    return (
        connection.test_status == CloudConnection.TestStatus.TESTING
        and connection.revision == revision
        and connection.test_revision == revision
    )


def cloud_connection_reencrypt_all() -> tuple[int, list[int]]:
    """Encrypt every stored access key pair again with the first key of
    PORTAL_ENCRYPTION_KEYS (platform staff, after putting a new key first). One short
    transaction per connection; no history row (nothing a person sees changes). Returns the
    number re-encrypted and the ids of connections no key could read (left as they are)."""
    count, unreadable = 0, []
    for pk in CloudConnection.objects.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            connection = CloudConnection.objects.select_for_update().filter(pk=pk).first()
            if connection is None:
                continue
            try:
                token = encryption.reencrypt(connection.credentials_encrypted)
            except PortalError:
                unreadable.append(pk)
                continue
            connection.credentials_encrypted = token
            connection.save_without_historical_record(update_fields=["credentials_encrypted"])
            count += 1
    return count, unreadable
