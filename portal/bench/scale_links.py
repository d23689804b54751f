"""The link side of the scale data set (`portal.bench.scale_data`): link requests with their
items in every state, the links the completed ones made, consent records for every decision,
the role groups' object permissions on active links, and history rows for all of it; with the
bulk writers both halves use.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from datetime import datetime, timedelta

from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.models import ResellerRoleGroup, Role
from linking.models import (
    AccessLevel,
    ConsentRecord,
    CustomerAccount,
    CustomerAccountGroupObjectPermission,
    Link,
    LinkRequest,
    RequestItem,
    VerificationStatus,
)

REASON = "generated scale data"
BATCH = 5000

# How the distributor's requests end, in two rounds per customer: the older round decided long
# ago (most completed, hence the links), the newer one still moving or recently closed.
_OLD_ROUND = [
    (LinkRequest.Status.COMPLETED, 70),
    (LinkRequest.Status.DECLINED, 8),
    (LinkRequest.Status.CANCELLED, 7),
    (LinkRequest.Status.EXPIRED, 10),
    (LinkRequest.Status.REJECTED, 5),
]
_NEW_ROUND = [
    (LinkRequest.Status.DRAFT, 8),
    (LinkRequest.Status.PENDING_APPROVAL, 10),
    (LinkRequest.Status.PENDING_CONSENT, 25),
    (LinkRequest.Status.DECLINED, 12),
    (LinkRequest.Status.CANCELLED, 15),
    (LinkRequest.Status.EXPIRED, 20),
    (LinkRequest.Status.REJECTED, 10),
]
_LINK_STATES = [
    (Link.Status.ACTIVE, 78),
    (Link.Status.REVOKED, 9),
    (Link.Status.EXPIRED, 8),
    (Link.Status.SUSPENDED, 3),
    (Link.Status.ACTIVATING, 2),
]


def weighted(rng: random.Random, table) -> str:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def bulk_insert(model, objs: list) -> list:
    out = []
    for start in range(0, len(objs), BATCH):
        out += model.objects.bulk_create(objs[start : start + BATCH], batch_size=1000)
    return out


def _history(model, objs: list, *, update: bool) -> int:
    """History rows for `objs` as they are now; each object's `_history_date`, `_change_reason`
    and `_history_user` say when, why and who."""
    for start in range(0, len(objs), BATCH):
        model.history.bulk_history_create(
            objs[start : start + BATCH],
            batch_size=1000,
            update=update,
            default_change_reason=REASON,
        )
    return len(objs)


def _item_scope(rng, link_type: str, services, regions) -> dict:
    if link_type == "billing":
        return {}
    codes = [s.code for s in services if not s.sensitive]
    scope: dict[str, object] = {
        "services": sorted(rng.sample(codes, rng.randint(1, 3))),
        "regions": [regions[0].code],
    }
    if link_type == "delegation":
        scope["access_level"] = AccessLevel.READ_ONLY if rng.random() < 0.7 else AccessLevel.MANAGE
        scope["duration_days"] = rng.choice([30, 90, 180, 365])
    return scope


def request_rows(rng, resellers, members, customers, services, regions, now: datetime):
    """Two requests per customer for the distributor (old round, new round); the smaller
    resellers share a twentieth more on customers of their own choosing."""
    distributor = resellers[0]
    plan = []  # (reseller, customer, status, round)
    for c in customers:
        plan.append((distributor, c, weighted(rng, _OLD_ROUND), 0))
    for c in customers:
        plan.append((distributor, c, weighted(rng, _NEW_ROUND), 1))
    others = resellers[1:]
    per_other = max(1, len(customers) // 10 // max(1, len(others)))
    for reseller in others:
        for c in rng.sample(customers, min(per_other, len(customers))):
            status = weighted(rng, _NEW_ROUND)
            if status in (LinkRequest.Status.PENDING_APPROVAL, LinkRequest.Status.PENDING_CONSENT):
                status = LinkRequest.Status.DECLINED
            plan.append((reseller, c, status, 0))

    reqs, item_specs = [], []
    for reseller, customer, status, rnd in plan:
        team = members[reseller.pk]
        initiators = [u for u, r in team if r in (Role.INITIATOR, Role.ADMIN)]
        approvers = [u for u, r in team if r in (Role.APPROVER, Role.ADMIN)]
        if rnd == 0:
            created = now - timedelta(days=rng.uniform(200, 1000))
        else:
            created = now - timedelta(days=rng.uniform(0.1, 199))
        if status in LinkRequest.OPEN_STATUSES:
            # Open requests are recent: inside their deadline.
            created = now - timedelta(days=rng.uniform(0.05, 5))
        initiator = rng.choice(initiators)
        submitted = created + timedelta(minutes=rng.uniform(3, 90))
        changed = submitted + timedelta(days=rng.uniform(0.01, 6))
        if status in LinkRequest.OPEN_STATUSES or status == LinkRequest.Status.DRAFT:
            changed = submitted
        req = LinkRequest(
            reseller=reseller,
            customer=customer,
            account_id_input=customer.account_id,
            status=status,
            wizard_step=4 if status == LinkRequest.Status.DRAFT else 5,
            initiator=initiator,
            ticket_reference=f"INC{rng.randrange(10**6, 10**7)}" if rng.random() < 0.6 else "",
            consent_days=7,
            consent_email=customer.contact_email,
            created_at=created,
            submitted_at=None if status == LinkRequest.Status.DRAFT else submitted,
            status_changed_at=changed,
        )
        if status not in (LinkRequest.Status.DRAFT, LinkRequest.Status.PENDING_APPROVAL):
            req.approver = rng.choice(approvers) if rng.random() < 0.5 else None
        if status == LinkRequest.Status.REJECTED:
            req.approver = rng.choice(approvers)
            req.decision_reason = "Scope too broad for this customer."
        if status == LinkRequest.Status.PENDING_APPROVAL:
            req.approval_deadline = submitted + timedelta(days=7)
        if status == LinkRequest.Status.PENDING_CONSENT:
            req.consent_sent_at = submitted + timedelta(minutes=1)
            req.consent_deadline = submitted + timedelta(days=7)
            # Only a hash: the token itself went out by e-mail and is kept nowhere.
            req.consent_token_hash = _hash(secrets.token_urlsafe(32))
        reqs.append(req)
        # Billing only for the distributor: a customer has one billing partner at most.
        types = ["billing", "provisioning", "delegation"]
        if reseller is not distributor:
            types = types[1:]
        k = 1 if rng.random() < 0.57 else 2
        item_specs.append(rng.sample(types, k))
    reqs = bulk_insert(LinkRequest, reqs)

    items = []
    for req, types in zip(reqs, item_specs, strict=True):
        open_ = req.status in LinkRequest.OPEN_STATUSES
        for link_type in types:
            decision = RequestItem.Decision.PENDING
            if req.status == LinkRequest.Status.COMPLETED:
                decision = RequestItem.Decision.ACCEPTED
            elif req.status == LinkRequest.Status.DECLINED:
                decision = RequestItem.Decision.DECLINED
            items.append(
                RequestItem(
                    request=req,
                    reseller_id=req.reseller_id,
                    customer_id=req.customer_id,
                    link_type=link_type,
                    is_open=open_,
                    decision=decision,
                    decided_at=req.status_changed_at
                    if decision != RequestItem.Decision.PENDING
                    else None,
                    **_item_scope(rng, link_type, services, regions),
                )
            )
    items = bulk_insert(RequestItem, items)
    return reqs, items


def link_rows(rng, distributor, reqs, items, now: datetime) -> list[Link]:
    by_request = {r.pk: r for r in reqs}
    links = []
    for item in items:
        req = by_request[item.request_id]
        if req.reseller_id != distributor.pk or item.decision != RequestItem.Decision.ACCEPTED:
            continue
        status = weighted(rng, _LINK_STATES)
        activated = req.status_changed_at + timedelta(minutes=2)
        link = Link(
            reseller_id=req.reseller_id,
            customer_id=req.customer_id,
            link_type=item.link_type,
            status=status,
            services=item.services,
            regions=item.regions,
            access_level=item.access_level,
            source_item=item,
            created_at=req.status_changed_at,
            updated_at=req.status_changed_at,
            starts_at=activated if status != Link.Status.ACTIVATING else None,
            activated_at=activated if status != Link.Status.ACTIVATING else None,
            verification_status=VerificationStatus.PASSING
            if status == Link.Status.ACTIVE
            else VerificationStatus.UNVERIFIED,
            verified_at=activated if status == Link.Status.ACTIVE else None,
        )
        if item.link_type == "delegation" and status != Link.Status.ACTIVATING:
            # Live delegations were renewed: they end in the future; the others ended.
            if status in (Link.Status.ACTIVE, Link.Status.SUSPENDED):
                link.ends_at = now + timedelta(days=rng.uniform(1, 365))
            else:
                link.ends_at = activated + timedelta(days=item.duration_days or 90)
        if status == Link.Status.REVOKED:
            link.revoked_at = activated + timedelta(days=rng.uniform(10, 150))
            link.revoke_reason = "Customer moved to another partner."
            link.status_reason = "revoked by the reseller"
            link.updated_at = link.revoked_at
        if status == Link.Status.SUSPENDED:
            link.status_reason = "customer account frozen"
            link.suspended_for = Link.SuspendedFor.CUSTOMER
        links.append(link)
    return bulk_insert(Link, links)


def consent_rows(rng, reqs, items, now: datetime) -> int:
    by_request = {r.pk: r for r in reqs}
    records = []
    for item in items:
        if item.decision == RequestItem.Decision.PENDING:
            continue
        req = by_request[item.request_id]
        records.append(
            ConsentRecord(
                request=req,
                item=item,
                decision=item.decision,
                link_type=item.link_type,
                scope={"services": item.services, "regions": item.regions},
                reason="" if item.decision == "accepted" else "Not needed any more.",
                contact_email=req.consent_email,
                ip_address="198.51.100.7",
                user_agent="Mozilla/5.0",
                receipt_reference=f"RC-{req.pk:06d}-{rng.randrange(16**6):06X}",
                created_at=item.decided_at,
            )
        )
    return len(bulk_insert(ConsentRecord, records))


def grant_rows(distributor, links) -> int:
    """What `link_sync_grants` leaves for every active link: view for every role, the link's
    grants for the roles that operate."""
    from linking.services.links import _OPERATE_ROLES, _VIEW_ROLES, link_grants

    now = timezone.now()
    perms = {p.codename: p.pk for p in Permission.objects.filter(content_type__app_label="linking")}
    groups = {rg.role: rg.group_id for rg in ResellerRoleGroup.objects.filter(reseller=distributor)}
    wanted = set()
    for link in links:
        if link.status != Link.Status.ACTIVE or (link.ends_at and link.ends_at <= now):
            continue
        for role in _VIEW_ROLES:
            wanted.add((groups[role], perms["view_customeraccount"], link.customer_id))
        for codename in link_grants(link):
            for role in _OPERATE_ROLES:
                wanted.add((groups[role], perms[codename], link.customer_id))
    rows = [
        CustomerAccountGroupObjectPermission(group_id=g, permission_id=p, content_object_id=c)
        for g, p, c in sorted(wanted)
    ]
    return len(bulk_insert(CustomerAccountGroupObjectPermission, rows))


def all_history_rows(customers, reqs, items, links, now: datetime) -> int:
    total = 0
    for c in customers:
        c._history_date = c.created_at
        c._change_reason = "imported from the directory"
    total += _history(CustomerAccount, customers, update=False)

    # A request's history: its creation as a draft, then the move to where it stands.
    final = {}
    for r in reqs:
        final[r.pk] = r.status
        r.status = LinkRequest.Status.DRAFT
        r._history_date = r.created_at
        r._history_user = r.initiator
        r._change_reason = "draft created"
    total += _history(LinkRequest, reqs, update=False)
    moved = []
    for r in reqs:
        r.status = final[r.pk]
        if r.status != LinkRequest.Status.DRAFT:
            r._history_date = r.status_changed_at
            r._history_user = r.approver if r.approver_id else None
            r._change_reason = {
                "pending_approval": "submitted",
                "pending_consent": "submitted",
                "completed": "customer accepted",
                "declined": "customer declined",
                "rejected": "rejected",
                "cancelled": "cancelled",
                "expired": "expired: the consent deadline passed",
            }[r.status]
            moved.append(r)
    total += _history(LinkRequest, moved, update=True)

    created_of = {r.pk: r.created_at for r in reqs}
    for item in items:
        item._history_date = created_of[item.request_id]
        item._change_reason = "link types chosen"
    total += _history(RequestItem, items, update=False)

    # Two history rows per link, as the services would have written them: created activating,
    # then moved to its final state. The rows are copies, so the links themselves never change.
    fields = [f.attname for f in Link._meta.concrete_fields]
    activating = {"status": Link.Status.ACTIVATING}
    created = [
        Link(**({name: getattr(link, name) for name in fields} | activating)) for link in links
    ]
    for row in created:
        row._history_date = row.created_at
        row._change_reason = "accepted by the customer"
    total += _history(Link, created, update=False)
    moved = [link for link in links if link.status != Link.Status.ACTIVATING]
    for link in moved:
        link._history_date = link.updated_at
        link._change_reason = f"now {link.status}"
    total += _history(Link, moved, update=True)
    return total
