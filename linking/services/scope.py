"""What a live link reaches in the cloud, read through the link itself, stored for the pages.

- Delegation and provisioning: the link's own agency is assumed (never the partner's keys for a
  customer's resources, never another agency); in each consented region, each consented
  service the provider layer can list (ECS) is read: a first page and the count. A region the
  agency does not reach, or a call the cloud refuses, is a block that says it could not be read,
  with the code. Nothing outside the consented regions and services is ever asked for.
- Billing: the association as the partner API reports it (the same read and check as
  verification, `linking.cloud.proof.association_read`) judged by drift's rule
  (`linking.services.drift.drift_of`); a "gone" association brings the link's scheduled
  re-verification forward, and drift decides what happens to the link. When associated, the
  month's budget and how much of it is used (the spend) from the partner API.

The cloud is called outside any transaction (the provider refuses otherwise); the blocks are
then written in one transaction under the link's row lock. A beat sweep claims due links
(`FOR UPDATE SKIP LOCKED`, a lease ahead); *Refresh* on the customer page asks a worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import LinkType, Reseller, User
from linking.cloud import provider_for
from linking.cloud.models import CloudConnection
from linking.cloud.proof import LinkFacts, association_read
from linking.cloud.provider import CloudProvider
from linking.cloud.services import cloud_connection_settings
from linking.cloud.types import CloudError, association_label
from linking.models import CustomerAccount, Link, LinkScopeSchedule, LinkScopeSnapshot
from linking.models.scope import BILLING_BLOCK
from linking.permissions import live_link_q
from linking.selectors.scope import SCOPE_LINK_TYPES, links_in_view, scope_targets
from linking.services._common import _on_commit
from linking.services.drift import GONE, drift_of, link_drift_expedite
from linking.services.verification import link_facts
from portal.codes import CODES
from portal.errors import PortalError

# How many items of a block are kept and shown (the count says how many there are in all).
FIRST_PAGE = 20
# One sweep claims at most this many links; a claimed read that did not happen within the
# lease (a lost task) is due again.
SCOPE_BATCH = 500
SCOPE_LEASE = timedelta(minutes=15)
# A second Refresh within this long asks no second read.
REFRESH_QUIET = timedelta(seconds=30)


def scope_period() -> timedelta:
    """How often every live link's scope is read (PORTAL_SCOPE_REFRESH_MINUTES)."""
    return timedelta(minutes=settings.PORTAL_SCOPE_REFRESH_MINUTES)


@dataclass
class Block:
    """One block read from the cloud, before it is stored."""

    service: str
    region: str
    items: list[dict[str, Any]] = field(default_factory=list)
    count: int | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    error_code: str = ""
    error_message: str = ""
    drift: str = ""


def _failed(target: tuple[str, str], error: PortalError) -> Block:
    return Block(
        target[0], target[1], error_code=error.code, error_message=str(error.message)[:500]
    )


def _failed_code(target: tuple[str, str], code: str, **params: Any) -> Block:
    message, _ = CODES[code].render(**params)
    return Block(target[0], target[1], error_code=code, error_message=str(message)[:500])


def _read_billing(provider: CloudProvider, facts: LinkFacts) -> Block:
    check, customer = association_read(provider, facts)
    block = Block(BILLING_BLOCK, "")
    judged = drift_of([check])
    if check["outcome"] == "failed":
        block.error_code = check["code"]
        block.error_message = str(check["detail"])[:500]
        block.drift = GONE if judged.kind == GONE else ""
    if customer is None:
        return block
    block.facts = {
        "association_type": customer.association_type,
        "association": association_label(customer.association_type),
        "associated_at": customer.associated_at.isoformat() if customer.associated_at else "",
        "frozen": customer.frozen,
    }
    try:
        budget = provider.get_customer_budget(facts.customer_domain_id)
    except CloudError as error:
        block.facts["money_error_code"] = error.code
        block.facts["money_error_message"] = str(error.message)[:300]
        return block
    block.facts.update(
        budget=str(budget.amount),
        spend=str(budget.used),
        remaining=str(budget.remaining),
        currency=budget.currency,
        budget_type=budget.budget_type,
    )
    return block


def _read_agency(
    provider: CloudProvider, facts: LinkFacts, targets: list[tuple[str, str]]
) -> list[Block]:
    try:
        creds = provider.assume_agency(
            customer_domain_id=facts.customer_domain_id, agency_name=facts.agency_name
        )
        projects = {p.name: p for p in provider.list_projects(creds)}
    except CloudError as error:
        return [_failed(target, error) for target in targets]
    blocks = []
    for service, region in targets:
        project = projects.get(region)
        if project is None:
            blocks.append(
                _failed_code(
                    (service, region),
                    "LNK-G006",
                    agency=facts.agency_name,
                    account_id=facts.customer_domain_id,
                    regions=region,
                )
            )
            continue
        try:
            page = provider.list_servers_page(
                creds, project_id=project.id, region=region, limit=FIRST_PAGE
            )
        except CloudError as error:
            blocks.append(_failed((service, region), error))
            continue
        items = [
            {"id": s.id, "name": s.name, "status": s.status, "flavor": s.flavor} for s in page.items
        ]
        blocks.append(Block(service, region, items=items, count=page.total))
    return blocks


