"""`manage.py demo_code`: the code the demo logins' authenticator app shows now (the demo's
published key, `linking.demo_data.DEMO_TOTP_KEY`), for trying the portal without a phone."""

from django.core.management.base import BaseCommand
from django_otp.oath import TOTP

from linking.demo_data import DEMO_TOTP_KEY


class Command(BaseCommand):
    help = "Print the current second-factor code of the demo logins (local demo data only)."

    def handle(self, *args, **options):
        self.stdout.write(f"{TOTP(bytes.fromhex(DEMO_TOTP_KEY)).token():06d}")
