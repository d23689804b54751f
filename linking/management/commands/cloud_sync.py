"""Sync the associated customers of every connected reseller (or one) from the cloud."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Reseller
from linking.cloud.sync import cloud_sync, reseller_ids_to_sync


class Command(BaseCommand):
    help = (
        "Read each connected reseller's associated customers from the cloud and update the "
        "customer directory (the beat task does the same every PORTAL_CLOUD_SYNC_MINUTES). "
        "Run it after connecting a reseller, or to refresh the facts at once. Safe to run "
        "again: a second run changes nothing the cloud did not change."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reseller", metavar="PARTNER_ID", help="only this reseller")

    def handle(self, *args, reseller=None, **options):
        if reseller:
            found = Reseller.objects.filter(partner_id=reseller.strip()).first()
            if found is None:
                raise CommandError(f"No reseller with partner id {reseller!r}.")
            resellers = [found]
        else:
            ids = reseller_ids_to_sync()
            resellers = list(Reseller.objects.filter(pk__in=ids).order_by("partner_id"))
        failed = 0
        for one in resellers:
            summary = cloud_sync(reseller=one)
            if summary.outcome == "ok":
                self.stdout.write(summary.line())
            else:
                failed += 1
                self.stderr.write(summary.line())
        if not resellers:
            self.stdout.write("No connected reseller to sync.")
        if failed:
            raise CommandError(f"{failed} of {len(resellers)} syncs did not complete.")
