"""The second-factor pages: the second step of signing in, a person's own factors, and an
admin's reset of a member's factors. The writes are accounts.mfa's services."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp.util import random_hex
from django_otp_webauthn import exceptions as webauthn_errors
from django_otp_webauthn import views as webauthn_views
from django_otp_webauthn.models import WebAuthnCredential

from accounts import mfa
from accounts.forms import SecondFactorCodeForm, TotpAddForm
from accounts.models import Membership
from accounts.permissions import ResellerRequest, access_membership, reseller_required
from accounts.stepup import step_up_response
from accounts.views import MANAGE, _safe_next, locked_out
from portal.errors import PortalError

# The authenticator app's key while it is being added (this session only, until confirmed).
PENDING_TOTP_KEY = "portal_mfa_pending_totp"
# New recovery codes waiting to be shown once.
CODES_TO_SHOW_KEY = "portal_mfa_codes_to_show"


def _session_key(request: HttpRequest) -> str | None:
    return request.session.session_key


def _first_factor_codes(request: HttpRequest) -> None:
    """After a person's first factor, a set of recovery codes, shown once on the next page."""
    user = request.user
    if mfa.factors_of(user).recovery_left == 0:  # type: ignore[arg-type]
        codes = mfa.recovery_codes_new(actor=user, session_key=_session_key(request))  # type: ignore[arg-type]
        request.session[CODES_TO_SHOW_KEY] = codes


# --- the second step of signing in -------------------------------------------------------------


