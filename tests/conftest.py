"""The named cast: two resellers, one user per role in the first, an outsider in the second,
an auditor and staff; a small catalog and customers in every state."""

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group

from accounts.models import Reseller, Role, User
from accounts.services import membership_add, reseller_create
from linking import journeys, services
from linking.checks import ItemSpec
from linking.models import CustomerAccount, Region, Service
from tests.factories import CustomerFactory, RegionFactory, ServiceFactory, UserFactory

# The sandbox cloud (`sandbox_cloud`, `cloud`) for every test directory.
pytest_plugins = ["tests.cloud.sandbox_fixtures"]

PASSWORD = "pass-word-1234"


@pytest.fixture(autouse=True)
def _clear_guardian_ct_cache():
    # guardian caches content types per process; transactional tests flush and renumber them.
    from guardian import shortcuts

    cache = getattr(shortcuts, "_get_ct_cached", None)
    if cache is not None and hasattr(cache, "cache_clear"):
        cache.cache_clear()
    return


def _delete_cache_keys():
    # Rate-limit counters live in the cache (Redis when REDIS_URL is set, possibly shared with
    # the broker): delete only the keys of the tests, never the whole database.
    from django.core.cache import cache

    client_of = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client_of is None:
        cache.clear()
        return
    client = client_of(write=True)
    for key in client.scan_iter(match=f"{cache.key_prefix}:*", count=1000):
        client.delete(key)


@pytest.fixture(autouse=True)
def _clear_cache():
    _delete_cache_keys()
    yield
    _delete_cache_keys()


@dataclass
class Cast:
    reseller: Reseller
    other: Reseller
    admin: User
    initiator: User
    approver: User
    viewer: User
    outsider: User
    outsider_admin: User
    auditor: User
    staff: User
    no_member: User
    ecs: Service
    obs: Service
    iam: Service
    region_a: Region
    region_b: Region
    region_cn: Region
    customer: CustomerAccount
    customer2: CustomerAccount
    frozen: CustomerAccount
    arrears: CustomerAccount
    deregistered: CustomerAccount
    cn_customer: CustomerAccount
    partner_account: CustomerAccount
    no_contact: CustomerAccount


def _member(reseller, role, email):
    user = UserFactory(email=email, username=email)
    membership_add(actor=None, reseller=reseller, email=email, role=role, check_actor=False)
    return user


@pytest.fixture
def cast(db) -> Cast:
    reseller = reseller_create(
        actor=None,
        partner_id="P-100001",
        name="Northwind Cloud",
        approval_policy=Reseller.ApprovalPolicy.BEYOND_READ_ONLY,
    )
    other = reseller_create(actor=None, partner_id="P-200002", name="Contoso Partners")
    admin = _member(reseller, Role.ADMIN, "admin@northwind.example")
    initiator = _member(reseller, Role.INITIATOR, "initiator@northwind.example")
    approver = _member(reseller, Role.APPROVER, "approver@northwind.example")
    viewer = _member(reseller, Role.VIEWER, "viewer@northwind.example")
    outsider_admin = _member(other, Role.ADMIN, "admin@contoso.example")
    outsider = _member(other, Role.INITIATOR, "initiator@contoso.example")
    auditor = UserFactory(email="auditor@platform.example", username="auditor", is_staff=True)
    auditor.groups.add(Group.objects.get_or_create(name="auditors")[0])
    staff = UserFactory(
        email="staff@platform.example", username="staff", is_staff=True, is_superuser=True
    )
    no_member = UserFactory(email="nobody@example.com", username="nobody")
    ecs = ServiceFactory(code="ECS", name="Elastic Cloud Server", category="Compute")
    obs = ServiceFactory(code="OBS", name="Object Storage Service", category="Storage")
    iam = ServiceFactory(code="IAM", name="Identity and Access Management", sensitive=True)
    region_a = RegionFactory(code="ap-southeast-1", name="AP-Singapore")
    region_b = RegionFactory(code="eu-west-101", name="EU-Dublin")
    region_cn = RegionFactory(code="cn-north-4", name="CN North-Beijing4", site="cn")
    both = [region_a, region_b]
    return Cast(
        reseller=reseller,
        other=other,
        admin=admin,
        initiator=initiator,
        approver=approver,
        viewer=viewer,
        outsider=outsider,
        outsider_admin=outsider_admin,
        auditor=auditor,
        staff=staff,
        no_member=no_member,
        ecs=ecs,
        obs=obs,
        iam=iam,
        region_a=region_a,
        region_b=region_b,
        region_cn=region_cn,
        customer=CustomerFactory(
            account_id="123456789012", display_name="Acme Retail", enabled_regions=both
        ),
        customer2=CustomerFactory(display_name="Globex", enabled_regions=both),
        frozen=CustomerFactory(status="frozen", enabled_regions=both),
        arrears=CustomerFactory(status="in_arrears", enabled_regions=both),
        deregistered=CustomerFactory(status="deregistered", enabled_regions=both),
        cn_customer=CustomerFactory(site="cn", enabled_regions=[region_cn]),
        partner_account=CustomerFactory(is_partner=True, enabled_regions=both),
        no_contact=CustomerFactory(contact_email="", enabled_regions=both),
    )


def read_only_delegation(cast: Cast) -> ItemSpec:
    return ItemSpec(
        link_type="delegation",
        services=["ECS", "OBS"],
        regions=["ap-southeast-1"],
        access_level="read_only",
        duration_days=90,
    )


def make_draft(cast: Cast, *, customer=None, specs=None, actor=None, ticket="INC-1001"):
    """A complete draft built through the wizard's services."""
    return journeys.draft(
        actor=actor or cast.initiator,
        reseller=cast.reseller,
        customer=customer or cast.customer,
        specs=specs or [read_only_delegation(cast)],
        ticket=ticket,
        note="As agreed on the phone.",
    )


def freeze(customer) -> None:
    """The account is frozen after a draft chose it (the customer step refuses a frozen one)."""
    customer.status = "frozen"
    customer.save(update_fields=["status"])


def submit(cast: Cast, req, *, actor=None):
    return services.link_request_submit(actor=actor or cast.initiator, request_id=req.pk)


def consent_token_for(req) -> str:
    """Deliver the request's consent e-mail the way the worker does and return the token."""
    from django.core import mail

    from linking.models import Notification
    from linking.outbox.delivery import notification_deliver

    notification = Notification.objects.filter(request=req, kind="consent_request").latest("id")
    notification_deliver(notification_id=notification.pk)
    body = mail.outbox[-1].body
    marker = "/consent/"
    start = body.index(marker) + len(marker)
    return body[start:].split("/", 1)[0]


def login(client, user):
    client.force_login(user)
    return client
