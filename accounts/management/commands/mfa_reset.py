"""Remove every second factor of a person, for platform staff and auditors who lost theirs."""

from django.core.management.base import BaseCommand, CommandError

from accounts.mfa import mfa_reset_by_platform
from accounts.models import User


class Command(BaseCommand):
    help = (
        "Remove every second factor and recovery code of a person (after confirming who asked, "
        "e.g. by a call). Their sessions end; they set up a new factor at the next sign-in. "
        "Reseller members are reset by an admin of their reseller on the Members page instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--reason", required=True, help="Why, for the audit trail.")

    def handle(self, *args, email: str, reason: str, **options):
        try:
            user = mfa_reset_by_platform(email=email, reason=reason)
        except User.DoesNotExist as exc:
            raise CommandError(f"No user with the e-mail address {email}.") from exc
        self.stdout.write(f"Second factors of {user.email} removed; their sessions ended.")
