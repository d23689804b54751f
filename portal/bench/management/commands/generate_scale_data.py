"""Generate a realistic data set at distributor scale, for the page benchmark."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from portal.bench import scale_data


class Command(BaseCommand):
    help = (
        "Write a distributor-scale data set (scale 1.0: 20 resellers, 100,000 customers, "
        "200,000 requests in every state, about 100,000 links, history for all of it) on a "
        "scratch PostgreSQL database, before running bench_pages. Never on production data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0, help="1.0 is full scale")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--append", action="store_true", help="add to a database that already holds data"
        )
        parser.add_argument("--force", action="store_true", help="same as --append")
        parser.add_argument(
            "--allow-sqlite", action="store_true", help="run on SQLite anyway (tests only)"
        )

    def handle(self, *args, scale, seed, append, force, allow_sqlite, **options):
        if connection.vendor != "postgresql" and not allow_sqlite:
            raise CommandError(
                "Scale data is for PostgreSQL: set DATABASE_URL to a scratch PostgreSQL database."
            )
        if not 0 < scale <= 2:
            raise CommandError("--scale must be above 0 and at most 2.")
        if not (append or force) and not scale_data.database_is_empty():
            raise CommandError(
                "The database already holds resellers, customers or requests; "
                "pass --append to add a data set to it anyway."
            )
        verbose = options["verbosity"] > 1
        started = time.perf_counter()

        def log(step, seconds):
            if verbose:
                self.stdout.write(f"  {step}: {seconds:.1f} s")

        result = scale_data.generate(scale=scale, seed=seed, log=log)
        # `generate` always creates the distributor (the first reseller).
        assert result.distributor is not None
        total = time.perf_counter() - started
        counts = ", ".join(f"{name} {n:,}" for name, n in result.counts.items())
        steps = ", ".join(f"{name} {s:.1f} s" for name, s in result.timings)
        self.stdout.write(
            f"scale {scale}: {counts}; distributor {result.distributor.partner_id}; "
            f"{total:.1f} s ({steps})"
        )
