"""Customer directory import from a file, for platform staff who script it."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from linking.batches import directory
from portal import tabular
from portal.errors import PortalError
from portal.identifiers import clean_identifier, visible


class Command(BaseCommand):
    help = (
        "Check a CSV/XLSX file of customer accounts (--dry-run) or check and apply it: creates "
        "or updates accounts with their history, as the staff page does. Safe to repeat: rows "
        "already applied are unchanged."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="e-mail of the acting staff member")
        parser.add_argument("--file", required=True, help="the CSV or XLSX file")
        parser.add_argument("--dry-run", action="store_true", help="check only, change nothing")
        parser.add_argument("--result", help="write the per-row result CSV to this file")

    def handle(self, *args, user: str, file: str, dry_run: bool, result, **kw):
        user = clean_identifier(user)
        actor = User.objects.filter(email__iexact=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user {visible(user)}.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No file {file}.")
        try:
            imp = directory.directory_import_upload(
                actor=actor, file_name=path.name, data=path.read_bytes()
            )
            if not dry_run:
                imp = directory.directory_import_apply(actor=actor, import_id=imp.pk)
        except PortalError as error:
            raise CommandError(error.as_text()) from None
        if result:
            lines = (
                [
                    r["row"],
                    r["account_id"],
                    r.get("account_name", ""),
                    r["action"],
                    r["outcome"],
                    " ".join(x.get("code", "") for x in r["reasons"]),
                    " | ".join(x.get("message", "") for x in r["reasons"]),
                ]
                for r in imp.rows
            )
            header = ["row", "account_id", "account_name", "action", "outcome", "codes", "messages"]
            Path(result).write_text(tabular.write_csv(header, lines), encoding="utf-8")
        self.stdout.write(
            f"{imp.reference} {imp.status}: {imp.total_rows} rows, {imp.to_create} to create, "
            f"{imp.to_update} to update, {imp.unchanged} unchanged, {imp.invalid_rows} refused"
            + ("" if dry_run else f"; {imp.created_count} created, {imp.updated_count} updated")
            + (f"; result in {result}" if result else "")
        )
