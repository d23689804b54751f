"""Login, password and member pages. Every change is a POST that calls one service."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import governance, selectors, services
from accounts.current import SESSION_KEY, get_memberships
from accounts.forms import (
    InviteForm,
    LoginForm,
    MemberAddForm,
    MemberRoleForm,
    ResellerSettingsForm,
    StepUpForm,
    SwitchResellerForm,
)
from accounts.invitations import invitation_list_pending
from accounts.models import LinkType, Membership, Role
from accounts.permissions import ResellerRequest, access_membership, reseller_required
from accounts.sessions import end_sessions
from accounts.stepup import kept_post, render_step_up, step_up_response
from portal.errors import PortalError

MANAGE = "manage_members"

# --- login, logout, passwords: Django's views with the portal's templates ---------------------

login_view = login_not_required(
    auth_views.LoginView.as_view(
        template_name="accounts/login.html",
        redirect_authenticated_user=True,
        authentication_form=LoginForm,
    )
)
# Django's LogoutView accepts POST only, so a prefetched link cannot log anyone out.
logout_view = auth_views.LogoutView.as_view()


class _PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form):
        response = super().form_valid(form)
        # This session stays signed in (Django gave it a new key); every other one ends.
        end_sessions(
            form.user,
            except_session_key=self.request.session.session_key,
            reason="password changed",
        )
        return response


class _PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        response = super().form_valid(form)
        end_sessions(form.user, reason="password reset")
        return response


password_change = _PasswordChangeView.as_view(
    template_name="accounts/password_change.html",
    success_url=reverse_lazy("accounts:password-change-done"),
)
password_change_done = auth_views.PasswordChangeDoneView.as_view(
    template_name="accounts/password_change_done.html"
)
password_reset_done = login_not_required(
    auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_sent.html")
)
password_reset_confirm = login_not_required(
    _PasswordResetConfirmView.as_view(
        template_name="accounts/password_reset_confirm.html",
        success_url=reverse_lazy("accounts:password-reset-complete"),
    )
)
password_reset_complete = login_not_required(
    auth_views.PasswordResetCompleteView.as_view(
        template_name="accounts/password_reset_complete.html"
    )
)


@login_not_required
def password_reset(request: HttpRequest) -> HttpResponseBase:
    # The link in the e-mail uses PORTAL_BASE_URL, not the Host header a client can forge.
    view = auth_views.PasswordResetView.as_view(
        template_name="accounts/password_reset.html",
        email_template_name="accounts/password_reset_email.txt",
        subject_template_name="accounts/password_reset_subject.txt",
        success_url=reverse_lazy("accounts:password-reset-done"),
        extra_email_context={"base_url": settings.PORTAL_BASE_URL},
    )
    return view(request)


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The page of a lockout (django-axes' lockout callable): what happened and what to do.

    It names neither the user nor whether the account exists. A session whose holder keeps
    failing the step-up password is ended too.
    """
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        logout(request)
    error = PortalError(
        "ACC-S001",
        limit=settings.AXES_FAILURE_LIMIT,
        minutes=int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    )
    status = settings.AXES_HTTP_RESPONSE_CODE
    return render(request, "accounts/locked_out.html", {"error": error}, status=status)


