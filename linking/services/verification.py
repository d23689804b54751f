"""Verification: the post-activation checklist that proves a link works, and its retries.

A run checks what the reseller's people can actually do through guardian, not what the link row
says. Grants may take a moment to propagate, so an automatic run that fails is retried with
backoff (the task owns the scheduling, `link_verify_retry_in` decides it); only the last failed
attempt marks the link failing and tells the initiator.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from guardian.core import ObjectPermissionChecker

from accounts.models import LinkType, Membership, Role, User
from accounts.permissions import has_reseller_perm
from linking.models import (
    AccessLevel,
    ConsentRecord,
    CustomerAccountGroupObjectPermission,
    Link,
    Notification,
    Service,
    VerificationRun,
    VerificationStatus,
)
from linking.services._common import _lock_link, _notify, _save, can_link
from linking.services.links import _OPERATE_ROLES, _VIEW_ROLES
from portal.codes import CODES
from portal.errors import PortalError

Trigger = VerificationRun.Trigger
Outcome = VerificationRun.Outcome
# Runs the system starts by itself; only these are retried and only these tell the initiator.
AUTOMATIC_TRIGGERS = (Trigger.ACTIVATION, Trigger.RETRY, Trigger.RESUME, Trigger.AMEND)


def verify_attempts() -> int:
    """How many automatic runs in a row may fail before the link is marked failing."""
    return settings.PORTAL_VERIFY_ATTEMPTS


def verify_retry_delay(attempt: int) -> int:
    """Seconds before the run after failed `attempt`: 30, 60, 120 … at most 600.

    Far below the Redis visibility timeout, so a waiting retry is never handed out twice.
    """
    return int(min(30 * 2 ** max(0, attempt - 1), 600))


def link_verify_retry_in(run: VerificationRun | None) -> int | None:
    """The countdown of the next automatic attempt after `run`, or None when none is due."""
    if run is None or run.outcome != Outcome.FAILED or run.trigger not in AUTOMATIC_TRIGGERS:
        return None
    if run.attempt >= verify_attempts():
        return None
    return verify_retry_delay(run.attempt)


def _check(
    name: str, label: str, passed: bool, ok_detail: str, code: str = "", **params: Any
) -> dict[str, Any]:
    entry = CODES[code] if code and not passed else None
    return {
        "name": name,
        "label": label,
        "passed": passed,
        "detail": ok_detail if passed or entry is None else entry.render(**params)[0],
        "code": entry.code if entry else "",
        "hint": entry.hint if entry else "",
    }


def _roles_text(roles: Iterable[str]) -> str:
    return ", ".join(Role(role).label.lower() for role in roles)


def _group_perms(link: Link) -> dict[str, set[str]]:
    """What each role group of the reseller holds on the customer, read fresh for this run."""
    held: dict[str, set[str]] = {role: set() for role in Role}
    rows = CustomerAccountGroupObjectPermission.objects.filter(
        content_object_id=link.customer_id,
        group__reseller_role__reseller_id=link.reseller_id,
    ).values_list("group__reseller_role__role", "permission__codename")
    for role, codename in rows:
        held[role].add(codename)
    return held


def _check_status(link: Link) -> dict:
    return _check(
        "status",
        "Link status is active",
        link.status == Link.Status.ACTIVE,
        "The link is active.",
        "LNK-Y001",
        status=link.get_status_display().lower(),
    )


def _check_program(link: Link) -> dict:
    refusal = can_link(link.reseller, link_types=[link.link_type])
    return {
        "name": "program",
        "label": "The partner program allows the link",
        "passed": refusal is None,
        "detail": refusal.message if refusal else f"{link.reseller.name}'s program is active.",
        "code": refusal.code if refusal else "",
        "hint": refusal.hint if refusal else "",
    }


def _check_visible(link: Link, held: dict[str, set[str]]) -> dict:
    blind = [role for role in _VIEW_ROLES if "view_customeraccount" not in held[role]]
    check = _check(
        "scope_visible",
        "Your users can see the customer",
        not blind,
        f"Every role of {link.reseller.name} can see account {link.customer.label}.",
        "LNK-Y002",
        account_id=link.customer.label,
    )
    if blind:
        check["detail"] += f" Roles without access: {_roles_text(blind)}."
    return check


def _check_scope(link: Link) -> dict:
    services = set(
        Service.objects.filter(code__in=link.services, is_active=True).values_list(
            "code", flat=True
        )
    )
    regions = set(
        link.customer.regions.filter(code__in=link.regions, is_active=True).values_list(
            "code", flat=True
        )
    )
    missing = [f"service {code}" for code in link.services if code not in services]
    missing += [f"region {code}" for code in link.regions if code not in regions]
    return _check(
        "scope_present",
        "Granted services and regions exist",
        not missing,
        f"{len(link.services)} service(s) in the catalog, {len(link.regions)} region(s) "
        "enabled on the account.",
        "LNK-Y003",
        missing=", ".join(missing),
    )


def _check_billing(link: Link, held: dict[str, set[str]]) -> dict:
    unbilled = [role for role in _OPERATE_ROLES if "bill_customeraccount" not in held[role]]
    live = list(
        Link.objects.filter(
            customer_id=link.customer_id,
            link_type=LinkType.BILLING,
            status__in=Link.LIVE_STATUSES,
        ).values_list("pk", flat=True)
    )
    check = _check(
        "billing",
        "Billing association in place",
        not unbilled and live == [link.pk],
        f"{link.reseller.name} is the billing partner of account {link.customer.label}.",
        "LNK-Y004",
        account_id=link.customer.label,
    )
    if unbilled:
        check["detail"] += f" Roles without the billing permission: {_roles_text(unbilled)}."
    if live != [link.pk]:
        check["detail"] += " This link is not the account's live billing link."
    return check


def _delegate_probe(link: Link) -> tuple[ObjectPermissionChecker | None, str]:
    """Who tries the harmless delegated action: an operator of the reseller, as guardian sees
    them. A superuser is skipped: guardian allows them everything, so a refusal proves nothing."""
    membership = (
        Membership.objects.filter(
            reseller_id=link.reseller_id,
            role__in=_OPERATE_ROLES,
            user__is_active=True,
            user__is_superuser=False,
        )
        .select_related("user")
        .order_by("-role", "id")  # initiators before admins
        .first()
    )
    if membership is not None:
        who = f"{membership.user.email} ({membership.get_role_display().lower()})"
        return ObjectPermissionChecker(membership.user), who
    group = link.reseller.role_groups.filter(role=Role.INITIATOR).select_related("group").first()
    if group is None:
        return None, "nobody"
    return ObjectPermissionChecker(group.group), "the initiator role"


def _check_delegation(link: Link) -> dict:
    # A fresh checker each run: guardian caches what it read, and a retry must see new grants.
    checker, who = _delegate_probe(link)
    can_read = checker is not None and checker.has_perm(
        "linking.delegate_read_customeraccount", link.customer
    )
    can_manage = checker is not None and checker.has_perm(
        "linking.delegate_manage_customeraccount", link.customer
    )
    wants_manage = link.access_level == AccessLevel.MANAGE
    problems = []
    if not can_read:
        problems.append(f"{who} cannot read delegated resources")
    if wants_manage and not can_manage:
        problems.append(f"{who} cannot manage delegated resources")
    if not wants_manage and can_manage:
        problems.append(f"{who} can manage although the link grants read-only access")
    level = link.get_access_level_display().lower() or "read-only"
    detail = (
        f"{who} can manage delegated resources."
        if wants_manage
        else f"{who} can read delegated resources; managing them is refused."
    )
    return _check(
        "delegation",
        f"A delegated action is allowed at the granted level ({level})",
        not problems,
        detail,
        "LNK-Y005",
        detail="; ".join(problems),
    )


def _check_audit(link: Link) -> dict:
    missing = []
    consented = link.source_item_id is not None and (
        ConsentRecord.objects.filter(
            item_id=link.source_item_id, decision=ConsentRecord.Decision.ACCEPTED
        ).exists()
    )
    if not consented:
        missing.append("the customer's consent")
    if not Link.history.filter(id=link.pk, status=Link.Status.ACTIVE).exists():
        missing.append("the activation")
    return _check(
        "audit_trail",
        "Audit trail holds the consent and the activation",
        not missing,
        "The customer's acceptance and the activation are recorded.",
        "LNK-Y006",
        missing=" and ".join(missing),
    )


def link_checklist(link: Link) -> list[dict]:
    """Run every check that applies to the link's type; no writes."""
    held = _group_perms(link)
    checks = [_check_status(link), _check_program(link), _check_visible(link, held)]
    if link.link_type in (LinkType.PROVISIONING, LinkType.DELEGATION):
        checks.append(_check_scope(link))
    if link.link_type == LinkType.BILLING:
        checks.append(_check_billing(link, held))
    if link.link_type == LinkType.DELEGATION:
        checks.append(_check_delegation(link))
    checks.append(_check_audit(link))
    return checks


