"""Audit events for guardian grants and role-group moves, and the append-only tables."""

from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts.append_only import TRIGGER, append_only_models, tables_with_trigger
from accounts.models import AuditEvent, Membership, ResellerRoleGroup, Role, User
from accounts.services import membership_remove, membership_set_role
from linking import services
from linking.models import ConsentRecord, CustomerAccount, Link
from tests.conftest import cast_shared_by_the_module, read_only_delegation
from tests.journeys import active_link

pytestmark = pytest.mark.django_db

# One cast for the module's tests, each in a savepoint rolled back after it.
_module_cast, cast = cast_shared_by_the_module()

GRANTED = AuditEvent.Action.PERMISSION_GRANTED
REMOVED = AuditEvent.Action.PERMISSION_REMOVED
on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the append-only triggers exist on PostgreSQL only (the production database)",
)


def active_delegation(cast, django_capture_on_commit_callbacks, days=30) -> Link:
    spec = read_only_delegation(cast)
    spec.duration_days = days
    with django_capture_on_commit_callbacks(execute=False):
        return active_link(cast, [spec])


def grant_events(cast, action=None):
    qs = AuditEvent.objects.filter(
        reseller=cast.reseller, permission__startswith="linking."
    ).order_by("id")
    if action:
        qs = qs.filter(action=action)
    return list(qs)


def as_tuples(events):
    return {(e.action, e.permission, e.group_name.rsplit("-", 1)[1]) for e in events}


def test_activation_records_each_grant_as_a_system_event(cast, django_capture_on_commit_callbacks):
    link = active_delegation(cast, django_capture_on_commit_callbacks)
    events = grant_events(cast)
    assert as_tuples(events) == {
        (GRANTED, "linking.view_customeraccount", "admin"),
        (GRANTED, "linking.view_customeraccount", "initiator"),
        (GRANTED, "linking.view_customeraccount", "approver"),
        (GRANTED, "linking.view_customeraccount", "viewer"),
        (GRANTED, "linking.delegate_read_customeraccount", "admin"),
        (GRANTED, "linking.delegate_read_customeraccount", "initiator"),
    }
    event = events[0]
    assert event.actor is None
    assert event.reason == f"{link.reference} activated"
    assert event.object_id == str(cast.customer.pk)
    assert event.object_repr == str(cast.customer)
    assert event.content_type.model_class() is CustomerAccount


def test_revoke_records_each_removal_with_the_actor_and_reason(
    cast, django_capture_on_commit_callbacks
):
    link = active_delegation(cast, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        services.link_revoke(
            actor=cast.admin,
            link_id=link.pk,
            reason="contract ended",
            confirm_reference=link.reference,
        )
    removed = grant_events(cast, REMOVED)
    assert len(removed) == 6
    assert {e.actor for e in removed} == {cast.admin}
    assert all("contract ended" in e.reason and link.reference in e.reason for e in removed)


def test_expiry_sweep_records_removals_without_an_actor(cast, django_capture_on_commit_callbacks):
    link = active_delegation(cast, django_capture_on_commit_callbacks, days=1)
    later = timezone.now() + timedelta(days=2)
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=False):
        assert services.link_expire_due() == 1
    removed = grant_events(cast, REMOVED)
    assert len(removed) == 6
    assert {e.actor_id for e in removed} == {None}
    assert all(e.reason.endswith("(expiry sweep)") for e in removed)
    assert all(f"{link.reference} expired" in e.reason for e in removed)


def test_a_sync_writes_its_events_in_one_insert(
    cast, django_capture_on_commit_callbacks, django_assert_num_queries
):
    link = active_delegation(cast, django_capture_on_commit_callbacks)
    Link.objects.filter(pk=link.pk).update(status=Link.Status.REVOKED)
    # the links, role groups, held perms, customer, one DELETE per group, one INSERT
    with django_assert_num_queries(9) as captured:
        services.link_sync_grants(
            actor=cast.staff, reseller_id=cast.reseller.pk, customer_id=cast.customer.pk, reason="x"
        )
    inserts = [q["sql"] for q in captured.captured_queries if "audit" in q["sql"].lower()]
    assert len(inserts) == 1 and inserts[0].startswith("INSERT")
    assert len(grant_events(cast, REMOVED)) == 6


def test_membership_role_change_records_leaving_and_joining(cast):
    membership = Membership.objects.get(user=cast.viewer, reseller=cast.reseller)
    membership_set_role(actor=cast.admin, membership_id=membership.pk, role=Role.APPROVER)
    left, joined = AuditEvent.objects.filter(user=cast.viewer).order_by("id")[1:]
    groups = {rg.role: rg.group for rg in ResellerRoleGroup.objects.filter(reseller=cast.reseller)}
    assert (left.action, left.group, left.actor) == (
        AuditEvent.Action.GROUP_LEFT,
        groups[Role.VIEWER],
        cast.admin,
    )
    assert (joined.action, joined.group, joined.actor) == (
        AuditEvent.Action.GROUP_JOINED,
        groups[Role.APPROVER],
        cast.admin,
    )
    assert left.reason == joined.reason == "role changed from viewer to approver"
    assert left.reseller == cast.reseller


