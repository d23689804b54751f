"""Team pages: every member reads the teams; reseller admins make, rename and delete them and
choose who is in them. Adding someone widens who can act on the customers the team's links
reach, so it asks for the password again (step-up); the rest narrows or changes nothing.
Every change is a POST that calls one service of `accounts.teams`."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import teams
from accounts.models import Membership, Team, TeamMember
from accounts.permissions import ResellerRequest, reseller_required
from accounts.stepup import step_up_response
from portal.errors import PortalError

MANAGE = "manage_members"


class TeamNameForm(forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=80)

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(gettext("A team needs a name."))
        return name


class TeamMemberForm(forms.Form):
    user = forms.IntegerField(label=_("Member"), min_value=1)


def access_team(*, request: ResellerRequest, pk: int) -> Team:
    """The team `pk` of the current reseller; another reseller's is a 404."""
    team = Team.objects.filter(reseller=request.reseller, pk=pk).first()
    if team is None:
        raise Http404("No such team.")
    return team


def _require_manage(request: ResellerRequest) -> None:
    if MANAGE not in request.reseller_perms:
        raise PermissionDenied


def _render_list(request: ResellerRequest, *, form: TeamNameForm | None = None, status=200):
    from linking.selectors.teams import team_list_for_reseller

    can_manage = MANAGE in request.reseller_perms
    context = {
        "teams": list(team_list_for_reseller(reseller=request.reseller)),
        "can_manage": can_manage,
        "form": (form or TeamNameForm()) if can_manage else None,
    }
    return render(request, "accounts/team_list.html", context, status=status)


@require_GET
@reseller_required("view_reseller")
def team_list(request: ResellerRequest) -> HttpResponse:
    return _render_list(request)


@require_POST
@reseller_required(MANAGE)
def team_create(request: ResellerRequest) -> HttpResponse:
    form = TeamNameForm(request.POST)
    if not form.is_valid():
        return _render_list(request, form=form, status=400)
    try:
        team = teams.team_create(
            actor=request.user, reseller=request.reseller, name=form.cleaned_data["name"]
        )
    except PortalError as error:
        form.add_error(None, error.as_text())
        return _render_list(request, form=form, status=400)
    messages.success(
        request, gettext("The team %(name)s was made; add its members.") % {"name": team.name}
    )
    return redirect("accounts:team-detail", pk=team.pk)


def _render_detail(
    request: ResellerRequest,
    team: Team,
    *,
    rename_form: TeamNameForm | None = None,
    status: int = 200,
) -> HttpResponse:
    from linking.selectors.teams import team_detail_context

    can_manage = MANAGE in request.reseller_perms
    context = {
        "team": team,
        "can_manage": can_manage,
        "rename_form": rename_form or TeamNameForm(initial={"name": team.name}),
        **team_detail_context(team=team),
    }
    return render(request, "accounts/team_detail.html", context, status=status)


@require_GET
@reseller_required("view_reseller")
def team_detail(request: ResellerRequest, pk: int) -> HttpResponse:
    return _render_detail(request, access_team(request=request, pk=pk))


@require_POST
@reseller_required("view_reseller")
def team_rename(request: ResellerRequest, pk: int) -> HttpResponse:
    team = access_team(request=request, pk=pk)
    _require_manage(request)
    form = TeamNameForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, team, rename_form=form, status=400)
    try:
        team = teams.team_rename(
            actor=request.user,
            reseller=request.reseller,
            team_id=team.pk,
            name=form.cleaned_data["name"],
        )
    except PortalError as error:
        form.add_error(None, error.as_text())
        return _render_detail(request, team, rename_form=form, status=400)
    messages.success(request, gettext("The team is now called %(name)s.") % {"name": team.name})
    return redirect("accounts:team-detail", pk=team.pk)


@require_POST
@reseller_required("view_reseller")
def team_member_add(request: ResellerRequest, pk: int) -> HttpResponse:
    team = access_team(request=request, pk=pk)
    _require_manage(request)
    # A new member gains the team's access on customers at once: it widens who can act.
    if stepped := step_up_response(
        request,
        back_to=reverse("accounts:team-detail", args=[team.pk]),
        doing=gettext("add a member to the team %(name)s") % {"name": team.name},
    ):
        return stepped
    form = TeamMemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose a member of the reseller to add."))
        return redirect("accounts:team-detail", pk=team.pk)
    try:
        row = teams.team_member_add(
            actor=request.user,
            reseller=request.reseller,
            team_id=team.pk,
            user_id=form.cleaned_data["user"],
        )
    except PortalError as error:
        messages.error(request, error.as_text())
        return redirect("accounts:team-detail", pk=team.pk)
    messages.success(
        request,
        gettext("%(email)s is now in the team %(name)s and has its access.")
        % {"email": row.user.email, "name": team.name},
    )
    return redirect("accounts:team-detail", pk=team.pk)


@require_POST
@reseller_required("view_reseller")
def team_member_remove(request: ResellerRequest, pk: int, user_pk: int) -> HttpResponse:
    team = access_team(request=request, pk=pk)
    row = TeamMember.objects.select_related("user").filter(team=team, user_id=user_pk).first()
    if row is None:
        raise Http404("No such team member.")
    _require_manage(request)
    try:
        teams.team_member_remove(
            actor=request.user, reseller=request.reseller, team_id=team.pk, user_id=user_pk
        )
    except PortalError as error:
        messages.error(request, error.as_text())
        return redirect("accounts:team-detail", pk=team.pk)
    messages.success(
        request,
        gettext("%(email)s left the team %(name)s; its access ended for them now.")
        % {"email": row.user.email, "name": team.name},
    )
    return redirect("accounts:team-detail", pk=team.pk)


@require_http_methods(["GET", "POST"])
@reseller_required("view_reseller")
def team_delete(request: ResellerRequest, pk: int) -> HttpResponse:
    team = access_team(request=request, pk=pk)
    _require_manage(request)
    uses = teams.team_uses(team)
    if request.method == "GET":
        members = Membership.objects.filter(
            reseller=request.reseller, user__team_memberships__team=team
        ).count()
        return render(
            request,
            "accounts/team_delete.html",
            {"team": team, "uses": uses, "member_count": members},
        )
    try:
        teams.team_delete(actor=request.user, reseller=request.reseller, team_id=team.pk)
    except PortalError as error:
        messages.error(request, error.as_text())
        return redirect("accounts:team-detail", pk=team.pk)
    messages.success(request, gettext("The team %(name)s was deleted.") % {"name": team.name})
    return redirect("accounts:team-list")
