"""Link pages: the list, the detail, verification, revocation, and the drafts that change
the scope of a link or renew it."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import ResellerRequest, reseller_required
from accounts.stepup import step_up_response
from linking import forms, services
from linking.cloud.names import agency_name_for
from linking.models import Link, Notification, VerificationRun
from linking.permissions import access_link, seen_by, visible_to
from linking.selectors.catalog import catalog_names
from linking.selectors.links import (
    link_consent_records,
    link_list_for_reseller,
    link_notice_audiences,
    link_timeline,
    link_verification_runs,
)
from linking.services.amend import can_amend, can_renew
from linking.services.revocation import can_revoke, link_end_effects
from linking.views.common import (
    list_page,
    message_error,
    posted,
    query_without_page,
    reason_refused,
)
from portal.errors import PortalError
from portal.publish import publish_on_commit


def _verification(link: Link) -> dict:
    """What `linking/_verification.html` shows: the latest run and the history of runs."""
    runs = link_verification_runs(link=link)
    return {"latest_run": runs[0] if runs else None, "runs": runs}


@require_POST
@reseller_required("view_reseller")
def link_verify(request: ResellerRequest, pk: int) -> HttpResponse:
    """Ask a worker to prove the link in the cloud again; pages never wait on the cloud."""
    from linking.tasks import link_verify_task

    link = access_link(reseller=request.reseller, pk=pk, **seen_by(request))
    publish_on_commit(
        link_verify_task, link.pk, VerificationRun.Trigger.MANUAL.value, 1, request.user.pk
    )
    messages.success(
        request,
        gettext(
            "Verification of %(ref)s asked for: the checks call the cloud, and the result "
            "shows here in a moment."
        )
        % {"ref": link.reference},
    )
    return redirect("linking:link-detail", pk=link.pk)


@require_GET
@reseller_required("view_reseller")
def link_list(request: ResellerRequest) -> HttpResponse:
    form = forms.LinkFilterForm(request.GET or None)
    # The export reads the same query string the same way.
    qs = link_list_for_reseller(
        reseller=request.reseller, visible=visible_to(request), **form.filters()
    )
    return render(
        request,
        "linking/link_list.html",
        {"form": form, "page": list_page(request, qs), "query": query_without_page(request)},
    )


@require_GET
@reseller_required("view_reseller")
def link_detail(request: ResellerRequest, pk: int) -> HttpResponse:
    link = access_link(reseller=request.reseller, pk=pk, **seen_by(request))
    names = catalog_names()
    # Read-time expiry: the page must not say active past the end.
    state = link.effective_status
    perms = request.reseller_perms
    return render(
        request,
        "linking/link_detail.html",
        {
            "link": link,
            # Read for every link (a billing link names none), so every link page costs the same.
            "link_teams": list(link.teams.all()),
            "state": state,
            "state_label": link.get_effective_status_display(),
            "can_revoke": can_revoke(link, actor=request.user, perms=perms) is None,
            "can_amend": can_amend(link, actor=request.user, perms=perms) is None,
            "can_renew": can_renew(link, actor=request.user, perms=perms) is None,
            "services_in_words": [(c, names[0].get(c, c)) for c in link.services or []],
            "regions_in_words": [(c, names[1].get(c, c)) for c in link.regions or []],
            "timeline": link_timeline(link=link, names=names),
            "consents": link_consent_records(link=link),
            # The agency the customer was told to delete (delegation and provisioning).
            "cleanup_agency": (
                agency_name_for(link) if link.cleanup_status and link.link_type != "billing" else ""
            ),
            **_verification(link),
        },
    )


@require_http_methods(["GET", "POST"])
@reseller_required("approve_requests")
def link_revoke(request: ResellerRequest, pk: int) -> HttpResponse:
    link = access_link(reseller=request.reseller, pk=pk, **seen_by(request))
    if refusal := can_revoke(link, actor=request.user, perms=request.reseller_perms):
        message_error(request, refusal)
        return redirect("linking:link-detail", pk=link.pk)
    back_to = reverse("linking:link-revoke", args=[link.pk])
    if stepped := step_up_response(
        request,
        back_to=back_to,
        on_get=True,
        doing=gettext("revoke %(reference)s") % {"reference": link.reference},
    ):
        return stepped
    form = forms.ReasonForm(posted(request))
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            services.link_revoke(
                actor=request.user,
                link_id=link.pk,
                reason=form.cleaned_data["reason"],
                confirm_reference=request.POST.get("confirm_reference", ""),
            )
        except PortalError as exc:
            if exc.code not in ("LNK-L002", "LNK-L004"):
                message_error(request, exc)
                return redirect("linking:link-detail", pk=link.pk)
            error = exc
        else:
            messages.success(request, _revoked_message(link))
            return redirect("linking:link-detail", pk=link.pk)
    elif request.method == "POST":
        reason_refused(request, form)
    return render(
        request,
        "linking/link_revoke.html",
        {
            "link": link,
            "form": form,
            "error": error,
            "effects": link_end_effects(link),
            "confirm_reference": request.POST.get("confirm_reference", ""),
        },
        status=400 if error else 200,
    )


def _revoked_message(link: Link) -> str:
    """What the revocation did: ended now, or billing running to the month's end; who is told."""
    link.refresh_from_db(fields=["status", "status_reason", "billing_ends_at"])
    if link.status == Link.Status.REVOKED:
        done = f"{link.reference} was revoked; access ended now"
    else:
        done = f"{link.reference} was revoked: {link.status_reason}"
    audiences = link_notice_audiences(link=link, kind=Notification.Kind.LINK_REVOKED)
    told = {
        ("customer", "reseller"): "the customer and your team are being told",
        ("customer",): "the customer is being told",
        ("reseller",): "your team is being told; the customer has no contact address",
    }.get(tuple(sorted(audiences)), "nobody could be told by e-mail")
    return f"{done}; {told}."


def _link_draft(request, pk: int, start, drafted: str):
    # `drafted` names the new request and the link it starts from: %(request)s, %(link)s.
    link = access_link(reseller=request.reseller, pk=pk, **seen_by(request))
    try:
        req = start(actor=request.user, link_id=link.pk)
    except PortalError as error:
        message_error(request, error)
        return redirect("linking:link-detail", pk=link.pk)
    messages.info(request, drafted % {"request": req.reference, "link": link.reference})
    return redirect("linking:request-wizard", pk=req.pk, step=req.wizard_step)


@require_POST
@reseller_required("initiate_requests")
def link_amend(request: ResellerRequest, pk: int) -> HttpResponse:
    return _link_draft(
        request,
        pk,
        services.link_amend_start,
        gettext("%(request)s: change of scope of %(link)s, pre-filled from it."),
    )


@require_POST
@reseller_required("initiate_requests")
def link_renew(request: ResellerRequest, pk: int) -> HttpResponse:
    return _link_draft(
        request,
        pk,
        services.link_renew_start,
        gettext("%(request)s: renewal of %(link)s, pre-filled from it."),
    )
