"""Invitation pages: an admin invites, resends and revokes; the invited person accepts.

Inviting, and resending an invitation, ask for the step-up first: a new member of any role
widens who can act for the reseller, the same rule as adding a member. The link's page never
changes anything on a GET.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts import invitations
from accounts.current import SESSION_KEY
from accounts.forms import InvitationPasswordForm, InviteForm
from accounts.models import Invitation, Role, User
from accounts.permissions import ResellerRequest, reseller_required
from accounts.stepup import step_up_response
from portal.errors import PortalError

MANAGE = "manage_members"
# The invitation's errors whose link can never work again: the page says so with a 410.
_GONE = {"ACC-I002", "ACC-I003", "ACC-I004"}


def _members_page(request: ResellerRequest, *, invite_form: InviteForm, status: int):
    from accounts.views import _render_members

    return _render_members(request, invite_form=invite_form, status=status)


@require_POST
@reseller_required(MANAGE)
def invitation_create(request: ResellerRequest) -> HttpResponse:
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _members_page(request, invite_form=form, status=400)
    email, role = form.cleaned_data["email"], form.cleaned_data["role"]
    if stepped := step_up_response(
        request,
        back_to=reverse("accounts:member-list"),
        doing=_("invite %(email)s") % {"email": email},
    ):
        return stepped
    try:
        invitations.invitation_create(
            actor=request.user, reseller=request.reseller, email=email, role=role
        )
    except PortalError as error:
        form.add_error(None, error.as_text())
        return _members_page(request, invite_form=form, status=400)
    messages.success(
        request,
        _("An invitation was sent to %(email)s as %(role)s.")
        % {"email": email, "role": Role(role).label},
    )
    return redirect("accounts:member-list")


def _invitation_action(request: ResellerRequest, pk: int, *, resend: bool) -> HttpResponse:
    invitation = invitations.access_invitation(reseller=request.reseller, pk=pk)
    name = "accounts:invitation-resend" if resend else "accounts:invitation-revoke"
    here = reverse(name, args=[invitation.pk])
    # Resending gives the role again: the same rule as inviting. Revoking only takes away.
    if resend:
        doing = _("send the invitation of %(email)s again") % {"email": invitation.email}
        if stepped := step_up_response(request, back_to=here, on_get=True, doing=doing):
            return stepped
    if request.method == "GET":
        return render(
            request,
            "accounts/invitation_confirm.html",
            {"invitation": invitation, "resend": resend, "action": here},
        )
    service = invitations.invitation_resend if resend else invitations.invitation_revoke
    try:
        service(actor=request.user, reseller=request.reseller, invitation_id=invitation.pk)
    except Invitation.DoesNotExist:
        return redirect("accounts:member-list")
    except PortalError as error:
        messages.error(request, error.as_text())
        return redirect("accounts:member-list")
    if resend:
        text = _("The invitation of %(email)s was sent again; the earlier link no longer works.")
    else:
        text = _("The invitation of %(email)s was revoked; its link no longer works.")
    messages.success(request, text % {"email": invitation.email})
    return redirect("accounts:member-list")


@require_http_methods(["GET", "POST"])
@reseller_required(MANAGE)
def invitation_resend(request: ResellerRequest, pk: int) -> HttpResponse:
    return _invitation_action(request, pk, resend=True)


@require_http_methods(["GET", "POST"])
@reseller_required(MANAGE)
def invitation_revoke(request: ResellerRequest, pk: int) -> HttpResponse:
    return _invitation_action(request, pk, resend=False)


# --- the invited person -------------------------------------------------------------------


def _error_page(request: HttpRequest, error: PortalError) -> HttpResponse:
    status = 410 if error.code in _GONE else 400
    return render(request, "accounts/invitation_error.html", {"error": error}, status=status)


def _joined(request: HttpRequest, invitation_reseller_id: int, reseller_name: str):
    # The new reseller becomes the one the session works for.
    request.session[SESSION_KEY] = invitation_reseller_id
    messages.success(request, _("Welcome to %(reseller)s.") % {"reseller": reseller_name})
    return redirect("portal:dashboard")


@login_not_required
@sensitive_post_parameters("new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def invitation_open(request: HttpRequest, token: str) -> HttpResponse:
    """The link of an invitation e-mail: accept as the signed-in person, sign in to accept, or
    (no account yet) choose a password and be signed in."""
    try:
        invitation = invitations.invitation_resolve(token)
    except PortalError as error:
        return _error_page(request, error)
    reseller = invitation.reseller
    context: dict = {"invitation": invitation, "token": token}
    if request.user.is_authenticated:
        if request.user.email.lower() != invitation.email.lower():
            return _error_page(request, PortalError("ACC-I005", email=request.user.email))
        if request.method == "GET":
            return render(request, "accounts/invitation_accept.html", context)
        try:
            invitations.invitation_accept(user=request.user, token=token)
        except PortalError as error:
            return _error_page(request, error)
        return _joined(request, reseller.pk, reseller.name)
    if User.objects.filter(email__iexact=invitation.email).exists():
        login_url = reverse("accounts:login") + "?" + urlencode({"next": request.path})
        return render(
            request, "accounts/invitation_sign_in.html", {**context, "login_url": login_url}
        )
    person = User(username=invitation.email, email=invitation.email)
    form = InvitationPasswordForm(person, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitations.invitation_accept_new(
                token=token,
                password=form.cleaned_data["new_password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
            )
        except PortalError as error:
            return _error_page(request, error)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return _joined(request, reseller.pk, reseller.name)
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/invitation_new.html", {**context, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
def my_invitations(request: HttpRequest) -> HttpResponse:
    """The signed-in person's open invitations, each to accept with one button."""
    assert isinstance(request.user, User)
    if request.method == "POST":
        raw = request.POST.get("invitation", "")
        try:
            membership = invitations.invitation_accept(
                user=request.user, invitation_id=int(raw) if raw.isdigit() else 0
            )
        except PortalError as error:
            messages.error(request, error.as_text())
            return redirect("accounts:my-invitations")
        return _joined(request, membership.reseller_id, membership.reseller.name)
    rows = list(invitations.invitation_list_for_user(user=request.user))
    return render(request, "accounts/my_invitations.html", {"invitations": rows})
