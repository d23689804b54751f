"""`manage.py check_ready`: the readiness of a worker (or any process) for its orchestrator.

Exit status 0 and "ready" when the database (migrated to the code's latest migration), Redis (the
broker) and the var directory serve; else exit status 1 and the failing parts named, as `/readyz`
answers a web process's orchestrator.
"""

from django.core.management.base import BaseCommand, CommandError

from portal.health import failing_parts


class Command(BaseCommand):
    help = "Check that this process can do its work: database, migrations, Redis, var directory."

    def handle(self, *args, **options):
        failing = failing_parts()
        if failing:
            raise CommandError(f"not ready: {', '.join(failing)}", returncode=1)
        self.stdout.write("ready")
