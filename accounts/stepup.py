"""Step-up: sensitive actions ask for the password again when it was entered too long ago.

A person with a second factor is asked for the factor instead (a code from the authenticator
app, a recovery code, or a passkey), never for the password: the session already proved the
password, and a factor is what someone who has taken over a session or learnt a password lacks
(docs/mfa.md).

The session remembers when the password was last entered: at login (every login of the portal
is a password login) and at the step-up page. A sensitive action checks that time; when it is
older than PORTAL_STEP_UP_MINUTES the action is not done and the user is sent to the step-up
page.

A refused POST is not lost: its fields are kept in the session, and the step-up page then
posts the password together with them to the action itself, which checks the password and
goes ahead in the same request. The person types the password once and the action they asked
for is carried out, comment and all. A GET (a confirmation page that asks up front) simply
comes back to the page after the password.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from portal.errors import PortalError
from portal.security import client_ip

SESSION_KEY = "portal_password_at"
# The one POST waiting for a password: a single slot, so a session never piles them up.
RESUME_KEY = "portal_step_up_resume"
# The password field an action's own POST carries when it comes from the step-up page.
PASSWORD_FIELD = "step_up_password"  # noqa: S105 (a field name, not a password)
# The same for a second factor's code.
CODE_FIELD = "step_up_code"
# Fields never kept: the old CSRF token (the page adds a fresh one), any password or code.
_NOT_KEPT = {"csrfmiddlewaretoken", PASSWORD_FIELD, CODE_FIELD, "password", "code"}
# A form larger than this is not kept (the person fills it in again): sessions stay small.
MAX_KEPT_CHARS = 20_000


def mark_password_entered(request: HttpRequest) -> None:
    request.session[SESSION_KEY] = timezone.now().timestamp()


def password_is_fresh(request: HttpRequest) -> bool:
    entered = request.session.get(SESSION_KEY)
    if not isinstance(entered, (int, float)):
        return False
    age = timezone.now().timestamp() - entered
    # A time in the future (a clock step back) is not trusted either.
    return 0 <= age <= settings.PORTAL_STEP_UP_MINUTES * 60


def on_user_logged_in(sender, request=None, user=None, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        mark_password_entered(request)


def confirm_password(request: HttpRequest, password: str) -> PortalError | None:
    """Check the password of the logged-in user; None when right (the session is then fresh).

    It goes through authenticate(), so a wrong one counts towards the login lockout.
    """
    user = authenticate(request, username=request.user.get_username(), password=password)
    if user is not None and user.pk == request.user.pk:
        mark_password_entered(request)
        # Like a successful login, the right password clears this address's failures.
        axes_reset(ip=client_ip(request), username=user.get_username())
        return None
    return PortalError(
        "ACC-S004",
        limit=settings.AXES_FAILURE_LIMIT,
        minutes=int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    )


def _keep_post(request: HttpRequest, *, back_to: str, doing: str) -> str | None:
    """Keep the refused POST's fields in the session; the token that names them, or None."""
    # A form whose view marks fields sensitive (a secret key) is never kept: the session
    # table would hold the secret. The person fills the form in again after the password.
    if getattr(request, "sensitive_post_parameters", None):
        return None
    fields = [[name, values] for name, values in request.POST.lists() if name not in _NOT_KEPT]
    if sum(len(name) + sum(len(v) for v in values) for name, values in fields) > MAX_KEPT_CHARS:
        return None
    token = secrets.token_urlsafe(16)
    request.session[RESUME_KEY] = {
        "token": token,
        "action": request.path,
        "back_to": back_to,
        "doing": doing,
        "fields": fields,
    }
    return token


def kept_post(request: HttpRequest, token: str) -> dict | None:
    """The kept POST that `token` names in this session, or None."""
    kept = request.session.get(RESUME_KEY)
    if not token or not isinstance(kept, dict):
        return None
    if not secrets.compare_digest(str(kept.get("token", "")), token):
        return None
    return kept


def step_up_redirect(request: HttpRequest, back_to: str, *, resume: str | None = None):
    """Send the user to the step-up page, then back to `back_to` (a path of the portal)."""
    error = PortalError("ACC-S003", minutes=settings.PORTAL_STEP_UP_MINUTES)
    messages.warning(request, error.as_text())
    query = {"next": back_to, **({"resume": resume} if resume else {})}
    return redirect(f"{reverse('accounts:step-up')}?{urlencode(query)}")


