"""Named teams of a reseller's members, to whom a link's access on a customer can go.

A team is a set of the reseller's members with a guardian group of its own: the group's users
are exactly the team's members (accounts.teams keeps them so), and a link that names the team
grants its permissions on the customer account to that group instead of the role groups. A
link that names no team grants to the role groups, as links always did.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import HistoryNote, Reseller, User


class Team(HistoryNote, models.Model):
    reseller = models.ForeignKey(Reseller, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=80)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="team")
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                "reseller", Lower("name"), name="team_name_unique_per_reseller"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TeamMember(HistoryNote, models.Model):
    """One member of a team; the row's history says who added or removed them, and when."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="team_memberships")
    added_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["user__email", "id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="one_row_per_team_member"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"
