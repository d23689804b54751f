"""The customer centre's pages: sign in with a code, the overview, withdraw, decide, receipts.

A customer is not a portal user: the session holds, under its own key, a signed record of the
contact address and the account ids it proved, with the time of its last request. Operator
authentication never reads it, and it never grants anything an operator page checks.
"""

from __future__ import annotations

import time

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.sessions.backends.base import SessionBase
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from linking.centre.selectors import centre_overview, customer_receipt_get
from linking.centre.services import (
    accounts_of_contact,
    contact_language_of,
    customer_code_request,
    customer_sign_in,
    normalise_email,
)
from linking.consent import receipts
from linking.consent.forms import ConsentForm
from linking.consent.services import (
    consent_decide_in_centre,
    consent_refuse_closed,
    customer_request_get,
)
from linking.consent.setup import link_cleanup_instructions
from linking.consent.views import _user_agent, consent_form_page
from linking.consent.withdrawal_views import WithdrawForm, render_withdraw_form
from linking.services.revocation import (
    REVOCABLE,
    customer_link_get,
    link_withdraw_in_centre,
)
from portal.errors import PortalError
from portal.languages import CUSTOMER_LANGUAGE_KEY
from portal.security import client_ip

SESSION_KEY = "customer_centre"
PENDING_KEY = "customer_centre_pending"
_SALT = "linking.centre.session"


class EmailForm(forms.Form):
    email = forms.EmailField(label=_("Contact e-mail address"), max_length=254)


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Six-digit code"), max_length=20)


def _client(request: HttpRequest) -> str:
    return client_ip(request) or "unknown"


def customer_session_start(session: SessionBase, *, email: str, accounts: list[int]) -> None:
    """Sign the contact `email` in for `accounts` in `session` (after a good code)."""
    session[SESSION_KEY] = signing.dumps(
        {"email": email, "accounts": accounts, "seen": time.time()}, salt=_SALT
    )


def customer_of(request: HttpRequest) -> dict | None:
    """The signed-in customer ({"email", "accounts"}) or None; idle too long is signed out."""
    raw = request.session.get(SESSION_KEY)
    if not raw:
        return None
    try:
        data = signing.loads(raw, salt=_SALT)
    except signing.BadSignature:
        data = None
    idle = settings.PORTAL_CUSTOMER_IDLE_MINUTES * 60
    if not data or time.time() - float(data.get("seen", 0)) > idle:
        request.session.pop(SESSION_KEY, None)
        request.session.pop(CUSTOMER_LANGUAGE_KEY, None)
        return None
    # An account whose contact address changed since the sign-in is no longer shown.
    data["accounts"] = accounts_of_contact(data["email"], among=data.get("accounts", []))
    data["seen"] = time.time()
    request.session[SESSION_KEY] = signing.dumps(data, salt=_SALT)
    return data