def _moved_on(link: Link, trigger: str, attempt: int) -> bool:
    """An automatic run that nobody needs any more: the link is not live, or (for a retry)
    another run has happened since the attempt this one follows."""
    if link.status in (Link.Status.REVOKED, Link.Status.EXPIRED, Link.Status.SUSPENDED):
        return True
    if can_link(link.reseller, link_types=[link.link_type]) is not None:
        # Its reseller's program stopped it; suspending the link is `reseller_set_status`'s.
        return True
    if trigger != Trigger.RETRY:
        return False
    last = link.verification_runs.order_by("-id").first()
    return (
        last is None
        or last.outcome != Outcome.FAILED
        or last.trigger not in AUTOMATIC_TRIGGERS
        or last.attempt != attempt - 1
    )


def _tell_initiator(link: Link, run: VerificationRun) -> None:
    req = link.source_item.request if link.source_item else None
    if req is not None:
        emails = [req.initiator.email]
    else:
        # A link made without a request has no initiator; its admins answer for it.
        emails = list(
            Membership.objects.filter(
                reseller_id=link.reseller_id, role=Role.ADMIN, user__is_active=True
            ).values_list("user__email", flat=True)
        )
    failures = [
        {"label": c["label"], "detail": c["detail"], "code": c["code"], "hint": c["hint"]}
        for c in run.checks
        if not c["passed"]
    ]
    for email in filter(None, emails):
        _notify(
            Notification.Kind.VERIFICATION_FAILED,
            email,
            request=req,
            link=link,
            run_id=run.pk,
            attempts=run.attempt,
            failures=failures,
        )


