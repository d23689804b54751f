"""Show the outbox and re-queue failed e-mails.

Run it when e-mails seem not to arrive (counts and the stuck rows with their last error), after
fixing the mail server or an address (`--requeue-failed`, or `--requeue ID …` for a few), or from
monitoring (the last line is a one-line summary). Running it again changes nothing more.
"""

from __future__ import annotations

import getpass

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.timesince import timesince

from linking.models import Notification
from linking.outbox import delivery

Status = Notification.Status


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        return "unknown user"


class Command(BaseCommand):
    help = (
        "Show the outbox: counts by status and the queued, sending, retrying and failed e-mails "
        "with their last error. Run it when e-mails seem not to arrive; after fixing the cause, "
        "--requeue-failed (or --requeue ID ...) sends failed ones again. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--status",
            action="append",
            choices=Status.values,
            help=(
                "List only rows in this status (repeatable). "
                "Default: queued, sending, retrying, failed."
            ),
        )
        parser.add_argument(
            "--requeue-failed",
            action="store_true",
            help="Put every failed e-mail back in the queue.",
        )
        parser.add_argument(
            "--requeue", nargs="+", type=int, metavar="ID", help="Put these failed e-mails back."
        )
        parser.add_argument("--limit", type=int, default=50, help="Rows to list (default 50).")

    def handle(self, *args, **options):
        ids: list[int] = []
        if options["requeue_failed"]:
            ids += delivery.notification_ids_failed()
        ids += options["requeue"] or []
        requeued: list[int] = []
        if ids:
            requeued = delivery.notification_requeue(
                actor=None,
                notification_ids=ids,
                via=f"the outbox command ({_os_user()})",
            )
        counts = delivery.outbox_counts()
        self.stdout.write("  ".join(f"{status} {counts[status]}" for status in Status.values))
        statuses = options["status"] or list(delivery.UNDELIVERED_STATUSES)
        rows = list(delivery.outbox_rows(statuses=statuses)[: options["limit"]])
        now = timezone.now()
        if rows:
            self.stdout.write(
                f"{'id':>8}  {'status':<8}  {'kind':<18}  {'to':<32}  {'att':>3}  {'age':<16}  "
                "last error"
            )
        for n in rows:
            self.stdout.write(
                f"{n.pk:>8}  {n.status:<8}  {n.kind:<18}  {n.to_email:<32}  {n.attempts:>3}  "
                f"{timesince(n.created_at, now):<16}  {n.last_error or '-'}"
            )
        undelivered = sum(counts[s] for s in delivery.UNDELIVERED_STATUSES)
        self.stdout.write(
            f"outbox: {counts[Status.QUEUED]} queued, {counts[Status.SENDING]} sending "
            f"({delivery.outbox_claims_expired()} stuck), "
            f"{counts[Status.RETRYING]} retrying, "
            f"{counts[Status.FAILED]} failed ({undelivered} undelivered); "
            f"re-queued {len(requeued)}"
            + (f" ({', '.join(map(str, requeued))})" if requeued else "")
        )
