"""The audit event's action check, added NOT VALID while the table kept taking writes, is checked
against the existing rows without blocking them."""

from django.db import migrations

from portal.migration_ops import ValidateConstraint


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("accounts", "0012_mfa")]

    operations = [ValidateConstraint("auditevent", "auditevent_action_valid")]
