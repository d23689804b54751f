"""Answers made once for every view: input the database cannot store is refused before any view
(a NUL byte in a query parameter or a form field is a PostgreSQL error wherever it reaches a
query, every admin list filter, every search), and a method a view does not take gets the
portal's error page instead of Django's empty 405."""

from __future__ import annotations

from django.conf import settings
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


class NotAllowedPageMiddleware:
    """`require_GET`/`require_POST` and class-based views answer a method they do not take with
    an empty 405; the person (or script) gets the portal's page with its code, and the `Allow`
    header is kept."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.content:
            return response
        from portal.views import error_page

        if request.method in KNOWN_METHODS:
            kind = f"a {request.method} request"
        else:
            kind = "this kind of request"
        page = error_page(request, PortalError("PRT-P008", request_kind=kind), 405)
        if "Allow" in response:
            page["Allow"] = response["Allow"]
        return page


# Named in the message as sent; any other method word is not echoed back.
KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"}


class TrustedRequestIdMiddleware:
    """X-Request-ID names a request only when the portal's own proxy sets it: from anyone else the
    header is dropped, and the request gets an id of its own (django-guid, next in the chain)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.PORTAL_BEHIND_PROXY:
            request.META.pop("HTTP_X_REQUEST_ID", None)
        return self.get_response(request)