def _signed_out(request: HttpRequest) -> HttpResponse:
    error = PortalError("CUS-S004", minutes=settings.PORTAL_CUSTOMER_IDLE_MINUTES)
    return render(request, "customer/sign_in.html", {"form": EmailForm(), "error": error})


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """Ask for a code: the same answer whether or not the address is a contact address."""
    if customer_of(request):
        return redirect("customer:home")
    form = EmailForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        email = normalise_email(form.cleaned_data["email"])
        try:
            customer_code_request(email=email, client=_client(request))
        except PortalError as exc:
            return render(
                request, "customer/sign_in.html", {"form": form, "error": exc}, status=429
            )
        request.session[PENDING_KEY] = email
        return redirect("customer:code")
    return render(
        request, "customer/sign_in.html", {"form": form}, status=400 if form.errors else 200
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def enter_code(request: HttpRequest) -> HttpResponse:
    """Type the code: on success the session is renewed and holds the customer's accounts."""
    email = request.session.get(PENDING_KEY)
    if not email:
        return redirect("customer:sign-in")
    form = CodeForm(request.POST if request.method == "POST" else None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            accounts = customer_sign_in(
                email=email, code=form.cleaned_data["code"], client=_client(request)
            )
        except PortalError as exc:
            error = exc
        else:
            request.session.cycle_key()  # no session fixation across the sign-in
            request.session.pop(PENDING_KEY, None)
            customer_session_start(request.session, email=email, accounts=accounts)
            # The contact's stored language is theirs on every device from now on.
            language = contact_language_of(accounts)
            if language:
                request.session[CUSTOMER_LANGUAGE_KEY] = language
            return redirect("customer:home")
    status = 200
    if error is not None:
        status = 429 if error.code == "CUS-S003" else 400
    return render(
        request,
        "customer/code.html",
        {"form": form, "email": email, "error": error},
        status=status,
    )


@login_not_required
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """End the customer's session; an operator signed in on the same browser stays signed in."""
    request.session.pop(SESSION_KEY, None)
    request.session.pop(CUSTOMER_LANGUAGE_KEY, None)
    request.session.pop(PENDING_KEY, None)
    return redirect("customer:sign-in")


@login_not_required
@never_cache
@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    """Every partner link and every waiting request of the customer's accounts."""
    customer = customer_of(request)
    if customer is None:
        return _signed_out(request)
    return render(
        request,
        "customer/home.html",
        {"customer": customer, "accounts": centre_overview(account_ids=customer["accounts"])},
    )


def _link_or_404(customer: dict, pk: int):
    try:
        return customer_link_get(account_ids=customer["accounts"], link_id=pk)
    except PortalError:
        raise Http404 from None


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """The withdrawal link's confirmation page and outcome, for a link of the customer's."""
    customer = customer_of(request)
    if customer is None:
        return _signed_out(request)
    link = _link_or_404(customer, pk)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            link, reference = link_withdraw_in_centre(
                contact_email=customer["email"],
                account_ids=customer["accounts"],
                link_id=link.pk,
                ip_address=client_ip(request),
                user_agent=_user_agent(request),
            )
        except PortalError as exc:
            return render(request, "consent/consent_error.html", {"error": exc}, status=410)
        return render(
            request,
            "consent/withdraw_done.html",
            {
                "link": link,
                "reference": reference,
                "cleanup": link_cleanup_instructions(link),
                "centre_url": reverse("customer:home"),
            },
        )
    if link.effective_status not in REVOCABLE:
        error = PortalError("LNK-C003")
        return render(request, "consent/consent_error.html", {"error": error}, status=410)
    return render_withdraw_form(request, link, form)


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """A request waiting for one of the customer's accounts, decided here: the consent page's
    form and rules, recorded as decided in the centre (the e-mailed link stops working)."""
    customer = customer_of(request)
    if customer is None:
        return _signed_out(request)
    try:
        req = customer_request_get(account_ids=customer["accounts"], request_id=pk)
        consent_refuse_closed(req)
    except PortalError as exc:
        if exc.code == "LNK-C001":
            raise Http404 from None
        return render(request, "consent/consent_error.html", {"error": exc}, status=410)

    def decide_here(form: ConsentForm) -> str:
        _, receipt = consent_decide_in_centre(
            contact_email=customer["email"],
            account_ids=customer["accounts"],
            request_id=req.pk,
            decisions=form.decisions(),
            ip_address=client_ip(request),
            user_agent=_user_agent(request),
        )
        return receipt

    return consent_form_page(
        request,
        req,
        decide=decide_here,
        centre_confirmed=True,
        extra={"centre_url": reverse("customer:home")},
    )


@login_not_required
@never_cache
@require_http_methods(["GET"])
def receipt_download(request: HttpRequest, reference: str) -> HttpResponse:
    """A receipt (decision or withdrawal) of one of the customer's accounts, as the same text
    file the receipt link gives; another account's receipt is a 404."""
    customer = customer_of(request)
    if customer is None:
        return _signed_out(request)
    receipt = customer_receipt_get(account_ids=customer["accounts"], reference=reference)
    if receipt is None:
        raise Http404
    return receipts.receipt_response(receipt)
