"""Drafts and their submission: the wizard's steps, the dry run, submit, and a request created
whole (a batch row). The decisions on a submitted request are in `linking.services.decisions`."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import LinkType, Reseller, User
from accounts.permissions import has_reseller_perm
from linking.checks.accounts import find_customer
from linking.checks.items import check_customer_for, dry_run
from linking.checks.policy import (
    check_consent_days,
    default_delegation_days,
    needs_approval,
    request_approval_days,
    request_settings_snapshot,
)
from linking.checks.reasons import ChecksFailed, ItemSpec, Reason, reason, type_label
from linking.models import (
    AccessLevel,
    LinkRequest,
    Notification,
    RequestItem,
)
from linking.selectors.requests import approvers_for_reseller, nobody_else_can_approve
from linking.services._common import (
    Status,
    _enter_consent,
    _initiator_refusal,
    _lock_request,
    _move,
    _notify_all,
    _refuse_state,
    _require_initiator_role,
    _save,
    _set_items_open,
)
from linking.services.amend import amend_apply_narrowing, amend_check_on_submit
from linking.services.teams import amend_widens_teams
from portal.errors import PortalError

logger = logging.getLogger(__name__)


@transaction.atomic
def link_request_create_draft(
    *, actor: User, reseller: Reseller, batch_key: str = ""
) -> LinkRequest:
    """Start a draft request for the reseller. Initiators and admins.

    `batch_key`: the idempotency key of the batch row it comes from; the database refuses a
    second request with the same key (IntegrityError), so a retried row never creates two.
    """
    _require_initiator_role(actor, reseller)
    req = LinkRequest(
        reseller=reseller,
        initiator=actor,
        status=Status.DRAFT,
        **request_settings_snapshot(reseller),
        batch_key=batch_key,
    )
    req._history_user = actor
    req._change_reason = (
        f"draft started from batch key {batch_key}" if batch_key else ("draft started")
    )
    req.save()
    return req


def can_edit(req: LinkRequest, *, actor: User, perms: set[str] | None = None) -> PortalError | None:
    """Whether `actor` may change the draft `req` (None) or the refusal: a draft (LNK-S001),
    edited only by the person who started it (LNK-S002), who still holds the initiator role.
    The wizard, the request page's "Continue editing" and every step's service ask it."""
    if req.status != Status.DRAFT:
        return _refuse_state(req, "edited")
    if req.initiator_id != actor.pk:
        return PortalError("LNK-S002", reference=req.reference)
    return _initiator_refusal(actor, req.reseller, perms)


def _lock_draft(actor: User, request_id: int) -> LinkRequest:
    req = _lock_request(request_id)
    if refusal := can_edit(req, actor=actor):
        raise refusal
    return req


def _wanted_types(reseller: Reseller, link_types: list[str]) -> list[str]:
    """The chosen link types in catalogue order, or the refusal of a type the program lacks."""
    allowed = set(reseller.allowed_link_types)
    wanted = [t for t in LinkType.values if t in link_types]
    refused = [t for t in wanted if t not in allowed]
    if refused:
        raise PortalError("LNK-V009", link_type=type_label(refused[0]))
    if not wanted:
        raise PortalError("LNK-V014")
    return wanted


def _new_item(req: LinkRequest, link_type: str) -> RequestItem:
    return RequestItem(
        request=req,
        reseller=req.reseller,
        customer=req.customer,
        link_type=link_type,
        access_level=AccessLevel.READ_ONLY if link_type == LinkType.DELEGATION else "",
        duration_days=(
            default_delegation_days(req.reseller) if link_type == LinkType.DELEGATION else None
        ),
    )


def _apply_scope(item: RequestItem, spec: ItemSpec) -> None:
    if item.link_type == LinkType.BILLING:
        item.services, item.regions = [], []
    else:
        item.services = sorted(set(spec.services))
        item.regions = sorted(set(spec.regions))
    if item.link_type == LinkType.DELEGATION:
        item.access_level = spec.access_level
        item.duration_days = spec.duration_days


def _check_consent_days(consent_days: int) -> None:
    if reasons := check_consent_days(consent_days):
        raise ChecksFailed(reasons)


@transaction.atomic
def link_request_set_types(*, actor: User, request_id: int, link_types: list[str]) -> LinkRequest:
    """Step 1: the link types of the draft; an item per type, kept when re-chosen."""
    req = _lock_draft(actor, request_id)
    if req.amends_link_id:
        # A change of scope or a renewal keeps the type of its link.
        raise _refuse_state(req, "given other link types")
    wanted = _wanted_types(req.reseller, link_types)
    existing = {item.link_type: item for item in req.items.all()}
    for link_type, item in existing.items():
        if link_type not in wanted:
            item._history_user = actor
            item._change_reason = "type removed from draft"
            item.delete()
    for link_type in wanted:
        if link_type not in existing:
            item = _new_item(req, link_type)
            item._history_user = actor
            item._change_reason = "type added to draft"
            item.save()
    req.wizard_step = max(req.wizard_step, 2)
    _save(req, actor=actor, reason="link types chosen", fields=["wizard_step"])
    return req


@transaction.atomic
def link_request_set_customer(*, actor: User, request_id: int, account_id: str) -> LinkRequest:
    """Step 2: the customer account, refused with every reason known from it and the chosen
    link types (`check_customer_for`)."""
    req = _lock_draft(actor, request_id)
    if req.amends_link_id:
        # A change of scope or a renewal keeps the customer of its link.
        raise _refuse_state(req, "given another customer")
    # Refused here, not only at the review: a frozen or already linked account is known now.
    customer, reasons = check_customer_for(
        reseller=req.reseller,
        raw_account_id=account_id,
        link_types=[item.link_type for item in req.items.all()],
        exclude_request_id=req.pk,
    )
    if reasons:
        raise ChecksFailed(reasons)
    assert customer is not None  # found: no reasons
    req.account_id_input = customer.account_id
    req.customer = customer
    req.wizard_step = max(req.wizard_step, 3)
    _save(
        req,
        actor=actor,
        reason="customer chosen",
        fields=["account_id_input", "customer", "wizard_step"],
    )
    for item in req.items.all():
        item.customer = customer
        _save(item, actor=actor, reason="customer chosen", fields=["customer"])
    return req


@transaction.atomic
def link_request_set_scope(
    *,
    actor: User,
    request_id: int,
    scopes: dict[str, ItemSpec],
    team_ids: list[int] | None = None,
) -> LinkRequest:
    """Step 3: services, regions, access level and duration of each item, and (when given)
    the teams its delegation and provisioning links go to (empty: the operators)."""
    from linking.services.teams import request_apply_teams

    req = _lock_draft(actor, request_id)
    if team_ids is not None:
        request_apply_teams(actor=actor, req=req, team_ids=team_ids)
    for item in req.items.all():
        spec = scopes.get(item.link_type)
        if spec is None:
            continue
        _apply_scope(item, spec)
        _save(
            item,
            actor=actor,
            reason="scope set",
            fields=["services", "regions", "access_level", "duration_days"],
        )
    req.wizard_step = max(req.wizard_step, 4)
    _save(req, actor=actor, reason="scope set", fields=["wizard_step"])
    return req


@transaction.atomic
def link_request_set_details(
    *,
    actor: User,
    request_id: int,
    ticket_reference: str,
    note_to_customer: str,
    consent_days: int,
) -> LinkRequest:
    """Step 4: the ticket reference, the note to the customer and the consent deadline."""
    req = _lock_draft(actor, request_id)
    _check_consent_days(consent_days)
    req.ticket_reference = ticket_reference.strip()
    req.note_to_customer = note_to_customer.strip()
    req.consent_days = consent_days
    _save(
        req,
        actor=actor,
        reason="details set",
        fields=["ticket_reference", "note_to_customer", "consent_days"],
    )
    return req


def link_request_dry_run(
    *, actor: User, req: LinkRequest, items: list[ItemSpec] | None = None
) -> list[Reason]:
    """Every reason the request could not be submitted now, for the wizard's review step.

    `items`: the request's items as specs when the caller has them already (a query less)."""
    if items is None:
        items = [ItemSpec.from_item(item) for item in req.items.all()]
    return _request_checks(actor=actor, req=req, items=items) + approval_reasons(
        actor=actor, req=req, items=items
    )


