"""System check (`manage.py check`): the role groups agree with the memberships, and the team
groups with the team members.

The membership is the one source of a member's role, and a team member row the one source of a
place in a team. Their guardian groups are kept in step by the member and team services only; a
user put into a role or team group or a permission granted on a reseller by any other path (a
shell, an old admin page, a hand-written SQL fix) is reported here, so that a deployment
notices it before anything trusts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.db import DatabaseError, OperationalError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model

SHOWN = 10


def _tables_exist(connection: BaseDatabaseWrapper, *models: type[Model]) -> bool:
    names = set(connection.introspection.table_names())
    return all(model._meta.db_table in names for model in models)


def _listed(rows: list[str]) -> str:
    more = f" and {len(rows) - SHOWN} more" if len(rows) > SHOWN else ""
    return ", ".join(rows[:SHOWN]) + more


def role_disagreements(using: str = "default") -> list[checks.CheckMessage]:
    """Every way the role groups and reseller permissions differ from the memberships."""
    from accounts.models import (
        Membership,
        ResellerGroupObjectPermission,
        ResellerUserObjectPermission,
        User,
    )

    in_groups = {
        (user_id, reseller_id, role)
        for user_id, reseller_id, role in User.groups.through.objects.using(using)
        .filter(group__reseller_role__isnull=False)
        .values_list("user_id", "group__reseller_role__reseller_id", "group__reseller_role__role")
    }
    members = set(
        Membership.objects.using(using).order_by().values_list("user_id", "reseller_id", "role")
    )
    errors: list[checks.CheckMessage] = []
    stray = sorted(in_groups - members)
    if stray:
        errors.append(
            checks.Error(
                f"{len(stray)} user(s) in a reseller role group without that membership "
                f"(user id, reseller id, role): {_listed([str(row) for row in stray])}.",
                hint="A role is given by the members page only. Take the users out of these "
                "groups (or give them the membership from the members page).",
                id="accounts.E001",
            )
        )
    missing = sorted(members - in_groups)
    if missing:
        errors.append(
            checks.Error(
                f"{len(missing)} membership(s) whose user is not in the role's group "
                f"(user id, reseller id, role): {_listed([str(row) for row in missing])}; "
                "these members lack what live links grant to their role.",
                hint="Set the role again from the members page, or put the users into the "
                "group of their role.",
                id="accounts.E002",
            )
        )
    granted = [
        f"group {group} {codename} on reseller {reseller_id}"
        for group, codename, reseller_id in ResellerGroupObjectPermission.objects.using(using)
        .order_by("pk")
        .values_list("group__name", "permission__codename", "content_object_id")
    ] + [
        f"user {user_id} {codename} on reseller {reseller_id}"
        for user_id, codename, reseller_id in ResellerUserObjectPermission.objects.using(using)
        .order_by("pk")
        .values_list("user_id", "permission__codename", "content_object_id")
    ]
    if granted:
        errors.append(
            checks.Error(
                f"{len(granted)} guardian permission(s) on resellers: {_listed(granted)}. "
                "Nothing reads them (a role's permissions come from the membership).",
                hint="Delete these object permissions; change a role on the members page.",
                id="accounts.E003",
            )
        )
    return errors


def team_disagreements(using: str = "default") -> list[checks.CheckMessage]:
    """Every way the teams' guardian groups differ from the team member rows."""
    from accounts.models import TeamMember, User

    in_groups = set(
        User.groups.through.objects.using(using)
        .filter(group__team__isnull=False)
        .values_list("user_id", "group__team__id")
    )
    rows = set(TeamMember.objects.using(using).order_by().values_list("user_id", "team_id"))
    errors: list[checks.CheckMessage] = []
    stray = sorted(in_groups - rows)
    if stray:
        errors.append(
            checks.Error(
                f"{len(stray)} user(s) in a team's group without being its member "
                f"(user id, team id): {_listed([str(row) for row in stray])}; they hold what "
                "live links grant to the team.",
                hint="A team's members are chosen on the team's page only. Take the users out "
                "of these groups (or add them on the team's page).",
                id="accounts.E004",
            )
        )
    missing = sorted(rows - in_groups)
    if missing:
        errors.append(
            checks.Error(
                f"{len(missing)} team member(s) not in the team's group "
                f"(user id, team id): {_listed([str(row) for row in missing])}; these members "
                "lack what live links grant to the team.",
                hint="Remove the members from the team and add them again on the team's page.",
                id="accounts.E005",
            )
        )
    return errors


@checks.register("portal")
def check_roles_agree(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[checks.CheckMessage]:
    from accounts.models import Membership, ResellerRoleGroup, Team, TeamMember, User

    using = "default"
    connection = connections[using]
    try:
        connection.ensure_connection()
    except OperationalError:
        # No database here (an image build, a makemigrations): nothing to compare; the
        # commands that need the database say so themselves.
        return []
    try:
        if not _tables_exist(
            connection, Membership, ResellerRoleGroup, User.groups.through, Team, TeamMember
        ):
            return []  # before the first migrate
        return role_disagreements(using) + team_disagreements(using)
    except DatabaseError as exc:
        return [
            checks.Warning(
                "Could not compare the role groups with the memberships: "
                f"{exc.__class__.__name__}.",
                hint="Run `manage.py migrate`, then `manage.py check` again.",
                id="accounts.W001",
            )
        ]
