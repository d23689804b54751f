"""The Cloud connection pages of a reseller's admins: its state, the change form (behind the
step-up) and the test button. No page calls the cloud: the test is a task."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import ResellerRequest, reseller_required
from accounts.stepup import step_up_response
from linking.cloud import services
from linking.cloud.forms import CloudConnectionForm
from linking.cloud.models import CloudConnection
from portal.errors import PortalError

MANAGE = "manage_members"


def _connection(request: ResellerRequest) -> CloudConnection | None:
    # The current reseller's own: the page has no id, so another reseller's is unreachable.
    return CloudConnection.objects.filter(reseller=request.reseller).first()


@require_GET
@reseller_required(MANAGE)
def connection_detail(request: ResellerRequest) -> HttpResponse:
    connection = _connection(request)
    missing = None if connection else PortalError("LNK-N006", reseller=request.reseller.name)
    context = {
        "connection": connection,
        "missing": missing,
        "sync_minutes": settings.PORTAL_CLOUD_SYNC_MINUTES,
    }
    return render(request, "linking/cloud_connection.html", context)


@require_GET
@reseller_required(MANAGE)
def connection_test_status(request: ResellerRequest) -> HttpResponse:
    """The test's panel alone, which the page polls while a test runs."""
    context = {"connection": _connection(request)}
    return render(request, "linking/_cloud_connection_test.html", context)


@require_POST
@reseller_required(MANAGE)
def connection_test(request: ResellerRequest) -> HttpResponse:
    try:
        connection = services.cloud_connection_request_test(
            actor=request.user, reseller=request.reseller
        )
    except PortalError as error:
        messages.error(request, error.as_text())
        return redirect("cloud:connection")
    if request.htmx:
        context = {"connection": connection}
        return render(request, "linking/_cloud_connection_test.html", context)
    messages.info(
        request, gettext("The connection is being tested; the result shows here shortly.")
    )
    return redirect("cloud:connection")


@sensitive_post_parameters("access_key", "secret_key")
@require_http_methods(["GET", "POST"])
@reseller_required(MANAGE)
def connection_edit(request: ResellerRequest) -> HttpResponse:
    back_to = reverse("cloud:connection-edit")
    # Asked up front: a POST refused for an old password is not kept (it holds a secret), so
    # the person would type the keys again.
    if stepped := step_up_response(
        request, back_to=back_to, on_get=True, doing=gettext("change the cloud connection")
    ):
        return stepped
    connection = _connection(request)
    has_keys = connection is not None
    if request.method == "GET":
        initial = (
            {
                "partner_domain_id": connection.partner_domain_id,
                "partner_account_name": connection.partner_account_name,
                "invitation_url": connection.invitation_url,
                **connection.endpoints,
            }
            if connection
            else services.default_endpoints()
        )
        form = CloudConnectionForm(initial=initial, has_keys=has_keys)
        return _render_form(request, form, connection)
    form = CloudConnectionForm(request.POST, has_keys=has_keys)
    if not form.is_valid():
        return _render_form(request, form, connection, status=400)
    try:
        services.cloud_connection_save(
            actor=request.user, reseller=request.reseller, **form.cleaned_data
        )
    except PortalError as error:
        form.add_error(None, error.as_text())
        return _render_form(request, form, connection, status=400)
    messages.success(
        request,
        gettext("The cloud connection was saved. Test it to see that the cloud accepts it."),
    )
    return redirect("cloud:connection")


def _render_form(
    request: ResellerRequest,
    form: CloudConnectionForm,
    connection: CloudConnection | None,
    *,
    status: int = 200,
) -> HttpResponse:
    context = {"form": form, "connection": connection}
    return render(request, "linking/cloud_connection_form.html", context, status=status)
