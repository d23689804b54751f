"""The settings a reseller's admins own: what they are, their ranges, and the one write.

The values live on the reseller (accounts.models.Reseller); a request copies them when it is
started (linking.checks.policy reads them, in one place), so a change applies to new requests
only. The link types the program allows are the platform's and are only shown here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Reseller, Role, User
from portal.errors import PortalError


@dataclass(frozen=True)
class Setting:
    name: str
    label: Any
    help: Any
    low: int | None = None
    high: int | None = None
    unit: Any = ""


# The order of the Settings page. The ranges are those of the database's constraints on the
# reseller (and of the request: at most 30 days to decide, a delegation of 1 day to 2 years).
SETTINGS: tuple[Setting, ...] = (
    Setting(
        "approval_policy",
        _("Approval policy"),
        _("Which requests need a second person (an approver) before the customer sees them."),
    ),
    Setting(
        "approval_days",
        _("Days to approve"),
        _("A request waiting for approval longer than this expires."),
        1,
        30,
        _("days"),
    ),
    Setting(
        "approval_reminder_hours",
        _("Approver reminders"),
        _("Remind the approvers after a request has waited this many hours, and again as long."),
        1,
        720,
        _("hours"),
    ),
    Setting(
        "consent_days",
        _("Days for the customer to decide"),
        _("The consent deadline of a new request (an initiator may shorten it per request)."),
        1,
        30,
        _("days"),
    ),
    Setting(
        "consent_reminders",
        _("Customer reminders"),
        _(
            "When the customer is reminded, comma-separated: a share of the consent window "
            "(50%) or a time before the deadline (1d, 4h). Empty: no reminders."
        ),
    ),
    Setting(
        "setup_window_days",
        _("Setup window"),
        _("Days the customer has, after accepting, for the cloud-side setup of a link."),
        1,
        60,
        _("days"),
    ),
    Setting(
        "delegation_days",
        _("Default delegation duration"),
        _("The duration a new delegation item starts with; the initiator may change it."),
        1,
        730,
        _("days"),
    ),
    Setting(
        "require_mfa",
        _("Second factor for every member"),
        _(
            "Every member signs in with a second factor (authenticator app or passkey), not only "
            "admins and approvers, who always do. Applies at once: members without one set it "
            "up at their next page."
        ),
    ),
)
SETTING_NAMES = tuple(s.name for s in SETTINGS)
_BY_NAME = {s.name: s for s in SETTINGS}


def settings_problems(values: dict[str, Any]) -> dict[str, PortalError]:
    """Every value outside its range or not understood, by setting name (empty: all good)."""
    from portal.schedules import parse_reminder_schedule

    problems: dict[str, PortalError] = {}
    for name, value in values.items():
        spec = _BY_NAME[name]
        if name == "approval_policy":
            if value not in Reseller.ApprovalPolicy.values:
                problems[name] = PortalError("ACC-G006", value=value)
        elif name == "require_mfa":
            if not isinstance(value, bool):
                problems[name] = PortalError("ACC-G003", setting=str(spec.label), why="on or off.")
        elif name == "consent_reminders":
            try:
                parse_reminder_schedule(value or "")
            except ValueError as exc:
                problems[name] = PortalError("ACC-G003", setting=str(spec.label), why=str(exc))
            else:
                if len(value or "") > 60:
                    problems[name] = PortalError(
                        "ACC-G003", setting=str(spec.label), why="at most 60 characters."
                    )
        elif (
            not isinstance(value, int)
            or spec.low is None
            or spec.high is None
            or not spec.low <= value <= spec.high
        ):
            problems[name] = PortalError(
                "ACC-G002", setting=str(spec.label), low=spec.low, high=spec.high, value=value
            )
    return problems


def _display(reseller: Reseller, name: str) -> str:
    if name == "approval_policy":
        return str(reseller.get_approval_policy_display())
    if name == "require_mfa":
        return str(_("on") if reseller.require_mfa else _("off"))
    value = getattr(reseller, name)
    return f"“{value}”" if name == "consent_reminders" else str(value)


def other_admin_emails(*, reseller: Reseller, actor: User) -> list[str]:
    """The addresses of the reseller's active admins other than `actor`."""
    return list(
        Membership.objects.filter(reseller=reseller, role=Role.ADMIN, user__is_active=True)
        .exclude(user=actor)
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )


@transaction.atomic
def reseller_settings_update(
    *, actor: User, reseller_id: int, values: dict[str, Any], reason: str
) -> Reseller:
    """Change the reseller's governance settings. Reseller admins (after the step-up, which
    the page asks). Writes one history row carrying the reason and e-mails the other admins;
    requests already started keep the values they were started with."""
    from accounts.permissions import has_reseller_perm
    from linking.models import Notification
    from linking.tasks import notification_deliver_task
    from portal.emails import absolute_url
    from portal.publish import publish_many_on_commit

    reseller = Reseller.objects.select_for_update().get(pk=reseller_id)
    if not has_reseller_perm(user=actor, reseller=reseller, perm="manage_members"):
        raise PortalError("ACC-G001", reseller=reseller.name)
    reason = (reason or "").strip()
    if not reason:
        raise PortalError("ACC-G004")
    values = {name: values[name] for name in SETTING_NAMES if name in values}
    if problems := settings_problems(values):
        raise next(iter(problems.values()))
    changes: list[dict[str, str]] = []
    for name, value in values.items():
        if getattr(reseller, name) == value:
            continue
        before = _display(reseller, name)
        setattr(reseller, name, value)
        changes.append(
            {
                "setting": str(_BY_NAME[name].label),
                "before": before,
                "after": _display(reseller, name),
            }
        )
    if not changes:
        raise PortalError("ACC-G005")
    changed = "; ".join(f"{c['setting']}: {c['before']} → {c['after']}" for c in changes)
    reseller._history_user = actor
    reseller._change_reason = f"settings changed ({changed}). Reason: {reason}"
    reseller.save(update_fields=[n for n in values if n in SETTING_NAMES])
    notifications = [
        Notification(
            kind=Notification.Kind.SETTINGS_CHANGED,
            to_email=email,
            context={
                "reseller_name": reseller.name,
                "actor": str(actor),
                "changes": changes,
                "reason": reason,
                "settings_url": absolute_url(reverse("accounts:settings")),
            },
        )
        for email in other_admin_emails(reseller=reseller, actor=actor)
    ]
    if notifications:
        from simple_history.utils import bulk_create_with_history

        notifications = bulk_create_with_history(
            notifications, Notification, default_change_reason="queued"
        )
        publish_many_on_commit(notification_deliver_task, [(n.pk,) for n in notifications])
    return reseller
