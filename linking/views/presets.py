"""Pages of presets: every member sees and uses them, admins create, change and delete them."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import ResellerRequest, reseller_required
from linking import preset_forms, services
from linking.checks.catalog import sensitive_services
from linking.permissions import access_link_request, access_preset
from linking.selectors.presets import preset_list_for_reseller
from linking.services.presets import MANAGE_PERM, preset_specs
from linking.views.common import error_reasons, message_error
from portal.errors import PortalError


@require_GET
@reseller_required("view_reseller")
def preset_list(request: ResellerRequest) -> HttpResponse:
    qs = preset_list_for_reseller(reseller=request.reseller)
    page = Paginator(qs, settings.PORTAL_PAGE_SIZE).get_page(request.GET.get("page"))
    sensitive = sensitive_services()
    rows = []
    for preset in page:
        specs = preset_specs(preset)
        rows.append(
            {
                "preset": preset,
                "specs": specs,
                "sensitive": sorted({c for spec in specs for c in spec.services} & sensitive),
            }
        )
    return render(
        request,
        "linking/preset_list.html",
        {
            "page": page,
            "rows": rows,
            "query": "",
            "can_manage": MANAGE_PERM in request.reseller_perms,
        },
    )


def _preset_form(request, preset=None):
    """Create (preset None) or edit: the form, the wizard's scope fields, the service's verdict."""
    reseller = request.reseller
    specs = preset_specs(preset) if preset else []
    data = request.POST if request.method == "POST" else None
    form = preset_forms.PresetForm(
        data,
        reseller=reseller,
        initial={
            "name": preset.name,
            "description": preset.description,
            "link_types": [spec.link_type for spec in specs],
            "consent_days": preset.consent_days,
        }
        if preset
        else {},
    )
    scope = preset_forms.scope_form(data, reseller=reseller, specs=specs)
    reasons: list = []
    refused = data is not None
    scope_invalid = False
    if data is not None and form.is_valid():
        items = preset_forms.chosen_specs(form, scope)
        scope_invalid = items is None
        if items is not None:
            values = {
                "name": form.cleaned_data["name"],
                "description": form.cleaned_data["description"],
                "items": items,
                "consent_days": form.cleaned_data["consent_days"],
            }
            try:
                if preset is None:
                    saved = services.preset_create(actor=request.user, reseller=reseller, **values)
                else:
                    saved = services.preset_update(
                        actor=request.user, preset_id=preset.pk, **values
                    )
            except PortalError as error:
                reasons = error_reasons(error)
                for reason in reasons:
                    if reason.code in ("LNK-T002", "LNK-T004"):
                        form.add_error("name", f"{reason.message} ({reason.code})")
            else:
                messages.success(
                    request, gettext("Preset “%(name)s” saved.") % {"name": saved.name}
                )
                return redirect("linking:preset-list")
    return render(
        request,
        "linking/preset_form.html",
        {
            "preset": preset,
            "form": form,
            "scope": scope,
            "reasons": reasons,
            "scope_invalid": scope_invalid,
        },
        # Reaching here after a POST means something was refused.
        status=400 if refused else 200,
    )


@require_http_methods(["GET", "POST"])
@reseller_required(MANAGE_PERM)
def preset_create(request: ResellerRequest) -> HttpResponse:
    return _preset_form(request)


@require_http_methods(["GET", "POST"])
@reseller_required(MANAGE_PERM)
def preset_edit(request: ResellerRequest, pk: int) -> HttpResponse:
    return _preset_form(request, access_preset(reseller=request.reseller, pk=pk))


@require_http_methods(["GET", "POST"])
@reseller_required(MANAGE_PERM)
def preset_delete(request: ResellerRequest, pk: int) -> HttpResponse:
    preset = access_preset(reseller=request.reseller, pk=pk)
    if request.method == "POST":
        try:
            services.preset_delete(actor=request.user, preset_id=preset.pk)
        except PortalError as error:
            message_error(request, error)
        else:
            messages.success(request, gettext("Preset “%(name)s” deleted.") % {"name": preset.name})
        return redirect("linking:preset-list")
    return render(
        request,
        "linking/preset_delete.html",
        {"preset": preset, "specs": preset_specs(preset)},
    )


@require_POST
@reseller_required("initiate_requests")
def request_apply_preset(request: ResellerRequest, pk: int) -> HttpResponse:
    """Step 1 of the wizard, "start from a preset": fill the draft, then go on to the customer."""
    req = access_link_request(reseller=request.reseller, pk=pk)
    presets = preset_list_for_reseller(reseller=request.reseller)
    form = preset_forms.ApplyPresetForm(request.POST, presets=presets)
    if not form.is_valid():
        messages.error(request, gettext("Choose one of the presets offered."))
        return redirect("linking:request-wizard", pk=req.pk, step=1)
    try:
        req = services.link_request_apply_preset(
            actor=request.user, request_id=req.pk, preset_id=form.cleaned_data["preset"]
        )
    except PortalError as error:
        message_error(request, error)
        return redirect("linking:request-wizard", pk=req.pk, step=1)
    messages.info(
        request,
        gettext("%(ref)s was filled from the preset; every field can still be changed.")
        % {"ref": req.reference},
    )
    return redirect("linking:request-wizard", pk=req.pk, step=3 if req.customer_id else 2)
