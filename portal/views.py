"""The dashboard, the error-code help page, health and the error pages."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language

from accounts.permissions import ResellerRequest, reseller_required
from linking.selectors.dashboard import dashboard_for_reseller
from portal.codes import codes_by_stage
from portal.errors import PortalError
from portal.health import failing_parts


@require_GET
@reseller_required()
def dashboard(request: ResellerRequest) -> HttpResponse:
    data = dashboard_for_reseller(reseller=request.reseller)
    return render(request, "portal/dashboard.html", data)


@require_GET
@login_not_required
def error_codes(request):
    return render(request, "portal/error_codes.html", {"stages": codes_by_stage()})


@require_POST
@login_not_required
def language_set(request):
    """The language switch of every page: Django's `set_language` (a cookie, then back to the
    page), and the choice stored for the signed-in operator or customer contact."""
    from portal.languages import language_remember

    response = set_language(request)
    language_remember(request, request.POST.get("language", ""))
    return response


@require_GET
@login_not_required
def favicon(request):
    """Browsers ask for /favicon.ico before reading the page's icon link."""
    return HttpResponsePermanentRedirect(static("portal/favicon.svg"))


@require_GET
@login_not_required
def healthz(request):
    """Liveness: the process answers. No I/O, so a slow database never restarts a web process."""
    return HttpResponse("ok", content_type="text/plain")


@require_GET
@login_not_required
@never_cache
def readyz(request):
    """Readiness: 200 when the database (migrated), Redis and the var directory serve; else 503
    with the failing parts named, and nothing more (see `portal.health`)."""
    failing = failing_parts()
    if failing:
        return JsonResponse({"status": "unavailable", "failing": failing}, status=503)
    return JsonResponse({"status": "ok"})


# --- error pages: a code, a plain message and what to do, never the address echoed (a consent
# or receipt address carries its token) ----------------------------------------------------------

_CONSENT_PREFIX = "/consent/"
# The customer centre: customers sign in there with a code, they are no portal users either.
_CUSTOMER_PREFIXES = (_CONSENT_PREFIX, "/customer/")


def _customer_page(request) -> bool:
    """The customer's pages (consent, withdrawal, receipt, the customer centre) have their own
    layout, without the portal's navigation."""
    return request.path.startswith(_CUSTOMER_PREFIXES)


def error_page(request, error: PortalError, status: int) -> HttpResponse:
    """The portal's page for a refused or failed request; under /api/ the API's JSON shape."""
    from linking.api.errors import api_error_page, is_api

    if is_api(request):
        return api_error_page(error, status)
    base = "consent/base.html" if _customer_page(request) else "base.html"
    return render(
        request,
        "errors/error.html",
        {"error": error, "status": status, "base_template": base},
        status=status,
    )


def bad_request(request, exception=None):
    return error_page(request, PortalError("PRT-P001"), 400)


def permission_denied(request, exception=None):
    return error_page(request, PortalError("PRT-P003"), 403)


def page_not_found(request, exception=None):
    return error_page(request, PortalError("PRT-P004"), 404)


def server_error(request):
    return error_page(request, PortalError("PRT-P005"), 500)


def csrf_failure(request, reason=""):
    """A form sent without its CSRF cookie or token: a stale tab, a lost or blocked cookie."""
    # Only a consent or withdrawal page is reloaded from the e-mail's link; the centre's forms
    # are reloaded like the portal's.
    code = "PRT-P007" if request.path.startswith(_CONSENT_PREFIX) else "PRT-P006"
    return error_page(request, PortalError(code), 403)
