"""The API keys page: reseller admins list, make (the key shown once) and revoke keys.

Making and revoking ask for the password again (step-up), like every change of who can act
for the reseller."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import services
from accounts.forms import ApiKeyForm
from accounts.models import ApiKey
from accounts.permissions import ResellerRequest, reseller_required
from accounts.stepup import step_up_response
from portal.errors import PortalError

MANAGE = "manage_members"


def _render(request: ResellerRequest, *, form=None, new_key: str = "", status: int = 200):
    keys = ApiKey.objects.filter(reseller=request.reseller).select_related(
        "created_by", "revoked_by"
    )
    response = render(
        request,
        "accounts/api_key_list.html",
        {"keys": keys, "form": form or ApiKeyForm(), "new_key": new_key},
        status=status,
    )
    return response


@require_GET
@reseller_required(MANAGE)
def api_key_list(request: ResellerRequest) -> HttpResponse:
    return _render(request)


@never_cache
@require_POST
@reseller_required(MANAGE)
def api_key_create(request: ResellerRequest) -> HttpResponse:
    if stepped := step_up_response(
        request, back_to=reverse("accounts:api-key-list"), doing=gettext("make an API key")
    ):
        return stepped
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _render(request, form=form, status=400)
    expires_on = form.cleaned_data["expires_on"]
    expires_at = dt.datetime.combine(expires_on, dt.time.min, tzinfo=dt.UTC) if expires_on else None
    try:
        _key, whole = services.api_key_create(
            actor=request.user,
            reseller=request.reseller,
            name=form.cleaned_data["name"],
            role=form.cleaned_data["role"],
            expires_at=expires_at,
            allowed_networks=form.networks(),
        )
    except PortalError as error:
        form.add_error(None, error.as_text())
        return _render(request, form=form, status=400)
    # Shown in this answer only (never in a message cookie or the session): not kept anywhere.
    return _render(request, new_key=whole, status=201)


@require_http_methods(["GET", "POST"])
@reseller_required(MANAGE)
def api_key_revoke(request: ResellerRequest, pk: int) -> HttpResponse:
    key = ApiKey.objects.filter(reseller=request.reseller, pk=pk).first()
    if key is None:
        raise Http404("No such key.")
    back_to = reverse("accounts:api-key-revoke", args=[key.pk])
    if stepped := step_up_response(
        request,
        back_to=back_to,
        on_get=True,
        doing=gettext("revoke the API key %(prefix)s") % {"prefix": key.prefix},
    ):
        return stepped
    if request.method == "GET":
        return render(request, "accounts/api_key_revoke.html", {"key": key})
    services.api_key_revoke(actor=request.user, reseller=request.reseller, key_id=key.pk)
    messages.success(
        request,
        gettext("The API key %(prefix)s was revoked; it no longer works.") % {"prefix": key.prefix},
    )
    return redirect("accounts:api-key-list")
