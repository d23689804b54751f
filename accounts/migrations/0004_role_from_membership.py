"""A member's role is read from the membership alone: the role groups' (and any user's)
guardian permissions on resellers are a second copy that nothing reads any more. Each row
removed is an audit event, as every other change of access is."""

from django.db import migrations

REASON = "reseller permissions come from the membership's role"


def remove_reseller_object_permissions(apps, schema_editor):
    db = schema_editor.connection.alias
    AuditEvent = apps.get_model("accounts", "AuditEvent")
    ContentType = apps.get_model("contenttypes", "ContentType")
    GroupPerm = apps.get_model("accounts", "ResellerGroupObjectPermission")
    UserPerm = apps.get_model("accounts", "ResellerUserObjectPermission")
    reseller_type = ContentType.objects.using(db).filter(app_label="accounts", model="reseller")
    content_type_id = reseller_type.values_list("pk", flat=True).first()
    events = []
    for row in GroupPerm.objects.using(db).select_related("group", "permission", "content_object"):
        events.append(
            AuditEvent(
                action="permission_removed",
                permission=f"accounts.{row.permission.codename}",
                group_id=row.group_id,
                group_name=row.group.name,
                content_type_id=content_type_id,
                object_id=str(row.content_object_id),
                object_repr=f"{row.content_object.name} ({row.content_object.partner_id})"[:200],
                reseller_id=row.content_object_id,
                reason=REASON,
            )
        )
    for row in UserPerm.objects.using(db).select_related("user", "permission", "content_object"):
        events.append(
            AuditEvent(
                action="permission_removed",
                permission=f"accounts.{row.permission.codename}",
                user_id=row.user_id,
                content_type_id=content_type_id,
                object_id=str(row.content_object_id),
                object_repr=f"{row.content_object.name} ({row.content_object.partner_id})"[:200],
                reseller_id=row.content_object_id,
                reason=f"{REASON} (a grant to {row.user.email or row.user.username})",
            )
        )
    AuditEvent.objects.using(db).bulk_create(events)
    GroupPerm.objects.using(db).all().delete()
    UserPerm.objects.using(db).all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_audit_events"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(remove_reseller_object_permissions, migrations.RunPython.noop),
    ]
