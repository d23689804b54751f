"""Refuse, before any view, input the database cannot store: a NUL byte in a query parameter
or a form field is a PostgreSQL error wherever it reaches a query (every admin list filter, every
search), so it is answered once here with a 400 page instead of at each place that reads it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from portal.errors import PortalError
from portal.identifiers import unstorable


def _first_unstorable(request: HttpRequest) -> str | None:
    """Where the first unstorable character is: "the address", "a form field" or None."""
    for where, data in (("the address", request.GET), ("a form field", request.POST)):
        for key, values in data.lists():
            if unstorable(key) or any(isinstance(v, str) and unstorable(v) for v in values):
                return where
    for name in request.FILES:
        if unstorable(name) or any(unstorable(f.name or "") for f in request.FILES.getlist(name)):
            return "a file name"
    return None


class RefuseUnstorableInputMiddleware:
    """After the CSRF check (a forged form is refused as such), before the view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        where = _first_unstorable(request)
        if where is None:
            return None
        from portal.views import error_page

        return error_page(request, PortalError("PRT-P002", where=where), 400)
