"""Real objects of both resellers for the authorization matrix and the fuzz tests.

Everything is built through the services, the way the portal builds it: for each reseller a
draft, a request waiting for approval, one waiting for the customer (with its consent token) and
a completed one whose accepted item became an active link (with its receipt and the customer's
withdrawal token), the linked customer and a membership.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.test import override_settings
from django.utils import timezone

from accounts.invitations import invitation_create
from accounts.models import (
    ROLE_PERMISSIONS,
    ApiKey,
    Invitation,
    Membership,
    Reseller,
    Team,
    TeamMember,
    User,
)
from accounts.services import api_key_create, api_key_revoke, membership_add
from accounts.teams import team_create, team_member_add
from linking import journeys, services
from linking.batches import directory
from linking.checks import ItemSpec
from linking.cloud.services import cloud_connection_save, default_endpoints
from linking.consent.views import receipt_sign
from linking.models import (
    Batch,
    CloudAssociation,
    CustomerAccount,
    DirectoryImport,
    Link,
    LinkRequest,
    LinkScopeSnapshot,
    Preset,
)
from linking.webhooks.models import WebhookDelivery, WebhookEndpoint
from linking.webhooks.services import webhook_emit, webhook_endpoint_create
from tests.factories import CustomerFactory

READ_ONLY = ItemSpec(
    link_type="delegation",
    services=["ECS", "OBS"],
    regions=["ap-southeast-1"],
    access_level="read_only",
    duration_days=90,
)
BILLING = ItemSpec(link_type="billing")


@dataclass
class Side:
    """One reseller's objects."""

    name: str
    reseller: Reseller
    requests: dict[str, LinkRequest] = field(default_factory=dict)
    link: Link | None = None
    customer: CustomerAccount | None = None
    membership: Membership | None = None
    receipt_reference: str = ""
    consent_token: str = ""
    withdrawal_token: str = ""
    preset: Preset | None = None
    batch: Batch | None = None
    directory_import: DirectoryImport | None = None
    webhook_endpoint: WebhookEndpoint | None = None
    webhook_delivery: WebhookDelivery | None = None
    api_key: ApiKey | None = None
    invitation: Invitation | None = None
    team: Team | None = None
    team_member: TeamMember | None = None


@dataclass(frozen=True)
class Visitor:
    """Who sends the request: a user (or nobody), the reseller they work for and their role."""

    name: str
    user: User | None
    reseller: Reseller | None = None
    perms: frozenset[str] = frozenset()
    # A customer signed in to the customer centre: no portal user, the contact address, the
    # accounts it proved and the side those accounts are linked to.
    customer_email: str = ""
    customer_accounts: tuple[int, ...] = ()
    customer_side: str = ""

    @property
    def is_anonymous(self) -> bool:
        return self.user is None

    @property
    def is_customer(self) -> bool:
        return bool(self.customer_email)


@dataclass(frozen=True)
class ApiVisitor:
    """A script with an API key: of which reseller, what its role lets it do, and whether the
    key works at all (a revoked one does not)."""

    name: str
    key: str
    reseller: Reseller
    perms: frozenset[str] = frozenset()
    valid: bool = True


@dataclass
class World:
    a: Side
    b: Side
    visitors: list[Visitor]
    api_visitors: list[ApiVisitor] = field(default_factory=list)

    @property
    def sides(self) -> list[Side]:
        return [self.a, self.b]

    def refresh(self) -> None:
        """Read every object of both sides again from the database."""
        for side in self.sides:
            objects = [*side.requests.values(), side.link, side.customer, side.membership]
            objects += [side.preset, side.batch, side.directory_import, side.reseller]
            objects += [side.webhook_endpoint, side.webhook_delivery]
            objects += [side.api_key, side.invitation, side.team]
            for obj in objects:
                if obj is not None:
                    obj.refresh_from_db()
        for visitor in self.visitors:
            if visitor.user is not None:
                visitor.user.refresh_from_db()