@transaction.atomic
def link_verify(
    *, link_id: int, trigger: str, actor: User | None = None, attempt: int = 1
) -> VerificationRun | None:
    """Run a link's checklist and record the run; anyone in the reseller, or the system.

    Sets the link's verification status: passing, verifying (an automatic retry will follow) or
    failing. The last failed automatic attempt tells the initiator. Returns None when an
    automatic run finds the link gone or moved on (nothing is recorded then).
    """
    link = _lock_link(link_id)
    if link is None:
        return None
    if actor is not None and not has_reseller_perm(
        user=actor, reseller=link.reseller, perm="view_reseller"
    ):
        raise PortalError("LNK-V013", reseller=link.reseller.name, role="viewer")
    if trigger in AUTOMATIC_TRIGGERS and _moved_on(link, trigger, attempt):
        return None
    started = timezone.now()
    checks = link_checklist(link)
    failed_codes = [c["code"] for c in checks if not c["passed"]]
    run = VerificationRun.objects.create(
        link=link,
        trigger=trigger,
        triggered_by=actor,
        attempt=attempt,
        outcome=Outcome.FAILED if failed_codes else Outcome.PASSED,
        checks=checks,
        started_at=started,
        finished_at=timezone.now(),
    )
    was = link.verification_status
    if not failed_codes:
        link.verification_status = VerificationStatus.PASSING
        reason = f"verification passed ({len(checks)} checks)"
    else:
        retry_in = link_verify_retry_in(run)
        reason = f"verification failed: {', '.join(failed_codes)}"
        if retry_in is not None:
            link.verification_status = VerificationStatus.VERIFYING
            reason += f" (attempt {attempt} of {verify_attempts()}, retry in {retry_in} s)"
        else:
            link.verification_status = VerificationStatus.FAILING
    link.verified_at = run.finished_at
    _save(link, actor=actor, reason=reason, fields=["verification_status", "verified_at"])
    if (
        link.verification_status == VerificationStatus.FAILING
        and was != VerificationStatus.FAILING
        and trigger in AUTOMATIC_TRIGGERS
    ):
        _tell_initiator(link, run)
    return run