def render_step_up(
    request: HttpRequest,
    *,
    next_url: str,
    form,
    error: PortalError | None = None,
    kept: dict | None = None,
    fields: list | None = None,
) -> HttpResponse:
    """The step-up page: the password (or the second factor) alone, or with the kept action's
    fields posted to the action itself."""
    from django_otp_webauthn.models import WebAuthnCredential

    from accounts import mfa

    uses_factor = mfa.has_factor(request.user)
    token = (kept or {}).get("token")
    back_here = f"{reverse('accounts:step-up')}?{urlencode({'next': next_url, 'resume': token})}"
    return render(
        request,
        "accounts/step_up.html",
        {
            "form": form,
            "next": next_url,
            "error": error,
            "kept": kept,
            "fields": fields if fields is not None else (kept or {}).get("fields", []),
            "password_field": PASSWORD_FIELD,
            "code_field": CODE_FIELD,
            "uses_factor": uses_factor,
            "has_passkey": uses_factor
            and WebAuthnCredential.objects.filter(user_id=request.user.pk, confirmed=True).exists(),
            # A passkey is checked by its own endpoint: then back here, to carry out the action.
            "passkey_next": back_here if token else next_url,
            "confirmed": bool(kept) and password_is_fresh(request),
            "minutes": settings.PORTAL_STEP_UP_MINUTES,
        },
        status=400 if error else 200,
    )


def confirm_identity(request: HttpRequest, *, password: str | None, code: str | None):
    """Check what the step-up asked for: the second factor of a person who has one (a wrong
    code counts toward the lockout), else the password. None when right."""
    from accounts import mfa

    if mfa.has_factor(request.user):
        if code is None:
            # A password sent from a page made before the factor was added is not enough.
            return PortalError(
                "ACC-F002",
                limit=settings.AXES_FAILURE_LIMIT,
                minutes=int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
            )
        return mfa.verify_code(request, code)
    return confirm_password(request, password or "")


def step_up_response(
    request: HttpRequest, *, back_to: str, on_get: bool = False, doing: str = ""
) -> HttpResponse | None:
    """None when the action may go ahead; else the page that asks for the password.

    Views call it after fetching the object and checking the role, so an outsider still gets
    a 404 and a missing role a 403. Only a POST is checked unless `on_get`: a confirmation page
    then asks up front, so nobody fills in a form that would be refused. `doing` says what the
    action is ("approve LR-000012"), for the step-up page's button.
    """
    if request.method != "POST":
        if not on_get or password_is_fresh(request):
            return None
        return step_up_redirect(request, back_to)
    if PASSWORD_FIELD in request.POST or CODE_FIELD in request.POST:
        # Kept out of error reports like any password field, beside the view's own. The attribute
        # Django's `sensitive_post_parameters` decorator sets, which the request's stub does not
        # declare.
        marked = getattr(request, "sensitive_post_parameters", None) or []
        if marked != "__ALL__":
            request.sensitive_post_parameters = [*marked, PASSWORD_FIELD, CODE_FIELD]  # type: ignore[attr-defined]
        if password_is_fresh(request):
            return None
        from accounts import mfa
        from accounts.forms import SecondFactorCodeForm, StepUpForm

        if request.user.is_authenticated and mfa.is_locked(request, request.user):
            from accounts.views import locked_out

            return locked_out(request)
        code = request.POST.get(CODE_FIELD)
        error = confirm_identity(request, password=request.POST.get(PASSWORD_FIELD), code=code)
        if error is None:
            request.session.pop(RESUME_KEY, None)
            return None
        form = (
            SecondFactorCodeForm({"code": ""})
            if mfa.has_factor(request.user)
            else StepUpForm({"password": ""})
        )
        fields = [[name, values] for name, values in request.POST.lists() if name not in _NOT_KEPT]
        kept = {"action": request.path, "back_to": back_to, "doing": doing}
        return render_step_up(
            request, next_url=back_to, form=form, error=error, kept=kept, fields=fields
        )
    if password_is_fresh(request):
        return None
    resume = _keep_post(request, back_to=back_to, doing=doing)
    return step_up_redirect(request, back_to, resume=resume)