@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Ask the signed-in person for their second factor, then go on to `next`."""
    next_url = _safe_next(request)
    if mfa.is_verified(request):
        return redirect(next_url)
    if not mfa.has_factor(request.user):
        return redirect(f"{reverse('accounts:mfa')}?{urlencode({'next': next_url})}")
    user = request.user
    form = SecondFactorCodeForm(request.POST if request.method == "POST" else None)
    error = None
    if request.method == "POST" and form.is_valid():
        if mfa.is_locked(request, user):  # type: ignore[arg-type]
            return locked_out(request)
        error = mfa.verify_code(request, form.cleaned_data["code"])
        if error is None:
            return redirect(next_url)
    has_passkey = WebAuthnCredential.objects.filter(user_id=user.pk, confirmed=True).exists()
    return render(
        request,
        "accounts/mfa_verify.html",
        {"form": form, "next": next_url, "error": error, "has_passkey": has_passkey},
        status=400 if error else 200,
    )


# --- a person's own factors ------------------------------------------------------------------


def _totp_key(request: HttpRequest) -> str:
    key = request.session.get(PENDING_TOTP_KEY)
    if not isinstance(key, str) or len(key) != 40:
        key = random_hex(20)
        request.session[PENDING_TOTP_KEY] = key
    return key


def _totp_setup(request: HttpRequest, key: str) -> dict:
    from base64 import b32encode
    from urllib.parse import quote

    secret = b32encode(bytes.fromhex(key)).decode()
    issuer = settings.OTP_TOTP_ISSUER
    label = quote(f"{issuer}:{request.user.get_username()}")
    uri = f"otpauth://totp/{label}?secret={secret}&issuer={quote(issuer)}&digits=6&period=30"
    # An image in a data: address (the CSP allows data: images): no markup built here.
    qr = segno.make(uri, error="m").svg_data_uri(scale=4)
    return {"secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)), "qr": qr}


def _render_factors(
    request: HttpRequest, *, totp_form: TotpAddForm | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    factors = mfa.factors_of(user)  # type: ignore[arg-type]
    required = mfa.mfa_required(user)
    context = {
        "factors": factors,
        "required": required,
        "setting_up": required and not factors.any,
        "next": _safe_next(request),
        "totp_form": totp_form or TotpAddForm(),
        "totp": _totp_setup(request, _totp_key(request)),
        "needs_code": factors.any and not mfa.is_verified(request),
    }
    if context["setting_up"]:
        context["error"] = PortalError("ACC-F001")
    return render(request, "accounts/mfa_factors.html", context, status=status)


@require_GET
def factors(request: HttpRequest) -> HttpResponse:
    """The person's sign-in security: their factors, adding and removing them, recovery codes.
    Also the page a person whose role needs a factor is sent to until they have one."""
    if mfa.has_factor(request.user) and not mfa.is_verified(request):
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('accounts:mfa-verify')}?{query}")
    return _render_factors(request)


@sensitive_post_parameters("code")
@require_POST
def totp_add(request: HttpRequest) -> HttpResponse:
    if mfa.has_factor(request.user) and not mfa.is_verified(request):
        # Nobody adds a factor to an account whose existing factor they have not entered.
        return redirect(f"{reverse('accounts:mfa-verify')}?next={reverse('accounts:mfa')}")
    form = TotpAddForm(request.POST)
    if not form.is_valid():
        return _render_factors(request, totp_form=form, status=400)
    key = _totp_key(request)
    try:
        device = mfa.totp_device_add(
            actor=request.user,  # type: ignore[arg-type]
            key=key,
            code=form.cleaned_data["code"],
            name=form.cleaned_data["name"],
            session_key=_session_key(request),
        )
    except PortalError as error:
        form.add_error("code", error.as_text())
        return _render_factors(request, totp_form=form, status=400)
    request.session.pop(PENDING_TOTP_KEY, None)
    if not mfa.is_verified(request):
        mfa.mark_verified(request, device)
    _first_factor_codes(request)
    messages.success(request, gettext("The authenticator app was added."))
    query = urlencode({"next": _safe_next(request)})
    return redirect(f"{reverse('accounts:mfa-recovery-shown')}?{query}")


@require_POST
def recovery_new(request: HttpRequest) -> HttpResponse:
    if not mfa.has_factor(request.user):
        return redirect("accounts:mfa")
    if stepped := step_up_response(
        request, back_to=reverse("accounts:mfa"), doing=gettext("make new recovery codes")
    ):
        return stepped
    codes = mfa.recovery_codes_new(actor=request.user, session_key=_session_key(request))  # type: ignore[arg-type]
    request.session[CODES_TO_SHOW_KEY] = codes
    return redirect("accounts:mfa-recovery-shown")


@require_GET
def recovery_shown(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown once: the session forgets them as the page is made."""
    next_url = _safe_next(request)
    codes = request.session.pop(CODES_TO_SHOW_KEY, None)
    if not codes:
        if next_url == reverse(settings.LOGIN_REDIRECT_URL):
            return redirect("accounts:mfa")
        return redirect(next_url)
    response = render(
        request, "accounts/mfa_recovery_codes.html", {"codes": codes, "next": next_url}
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def factor_remove(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    if kind not in mfa.FACTOR_KINDS:
        raise Http404
    if stepped := step_up_response(
        request, back_to=reverse("accounts:mfa"), doing=gettext("remove a second factor")
    ):
        return stepped
    try:
        mfa.factor_remove(
            actor=request.user,  # type: ignore[arg-type]
            kind=kind,
            pk=pk,
            session_key=_session_key(request),
        )
    except PortalError as error:
        messages.error(request, error.as_text())
    else:
        messages.success(request, gettext("The second factor was removed."))
    return redirect("accounts:mfa")


# --- an admin resets a member's factors --------------------------------------------------------


@require_http_methods(["GET", "POST"])
@reseller_required("view_reseller")
def member_reset(request: ResellerRequest, pk: int) -> HttpResponse:
    membership = access_membership(reseller=request.reseller, pk=pk)
    if MANAGE not in request.reseller_perms:
        raise PermissionDenied
    back_to = reverse("accounts:member-mfa-reset", args=[membership.pk])
    if stepped := step_up_response(
        request,
        back_to=back_to,
        on_get=True,
        doing=gettext("reset the second factors of %(email)s") % {"email": membership.user.email},
    ):
        return stepped
    refusal = mfa.reset_refusal(actor=request.user, membership=membership)
    if request.method == "GET":
        return render(
            request,
            "accounts/member_mfa_reset.html",
            {"membership": membership, "refusal": refusal},
        )
    try:
        mfa.mfa_reset(actor=request.user, membership_id=membership.pk)
    except Membership.DoesNotExist as exc:
        raise Http404 from exc
    except PortalError as error:
        messages.error(request, error.as_text())
        return redirect("accounts:member-list")
    messages.success(
        request,
        gettext("The second factors of %(email)s were reset; they were e-mailed about it.")
        % {"email": membership.user.email},
    )
    return redirect("accounts:member-list")


# --- passkeys and security keys: the library's ceremony, with the portal's rules ------------


class PasskeyRegistrationComplete(webauthn_views.CompleteCredentialRegistrationView):
    """Register a passkey; audited, the person's other sessions end, and a first factor comes
    with recovery codes (shown on the next page)."""

    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        device = WebAuthnCredential.objects.get(
            pk=json.loads(response.content)["id"], user_id=self.request.user.pk
        )
        mfa.passkey_added(
            actor=self.request.user, device=device, session_key=_session_key(self.request)
        )
        _first_factor_codes(self.request)
        return response


class PasskeyAuthenticationComplete(webauthn_views.CompleteCredentialAuthenticationView):
    """Check a passkey as the second step of signing in, or at the step-up. A failure counts
    toward the login lockout like a wrong password."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and mfa.is_locked(request, user):
            return locked_out(request)
        return super().dispatch(request, *args, **kwargs)

    def complete_auth(self, device):
        super().complete_auth(device)
        mfa.mark_verified(self.request, device)

    def handle_exception(self, exc):
        # The library turns every refusal (unknown key, bad signature, wrong origin, replayed
        # challenge) into its API error; anything else is a fault of ours and is raised.
        user = self.request.user
        if isinstance(exc, webauthn_errors.OTPWebAuthnApiError) and user.is_authenticated:
            mfa.count_failure(self.request, user)
        return super().handle_exception(exc)
