"""Counts the database queries of each request and says so in response headers (bench only)."""

from __future__ import annotations

import time

from django.db import connection

QUERIES_HEADER = "X-Bench-Queries"
DB_MS_HEADER = "X-Bench-DB-Ms"


class QueryCountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        stats = {"queries": 0, "seconds": 0.0}

        def count(execute, sql, params, many, context):
            stats["queries"] += 1
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                stats["seconds"] += time.perf_counter() - started

        with connection.execute_wrapper(count):
            response = self.get_response(request)
        response[QUERIES_HEADER] = str(stats["queries"])
        response[DB_MS_HEADER] = f"{stats['seconds'] * 1000:.1f}"
        return response