def _safe_next(request: HttpRequest) -> str:
    """The `next` path to go on to: a path of this site (never a page name, which `redirect`
    would look up, nor another host); else the dashboard."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


@require_http_methods(["GET", "POST"])
def step_up(request: HttpRequest) -> HttpResponse:
    """Ask for the password (or, for a person with one, the second factor) again before a
    sensitive action, then go back to `next`.

    With `resume` (a refused POST kept in the session), the page posts the password or code
    and the kept fields to the action itself, which then goes ahead. A wrong password or code
    counts towards the login lockout.
    """
    from accounts import mfa
    from accounts.forms import SecondFactorCodeForm
    from accounts.stepup import confirm_identity

    next_url = _safe_next(request)
    kept = kept_post(request, request.GET.get("resume", ""))
    uses_factor = mfa.has_factor(request.user)
    data = request.POST if request.method == "POST" else None
    form = SecondFactorCodeForm(data) if uses_factor else StepUpForm(data)
    error = None
    if request.method == "POST" and form.is_valid():
        if mfa.is_locked(request, request.user):  # type: ignore[arg-type]
            return locked_out(request)
        error = confirm_identity(
            request,
            password=form.cleaned_data.get("password"),
            code=form.cleaned_data.get("code"),
        )
        if error is None:
            return redirect(next_url)
    return render_step_up(request, next_url=next_url, form=form, error=error, kept=kept)


# --- reseller switch -------------------------------------------------------------------------


@require_POST
def switch_reseller(request: HttpRequest) -> HttpResponse:
    form = SwitchResellerForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose one of your resellers."))
        return redirect("portal:dashboard")
    reseller_id = form.cleaned_data["reseller"]
    membership = next((m for m in get_memberships(request) if m.reseller_id == reseller_id), None)
    if membership is None:
        raise Http404("You are not a member of this reseller.")
    request.session[SESSION_KEY] = reseller_id
    messages.success(
        request,
        gettext("You are now working for %(reseller)s.") % {"reseller": membership.reseller.name},
    )
    return redirect("portal:dashboard")


# --- members ---------------------------------------------------------------------------------


def _render_members(
    request: ResellerRequest,
    *,
    add_form: MemberAddForm | None = None,
    invite_form: InviteForm | None = None,
    status=200,
):
    can_manage = MANAGE in request.reseller_perms
    members = list(selectors.membership_list_for_reseller(reseller=request.reseller))
    context = {
        "members": members,
        "can_manage": can_manage,
        "add_form": (add_form or MemberAddForm()) if can_manage else None,
        "roles": Role.choices,
        "invite_form": (invite_form or InviteForm()) if can_manage else None,
        "invitations": (
            list(invitation_list_pending(reseller=request.reseller)) if can_manage else []
        ),
        "now": timezone.now(),
    }
    return render(request, "accounts/member_list.html", context, status=status)


@require_GET
@reseller_required("view_reseller")
def member_list(request: ResellerRequest) -> HttpResponse:
    return _render_members(request)


@require_POST
@reseller_required(MANAGE)
def member_add(request: ResellerRequest) -> HttpResponse:
    form = MemberAddForm(request.POST)
    if not form.is_valid():
        return _render_members(request, add_form=form, status=400)
    # Any new member widens who can act for the reseller (an initiator starts requests, every
    # role reads what live links grant): the same rule as an invitation and a role change.
    if stepped := step_up_response(request, back_to=reverse("accounts:member-list")):
        return stepped
    try:
        membership = services.membership_add(
            actor=request.user,
            reseller=request.reseller,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
        )
    except PortalError as error:
        form.add_error(None, error.as_text())
        return _render_members(request, add_form=form, status=400)
    messages.success(
        request,
        gettext("%(email)s was added as %(role)s.")
        % {"email": membership.user.email, "role": membership.get_role_display()},
    )
    return redirect("accounts:member-list")


@require_POST
@reseller_required("view_reseller")
def member_set_role(request: ResellerRequest, pk: int) -> HttpResponse:
    membership = access_membership(reseller=request.reseller, pk=pk)
    if MANAGE not in request.reseller_perms:
        raise PermissionDenied
    if stepped := step_up_response(
        request,
        back_to=reverse("accounts:member-list"),
        doing=gettext("change the role of %(email)s") % {"email": membership.user.email},
    ):
        return stepped
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            gettext("Choose a valid role for %(email)s.") % {"email": membership.user.email},
        )
        return redirect("accounts:member-list")
    try:
        membership = services.membership_set_role(
            actor=request.user, membership_id=membership.pk, role=form.cleaned_data["role"]
        )
    except Membership.DoesNotExist as exc:
        # Removed by another admin between our read and the service's lock.
        raise Http404("No such member.") from exc
    except PortalError as error:
        messages.error(request, error.as_text())
        return redirect("accounts:member-list")
    messages.success(
        request,
        gettext("%(email)s is now %(role)s.")
        % {"email": membership.user.email, "role": membership.get_role_display()},
    )
    return redirect("accounts:member-list")


@require_http_methods(["GET", "POST"])
@reseller_required("view_reseller")
def member_remove(request: ResellerRequest, pk: int) -> HttpResponse:
    membership = access_membership(reseller=request.reseller, pk=pk)
    if MANAGE not in request.reseller_perms:
        raise PermissionDenied
    back_to = reverse("accounts:member-remove", args=[membership.pk])
    if stepped := step_up_response(
        request,
        back_to=back_to,
        on_get=True,
        doing=gettext("remove %(email)s") % {"email": membership.user.email},
    ):
        return stepped
    if request.method == "GET":
        return render(request, "accounts/member_remove.html", {"membership": membership})
    try:
        services.membership_remove(actor=request.user, membership_id=membership.pk)
    except Membership.DoesNotExist as exc:
        raise Http404("No such member.") from exc
    except PortalError as error:
        messages.error(request, error.as_text())
        return redirect("accounts:member-list")
    messages.success(
        request,
        gettext("%(email)s was removed from %(reseller)s.")
        % {"email": membership.user.email, "reseller": request.reseller.name},
    )
    return redirect("accounts:member-list")


# --- settings: the governance the reseller's admins own --------------------------------------


def _render_settings(
    request: ResellerRequest, *, form: ResellerSettingsForm | None = None, status=200
):
    reseller = request.reseller
    can_change = MANAGE in request.reseller_perms
    if form is None:
        form = ResellerSettingsForm(
            initial={name: getattr(reseller, name) for name in governance.SETTING_NAMES}
        )
    rows = [(spec, form[spec.name]) for spec in governance.SETTINGS]
    context = {
        "form": form,
        "rows": rows,
        "can_change": can_change,
        "link_types": [
            (label, value in reseller.allowed_link_types) for value, label in LinkType.choices
        ],
    }
    return render(request, "accounts/settings.html", context, status=status)


@require_GET
@reseller_required("view_reseller")
def settings_page(request: ResellerRequest) -> HttpResponse:
    return _render_settings(request)


@require_POST
@reseller_required(MANAGE)
def settings_update(request: ResellerRequest) -> HttpResponse:
    if stepped := step_up_response(
        request, back_to=reverse("accounts:settings"), doing=gettext("change the settings")
    ):
        return stepped
    form = ResellerSettingsForm(request.POST)
    if not form.is_valid():
        return _render_settings(request, form=form, status=400)
    values = {name: form.cleaned_data[name] for name in governance.SETTING_NAMES}
    try:
        governance.reseller_settings_update(
            actor=request.user,
            reseller_id=request.reseller.pk,
            values=values,
            reason=form.cleaned_data["reason"],
        )
    except PortalError as error:
        form.add_error(None, error.as_text())
        return _render_settings(request, form=form, status=400)
    messages.success(
        request,
        gettext("The settings were changed; they apply to requests started from now on."),
    )
    return redirect("accounts:settings")
