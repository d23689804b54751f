"""Batch linking from a file, for teams that script their onboarding."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Reseller, User
from linking.batches.selectors import RESULT_HEADER, result_lines
from linking.batches.services import batch_confirm, batch_run, batch_upload
from linking.models import Batch
from portal import tabular
from portal.errors import PortalError
from portal.identifiers import clean_identifier, visible


class Command(BaseCommand):
    help = (
        "Check a CSV/XLSX file of link requests for a reseller (--dry-run) or check and run it, "
        "as the batch page does. Run it whenever a team onboards customers from a script; "
        "running the same file again creates nothing twice (rows are keyed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reseller", required=True, help="partner id, e.g. P-100001")
        parser.add_argument("--user", required=True, help="e-mail of the acting initiator")
        parser.add_argument("--file", required=True, help="the CSV or XLSX file")
        parser.add_argument("--dry-run", action="store_true", help="check only, create nothing")
        parser.add_argument("--result", help="write the per-row result CSV to this file")

    def handle(self, *args, reseller: str, user: str, file: str, dry_run: bool, result, **kw):
        reseller, user = clean_identifier(reseller), clean_identifier(user)
        found = Reseller.objects.filter(partner_id=reseller).first()
        if found is None:
            raise CommandError(f"No reseller with partner id {visible(reseller)}.")
        actor = User.objects.filter(email__iexact=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user {visible(user)}.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No file {file}.")
        try:
            batch = batch_upload(
                actor=actor, reseller=found, file_name=path.name, data=path.read_bytes()
            )
            if not dry_run and batch.valid_rows:
                # The command is the worker here: it confirms and runs in the same process.
                batch_confirm(actor=actor, batch_id=batch.pk, enqueue=False)
                batch_run(batch_id=batch.pk)
        except PortalError as error:
            raise CommandError(error.as_text()) from None
        batch = Batch.objects.get(pk=batch.pk)
        if result:
            Path(result).write_text(
                tabular.write_csv(RESULT_HEADER, result_lines(batch)), encoding="utf-8"
            )
        for warning in batch.warnings:
            self.stderr.write(f"{warning['message']} ({warning['code']})")
        self.stdout.write(
            f"{batch.reference} {'checked' if dry_run else batch.status}: {batch.total_rows} rows, "
            f"{batch.valid_rows} ready, {batch.invalid_rows} refused, "
            f"{batch.existing_rows} already done, {batch.created_count} created, "
            f"{batch.failed_count} failed" + (f"; result in {result}" if result else "")
        )
