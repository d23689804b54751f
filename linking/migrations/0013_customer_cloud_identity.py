"""Customer accounts are identified as Huawei Cloud identifies them: the account (domain) id of
32 lowercase hexadecimal characters, and the account name.

Existing rows are converted deterministically: a 12-digit account id becomes the 32-character id
left-padded with zeros (`123456789012` becomes `00000000000000000000123456789012`), in the
directory, its history and the normalised account id of link requests; `account_name` stays
blank until the cloud sync or a directory import fills it. Batch rows keep the id as the file
gave it. Going back turns padded ids into 12 digits again and refuses any other id.

The account name gets a trigram index (PostgreSQL only, like migration 0006), which answers the
case-insensitive prefix and substring searches by name; the id's prefix search uses the
pattern index PostgreSQL keeps beside the unique index of a text column.
"""

import re

from django.db import migrations, models

TWELVE_DIGITS = re.compile(r"^[0-9]{12}$")
PADDED = re.compile(r"^0{20}[0-9]{12}$")


def padded(old):
    """A former 12-digit id as a 32-character id; other values unchanged."""
    return old.zfill(32) if TWELVE_DIGITS.match(old or "") else old


def unpadded(new):
    if PADDED.match(new or ""):
        return new[20:]
    return new


def _convert(apps, convert, *, strict):
    for model_name, field in [
        ("CustomerAccount", "account_id"),
        ("HistoricalCustomerAccount", "account_id"),
        ("LinkRequest", "account_id_input"),
    ]:
        model = apps.get_model("linking", model_name)
        for pk, value in model.objects.values_list("pk", field).iterator():
            new = convert(value)
            if strict and model_name == "CustomerAccount" and not TWELVE_DIGITS.match(new):
                raise ValueError(f"account id {new} has no 12-digit form; cannot go back")
            if new != value:
                # Plain updates on purpose: a change of format, not a change of the account.
                model.objects.filter(pk=pk).update(**{field: new})


def forwards(apps, schema_editor):
    _convert(apps, padded, strict=False)


def backwards(apps, schema_editor):
    _convert(apps, unpadded, strict=True)


def create_name_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        'CREATE INDEX IF NOT EXISTS "customer_account_name_trgm" ON "linking_customeraccount" '
        'USING gin ((UPPER("account_name"::text)) gin_trgm_ops)'
    )


def drop_name_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute('DROP INDEX IF EXISTS "customer_account_name_trgm"')


class Migration(migrations.Migration):
    dependencies = [
        ("linking", "0012_cloud_connection"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="customeraccount",
            name="customer_account_id_format",
        ),
        migrations.AddField(
            model_name="customeraccount",
            name="account_name",
            field=models.CharField(
                blank=True,
                help_text="The name the customer signs in with; blank when not known yet.",
                max_length=64,
            ),
        ),
        migrations.AddField(
            model_name="historicalcustomeraccount",
            name="account_name",
            field=models.CharField(
                blank=True,
                help_text="The name the customer signs in with; blank when not known yet.",
                max_length=64,
            ),
        ),
        migrations.AlterField(
            model_name="customeraccount",
            name="account_id",
            field=models.CharField(
                help_text="The cloud's domain id: 32 lowercase hexadecimal characters.",
                max_length=32,
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name="historicalcustomeraccount",
            name="account_id",
            field=models.CharField(
                db_index=True,
                help_text="The cloud's domain id: 32 lowercase hexadecimal characters.",
                max_length=32,
            ),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
        migrations.AddConstraint(
            model_name="customeraccount",
            constraint=models.CheckConstraint(
                condition=models.Q(("account_id__regex", "^[0-9a-f]{32}$")),
                name="customer_account_id_format",
            ),
        ),
        migrations.AddConstraint(
            model_name="customeraccount",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("account_name", ""),
                    ("account_name__regex", "^[A-Za-z0-9_.\\-]{1,64}$"),
                    _connector="OR",
                ),
                name="customer_account_name_format",
            ),
        ),
        migrations.AddConstraint(
            model_name="customeraccount",
            constraint=models.UniqueConstraint(
                condition=models.Q(("account_name", ""), _negated=True),
                fields=("account_name",),
                name="customer_account_name_unique",
            ),
        ),
        migrations.RunPython(create_name_index, drop_name_index, elidable=False),
    ]
