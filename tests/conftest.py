"""The named cast: two resellers, one user per role in the first, an outsider in the second,
an auditor and staff; a small catalog and customers in every state."""

import contextlib
from dataclasses import dataclass, fields

import pytest
from django.contrib.auth.models import Group

from accounts.models import Reseller, Role, User
from accounts.services import membership_add, reseller_create
from linking import journeys, services
from linking.checks import ItemSpec
from linking.models import CustomerAccount, Region, Service
from tests.factories import CustomerFactory, RegionFactory, ServiceFactory, UserFactory

# The cast's customer "Acme Retail": its account id, a 32-hex domain id.
ACME = "12345678000000000000000000009012"

# The sandbox cloud (`sandbox_cloud`, `cloud`) for every test directory.
pytest_plugins = ["tests.cloud.sandbox_fixtures"]

PASSWORD = "pass-word-1234"


def pytest_addoption(parser):
    parser.addoption(
        "--screenshots",
        action="store_true",
        help="the browser tests save full-page screenshots of every step and page they visit "
        "under var/screenshots/ (without it, only of the pages the layout walk finds wrong)",
    )


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
def _portal_app_stays_current():
    """A `Celery(...)` made in a test becomes Celery's current app unless told otherwise
    (`set_as_current=False`); every `shared_task` would then publish through it for the rest of
    the test process, to a broker no worker reads (a later worker test waits in vain)."""
    yield
    from celery import current_app

    assert current_app.main == "portal", f"a test left Celery app {current_app.main!r} current"


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(request):
    """`client.force_login(user)` stands for a finished sign-in: password *and* second factor
    (the session holds the device entered, see tests/mfa_helpers.py). Logins through the
    login page are untouched: they take the real second step. Tests of the second step itself
    that force a login without it are marked `real_mfa`."""
    if request.node.get_closest_marker("real_mfa"):
        yield
        return
    from django.contrib.auth.signals import user_logged_in

    def verified(sender, request=None, user=None, **kwargs):
        # force_login logs in through a bare request (no path); a page's login has one.
        if request is None or getattr(request, "path", "") or user is None:
            return
        from accounts.mfa import mfa_required
        from tests.mfa_helpers import mark_session_verified

        mark_session_verified(request.session, user, with_app=mfa_required(user))

    user_logged_in.connect(verified, dispatch_uid="tests.force_login_verified")
    try:
        yield
    finally:
        user_logged_in.disconnect(dispatch_uid="tests.force_login_verified")


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
    return build_cast()


@contextlib.contextmanager
def rows_for_the_module(django_db_blocker):
    """Rows built once for a module's tests: inside the block they are written in a transaction
    of the module's own, rolled back when the block ends (after the module's last test). Each
    test runs in a savepoint inside it (pytest-django's `db`), so what a test writes is undone
    before the next one, as if the rows were its own."""
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        # A block of the tests, as a test case's is: the cloud layer's "no call inside a
        # transaction" rule is about the product's transactions, not the tests' rollback.
        outer._from_testcase = True  # type: ignore[attr-defined]
        outer.__enter__()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def refresh_cast(cast: Cast) -> Cast:
    """A cast shared by a module's tests, every member read anew from the database: a test
    before may have changed one in memory (its rows were rolled back, not the objects), or left
    caches on it (a user's permissions)."""
    return Cast(
        **{
            member.name: type(obj)._base_manager.get(pk=obj.pk)
            for member in fields(cast)
            for obj in [getattr(cast, member.name)]
        }
    )


def cast_shared_by_the_module():
    """The `cast` fixture of a module whose tests share one cast (`rows_for_the_module`): built
    once instead of for each test. Use it as ``_module_cast, cast = cast_shared_by_the_module()``
    in a module without transactional tests (the live server and other threads would not see the
    rows) whose tests do not need the cast built at their own time (time travel before it)."""

    @pytest.fixture(scope="module")
    def _module_cast(django_db_setup, django_db_blocker):
        with rows_for_the_module(django_db_blocker):
            with django_db_blocker.unblock():
                shared = build_cast()
            yield shared

    @pytest.fixture
    def cast(_module_cast, db) -> Cast:
        return refresh_cast(_module_cast)

    return _module_cast, cast


def build_cast() -> Cast:
    """The cast's rows, built through the services (the `cast` fixture; a module's shared
    fixtures build it once, see tests/security/conftest.py)."""
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
            account_id=ACME,
            account_name="acme-retail",
            display_name="Acme Retail",
            enabled_regions=both,
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


def emailed_code() -> str:
    """Deliver the queued code e-mails the way the worker does; the code of the last one, read
    from the e-mail as the customer reads it."""
    import re

    from django.core import mail

    from linking.models import Notification
    from linking.outbox.delivery import notification_deliver

    for n in Notification.objects.filter(kind="customer_code", status="queued").order_by("id"):
        notification_deliver(notification_id=n.pk)
    return re.search(r"^\s+(\d{6})$", mail.outbox[-1].body, re.M).group(1)


def consent_code_for(req, token: str, *, accept: bool = True) -> str:
    """The code the customer asks for on the consent page of `token` and reads in the e-mail;
    "" when accepting (or declining) every item of `req` needs none."""
    from linking.consent.services import consent_code_send, consent_needs_code

    decisions = {item.pk: (accept, "") for item in req.items.all()}
    if not consent_needs_code(req, decisions):
        return ""
    consent_code_send(token=token, client="127.0.0.1")
    return emailed_code()


def withdrawal_code_for(token: str) -> str:
    """The code the customer asks for on the withdrawal page of `token` (or its path) and reads
    in the e-mail; "" when withdrawing needs none."""
    from linking.services.revocation import link_withdraw_code_send, withdrawal_needs_code

    if token.startswith("/consent/withdraw/"):
        token = token.split("/")[3]
    if not withdrawal_needs_code():
        return ""
    link_withdraw_code_send(token=token, client="127.0.0.1")
    return emailed_code()


def code_from_page(client, path: str, data: dict | None = None) -> str:
    """The customer presses "Send me a code" on the consent or withdrawal page at `path` (with
    the choices made so far) and reads the code in the e-mail the worker delivers."""
    response = client.post(path, {**(data or {}), "send_code": "1"})
    assert response.status_code == 200, response.content.decode()[:500]
    return emailed_code()


def login(client, user):
    client.force_login(user)
    return client
