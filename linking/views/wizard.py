"""The request wizard: a draft's link types, customer, scope and details, step by step, and
the live check of an account id on the customer step."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import LinkType
from accounts.permissions import ResellerRequest, reseller_required
from linking import forms, services
from linking.checks.items import check_customer_for
from linking.models import LinkRequest
from linking.permissions import access_link_request
from linking.selectors.catalog import region_names
from linking.selectors.customers import cloud_association_for
from linking.selectors.presets import preset_list_for_reseller
from linking.services.links import TEAM_LINK_TYPES
from linking.services.requests import can_edit, link_request_dry_run
from linking.views.common import error_reasons, posted
from portal.errors import PortalError

Status = LinkRequest.Status
WIZARD_STEPS = [(1, "Link types"), (2, "Customer"), (3, "Scope"), (4, "Review and submit")]


def _draft_for_check(request) -> LinkRequest | None:
    """The draft whose customer step asks for the check (`?request=<pk>`), or None."""
    raw = request.GET.get("request", "")
    if not raw.isdigit() or len(raw) > 18:
        return None
    req = access_link_request(reseller=request.reseller, pk=int(raw))
    if req.status != Status.DRAFT or req.initiator_id != request.user.pk:
        return None
    return req


def _customer_check(request, req: LinkRequest | None, raw: str) -> dict:
    """What the customer step shows under the account id: the account, every reason that
    blocks it for the chosen link types, and whether Next may be pressed."""
    customer, reasons = check_customer_for(
        reseller=request.reseller,
        raw_account_id=raw,
        link_types=[item.link_type for item in req.items.all()] if req else [],
        exclude_request_id=req.pk if req else None,
    )
    return {
        "customer": customer,
        "association": cloud_association_for(reseller=request.reseller, customer=customer),
        "reasons": reasons,
        "typed": raw.strip(),
        "draft": req,
    }


@require_GET
@reseller_required("initiate_requests")
def account_check(request: ResellerRequest) -> HttpResponse:
    raw = request.GET.get("account_id", "")[:80]
    return render(
        request,
        "linking/_account_check.html",
        _customer_check(request, _draft_for_check(request), raw),
    )


def _wizard_context(req: LinkRequest, step: int, **extra) -> dict:
    return {
        "req": req,
        "step": step,
        "steps": [
            {
                "number": n,
                "title": title,
                "reachable": n <= req.wizard_step and not (req.amends_link_id and n < 3),
                "done": n < req.wizard_step,
            }
            for n, title in WIZARD_STEPS
        ],
        **extra,
    }


@require_http_methods(["GET", "POST"])
@reseller_required("initiate_requests")
def request_wizard(request: ResellerRequest, pk: int, step: int) -> HttpResponse:
    req = access_link_request(reseller=request.reseller, pk=pk)
    if step not in dict(WIZARD_STEPS):
        raise Http404("No such step.")
    refusal = can_edit(req, actor=request.user, perms=request.reseller_perms)
    if refusal is not None and refusal.code == "LNK-S001":
        messages.info(
            request,
            gettext("%(ref)s is no longer a draft; it cannot be edited.") % {"ref": req.reference},
        )
        return redirect("linking:request-detail", pk=req.pk)
    if refusal is not None:
        # Only the person who started a draft edits it (LNK-S002).
        raise PermissionDenied
    if step > req.wizard_step:
        return redirect("linking:request-wizard", pk=req.pk, step=req.wizard_step)
    if req.amends_link_id and step < 3:
        # A change of scope or a renewal keeps the link's type and customer.
        return redirect("linking:request-wizard", pk=req.pk, step=3)
    handler = {1: _step_types, 2: _step_customer, 3: _step_scope, 4: _step_review}[step]
    return handler(request, req)


def _step_types(request, req: LinkRequest):
    items = list(req.items.all())
    form = forms.TypesForm(
        posted(request),
        reseller=request.reseller,
        initial={"link_types": [item.link_type for item in items]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.link_request_set_types(
                actor=request.user, request_id=req.pk, link_types=form.cleaned_data["link_types"]
            )
        except PortalError as error:
            form.add_error(None, error.as_text())
        else:
            return redirect("linking:request-wizard", pk=req.pk, step=2)
    presets = list(preset_list_for_reseller(reseller=request.reseller))
    return render(
        request, "linking/request_wizard.html", _wizard_context(req, 1, form=form, presets=presets)
    )


def _step_customer(request, req: LinkRequest):
    form = forms.CustomerForm(posted(request), initial={"account_id": req.account_id_input})
    check: dict = {"draft": req, "typed": ""}
    if request.method == "POST" and form.is_valid():
        account_id = form.cleaned_data["account_id"]
        try:
            services.link_request_set_customer(
                actor=request.user, request_id=req.pk, account_id=account_id
            )
        except PortalError as error:
            # The field says what is wrong; the list below it gives every reason with its fix.
            form.add_error("account_id", error.message)
            check = {**_customer_check(request, req, account_id), "reasons": error_reasons(error)}
        else:
            return redirect("linking:request-wizard", pk=req.pk, step=3)
    elif request.method == "GET" and req.account_id_input:
        # Coming back to this step: the account's reasons as of now, Next disabled if any.
        check = _customer_check(request, req, req.account_id_input)
    return render(
        request, "linking/request_wizard.html", _wizard_context(req, 2, form=form, check=check)
    )


def _step_scope(request, req: LinkRequest):
    items = list(req.items.all())
    form = forms.ScopeForm(posted(request), items=items, reseller=request.reseller)
    # Teams are offered when the reseller has some and an item can go to them.
    teams_form = None
    if any(item.link_type in TEAM_LINK_TYPES for item in items):
        teams_form = forms.TeamsForm(
            posted(request),
            reseller=request.reseller,
            initial={"teams": list(req.teams.values_list("pk", flat=True))},
        )
        if not teams_form.has_teams:
            teams_form = None
    if (
        request.method == "POST"
        and form.is_valid()
        and (teams_form is None or teams_form.is_valid())
    ):
        try:
            services.link_request_set_scope(
                actor=request.user,
                request_id=req.pk,
                scopes=form.scopes(),
                team_ids=teams_form.cleaned_data["teams"] if teams_form else None,
            )
        except PortalError as error:
            form.add_error(None, error.as_text())
        else:
            return redirect("linking:request-wizard", pk=req.pk, step=4)
    enabled = set(req.customer.regions.values_list("code", flat=True)) if req.customer else set()
    return render(
        request,
        "linking/request_wizard.html",
        _wizard_context(
            req,
            3,
            form=form,
            teams_form=teams_form,
            enabled_regions=enabled,
            has_billing=any(item.link_type == LinkType.BILLING for item in items),
        ),
    )


def _step_review(request, req: LinkRequest):
    form = forms.DetailsForm(
        posted(request),
        initial={
            "ticket_reference": req.ticket_reference,
            "note_to_customer": req.note_to_customer,
            "consent_days": req.consent_days,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.link_request_set_details(
                actor=request.user, request_id=req.pk, **form.cleaned_data
            )
        except PortalError as error:
            form.add_error("consent_days" if error.code == "LNK-V022" else None, error.as_text())
        else:
            messages.success(request, gettext("Details saved. Review the checks, then submit."))
            return redirect("linking:request-wizard", pk=req.pk, step=4)
    return render(
        request,
        "linking/request_wizard.html",
        _wizard_context(
            req,
            4,
            form=form,
            items=(items := list(req.items.all())),
            takes_teams=any(item.link_type in TEAM_LINK_TYPES for item in items),
            request_teams=list(req.teams.all()),
            region_names=region_names(),
            reasons=link_request_dry_run(actor=request.user, req=req),
        ),
    )