def _request_checks(*, actor: User, req: LinkRequest, items: list[ItemSpec]) -> list[Reason]:
    _, reasons = dry_run(
        actor=actor,
        reseller=req.reseller,
        account_id=req.account_id_input,
        items=items,
        consent_days=req.consent_days,
        exclude_request_id=req.pk,
        amends_link_id=req.amends_link_id,
    )
    return reasons


def _approvers(reseller: Reseller, *, exclude: User) -> list[User]:
    return [
        m.user
        for m in approvers_for_reseller(reseller=reseller, exclude=exclude)
        .select_related("user")
        .order_by("pk")
    ]


def _would_narrow(req: LinkRequest) -> bool:
    """Would this change of scope apply at once (only narrowing)? Read-only; the submit decides
    again under the link's lock (`amend_check_on_submit`)."""
    if req.purpose != LinkRequest.Purpose.AMEND or req.amends_link_id is None:
        return False
    from linking.models import Link
    from linking.services.amend import scope_change

    link = Link.objects.filter(pk=req.amends_link_id).first()
    items = list(req.items.all())
    if link is None or len(items) != 1 or items[0].link_type != link.link_type:
        return False
    return scope_change(link, items[0]) == "narrower"


def approval_gap(*, reseller: Reseller, initiator: User) -> Reason | None:
    """LNK-A004 when nobody but `initiator` can approve their requests, else None. The submit
    refuses with it; the request page and the dashboard warn about requests already waiting."""
    if not nobody_else_can_approve(reseller=reseller, initiator=initiator):
        return None
    if has_reseller_perm(user=initiator, reseller=reseller, perm="approve_requests"):
        situation = f"{initiator.email} is its only approver"
    else:
        situation = "it has no approver"
    return reason("LNK-A004", reseller=reseller.name, situation=situation)


