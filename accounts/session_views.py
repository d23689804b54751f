"""Sessions pages: a person's own sessions, and an admin ending a member's."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import services
from accounts.models import Membership
from accounts.permissions import ResellerRequest, access_membership, reseller_required
from accounts.sessions import end_sessions, key_hash, session_list_for_user
from accounts.stepup import step_up_response
from portal.errors import PortalError

MANAGE = "manage_members"


@require_GET
def session_list(request: HttpRequest) -> HttpResponse:
    sessions = session_list_for_user(user=request.user, current_key=request.session.session_key)
    return render(request, "accounts/session_list.html", {"sessions": sessions})


@require_POST
def session_end(request: HttpRequest) -> HttpResponse:
    """End one of the person's sessions; ending this one is logging out."""
    chosen = request.POST.get("session", "")
    current = request.session.session_key
    if current and chosen == key_hash(current):
        logout(request)
        return redirect("accounts:login")
    if len(chosen) != 64 or not end_sessions(
        request.user, reason="ended by its owner", only=chosen
    ):
        messages.error(request, PortalError("ACC-X002").as_text())
    else:
        messages.success(request, _("The session was ended; it has to sign in again."))
    return redirect("accounts:session-list")


@require_POST
def session_end_others(request: HttpRequest) -> HttpResponse:
    """End every session of the person but this one."""
    count = end_sessions(
        request.user, except_session_key=request.session.session_key, reason="ended by its owner"
    )
    messages.success(
        request, _("%(count)d other session(s) ended; you stay signed in here.") % {"count": count}
    )
    return redirect("accounts:session-list")


@require_http_methods(["GET", "POST"])
@reseller_required("view_reseller")
def member_sessions_end(request: ResellerRequest, pk: int) -> HttpResponse:
    membership = access_membership(reseller=request.reseller, pk=pk)
    if MANAGE not in request.reseller_perms:
        raise PermissionDenied
    here = reverse("accounts:member-sessions-end", args=[membership.pk])
    doing = _("end the sessions of %(email)s") % {"email": membership.user.email}
    if stepped := step_up_response(request, back_to=here, on_get=True, doing=doing):
        return stepped
    if request.method == "GET":
        return render(request, "accounts/member_sessions_end.html", {"membership": membership})
    try:
        count = services.member_sessions_end(actor=request.user, membership_id=membership.pk)
    except Membership.DoesNotExist as exc:
        raise Http404("No such member.") from exc
    except PortalError as error:
        messages.error(request, error.as_text())
        return redirect("accounts:member-list")
    messages.success(
        request,
        _("%(count)d session(s) of %(email)s ended.")
        % {"count": count, "email": membership.user.email},
    )
    return redirect("accounts:member-list")
