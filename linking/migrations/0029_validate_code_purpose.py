"""The sign-in code's purpose check, added NOT VALID while the table kept taking writes, is
checked against the existing rows without blocking them."""

from django.db import migrations

from portal.migration_ops import ValidateConstraint


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("linking", "0028_consent_code")]

    operations = [ValidateConstraint("customersignincode", "customer_code_purpose_valid")]
