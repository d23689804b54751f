"""Step-up: sensitive actions ask for the password again when it was entered too long ago.

The session remembers when the password was last entered: at login (every login of the portal
is a password login) and at the step-up page. A sensitive action checks that time; when it is
older than PORTAL_STEP_UP_MINUTES the action is not done and the user is sent to the step-up
page, which brings them back to the page of the action.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from portal.errors import PortalError

SESSION_KEY = "portal_password_at"


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


def step_up_redirect(request: HttpRequest, back_to: str) -> HttpResponse:
    """Send the user to the step-up page, then back to `back_to` (a path of the portal)."""
    error = PortalError("ACC-S003", minutes=settings.PORTAL_STEP_UP_MINUTES)
    messages.warning(request, error.as_text())
    return redirect(f"{reverse('accounts:step-up')}?{urlencode({'next': back_to})}")


def step_up_response(
    request: HttpRequest, *, back_to: str, on_get: bool = False
) -> HttpResponse | None:
    """None when the action may go ahead; else the redirect to the step-up page.

    Views call it after fetching the object and checking the role, so an outsider still gets
    a 404 and a missing role a 403. Only a POST is checked unless `on_get`: a confirmation page
    then asks up front, so nobody fills in a form that would be refused.
    """
    if request.method != "POST" and not on_get:
        return None
    if password_is_fresh(request):
        return None
    return step_up_redirect(request, back_to)
