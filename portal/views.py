"""The dashboard, the error-code help page, health and the error pages."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.permissions import reseller_required
from linking import selectors
from portal.codes import codes_by_stage


@require_GET
@reseller_required()
def dashboard(request):
    data = selectors.dashboard_for_reseller(reseller=request.reseller)
    return render(request, "portal/dashboard.html", data)


@require_GET
@login_not_required
def error_codes(request):
    return render(request, "portal/error_codes.html", {"stages": codes_by_stage()})


@require_GET
@login_not_required
def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


def bad_request(request, exception=None):
    return render(request, "errors/400.html", status=400)


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    return render(request, "errors/500.html", status=500)
