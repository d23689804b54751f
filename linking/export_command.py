"""The shared body of the export_requests and export_links commands."""

from __future__ import annotations

import logging
import os
import tempfile

from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict

from accounts.models import Reseller
from linking import exports

logger = logging.getLogger(__name__)


class ExportCommand(BaseCommand):
    kind = ""  # "requests" or "links"

    def add_arguments(self, parser):
        parser.add_argument(
            "--reseller", required=True, help="Partner id of the reseller, e.g. P-100001."
        )
        parser.add_argument(
            "--filter",
            default="",
            metavar="QUERY",
            help="The list page's query string, e.g. 'status=pending_consent&q=T-123' "
            "(copy it from the address bar of the filtered list).",
        )
        parser.add_argument(
            "--output",
            default="-",
            metavar="FILE",
            help="File to write (replaced only once complete, with a byte order mark for "
            "spreadsheets); '-' or nothing: standard output, without the mark.",
        )

    def _form(self, reseller: Reseller, query: QueryDict):
        if self.kind == "requests":
            return exports.request_filter_form(reseller, query)
        return exports.link_filter_form(query)

    def handle(self, *args, reseller: str, filter: str, output: str, **options):
        found = Reseller.objects.filter(partner_id=reseller.strip()).first()
        if found is None:
            raise CommandError(f"No reseller with partner id {reseller!r}.")
        query = QueryDict(filter.lstrip("?"))
        form = self._form(found, query)
        unknown = sorted(set(query) - set(form.fields) - {"page", "after", "before"})
        if unknown:
            raise CommandError(
                f"Unknown filter(s): {', '.join(unknown)}. Known: {', '.join(form.fields)}."
            )
        if query and not form.is_valid():
            problems = "; ".join(f"{name}: {' '.join(errs)}" for name, errs in form.errors.items())
            raise CommandError(f"Invalid filter: {problems}")
        # Exports carry customer data out of the portal: what was taken stays on record.
        logger.info(
            "export of %s of reseller %s by command, filters %r",
            self.kind,
            found.partner_id,
            query.urlencode(),
        )
        if self.kind == "requests":
            rows = exports.request_rows(exports.requests_for_export(found, query))
        else:
            rows = exports.link_rows(exports.links_for_export(found, query))
        counted = _Counter(rows)
        if output in ("", "-"):
            for line in exports.csv_lines(counted, bom=False):
                self.stdout.write(line, ending="")
            where = "standard output"
        else:
            _write_whole(output, exports.csv_bytes(counted))
            where = output
        summary = f"Exported {counted.rows} {self.kind} of {found.partner_id} to {where}."
        # The CSV may be on standard output; the summary must not end up inside it.
        (self.stderr if where == "standard output" else self.stdout).write(summary)


class _Counter:
    """Passes rows through and counts them (the header excluded)."""

    def __init__(self, rows):
        self._rows = rows
        self.rows = -1

    def __iter__(self):
        for row in self._rows:
            self.rows += 1
            yield row


def _write_whole(path: str, chunks) -> None:
    """Write to a temporary file beside `path`, then move it in: never a half-written export."""
    directory = os.path.dirname(os.path.abspath(path)) or "."
    fd, tmp = tempfile.mkstemp(prefix=".export-", suffix=".csv", dir=directory)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
