"""The second step of signing in: until a person has entered their second factor, the portal's
pages and the Django admin send them to it (or, when their role needs a factor they do not
have yet, to the page that sets one up). Public pages (consent, customer centre) are unaffected.
"""

from __future__ import annotations

import functools
import time
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from accounts import mfa

# Pages a person between the password and the factor may reach: the factor pages themselves,
# the passkey ceremony's endpoints, logging out and the lockout.
EXEMPT_VIEWS = frozenset(
    {
        "accounts:mfa-verify",
        "accounts:mfa",
        "accounts:mfa-totp-add",
        "accounts:mfa-recovery-shown",
        "accounts:logout",
        "admin:logout",
        "otp_webauthn:credential-registration-begin",
        "otp_webauthn:credential-registration-complete",
        "otp_webauthn:credential-authentication-begin",
        "otp_webauthn:credential-authentication-complete",
        "otp_webauthn:js-i18n-catalog",
    }
)


def _is_verified(request: HttpRequest) -> bool:
    return mfa.is_verified(request)


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        user = getattr(request, "user", None)
        if user is not None:
            # Lazily, like Django's own user: a page that never looks at the user costs nothing.
            request.user = SimpleLazyObject(functools.partial(self._install, request, user))  # type: ignore[assignment]
        return self.get_response(request)

    @staticmethod
    def _install(request: HttpRequest, user):
        # What django-otp's own middleware installs, read from the session alone: a change of
        # factors ends the person's other sessions, so no device lookup is needed per page.
        user.is_verified = functools.partial(_is_verified, request)
        if not hasattr(user, "otp_device"):
            user.otp_device = None
        return user

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if not getattr(view_func, "login_required", True):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in EXEMPT_VIEWS:
            return None
        user = request.user
        if not user.is_authenticated or mfa.is_verified(request):
            return None
        checked = request.session.get(mfa.OPTIONAL_CHECKED_KEY)
        now = time.time()
        if isinstance(checked, (int, float)) and 0 <= now - checked < (
            settings.PORTAL_MFA_RECHECK_SECONDS
        ):
            return None
        query = urlencode({"next": request.get_full_path()})
        if mfa.has_factor(user):
            return redirect(f"{reverse('accounts:mfa-verify')}?{query}")
        if mfa.mfa_required(user):
            return redirect(f"{reverse('accounts:mfa')}?{query}")
        request.session[mfa.OPTIONAL_CHECKED_KEY] = now
        return None