def test_membership_add_and_remove_are_recorded(cast):
    added = AuditEvent.objects.filter(user=cast.viewer).get()
    assert added.action == AuditEvent.Action.GROUP_JOINED
    assert added.reason == "added as viewer"
    membership = Membership.objects.get(user=cast.viewer, reseller=cast.reseller)
    membership_remove(actor=cast.admin, membership_id=membership.pk)
    removed = AuditEvent.objects.filter(user=cast.viewer).latest("id")
    assert (removed.action, removed.actor, removed.reason) == (
        AuditEvent.Action.GROUP_LEFT,
        cast.admin,
        "removed from reseller",
    )


def test_a_new_reseller_grants_nothing_on_itself(cast):
    # The role's permissions come from the membership: no guardian grant, so no event.
    assert not AuditEvent.objects.filter(permission__startswith="accounts.").exists()


def test_the_migration_removes_reseller_grants_with_an_event_each(cast):
    from importlib import import_module
    from types import SimpleNamespace

    from guardian.shortcuts import assign_perm

    from accounts.models import ResellerGroupObjectPermission, ResellerUserObjectPermission

    migration = import_module("accounts.migrations.0004_role_from_membership")
    group = ResellerRoleGroup.objects.get(reseller=cast.reseller, role=Role.VIEWER).group
    assign_perm("accounts.manage_members", group, cast.reseller)
    assign_perm("accounts.approve_requests", cast.viewer, cast.other)
    # The migration reads only the editor's connection.
    migration.remove_reseller_object_permissions(apps, SimpleNamespace(connection=connection))
    assert not ResellerGroupObjectPermission.objects.exists()
    assert not ResellerUserObjectPermission.objects.exists()
    events = AuditEvent.objects.filter(action=REMOVED, reason__startswith=migration.REASON)
    assert sorted((e.permission, e.reseller_id, e.group_id, e.user_id) for e in events) == sorted(
        [
            ("accounts.manage_members", cast.reseller.pk, group.pk, None),
            ("accounts.approve_requests", cast.other.pk, None, cast.viewer.pk),
        ]
    )


def test_audit_events_refuse_edits_in_python(cast):
    event = AuditEvent.objects.first()
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


# --- append-only on PostgreSQL -------------------------------------------------------------


def refused(sql, params=()):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


@on_postgres
def test_every_history_and_evidence_table_has_the_trigger():
    tables = {model._meta.db_table for model in append_only_models()}
    # Every simple-history model of the registry, so a new tracked model is covered or fails.
    for model in apps.get_models(include_auto_created=True):
        if model.__name__.startswith("Historical"):
            assert model._meta.db_table in tables, model
    assert {
        AuditEvent._meta.db_table,
        ConsentRecord._meta.db_table,
        Link.history.model._meta.db_table,
        CustomerAccount.history.model._meta.db_table,
        "linking_historicalcustomeraccount_regions",
    } <= tables
    assert tables - tables_with_trigger(connection) == set(), f"{TRIGGER} missing"


@on_postgres
def test_history_rows_refuse_update_and_delete(cast):
    table = Membership.history.model._meta.db_table
    refused(f"UPDATE {table} SET history_change_reason = 'edited'")  # noqa: S608
    refused(f"DELETE FROM {table}")  # noqa: S608
    assert Membership.history.filter(history_change_reason="edited").count() == 0
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Membership.history.update(history_change_reason="edited")
    assert Membership.history.count() == 6


@on_postgres
def test_audit_events_and_consent_records_refuse_update_and_delete(
    cast, django_capture_on_commit_callbacks
):
    active_delegation(cast, django_capture_on_commit_callbacks)
    for model in (AuditEvent, ConsentRecord):
        table = model._meta.db_table
        assert model.objects.exists()
        refused(f"UPDATE {table} SET id = id")  # noqa: S608
        refused(f"DELETE FROM {table} WHERE id = %s", [model.objects.first().pk])  # noqa: S608
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.all().delete()


@on_postgres
def test_inserts_still_work_and_a_user_is_never_deleted(cast):
    before = Membership.history.count()
    membership = Membership.objects.get(user=cast.viewer, reseller=cast.reseller)
    membership_set_role(actor=cast.admin, membership_id=membership.pk, role=Role.APPROVER)
    assert Membership.history.count() == before + 1
    # Deleting a user who wrote history would null their name on every row: refused.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        User.objects.filter(pk=cast.admin.pk).delete()
    assert User.objects.filter(pk=cast.admin.pk).exists()


@on_postgres
def test_installing_the_triggers_again_changes_nothing(cast):
    from accounts.append_only import install_append_only_triggers

    assert install_append_only_triggers() == []
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {TRIGGER} ON accounts_auditevent")
    assert install_append_only_triggers() == ["accounts_auditevent"]
    refused("DELETE FROM accounts_auditevent")
