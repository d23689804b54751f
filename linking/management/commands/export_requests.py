"""Export the requests of a reseller as CSV, filtered like the request list.

Run it from scripts that reconcile the portal with a ticket system or an onboarding tracker:
the file holds exactly what the request list shows for the same query string, on all pages, with
the same columns as its "Export CSV" link. Read-only; running it twice writes the same file.
"""

from __future__ import annotations

from linking.export_command import ExportCommand


class Command(ExportCommand):
    kind = "requests"
    help = (
        "Export the requests of a reseller as CSV, filtered like the request list: "
        "--reseller P-100001 --filter 'status=pending_consent&q=T-123' --output requests.csv "
        "(standard output without --output). Read-only; safe to run any time."
    )
