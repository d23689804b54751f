"""Export the links of a reseller as CSV, filtered like the links list.

Run it from scripts that reconcile the portal with a ticket system or an onboarding tracker:
the file holds exactly what the links list shows for the same query string, on all pages, with
the same columns as its "Export CSV" link. Read-only; running it twice writes the same file.
"""

from __future__ import annotations

from linking.export_command import ExportCommand


class Command(ExportCommand):
    kind = "links"
    help = (
        "Export the links of a reseller as CSV, filtered like the links list: "
        "--reseller P-100001 --filter 'status=active&link_type=delegation' --output links.csv "
        "(standard output without --output). Read-only; safe to run any time."
    )
