"""What the page benchmark prepares in-process before it starts the server
(`portal.bench.runner`): the reseller to measure, two benchmark members of it, drafts to
submit, and the pages to time, each with its floor.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from django.urls import reverse

from accounts.models import ApiKey, Membership, Reseller, Role, User
from accounts.services import api_key_create, membership_add
from linking import services
from linking.checks import ItemSpec
from linking.models import CustomerAccount, Link, LinkRequest, RequestItem

BENCH_DOMAIN = "bench.invalid"


@dataclass
class Plan:
    reseller: Reseller
    operator: User
    approver: User
    password: str
    pages: list[tuple[str, str, str | None]]  # name, path, floor path
    drafts: list[int]
    api_key: str  # a viewer key of the operator, for the API's lists (`/api/` paths)
    # Single-use recovery codes per member: each login of a client enters one as its second
    # factor, as an admin or approver must (clients log in at once, an app's code works once).
    codes: dict[str, list[str]] = field(default_factory=dict)


def _bench_member(reseller: Reseller, role: str, password: str) -> User:
    email = f"{role}-{reseller.partner_id.lower()}@{BENCH_DOMAIN}"
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(username=f"bench-{role}-{reseller.partner_id.lower()}", email=email)
        user._change_reason = "benchmark member"
    user.first_name, user.last_name = "Bench", role.capitalize()
    # The server runs the production settings: hash as they verify, whatever this process's.
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(password, hasher.salt())
    user.save()
    if not Membership.objects.filter(user=user, reseller=reseller).exists():
        membership_add(actor=None, reseller=reseller, email=email, role=role, check_actor=False)
    return user


def _second_factor(user: User, count: int = 500) -> list[str]:
    """An authenticator app (so the member has a factor) and `count` recovery codes to sign in
    with: the server asks admins and approvers for their second factor as it asks everyone."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.get_or_create(
        user=user, name="benchmark authenticator", defaults={"confirmed": True}
    )
    StaticDevice.objects.filter(user=user, name="benchmark codes").delete()
    device = StaticDevice.objects.create(user=user, name="benchmark codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(count)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def _busiest_reseller() -> Reseller:
    row = LinkRequest.objects.values("reseller_id").annotate(n=Count("id")).order_by("-n").first()
    if row is None:
        raise RuntimeError("No requests to measure: run generate_scale_data first.")
    return Reseller.objects.get(pk=row["reseller_id"])


def _drafts(reseller: Reseller, operator: User, count: int) -> list[int]:
    """Drafts of provisioning requests on customers the reseller has nothing with yet, ready to
    submit; the reseller's policy sends them to approval."""
    candidates = (
        CustomerAccount.objects.filter(
            status=CustomerAccount.Status.ACTIVE, is_partner=False, site=reseller.site
        )
        .exclude(Exists(Link.objects.filter(reseller=reseller, customer=OuterRef("pk"))))
        .exclude(
            Exists(
                RequestItem.objects.filter(reseller=reseller, customer=OuterRef("pk"), is_open=True)
            )
        )
        .order_by("-id")
        .prefetch_related("regions")[: count * 2]
    )
    ids: list[int] = []
    for customer in candidates:
        if len(ids) >= count:
            break
        regions = [r.code for r in customer.regions.all()]
        if not regions:
            continue
        with transaction.atomic():
            req = services.link_request_create_draft(actor=operator, reseller=reseller)
            services.link_request_set_types(
                actor=operator, request_id=req.pk, link_types=["provisioning"]
            )
            services.link_request_set_customer(
                actor=operator, request_id=req.pk, account_id=customer.account_id
            )
            spec = ItemSpec(link_type="provisioning", services=["ECS"], regions=regions[:1])
            services.link_request_set_scope(
                actor=operator, request_id=req.pk, scopes={"provisioning": spec}
            )
            services.link_request_set_details(
                actor=operator,
                request_id=req.pk,
                ticket_reference=f"BENCH-{req.pk}",
                note_to_customer="",
                consent_days=7,
            )
        ids.append(req.pk)
    if len(ids) < count:
        raise RuntimeError(f"Only {len(ids)} customers are free for the submit benchmark.")
    return ids


def _search_term(reseller: Reseller) -> str:
    """Two words of a customer's name: what an operator types, selective but not unique."""
    name = (
        LinkRequest.objects.filter(reseller=reseller, customer__isnull=False)
        .order_by("-id")
        .values_list("customer__display_name", flat=True)[500:501]
        .first()
    ) or "a"
    return " ".join(name.split()[:2])


def _floor(name: str) -> str:
    # The floor views exist only in the benchmark's URLconf, not in the portal's.
    return reverse(f"bench:floor-{name}", urlconf="portal.bench.urls")


def prepare(*, reseller: Reseller | None, actions: int) -> Plan:
    reseller = reseller or _busiest_reseller()
    password = secrets.token_urlsafe(16)
    operator = _bench_member(reseller, Role.ADMIN, password)
    approver = _bench_member(reseller, Role.APPROVER, password)
    size = settings.PORTAL_PAGE_SIZE
    rid = reseller.pk
    requests_url = reverse("linking:request-list")
    total = LinkRequest.objects.filter(reseller=reseller).count()
    deep = max(2, int(total / size * 0.8))
    # The Next link of page deep-1 names the last row it shows; the same row anchors the floor.
    anchor = (
        LinkRequest.objects.filter(reseller=reseller)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)[(deep - 1) * size - 1 : (deep - 1) * size]
        .first()
    )
    deep_query = f"page={deep}" + (f"&after={anchor}" if anchor else "")
    term = _search_term(reseller)
    sample_request = (
        LinkRequest.objects.filter(reseller=reseller, status=LinkRequest.Status.COMPLETED)
        .order_by("-id")
        .values_list("pk", flat=True)
        .first()
    )
    sample_link = (
        Link.objects.filter(reseller=reseller, status=Link.Status.ACTIVE)
        .order_by("-id")
        .values_list("pk", "customer_id")
        .first()
    )
    floor = _floor("requests")
    q = urlencode({"q": term})
    pages: list[tuple[str, str, str | None]] = [
        ("dashboard", reverse("portal:dashboard"), None),
        ("requests: first page", requests_url, f"{floor}?r={rid}"),
        (
            "requests: status filter",
            f"{requests_url}?status=pending_consent",
            f"{floor}?r={rid}&status=pending_consent",
        ),
        ("requests: text search", f"{requests_url}?{q}", f"{floor}?r={rid}&{q}"),
        ("requests: deep page", f"{requests_url}?{deep_query}", f"{floor}?r={rid}&{deep_query}"),
        ("approval queue", reverse("linking:approval-queue"), f"{_floor('approvals')}?r={rid}"),
        ("links: first page", reverse("linking:link-list"), f"{_floor('links')}?r={rid}"),
        (
            "customers: first page",
            reverse("linking:customer-list"),
            f"{_floor('customers')}?r={rid}",
        ),
        (
            "customers: search",
            f"{reverse('linking:customer-list')}?{q}",
            f"{_floor('customers')}?r={rid}&{q}",
        ),
    ]
    # The API's lists, each beside the same floor as its page.
    pages += [
        ("api: requests", reverse("api:request-collection"), f"{floor}?r={rid}"),
        ("api: approvals", reverse("api:approval-queue"), f"{_floor('approvals')}?r={rid}"),
        ("api: links", reverse("api:link-list"), f"{_floor('links')}?r={rid}"),
        ("api: customers", reverse("api:customer-list"), f"{_floor('customers')}?r={rid}"),
    ]
    if sample_request:
        pages.append(
            ("request detail", reverse("linking:request-detail", args=[sample_request]), None)
        )
    if sample_link:
        pages.append(("link detail", reverse("linking:link-detail", args=[sample_link[0]]), None))
        pages.append(
            ("customer page", reverse("linking:customer-detail", args=[sample_link[1]]), None)
        )
    drafts = _drafts(reseller, operator, actions)
    _key, api_key = api_key_create(
        actor=operator, reseller=reseller, name="Benchmark", role=ApiKey.KeyRole.VIEWER
    )
    return Plan(
        reseller=reseller,
        operator=operator,
        approver=approver,
        password=password,
        codes={user.username: _second_factor(user) for user in (operator, approver)},
        pages=pages,
        drafts=drafts,
        api_key=api_key,
    )