def build_side(
    name: str, *, reseller: Reseller, initiator: User, viewer: User, admin: User, regions
) -> Side:
    side = Side(name=name, reseller=reseller)

    def customer():
        # One contact for every account of the side: the customer visitor signs in as it.
        return CustomerFactory(enabled_regions=regions, contact_email=contact_of(name))

    def draft(spec, ticket):
        return journeys.draft(
            actor=initiator,
            reseller=reseller,
            customer=customer(),
            specs=[spec],
            ticket=ticket,
            note="As agreed.",
        )

    def submitted(spec, ticket):
        return journeys.submit(draft(spec, ticket), actor=initiator)

    side.requests["draft"] = draft(READ_ONLY, f"{name}-DRAFT")
    side.requests["pending_approval"] = submitted(BILLING, f"{name}-APPROVAL")
    pending_consent = submitted(READ_ONLY, f"{name}-CONSENT")
    side.requests["pending_consent"] = pending_consent
    side.consent_token = services.consent_issue_token(request_id=pending_consent.pk)
    completed, side.receipt_reference = journeys.decide_all(
        submitted(READ_ONLY, f"{name}-DONE"), accept=True
    )
    side.requests["completed"] = completed
    journeys.activate(completed)
    link = Link.objects.get(source_item__request=completed)
    side.link = link
    side.customer = link.customer
    # What the worker's read of the link's reach leaves (linking.services.scope), for the admin.
    LinkScopeSnapshot.objects.create(
        link=link, service="ECS", region=(link.regions or [""])[0], count=0, read_at=timezone.now()
    )
    side.withdrawal_token = services.link_issue_withdrawal_token(link_id=link.pk)
    side.membership = Membership.objects.get(reseller=reseller, user=viewer)
    side.invitation = invitation_create(
        actor=admin, reseller=reseller, email=f"invited-{name}@example.com", role="viewer"
    )
    side.preset = services.preset_create(
        actor=admin, reseller=reseller, name=f"{name} read-only", items=[READ_ONLY]
    )
    # Every registered model has a row for the admin matrix: the connection, without a test.
    cloud_connection_save(
        actor=admin,
        reseller=reseller,
        partner_domain_id=f"{reseller.pk:032x}",
        partner_account_name=f"{name}-partner",
        access_key=f"AKWORLD{reseller.pk:013d}",
        secret_key=f"SecretOfTheWorld{reseller.pk:024d}",
        **default_endpoints(),
    )
    # As a sync writes it; the sync itself calls the sandbox cloud (tests/cloud/test_sync.py).
    now = timezone.now()
    CloudAssociation.objects.create(
        reseller=reseller,
        customer=link.customer,
        association_type="1",
        associated_at=now,
        first_seen_at=now,
        confirmed_at=now,
    )
    side.batch = services.batch_upload(
        actor=initiator,
        reseller=reseller,
        file_name="rows.csv",
        data=f"key,account_id,link_types\n{name}-1,{customer().account_id},billing\n".encode(),
    )
    # A webhook endpoint on a public address (documentation range, never called: no worker)
    # and one event owed to it, as the services write them.
    with override_settings(PORTAL_WEBHOOK_ALLOWED_NETWORKS=["192.0.2.0/24"]):
        side.webhook_endpoint, _secret = webhook_endpoint_create(
            actor=admin,
            reseller=reseller,
            url=f"http://192.0.2.{reseller.pk % 250 + 1}/hooks",
            events=["request.submitted"],
        )
    side.webhook_delivery = webhook_emit(
        reseller, "request.submitted", ("request", 0), {"reference": f"{name}-HOOK"}
    )[0]
    side.api_key, _ = api_key_create(
        actor=admin, reseller=reseller, name=f"{name} CRM", role="initiator"
    )
    side.team = team_create(actor=admin, reseller=reseller, name=f"{name} operations")
    side.team_member = team_member_add(
        actor=admin, reseller=reseller, team_id=side.team.pk, user_id=viewer.pk
    )
    for req in side.requests.values():
        req.refresh_from_db()
    assert [r.status for r in side.requests.values()] == [
        "draft",
        "pending_approval",
        "pending_consent",
        "completed",
    ], "the world's requests are not in the states the matrix expects"
    return side


def contact_of(side_name: str) -> str:
    return f"contact-{side_name.lower()}@customer.example"


def _customer_visitor(name: str, side: Side) -> Visitor:
    email = contact_of(side.name)
    accounts = CustomerAccount.objects.filter(contact_email=email).order_by("pk")
    return Visitor(
        name=name,
        user=None,
        customer_email=email,
        customer_accounts=tuple(accounts.values_list("pk", flat=True)),
        customer_side=side.name,
    )


def _member_visitor(name: str, user: User) -> Visitor:
    membership = Membership.objects.select_related("reseller").get(user=user)
    return Visitor(
        name=name,
        user=user,
        reseller=membership.reseller,
        perms=frozenset(ROLE_PERMISSIONS[membership.role]),
    )