def read_link_scope(link: Link) -> list[Block]:
    """Read what `link` reaches, with the reseller's connection and the link's own agency.
    No database writes; calls the cloud, so never inside a transaction."""
    targets = scope_targets(link)
    if not targets:
        return []
    connection = CloudConnection.objects.filter(reseller_id=link.reseller_id).first()
    if connection is None:
        return [
            _failed_code(t, "LNK-N012", reseller=link.reseller.name, reference=link.reference)
            for t in targets
        ]
    try:
        provider = provider_for(cloud_connection_settings(connection))
    except PortalError as error:  # a stored key pair no configured key reads
        return [_failed(t, error) for t in targets]
    facts = link_facts(link)
    if link.link_type == LinkType.BILLING:
        return [_read_billing(provider, facts)]
    return _read_agency(provider, facts, targets)


def link_scope_read(*, link_id: int) -> list[LinkScopeSnapshot] | None:
    """Read a live link's scope in the cloud and store it; None when the link is not live
    (its blocks go: what a link no longer grants is not kept to be shown)."""
    link = Link.objects.select_related("reseller", "customer").filter(pk=link_id).first()
    if link is None:
        return None
    if not link.is_granting or link.link_type not in SCOPE_LINK_TYPES:
        LinkScopeSnapshot.objects.filter(link_id=link_id).delete()
        return None
    blocks = read_link_scope(link)
    return _record(link_id, blocks, read_at=timezone.now())


@transaction.atomic
def _record(link_id: int, blocks: list[Block], *, read_at: datetime) -> list[LinkScopeSnapshot]:
    link = Link.objects.select_for_update().filter(pk=link_id).first()
    if link is None:
        return []
    # The scope may have changed while the cloud answered: only what is consented now is kept.
    targets = set(scope_targets(link)) if link.is_granting else set()
    kept = [b for b in blocks if (b.service, b.region) in targets]
    stale = LinkScopeSnapshot.objects.filter(link=link)
    for service, region in {(b.service, b.region) for b in kept}:
        stale = stale.exclude(service=service, region=region)
    stale.delete()
    snapshots = []
    for block in kept:
        snapshot, _ = LinkScopeSnapshot.objects.update_or_create(
            link=link,
            service=block.service,
            region=block.region,
            defaults={
                "items": block.items,
                "count": block.count,
                "facts": block.facts,
                "read_at": read_at,
                "error_code": block.error_code,
                "error_message": block.error_message,
                "drift": block.drift,
            },
        )
        snapshots.append(snapshot)
    LinkScopeSchedule.objects.update_or_create(
        link=link, defaults={"read_at": read_at, "next_read_at": read_at + scope_period()}
    )
    if any(b.drift == GONE for b in kept) and link.status == Link.Status.ACTIVE:
        # Drift judges it: the scheduled re-verification comes forward and decides.
        link_drift_expedite(link, at=read_at)
    return snapshots


# --- the schedule and the Refresh button --------------------------------------------------------


def _live_scope_links():
    return Link.objects.filter(live_link_q(), link_type__in=SCOPE_LINK_TYPES)


def link_scope_claim_due(*, limit: int = SCOPE_BATCH, now: datetime | None = None) -> list[int]:
    """Claim the live links whose scope read is due (a link never read first), moving each
    one's next read a lease ahead; concurrent sweeps skip each other's rows."""
    now = now or timezone.now()
    with transaction.atomic():
        unscheduled = list(
            _live_scope_links()
            .filter(scope_schedule__isnull=True)
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        LinkScopeSchedule.objects.bulk_create(
            [LinkScopeSchedule(link_id=pk, next_read_at=now) for pk in unscheduled],
            ignore_conflicts=True,
        )
        due = list(
            LinkScopeSchedule.objects.select_for_update(skip_locked=True)
            .filter(next_read_at__lte=now, link__in=_live_scope_links())
            .order_by("next_read_at", "link_id")
            .values_list("link_id", flat=True)[:limit]
        )
        LinkScopeSchedule.objects.filter(link_id__in=due).update(next_read_at=now + SCOPE_LEASE)
    return due


@transaction.atomic
def link_scope_request_refresh(
    *, actor: User, reseller: Reseller, customer: CustomerAccount
) -> list[int]:
    """Ask a worker to read again what the actor's visible links on the customer reach.
    Returns the ids asked for (none when nothing is theirs to see, or asked just now)."""
    from linking.tasks import link_scope_read_task

    now = timezone.now()
    links = list(_live_scope_links().filter(reseller=reseller, customer=customer))
    ids = []
    for link in links_in_view(user=actor, customer=customer, links=links):
        schedule, created = LinkScopeSchedule.objects.select_for_update().get_or_create(
            link=link, defaults={"next_read_at": now, "requested_at": now}
        )
        if not created:
            asked = schedule.requested_at
            if schedule.reading and asked is not None and asked > now - REFRESH_QUIET:
                continue
            schedule.requested_at = now
            schedule.save(update_fields=["requested_at"])
        ids.append(link.pk)
    for pk in ids:
        _on_commit(link_scope_read_task, pk)
    return ids
