"""Encrypt every stored secret again with the first key of PORTAL_ENCRYPTION_KEYS."""

from django.core.management.base import BaseCommand, CommandError

from linking.cloud.services import cloud_connection_reencrypt_all


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored cloud access key pair with the first key of "
        "PORTAL_ENCRYPTION_KEYS. Run it after putting a new key first (keeping the old ones "
        "after it); once it reports nothing unreadable, the old keys can be removed. "
        "Safe to run again."
    )

    def handle(self, *args, **options):
        count, unreadable = cloud_connection_reencrypt_all()
        self.stdout.write(f"Re-encrypted {count} cloud connection(s) with the newest key.")
        if unreadable:
            ids = ", ".join(str(pk) for pk in unreadable)
            raise CommandError(
                f"No key of PORTAL_ENCRYPTION_KEYS reads the connection(s) {ids}: put the key "
                "that encrypted them back, or have their admins enter the access key again."
            )
