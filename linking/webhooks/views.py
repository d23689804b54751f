"""The webhook pages of a reseller's admins: endpoints, their deliveries, and redelivery.

Registering an endpoint or changing its address asks for the password first (the step-up): an
address is where the reseller's events go. No page sends a webhook: deliveries are tasks. The
secret is shown once, in the answer to the registration, which no cache keeps.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import ResellerRequest, reseller_required
from accounts.stepup import step_up_response
from linking.webhooks import services
from linking.webhooks.events import EVENT_TYPES
from linking.webhooks.forms import EnabledForm, WebhookEndpointForm
from linking.webhooks.models import WebhookDelivery, WebhookEndpoint
from linking.webhooks.selectors import (
    access_webhook_endpoint,
    webhook_delivery_list_for_endpoint,
    webhook_endpoint_list_for_reseller,
)
from portal.errors import PortalError
from portal.pagination import paginate

MANAGE = "manage_members"


@require_GET
@reseller_required(MANAGE)
def endpoint_list(request: ResellerRequest) -> HttpResponse:
    endpoints = list(webhook_endpoint_list_for_reseller(reseller=request.reseller))
    return render(request, "linking/webhook_list.html", {"endpoints": endpoints})


def _render_form(
    request: ResellerRequest,
    form: WebhookEndpointForm,
    endpoint: WebhookEndpoint | None,
    *,
    status: int = 200,
) -> HttpResponse:
    context = {"form": form, "endpoint": endpoint, "event_types": EVENT_TYPES}
    return render(request, "linking/webhook_form.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@reseller_required(MANAGE)
def endpoint_create(request: ResellerRequest) -> HttpResponse:
    back_to = reverse("webhooks:create")
    if stepped := step_up_response(
        request, back_to=back_to, on_get=True, doing=gettext("register a webhook endpoint")
    ):
        return stepped
    if request.method == "GET":
        return _render_form(request, WebhookEndpointForm(), None)
    form = WebhookEndpointForm(request.POST)
    if not form.is_valid():
        return _render_form(request, form, None, status=400)
    try:
        endpoint, secret = services.webhook_endpoint_create(
            actor=request.user, reseller=request.reseller, **form.cleaned_data
        )
    except PortalError as error:
        form.add_error(None, error.as_text())
        return _render_form(request, form, None, status=400)
    # Shown in this answer only: the page after it has no way to read the secret again.
    context = {"endpoint": endpoint, "secret": secret}
    return render(request, "linking/webhook_secret.html", context, status=201)


@require_GET
@reseller_required(MANAGE)
def endpoint_detail(request: ResellerRequest, pk: int) -> HttpResponse:
    endpoint = access_webhook_endpoint(reseller=request.reseller, pk=pk)
    page = paginate(
        request,
        webhook_delivery_list_for_endpoint(endpoint=endpoint),
        ordering=("-created_at", "-id"),
    )
    context = {
        "endpoint": endpoint,
        "page": page,
        "deliveries": page.object_list,
        "event_types": EVENT_TYPES,
        "Status": WebhookDelivery.Status,
    }
    return render(request, "linking/webhook_detail.html", context)


@require_http_methods(["GET", "POST"])
@reseller_required(MANAGE)
def endpoint_edit(request: ResellerRequest, pk: int) -> HttpResponse:
    endpoint = access_webhook_endpoint(reseller=request.reseller, pk=pk)
    if request.method == "GET":
        initial = {
            "url": endpoint.url,
            "events": endpoint.events,
            "description": endpoint.description,
        }
        return _render_form(request, WebhookEndpointForm(initial=initial), endpoint)
    form = WebhookEndpointForm(request.POST)
    if not form.is_valid():
        return _render_form(request, form, endpoint, status=400)
    if form.cleaned_data["url"] != endpoint.url and (
        stepped := step_up_response(
            request,
            back_to=reverse("webhooks:edit", args=[endpoint.pk]),
            doing=gettext("change the address of a webhook endpoint"),
        )
    ):
        return stepped
    try:
        services.webhook_endpoint_update(
            actor=request.user,
            reseller=request.reseller,
            endpoint_id=endpoint.pk,
            **form.cleaned_data,
        )
    except PortalError as error:
        form.add_error(None, error.as_text())
        return _render_form(request, form, endpoint, status=400)
    messages.success(request, gettext("The webhook endpoint was saved."))
    return redirect("webhooks:detail", endpoint.pk)


@require_POST
@reseller_required(MANAGE)
def endpoint_set_enabled(request: ResellerRequest, pk: int) -> HttpResponse:
    endpoint = access_webhook_endpoint(reseller=request.reseller, pk=pk)
    form = EnabledForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose to enable or to disable the endpoint."))
        return redirect("webhooks:detail", endpoint.pk)
    enabled = form.cleaned_data["enabled"]
    services.webhook_endpoint_set_enabled(
        actor=request.user, reseller=request.reseller, endpoint_id=endpoint.pk, enabled=enabled
    )
    if enabled:
        messages.success(
            request, gettext("The endpoint is enabled; events still owed are sent now.")
        )
    else:
        messages.success(request, gettext("The endpoint is disabled; nothing is sent to it."))
    return redirect("webhooks:detail", endpoint.pk)


@require_http_methods(["GET", "POST"])
@reseller_required(MANAGE)
def endpoint_delete(request: ResellerRequest, pk: int) -> HttpResponse:
    endpoint = access_webhook_endpoint(reseller=request.reseller, pk=pk)
    if request.method == "GET":
        return render(request, "linking/webhook_delete.html", {"endpoint": endpoint})
    services.webhook_endpoint_delete(
        actor=request.user, reseller=request.reseller, endpoint_id=endpoint.pk
    )
    messages.success(
        request, gettext("The webhook endpoint %(url)s was deleted.") % {"url": endpoint.url}
    )
    return redirect("webhooks:list")


@require_POST
@reseller_required(MANAGE)
def delivery_redeliver(request: ResellerRequest, pk: int, delivery_pk: int) -> HttpResponse:
    endpoint = access_webhook_endpoint(reseller=request.reseller, pk=pk)
    if not endpoint.deliveries.filter(pk=delivery_pk).exists():
        raise Http404("No such delivery.")
    try:
        services.webhook_delivery_redeliver(
            actor=request.user, reseller=request.reseller, delivery_id=delivery_pk
        )
    except PortalError as error:
        messages.error(request, error.as_text())
    else:
        messages.success(request, gettext("The event is sent again now."))
    return redirect("webhooks:detail", endpoint.pk)
