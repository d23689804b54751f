"""The customer's withdrawal page: reached by the signed link in the receipt e-mail, no login.

A GET shows what ending the link stops; only a confirmed POST ends it, through
`services.link_withdraw`, with the code e-mailed to the contact address when
`PORTAL_CONSENT_CODE_FOR` names "withdraw" (a POST with `send_code` asks for it). A link
that does not open a live link (unknown, tampered, used, or the link already ended) shows the
reason and nothing about any link.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from linking import services
from linking.cloud.names import agency_name_for
from linking.consent.setup import link_cleanup_instructions
from linking.consent.views import (
    CODE_ERRORS,
    MAX_TOKEN_LENGTH,
    _catalog,
    _client_ip,
    _code_box,
    _code_client,
    _code_status,
    _scope,
    _user_agent,
    centre_accounts_of,
    rate_limited,
)
from linking.services.revocation import (
    link_end_effects,
    link_withdraw_code_send,
    link_withdrawal_resolve,
    withdrawal_needs_code,
)
from portal.errors import PortalError

# Unknown or tampered links are "not found"; used ones, or a link already ended, are "gone".
_ERROR_STATUS = {"LNK-C001": 404, "LNK-C003": 410}


class WithdrawForm(forms.Form):
    confirm = forms.BooleanField(
        required=True,
        error_messages={"required": _("Tick the box to confirm that you want to end this link.")},
    )


def _error_page(request: HttpRequest, exc: PortalError) -> HttpResponse:
    return render(
        request,
        "consent/consent_error.html",
        {"error": exc},
        status=_ERROR_STATUS.get(exc.code, 404),
    )


def render_withdraw_form(
    request: HttpRequest,
    link,
    form: forms.Form,
    *,
    code_box: dict | None = None,
    status: int | None = None,
) -> HttpResponse:
    """The withdrawal page of `link`: its scope, what ending it does, the agency the customer
    deletes afterwards, and the form (the e-mailed link's page and the customer centre's)."""
    scope = _scope(
        link_type=link.link_type,
        services_codes=link.services,
        regions=link.regions,
        access_level=link.access_level,
        duration_days=None,
        start=timezone.now(),
        catalog=_catalog(),
    )
    return render(
        request,
        "consent/withdraw_page.html",
        {
            "link": link,
            "reseller": link.reseller,
            "customer": link.customer,
            "scope": scope,
            "effects": link_end_effects(link),
            "agency_name": agency_name_for(link),
            "form": form,
            **(code_box or {}),
        },
        status=status or (400 if form.errors else 200),
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def withdraw_page(request: HttpRequest, token: str) -> HttpResponse:
    """Show the customer what withdrawing ends; on a confirmed POST, end the link."""
    if limited := rate_limited(request, scope="withdraw", token=token):
        return limited
    if len(token) > MAX_TOKEN_LENGTH:
        return _error_page(request, PortalError("LNK-C001"))
    try:
        link = link_withdrawal_resolve(token)
    except PortalError as exc:
        return _error_page(request, exc)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    needs_code = withdrawal_needs_code()
    centre_accounts = centre_accounts_of(request)
    code_error: PortalError | None = None
    code_sent_to = ""
    if request.method == "POST" and needs_code and "send_code" in request.POST:
        form.errors.clear()  # asking for a code is not yet withdrawing: no "tick the box"
        try:
            code_sent_to = link_withdraw_code_send(token=token, client=_code_client(request))
        except PortalError as exc:
            code_error = exc
    elif request.method == "POST" and form.is_valid():
        try:
            link, reference = services.link_withdraw(
                token=token,
                code=request.POST.get("code", "")[:20],
                client=_code_client(request),
                centre_accounts=centre_accounts,
                ip_address=_client_ip(request),
                user_agent=_user_agent(request),
            )
        except PortalError as exc:
            if exc.code not in CODE_ERRORS:
                return _error_page(request, exc)
            code_error = exc
        else:
            # Read after the commit: what to delete in the cloud, named as the setup named it.
            cleanup = link_cleanup_instructions(link)
            return render(
                request,
                "consent/withdraw_done.html",
                {"link": link, "reference": reference, "cleanup": cleanup},
            )
    code_box = None
    if needs_code:
        code_box = _code_box(
            purpose="withdraw",
            centre_confirmed=bool(centre_accounts and link.customer_id in centre_accounts),
            sent_to=code_sent_to,
            error=code_error,
        )
    return render_withdraw_form(
        request, link, form, code_box=code_box, status=_code_status(code_error)
    )
