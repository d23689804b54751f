"""Benchmark of the operator's pages over HTTP, each list page beside its floor."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from accounts.models import Reseller
from portal.bench import runner


class Command(BaseCommand):
    help = (
        "Start the portal under gunicorn on loopback (production settings, DEBUG off) against "
        "this database and time every operator page, its floor and the main actions over HTTP; "
        "print a table and write a JSON report. Run on a scratch PostgreSQL database filled by "
        "generate_scale_data; it adds two benchmark members and a few requests of its own."
    )

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
        parser.add_argument("--warmup", type=int, default=3, help="untimed requests per page")
        parser.add_argument("--clients", type=int, default=4, help="concurrent clients (load)")
        parser.add_argument("--actions", type=int, default=10, help="submit/approve/accept runs")
        parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
        parser.add_argument("--reseller", default="", help="partner id (default: the busiest)")
        parser.add_argument("--output", default="", help="JSON report path")

    def handle(self, *args, **opts):
        if connection.vendor != "postgresql":
            raise CommandError("bench_pages measures PostgreSQL: set DATABASE_URL.")
        if min(opts["requests"], opts["actions"], opts["clients"], opts["workers"]) < 1:
            raise CommandError("--requests, --actions, --clients and --workers must be positive.")
        reseller = None
        if opts["reseller"]:
            reseller = Reseller.objects.filter(partner_id=opts["reseller"]).first()
            if reseller is None:
                raise CommandError(f"No reseller {opts['reseller']}.")
        log_path = Path(settings.VAR_DIR) / "bench-gunicorn.log"
        try:
            report = runner.run(
                reseller=reseller,
                requests=opts["requests"],
                warmup=opts["warmup"],
                clients=opts["clients"],
                actions=opts["actions"],
                workers=opts["workers"],
                log_path=log_path,
            )
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(runner.table(report))
        if opts["output"]:
            runner.write_json(report, Path(opts["output"]))
            self.stdout.write(f"report written to {opts['output']}")
        elif opts["verbosity"] > 1:
            self.stdout.write(json.dumps(report, indent=2, default=str))