def approval_reasons(*, actor: User, req: LinkRequest, items: list[ItemSpec]) -> list:
    """LNK-A004 when the request will need a second person and nobody else can approve it: it
    would otherwise wait, with no e-mail sent, until it expires."""
    if not needs_approval(reseller=req.reseller, items=items) or _would_narrow(req):
        return []
    gap = approval_gap(reseller=req.reseller, initiator=actor)
    return [gap] if gap else []


@transaction.atomic
def link_request_submit(*, actor: User, request_id: int) -> LinkRequest:
    """Submit a draft: every check again, then approval or straight to the customer."""
    req = _lock_draft(actor, request_id)
    return _submit(actor=actor, req=req, items=list(req.items.all()))


@transaction.atomic(savepoint=False)
def link_request_create_submitted(
    *,
    actor: User,
    reseller: Reseller,
    link_types: list[str],
    account_id: str,
    scopes: dict[str, ItemSpec],
    ticket_reference: str,
    note_to_customer: str,
    consent_days: int,
    batch_key: str = "",
    reason: str,
) -> LinkRequest:
    """Create a request in its final shape (types, customer, scope, details) and submit it, in
    one go: what the wizard's steps and submit do, with their refusals in the same order, but
    one history row per created object (`reason`, e.g. the batch row it comes from) instead of
    one per step. Initiators and admins. For batch rows; the wizard keeps its steps.

    `batch_key`: as for `link_request_create_draft`, unique per reseller (IntegrityError).
    Inside a caller's transaction it takes no savepoint of its own (two queries less per row):
    a refusal spoils that transaction, which must roll back, as a batch row's does.
    """
    _require_initiator_role(actor, reseller)
    wanted = _wanted_types(reseller, link_types)
    customer, reasons = find_customer(account_id)
    if reasons:
        raise ChecksFailed(reasons)
    assert customer is not None  # found: no reasons
    _check_consent_days(consent_days)
    req = LinkRequest(
        reseller=reseller,
        initiator=actor,
        status=Status.DRAFT,
        batch_key=batch_key,
        account_id_input=customer.account_id,
        customer=customer,
        wizard_step=4,
        ticket_reference=ticket_reference.strip(),
        note_to_customer=note_to_customer.strip(),
        consent_days=consent_days,
    )
    req._history_user = actor
    req._change_reason = reason
    req.save()
    items = []
    for link_type in wanted:
        item = _new_item(req, link_type)
        if link_type in scopes:
            _apply_scope(item, scopes[link_type])
        item._history_user = actor
        item._change_reason = reason
        item.save()
        items.append(item)
    return _submit(actor=actor, req=req, items=items)


def _submit(*, actor: User, req: LinkRequest, items: list[RequestItem]) -> LinkRequest:
    """The submit of a locked draft whose items are `items`; in the caller's transaction."""
    specs = [ItemSpec.from_item(item) for item in items]
    reasons = _request_checks(actor=actor, req=req, items=specs)
    if reasons:
        raise ChecksFailed(reasons)
    # A change of scope that only narrows applies at once; nothing changed is refused (LNK-L003).
    narrowing = amend_check_on_submit(req)
    approval_needed = not narrowing and (
        needs_approval(reseller=req.reseller, items=specs) or amend_widens_teams(req)
    )
    approvers: list[User] = []
    if approval_needed:
        # Read once: who is e-mailed below, and whether anybody can approve at all (LNK-A004).
        approvers = _approvers(req.reseller, exclude=actor)
        if not approvers and (gap := approval_gap(reseller=req.reseller, initiator=actor)):
            raise ChecksFailed([gap])
    req.submitted_at = timezone.now()
    try:
        with transaction.atomic():
            _set_items_open(req, True, actor=actor, reason="submitted", items=items)
    except IntegrityError:
        # Another request for the same customer and type was submitted a moment ago.
        raise ChecksFailed(link_request_dry_run(actor=actor, req=req)) from None
    if narrowing:
        return amend_apply_narrowing(actor=actor, req=req)
    if approval_needed:
        req.approval_deadline = req.submitted_at + timedelta(days=request_approval_days(req))
        _move(
            req,
            Status.PENDING_APPROVAL,
            actor=actor,
            reason="submitted for approval",
            extra=["submitted_at", "approval_deadline"],
        )
        _notify_all(
            Notification.Kind.APPROVAL_NEEDED,
            [approver.email for approver in approvers],
            request=req,
        )
    else:
        _enter_consent(
            req,
            actor=actor,
            reason="submitted; the approval policy sends it straight to the customer",
            extra=["submitted_at"],
        )
    return req
