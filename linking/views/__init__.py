"""Pages of the reseller's linking work: requests and their wizard, approvals, links, customers.

Each view parses with a form, fetches through `linking.permissions`, calls one service and turns
a `PortalError` into a form error or a message. Writes happen only in the services.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import LinkType
from accounts.permissions import reseller_required
from accounts.stepup import password_is_fresh, step_up_response
from linking import checks, forms, receipts, services
from linking.models import Link, LinkRequest, Notification, Refusal, VerificationRun
from linking.permissions import access_customer, access_link, access_link_request
from linking.selectors.catalog import catalog_names, region_names
from linking.selectors.customers import customer_list_linked
from linking.selectors.links import (
    link_consent_records,
    link_list_for_customer,
    link_list_for_reseller,
    link_notice_audiences,
    link_timeline,
    link_verification_runs,
)
from linking.selectors.presets import preset_list_for_reseller
from linking.selectors.requests import (
    RequestFilters,
    approval_queue_for_user,
    consent_records_for_request,
    link_request_list_for_reseller,
    notification_count,
    request_item_links,
    request_rows,
    request_timeline,
)
from portal.errors import PortalError
from portal.pagination import paginate, query_without_paging

Status = LinkRequest.Status
WIZARD_STEPS = [(1, "Link types"), (2, "Customer"), (3, "Scope"), (4, "Review and submit")]


def _page(request, qs, ordering: tuple[str, str] = ("-created_at", "-id")):
    # Keyset links for Next/Previous and a capped count: as fast on page 5,000 as on page 1.
    return paginate(request, qs, ordering=ordering)


def _query_without_page(request) -> str:
    return query_without_paging(request)


def _error_reasons(error: PortalError) -> list:
    """The reasons of an error, as the `_reasons.html` partial lists them."""
    if isinstance(error, services.ChecksFailed):
        return error.reasons
    return [
        checks.Reason(code=error.code, stage=error.stage, message=error.message, hint=error.hint)
    ]


def _message_error(request, error: PortalError) -> None:
    for reason in _error_reasons(error):
        messages.error(request, f"{reason.message} {reason.hint} ({reason.code})")


def _refused(request, req: LinkRequest, action: str, error: PortalError) -> None:
    """Keep a refused action on the request's timeline (every code, who, when); the refused
    service has rolled back, the refusal commits on its own."""
    services.refusal_record(actor=request.user, req=req, action=action, error=error)


def _posted(request):
    # Not `request.POST or None`: an empty POST (billing has no scope) is still a submission.
    return request.POST if request.method == "POST" else None


def _detail(req: LinkRequest):
    return redirect("linking:request-detail", pk=req.pk)


# --- Requests -------------------------------------------------------------------------------


@require_GET
@reseller_required("view_reseller")
def request_list(request):
    form = forms.RequestFilterForm(request.GET or None, reseller=request.reseller)
    filters = form.filters()  # the export reads the same query string the same way
    qs = link_request_list_for_reseller(reseller=request.reseller, filters=filters)
    qs = request_rows(qs)
    return render(
        request,
        "linking/request_list.html",
        {"form": form, "page": _page(request, qs), "query": _query_without_page(request)},
    )


@require_POST
@reseller_required("initiate_requests")
def request_new(request):
    try:
        req = services.link_request_create_draft(actor=request.user, reseller=request.reseller)
    except PortalError as error:
        _message_error(request, error)
        return redirect("linking:request-list")
    return redirect("linking:request-wizard", pk=req.pk, step=1)


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
    customer, reasons = checks.check_customer_for(
        reseller=request.reseller,
        raw_account_id=raw,
        link_types=[item.link_type for item in req.items.all()] if req else [],
        exclude_request_id=req.pk if req else None,
    )
    return {"customer": customer, "reasons": reasons, "typed": raw.strip(), "draft": req}


@require_GET
@reseller_required("initiate_requests")
def account_check(request):
    raw = request.GET.get("account_id", "")[:60]
    return render(
        request,
        "linking/_account_check.html",
        _customer_check(request, _draft_for_check(request), raw),
    )


@require_GET
@reseller_required("view_reseller")
def request_detail(request, pk: int):
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
            "timeline": request_timeline(req=req),
            "region_names": region_names(),
            "consents": consent_records_for_request(req=req),
            "notifications": list(req.notifications.all()),
            "can_decide": services.can_decide(req, actor=request.user, perms=perms) is None,
            "approve_asks_password": status == Status.PENDING_APPROVAL
            and not password_is_fresh(request)
            and checks.needs_step_up(items=[checks.ItemSpec.from_item(i) for i in items]),
            "approval_gap": services.approval_gap(reseller=req.reseller, initiator=req.initiator)
            if status == Status.PENDING_APPROVAL
            else None,
            "can_cancel": services.can_cancel(req, actor=request.user, perms=perms) is None,
            "can_edit": services.can_edit(req, actor=request.user, perms=perms) is None,
        },
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
def request_wizard(request, pk: int, step: int):
    req = access_link_request(reseller=request.reseller, pk=pk)
    if step not in dict(WIZARD_STEPS):
        raise Http404("No such step.")
    refusal = services.can_edit(req, actor=request.user, perms=request.reseller_perms)
    if refusal is not None and refusal.code == "LNK-S001":
        messages.info(request, f"{req.reference} is no longer a draft; it cannot be edited.")
        return _detail(req)
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
        _posted(request),
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
    form = forms.CustomerForm(_posted(request), initial={"account_id": req.account_id_input})
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
            check = {**_customer_check(request, req, account_id), "reasons": _error_reasons(error)}
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
    form = forms.ScopeForm(_posted(request), items=items, reseller=request.reseller)
    if request.method == "POST" and form.is_valid():
        try:
            services.link_request_set_scope(
                actor=request.user, request_id=req.pk, scopes=form.scopes()
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
            enabled_regions=enabled,
            has_billing=any(item.link_type == LinkType.BILLING for item in items),
        ),
    )


def _step_review(request, req: LinkRequest):
    form = forms.DetailsForm(
        _posted(request),
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
            messages.success(request, "Details saved. Review the checks, then submit.")
            return redirect("linking:request-wizard", pk=req.pk, step=4)
    return render(
        request,
        "linking/request_wizard.html",
        _wizard_context(
            req,
            4,
            form=form,
            items=list(req.items.all()),
            region_names=region_names(),
            reasons=services.link_request_dry_run(actor=request.user, req=req),
        ),
    )


@require_POST
@reseller_required("initiate_requests")
def request_submit(request, pk: int):
    req = access_link_request(reseller=request.reseller, pk=pk)
    try:
        req = services.link_request_submit(actor=request.user, request_id=req.pk)
    except services.ChecksFailed as error:
        _refused(request, req, Refusal.Action.SUBMIT, error)
        messages.error(
            request,
            f"{req.reference} was not submitted: "
            + ngettext("%(n)d check failed.", "%(n)d checks failed.", len(error.reasons))
            % {"n": len(error.reasons)}
            + " Fix them below and submit again.",
        )
        return redirect("linking:request-wizard", pk=req.pk, step=4)
    except PortalError as error:
        _refused(request, req, Refusal.Action.SUBMIT, error)
        _message_error(request, error)
        return _detail(req)
    messages.success(request, _outcome_message(req, f"{req.reference} was submitted"))
    return _detail(req)


def _outcome_message(req: LinkRequest, done: str) -> str:
    """What the submit or the approval actually did, read from the request it returned: a
    narrowing applied at once asks nobody; a request waiting for approval asks the approvers;
    only a request waiting for the customer has asked the customer."""
    if req.status == Status.COMPLETED and req.amends_link_id:
        return (
            f"{done}: the narrower scope of {req.amends_link.reference} applies now. Narrowing "
            "needs no consent, so the customer was not asked."
        )
    if req.status == Status.PENDING_APPROVAL:
        count = notification_count(request=req, kind=Notification.Kind.APPROVAL_NEEDED)
        asked = ngettext(
            "%(n)d approver has been e-mailed", "%(n)d approvers have been e-mailed", count
        ) % {"n": count}
        return f"{done} and waits for approval; {asked}."
    if req.status == Status.PENDING_CONSENT:
        return f"{done}; the consent e-mail to {req.consent_email} is on its way."
    return f"{done}; it is now {req.get_status_display().lower()}."


@require_POST
@reseller_required("approve_requests")
def request_approve(request, pk: int):
    req = access_link_request(reseller=request.reseller, pk=pk)
    items = [checks.ItemSpec.from_item(item) for item in req.items.all()]
    if checks.needs_step_up(items=items) and (
        stepped := step_up_response(
            request,
            back_to=reverse("linking:request-detail", args=[req.pk]) + "#decision",
            doing=f"approve {req.reference}",
        )
    ):
        return stepped
    form = forms.ReasonForm(request.POST)
    form.is_valid()
    try:
        req = services.link_request_approve(
            actor=request.user, request_id=req.pk, reason=form.cleaned_data.get("reason", "")
        )
    except PortalError as error:
        _refused(request, req, Refusal.Action.APPROVE, error)
        _message_error(request, error)
    else:
        messages.success(request, _outcome_message(req, f"{req.reference} was approved"))
    return _detail(req)


@require_POST
@reseller_required("approve_requests")
def request_reject(request, pk: int):
    req = access_link_request(reseller=request.reseller, pk=pk)
    form = forms.ReasonForm(request.POST)
    form.is_valid()
    try:
        services.link_request_reject(
            actor=request.user, request_id=req.pk, reason=form.cleaned_data.get("reason", "")
        )
    except PortalError as error:
        _refused(request, req, Refusal.Action.REJECT, error)
        _message_error(request, error)
    else:
        messages.success(request, f"{req.reference} rejected; the initiator will be told.")
    return _detail(req)


@require_http_methods(["GET", "POST"])
@reseller_required("initiate_requests")
def request_cancel(request, pk: int):
    req = access_link_request(reseller=request.reseller, pk=pk)
    form = forms.ReasonForm(_posted(request))
    status_before = req.effective_status
    if request.method == "POST" and form.is_valid():
        try:
            services.link_request_cancel(
                actor=request.user, request_id=req.pk, reason=form.cleaned_data["reason"]
            )
        except PortalError as error:
            _refused(request, req, Refusal.Action.CANCEL, error)
            _message_error(request, error)
        else:
            messages.success(request, _cancelled_message(req, was=status_before))
        return _detail(req)
    return render(
        request,
        "linking/request_cancel.html",
        {"req": req, "items": list(req.items.all()), "form": form},
    )


def _cancelled_message(req: LinkRequest, *, was: str) -> str:
    if was == Status.PENDING_CONSENT:
        return f"{req.reference} was cancelled; the link in the consent e-mail no longer works."
    if was == Status.PENDING_APPROVAL:
        return f"{req.reference} was cancelled; approvers no longer see it."
    return f"{req.reference} was cancelled."


@require_POST
@reseller_required("initiate_requests")
def request_resend(request, pk: int):
    req = access_link_request(reseller=request.reseller, pk=pk)
    form = forms.ResendForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
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
        _message_error(request, error)
    else:
        messages.success(
            request,
            f"The consent e-mail of {req.reference} is being resent to {req.consent_email}; "
            "the link in earlier e-mails no longer works.",
        )
    return _detail(req)


@require_GET
@reseller_required("view_reseller")
def approval_queue(request):
    form = forms.RequestSearchForm(request.GET or None)
    q = (form.valid_data().get("q") or "").strip() if request.GET else ""
    qs = request_rows(approval_queue_for_user(reseller=request.reseller, user=request.user, q=q))
    return render(
        request,
        "linking/approval_queue.html",
        {
            "form": form,
            "page": _page(request, qs, ("status_changed_at", "id")),
            "query": _query_without_page(request),
            "can_decide": "approve_requests" in request.reseller_perms,
        },
    )


# --- Links and customers --------------------------------------------------------------------


def _verification(link: Link) -> dict:
    """What `linking/_verification.html` shows: the latest run and the history of runs."""
    runs = link_verification_runs(link=link)
    return {"latest_run": runs[0] if runs else None, "runs": runs}


@require_POST
@reseller_required("view_reseller")
def link_verify(request, pk: int):
    link = access_link(reseller=request.reseller, pk=pk)
    try:
        run = services.link_verify(
            link_id=link.pk, trigger=VerificationRun.Trigger.MANUAL, actor=request.user
        )
    except PortalError as error:
        _message_error(request, error)
    else:
        failed = [check["code"] for check in run.checks if not check["passed"]]
        if failed:
            messages.error(
                request,
                f"Verification of {link.reference} failed: {', '.join(failed)}. "
                "The checklist on the link page says what to do.",
            )
        else:
            messages.success(
                request, f"Verification of {link.reference} passed ({len(run.checks)} checks)."
            )
    return redirect("linking:link-detail", pk=link.pk)


@require_GET
@reseller_required("view_reseller")
def link_list(request):
    form = forms.LinkFilterForm(request.GET or None)
    # The export reads the same query string the same way.
    qs = link_list_for_reseller(reseller=request.reseller, **form.filters())
    return render(
        request,
        "linking/link_list.html",
        {"form": form, "page": _page(request, qs), "query": _query_without_page(request)},
    )


@require_GET
@reseller_required("view_reseller")
def link_detail(request, pk: int):
    link = access_link(reseller=request.reseller, pk=pk)
    names = catalog_names()
    # Read-time expiry: the page must not say active past the end.
    state = link.effective_status
    perms = request.reseller_perms
    return render(
        request,
        "linking/link_detail.html",
        {
            "link": link,
            "state": state,
            "state_label": link.get_effective_status_display(),
            "can_revoke": services.can_revoke(link, actor=request.user, perms=perms) is None,
            "can_amend": services.can_amend(link, actor=request.user, perms=perms) is None,
            "can_renew": services.can_renew(link, actor=request.user, perms=perms) is None,
            "services_in_words": [(c, names[0].get(c, c)) for c in link.services or []],
            "regions_in_words": [(c, names[1].get(c, c)) for c in link.regions or []],
            "timeline": link_timeline(link=link, names=names),
            "consents": link_consent_records(link=link),
            **_verification(link),
        },
    )


@require_http_methods(["GET", "POST"])
@reseller_required("approve_requests")
def link_revoke(request, pk: int):
    link = access_link(reseller=request.reseller, pk=pk)
    if refusal := services.can_revoke(link, actor=request.user, perms=request.reseller_perms):
        _message_error(request, refusal)
        return redirect("linking:link-detail", pk=link.pk)
    back_to = reverse("linking:link-revoke", args=[link.pk])
    if stepped := step_up_response(
        request, back_to=back_to, on_get=True, doing=f"revoke {link.reference}"
    ):
        return stepped
    form = forms.ReasonForm(_posted(request))
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
                _message_error(request, exc)
                return redirect("linking:link-detail", pk=link.pk)
            error = exc
        else:
            messages.success(request, _revoked_message(link))
            return redirect("linking:link-detail", pk=link.pk)
    return render(
        request,
        "linking/link_revoke.html",
        {
            "link": link,
            "form": form,
            "error": error,
            "effects": services.link_end_effects(link),
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


def _link_draft(request, pk: int, start, what: str):
    link = access_link(reseller=request.reseller, pk=pk)
    try:
        req = start(actor=request.user, link_id=link.pk)
    except PortalError as error:
        _message_error(request, error)
        return redirect("linking:link-detail", pk=link.pk)
    messages.info(request, f"{req.reference}: {what} of {link.reference}, pre-filled from it.")
    return redirect("linking:request-wizard", pk=req.pk, step=req.wizard_step)


@require_POST
@reseller_required("initiate_requests")
def link_amend(request, pk: int):
    return _link_draft(request, pk, services.link_amend_start, "change of scope")


@require_POST
@reseller_required("initiate_requests")
def link_renew(request, pk: int):
    return _link_draft(request, pk, services.link_renew_start, "renewal")


@require_GET
@reseller_required("view_reseller")
def customer_list(request):
    form = forms.SearchForm(request.GET or None)
    data = form.valid_data() if request.GET else {}
    qs = customer_list_linked(reseller=request.reseller, q=(data.get("q") or "").strip())
    return render(
        request,
        "linking/customer_list.html",
        {
            "form": form,
            "page": _page(request, qs, ("display_name", "id")),
            "query": _query_without_page(request),
        },
    )


@require_GET
@reseller_required("view_reseller")
def customer_detail(request, pk: int):
    customer = access_customer(reseller=request.reseller, pk=pk)
    links = link_list_for_customer(reseller=request.reseller, customer=customer)
    form = forms.RequestSearchForm(request.GET or None)
    q = (form.valid_data().get("q") or "").strip() if request.GET else ""
    requests = link_request_list_for_reseller(
        reseller=request.reseller, filters=RequestFilters(q=q)
    ).filter(customer=customer)[:20]
    return render(
        request,
        "linking/customer_detail.html",
        {
            "customer": customer,
            "form": form,
            "links": list(links),
            "requests": list(requests),
        },
    )


@require_GET
@reseller_required("view_reseller")
def receipt_download(request, reference: str):
    """A consent receipt of one of the reseller's requests or links, as a text file."""
    receipt = receipts.receipt_for(reference, reseller=request.reseller)
    if receipt is None:
        raise Http404("No such receipt.")
    return receipts.receipt_response(receipt)
