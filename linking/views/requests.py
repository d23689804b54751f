"""Request pages: the list, the detail, and the decisions on a request (submit, approve,
reject, cancel, resend); the approval queue.

Each view parses with a form, fetches through `linking.permissions`, calls one service and turns
a `PortalError` into a form error or a message. Writes happen only in the services."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.mfa import approve_refusal
from accounts.permissions import ResellerRequest, reseller_required
from accounts.stepup import password_is_fresh, step_up_response
from linking import forms, services
from linking.checks.policy import needs_step_up
from linking.checks.reasons import ChecksFailed, ItemSpec
from linking.models import LinkRequest, Notification, Refusal
from linking.permissions import access_link_request
from linking.selectors.catalog import region_names
from linking.selectors.requests import (
    approval_queue_for_user,
    consent_records_for_request,
    link_request_list_for_reseller,
    notification_count,
    request_item_links,
    request_rows,
    request_timeline,
)
from linking.services.decisions import can_cancel, can_decide
from linking.services.links import TEAM_LINK_TYPES
from linking.services.requests import approval_gap, can_edit
from linking.views.common import (
    list_page,
    message_error,
    posted,
    query_without_page,
    reason_refused,
)
from portal.errors import PortalError

Status = LinkRequest.Status


def _refused(request, req: LinkRequest, action: str, error: PortalError) -> None:
    """Keep a refused action on the request's timeline (every code, who, when); the refused
    service has rolled back, the refusal commits on its own."""
    services.refusal_record(actor=request.user, req=req, action=action, error=error)


def _detail(req: LinkRequest):
    return redirect("linking:request-detail", pk=req.pk)


# --- Requests -------------------------------------------------------------------------------


@require_GET
@reseller_required("view_reseller")
def request_list(request: ResellerRequest) -> HttpResponse:
    form = forms.RequestFilterForm(request.GET or None, reseller=request.reseller)
    filters = form.filters()  # the export reads the same query string the same way
    qs = link_request_list_for_reseller(reseller=request.reseller, filters=filters)
    qs = request_rows(qs)
    return render(
        request,
        "linking/request_list.html",
        {"form": form, "page": list_page(request, qs), "query": query_without_page(request)},
    )


@require_POST
@reseller_required("initiate_requests")
def request_new(request: ResellerRequest) -> HttpResponse:
    try:
        req = services.link_request_create_draft(actor=request.user, reseller=request.reseller)
    except PortalError as error:
        message_error(request, error)
        return redirect("linking:request-list")
    return redirect("linking:request-wizard", pk=req.pk, step=1)


@require_GET
@reseller_required("view_reseller")
def request_detail(request: ResellerRequest, pk: int) -> HttpResponse:
    req = access_link_request(reseller=request.reseller, pk=pk)
    perms = request.reseller_perms
    status = req.effective_status
    items = list(req.items.all())
    links = request_item_links(req=req, items=items)
    for item in items:
        item.link = links.get(item.pk)
    return render(
        request,
        "linking/request_detail.html",
        {
            "req": req,
            "items": items,
            "takes_teams": any(item.link_type in TEAM_LINK_TYPES for item in items),
            "request_teams": list(req.teams.all()),
            "timeline": request_timeline(req=req),
            "region_names": region_names(),
            "consents": consent_records_for_request(req=req),
            "notifications": list(req.notifications.all()),
            "can_decide": can_decide(req, actor=request.user, perms=perms) is None,
            "approve_asks_password": status == Status.PENDING_APPROVAL
            and not password_is_fresh(request)
            and needs_step_up(items=[ItemSpec.from_item(i) for i in items]),
            "approval_gap": approval_gap(reseller=req.reseller, initiator=req.initiator)
            if status == Status.PENDING_APPROVAL
            else None,
            "can_cancel": can_cancel(req, actor=request.user, perms=perms) is None,
            "can_edit": can_edit(req, actor=request.user, perms=perms) is None,
        },
    )


@require_POST
@reseller_required("initiate_requests")
def request_submit(request: ResellerRequest, pk: int) -> HttpResponse:
    req = access_link_request(reseller=request.reseller, pk=pk)
    try:
        req = services.link_request_submit(actor=request.user, request_id=req.pk)
    except ChecksFailed as error:
        _refused(request, req, Refusal.Action.SUBMIT, error)
        messages.error(
            request,
            gettext("%(ref)s was not submitted:") % {"ref": req.reference}
            + " "
            + ngettext("%(n)d check failed.", "%(n)d checks failed.", len(error.reasons))
            % {"n": len(error.reasons)}
            + " Fix them below and submit again.",
        )
        return redirect("linking:request-wizard", pk=req.pk, step=4)
    except PortalError as error:
        _refused(request, req, Refusal.Action.SUBMIT, error)
        message_error(request, error)
        return _detail(req)
    messages.success(
        request, _outcome_message(req, gettext("%(ref)s was submitted") % {"ref": req.reference})
    )
    return _detail(req)


def _outcome_message(req: LinkRequest, done: str) -> str:
    """What the submit or the approval actually did, read from the request it returned: a
    narrowing applied at once asks nobody; a request waiting for approval asks the approvers;
    only a request waiting for the customer has asked the customer."""
    if req.status == Status.COMPLETED and req.amends_link is not None:
        return gettext(
            "%(done)s: the narrower scope of %(link)s applies now. Narrowing needs no consent, "
            "so the customer was not asked."
        ) % {"done": done, "link": req.amends_link.reference}
    if req.status == Status.PENDING_APPROVAL:
        count = notification_count(request=req, kind=Notification.Kind.APPROVAL_NEEDED)
        asked = ngettext(
            "%(n)d approver has been e-mailed", "%(n)d approvers have been e-mailed", count
        ) % {"n": count}
        return gettext("%(done)s and waits for approval; %(asked)s.") % {
            "done": done,
            "asked": asked,
        }
    if req.status == Status.PENDING_CONSENT:
        return gettext("%(done)s; the consent e-mail to %(email)s is on its way.") % {
            "done": done,
            "email": req.consent_email,
        }
    return gettext("%(done)s; it is now %(status)s.") % {
        "done": done,
        "status": req.get_status_display().lower(),
    }


def _decision_reason(request: ResellerRequest) -> str | None:
    """The approver's reason from the decision form; None, with LNK-A005 shown, when the form
    refuses it (too long to keep): the decision is not taken without it."""
    form = forms.ReasonForm(request.POST)
    if form.is_valid():
        return form.cleaned_data["reason"]
    reason_refused(request, form)
    return None


@require_POST
@reseller_required("approve_requests")
def request_approve(request: ResellerRequest, pk: int) -> HttpResponse:
    req = access_link_request(reseller=request.reseller, pk=pk)
    # A person approves only with a second factor; an API key is a factor of its own (the API's
    # approve does not ask), see docs/mfa.md.
    if refusal := approve_refusal(request.user):
        _refused(request, req, Refusal.Action.APPROVE, refusal)
        messages.error(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                refusal.as_text(),
                reverse("accounts:mfa")
                + "?"
                + urlencode({"next": reverse("linking:request-detail", args=[req.pk])}),
                gettext("Set up a second factor"),
            ),
        )
        return _detail(req)
    items = [ItemSpec.from_item(item) for item in req.items.all()]
    if needs_step_up(items=items) and (
        stepped := step_up_response(
            request,
            back_to=reverse("linking:request-detail", args=[req.pk]) + "#decision",
            doing=gettext("approve %(reference)s") % {"reference": req.reference},
        )
    ):
        return stepped
    reason = _decision_reason(request)
    if reason is None:
        return _detail(req)
    try:
        req = services.link_request_approve(actor=request.user, request_id=req.pk, reason=reason)
    except PortalError as error:
        _refused(request, req, Refusal.Action.APPROVE, error)
        message_error(request, error)
    else:
        messages.success(
            request, _outcome_message(req, gettext("%(ref)s was approved") % {"ref": req.reference})
        )
    return _detail(req)


@require_POST
@reseller_required("approve_requests")
def request_reject(request: ResellerRequest, pk: int) -> HttpResponse:
    req = access_link_request(reseller=request.reseller, pk=pk)
    reason = _decision_reason(request)
    if reason is None:
        return _detail(req)
    try:
        services.link_request_reject(actor=request.user, request_id=req.pk, reason=reason)
    except PortalError as error:
        _refused(request, req, Refusal.Action.REJECT, error)
        message_error(request, error)
    else:
        messages.success(
            request,
            gettext("%(ref)s rejected; the initiator will be told.") % {"ref": req.reference},
        )
    return _detail(req)


@require_http_methods(["GET", "POST"])
@reseller_required("initiate_requests")
def request_cancel(request: ResellerRequest, pk: int) -> HttpResponse:
    req = access_link_request(reseller=request.reseller, pk=pk)
    form = forms.ReasonForm(posted(request))
    status_before = req.effective_status
    if request.method == "POST" and form.is_valid():
        try:
            services.link_request_cancel(
                actor=request.user, request_id=req.pk, reason=form.cleaned_data["reason"]
            )
        except PortalError as error:
            _refused(request, req, Refusal.Action.CANCEL, error)
            message_error(request, error)
        else:
            messages.success(request, _cancelled_message(req, was=status_before))
        return _detail(req)
    if request.method == "POST":
        reason_refused(request, form)
    return render(
        request,
        "linking/request_cancel.html",
        {"req": req, "items": list(req.items.all()), "form": form},
    )


def _cancelled_message(req: LinkRequest, *, was: str) -> str:
    if was == Status.PENDING_CONSENT:
        return gettext("%(ref)s was cancelled; the link in the consent e-mail no longer works.") % {
            "ref": req.reference
        }
    if was == Status.PENDING_APPROVAL:
        return gettext("%(ref)s was cancelled; approvers no longer see it.") % {
            "ref": req.reference
        }
    return gettext("%(ref)s was cancelled.") % {"ref": req.reference}


@require_POST
@reseller_required("initiate_requests")
def request_resend(request: ResellerRequest, pk: int) -> HttpResponse:
    req = access_link_request(reseller=request.reseller, pk=pk)
    form = forms.ResendForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            text = " ".join(str(error) for error in errors)
            messages.error(request, f"{label}: {text}" if label else text)
        return _detail(req)
    try:
        req = services.link_request_resend(
            actor=request.user,
            request_id=req.pk,
            contact_email=form.cleaned_data["contact_email"],
            extend_days=form.cleaned_data["extend_days"],
        )
    except PortalError as error:
        _refused(request, req, Refusal.Action.RESEND, error)
        message_error(request, error)
    else:
        messages.success(
            request,
            gettext(
                "The consent e-mail of %(ref)s is being resent to %(email)s; the link in "
                "earlier e-mails no longer works."
            )
            % {"ref": req.reference, "email": req.consent_email},
        )
    return _detail(req)


@require_GET
@reseller_required("view_reseller")
def approval_queue(request: ResellerRequest) -> HttpResponse:
    form = forms.RequestSearchForm(request.GET or None)
    q = (form.valid_data().get("q") or "").strip() if request.GET else ""
    qs = request_rows(approval_queue_for_user(reseller=request.reseller, user=request.user, q=q))
    return render(
        request,
        "linking/approval_queue.html",
        {
            "form": form,
            "page": list_page(request, qs, ("status_changed_at", "id")),
            "query": query_without_page(request),
            "can_decide": "approve_requests" in request.reseller_perms,
        },
    )