# The visitors of every world, in order (the matrix has a test per visitor).
VISITORS = [
    "anonymous",
    "viewer",
    "initiator",
    "approver",
    "admin",
    "other-reseller-initiator",
    "other-reseller-admin",
    "two-resellers",
    "auditor",
    "staff",
    "no-membership",
    "customer-of-a",
]


def build_world(cast) -> World:
    regions = [cast.region_a, cast.region_b]
    # The second reseller needs a viewer of its own so both sides have a membership to aim at.
    from tests.conftest import _member

    other_viewer = _member(cast.other, "viewer", "viewer@contoso.example")
    a = build_side(
        "A",
        reseller=cast.reseller,
        initiator=cast.initiator,
        viewer=cast.viewer,
        admin=cast.admin,
        regions=regions,
    )
    b = build_side(
        "B",
        reseller=cast.other,
        initiator=cast.outsider,
        viewer=other_viewer,
        admin=cast.outsider_admin,
        regions=regions,
    )
    # Distributor staff often belong to two resellers: every page answers for the one chosen
    # in the session, and the other one's objects are a 404 there.
    both = _member(cast.reseller, "initiator", "both@partners.example")
    membership_add(
        actor=None, reseller=cast.other, email=both.email, role="approver", check_actor=False
    )
    a.directory_import = directory.directory_import_upload(
        actor=cast.staff,
        file_name="d.csv",
        data=b"account_id,display_name\n55550000-0000-0000-0000-000000009999,W\n",
    )
    visitors = [
        Visitor("anonymous", None),
        *(
            _member_visitor(name, getattr(cast, name))
            for name in ("viewer", "initiator", "approver", "admin")
        ),
        _member_visitor("other-reseller-initiator", cast.outsider),
        _member_visitor("other-reseller-admin", cast.outsider_admin),
        Visitor(
            "two-resellers",
            both,
            reseller=cast.reseller,
            perms=frozenset(ROLE_PERMISSIONS["initiator"]),
        ),
        Visitor("auditor", cast.auditor),
        Visitor("staff", cast.staff),
        Visitor("no-membership", cast.no_member),
        _customer_visitor("customer-of-a", a),
    ]
    assert [v.name for v in visitors] == VISITORS
    return World(a=a, b=b, visitors=visitors, api_visitors=build_api_visitors(cast))


# The keys of the API matrix, in order (a test per key).
API_VISITORS = [
    "viewer-key",
    "initiator-key",
    "approver-key",
    "other-reseller-initiator-key",
    "revoked-key",
    "initiator-key-of-a-viewer",
]


def build_api_visitors(cast) -> list[ApiVisitor]:
    from accounts.services import membership_set_role
    from tests.conftest import _member

    def key(name, reseller, actor, role, perms=None, revoked=False):
        made, whole = api_key_create(actor=actor, reseller=reseller, name=name, role=role)
        if revoked:
            api_key_revoke(actor=actor, reseller=reseller, key_id=made.pk)
        return ApiVisitor(
            name,
            whole,
            reseller,
            frozenset(ROLE_PERMISSIONS[role] if perms is None else perms),
            valid=not revoked,
        )

    # An admin who made an initiator key and is a viewer now: the key can only read.
    demoted = _member(cast.reseller, "admin", "demoted.admin@partners.example")
    made = key("initiator-key-of-a-viewer", cast.reseller, demoted, "initiator")
    membership_set_role(
        actor=cast.admin,
        membership_id=Membership.objects.get(user=demoted, reseller=cast.reseller).pk,
        role="viewer",
    )
    visitors = [
        key("viewer-key", cast.reseller, cast.admin, "viewer"),
        key("initiator-key", cast.reseller, cast.admin, "initiator"),
        key("approver-key", cast.reseller, cast.admin, "approver"),
        key("other-reseller-initiator-key", cast.other, cast.outsider_admin, "initiator"),
        key("revoked-key", cast.reseller, cast.admin, "viewer", revoked=True),
        ApiVisitor(made.name, made.key, made.reseller, frozenset(ROLE_PERMISSIONS["viewer"])),
    ]
    assert [v.name for v in visitors] == API_VISITORS
    return visitors


def receipt_link(side: Side) -> str:
    return receipt_sign(side.receipt_reference)
