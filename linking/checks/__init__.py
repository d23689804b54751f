"""The eligibility rules. Each returns zero or more reasons; the dry run collects all of them.

The same dry run serves the wizard (live), submit, approval and every later entry point.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from accounts.models import LinkType, Reseller, User
from accounts.permissions import has_reseller_perm
from linking.models import (
    ACCOUNT_ID_RE,
    AccessLevel,
    CustomerAccount,
    Link,
    Region,
    RequestItem,
    Service,
    format_account_id,
    normalise_account_id,
)
from portal.codes import CODES
from portal.identifiers import visible

MIN_DELEGATION_DAYS = 1
MAX_DELEGATION_DAYS = 730


@dataclass(frozen=True)
class Reason:
    code: str
    stage: str
    message: str
    hint: str
    item: str = ""
    # The existing link a reason is about (LNK-V011): the page offers to change it instead.
    link_id: int | None = None

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "stage": self.stage,
            "message": self.message,
            "hint": self.hint,
            "item": self.item,
        }


def reason(code: str, item: str = "", link_id: int | None = None, **params) -> Reason:
    entry = CODES[code]
    message, hint = entry.render(**params)
    return Reason(
        code=code,
        stage=entry.stage,
        message=message,
        hint=hint,
        item=item,
        link_id=link_id,
    )


@dataclass
class ItemSpec:
    link_type: str
    services: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    access_level: str = ""
    duration_days: int | None = None

    def get_link_type_display(self) -> str:
        try:
            return LinkType(self.link_type).label
        except ValueError:
            return self.link_type

    @classmethod
    def from_item(cls, item: RequestItem) -> ItemSpec:
        return cls(
            link_type=item.link_type,
            services=list(item.services or []),
            regions=list(item.regions or []),
            access_level=item.access_level,
            duration_days=item.duration_days,
        )


def _type_label(link_type: str) -> str:
    try:
        return LinkType(link_type).label.lower()
    except ValueError:
        return link_type


def parse_account_id(raw_account_id: str) -> tuple[str, list[Reason]]:
    """The normalised account id, or the reasons it is not one (nothing looked up yet)."""
    account_id = normalise_account_id(raw_account_id)
    if not account_id:
        return "", [reason("LNK-V021")]
    if not ACCOUNT_ID_RE.match(account_id):
        return "", [reason("LNK-V001", account_id=visible((raw_account_id or "").strip()))]
    return account_id, []


def _found(account_id: str, customer: CustomerAccount | None) -> list[Reason]:
    if customer is None:
        return [reason("LNK-V002", account_id=format_account_id(account_id))]
    return []


def find_customer(raw_account_id: str) -> tuple[CustomerAccount | None, list[Reason]]:
    """Parse an account id and look it up in the directory."""
    account_id, reasons = parse_account_id(raw_account_id)
    if reasons:
        return None, reasons
    customer = CustomerAccount.objects.filter(account_id=account_id).first()
    return customer, _found(account_id, customer)


def check_reseller(reseller: Reseller) -> list[Reason]:
    if not reseller.is_live:
        return [reason("LNK-V019", reseller=reseller.name, status=reseller.get_status_display())]
    return []


def check_actor(actor: User, reseller: Reseller, perm: str = "initiate_requests") -> list[Reason]:
    if not has_reseller_perm(user=actor, reseller=reseller, perm=perm):
        role = "initiator" if perm == "initiate_requests" else "approver"
        return [reason("LNK-V013", reseller=reseller.name, role=role)]
    return []


def check_customer(reseller: Reseller, customer: CustomerAccount) -> list[Reason]:
    """What about the account itself blocks any link: state, site, partner flag, contact."""
    reasons = []
    account_id = customer.formatted_id
    status_codes = {
        CustomerAccount.Status.FROZEN: "LNK-V003",
        CustomerAccount.Status.IN_ARREARS: "LNK-V004",
        CustomerAccount.Status.DEREGISTERED: "LNK-V005",
    }
    if customer.status in status_codes:
        reasons.append(reason(status_codes[customer.status], account_id=account_id))
    if customer.site != reseller.site:
        reasons.append(
            reason(
                "LNK-V006",
                account_id=account_id,
                account_site=customer.get_site_display(),
                reseller_site=reseller.get_site_display(),
            )
        )
    if customer.is_partner:
        reasons.append(reason("LNK-V007", account_id=account_id))
    if not customer.contact_email:
        reasons.append(reason("LNK-V020", account_id=account_id))
    return reasons


# Inside `remembered_catalog()`: the catalog facts read once for the block.
_remembered: ContextVar[dict | None] = ContextVar("remembered_catalog", default=None)


@contextmanager
def remembered_catalog() -> Iterator[None]:
    """Within the block, the catalogs (active services, a site's active regions, the sensitive
    services) are read once: for a batch, opened afresh for every short chunk of rows, so that
    a catalog change made by staff applies from the next chunk. Everything else checks live."""
    token = _remembered.set({})
    try:
        yield
    finally:
        _remembered.reset(token)


def _remember(key: tuple, load):
    remembered = _remembered.get()
    if remembered is None:
        return load()
    if key not in remembered:
        remembered[key] = load()
    return remembered[key]


def sensitive_services() -> frozenset[str]:
    """The codes of the services flagged sensitive."""
    return _remember(
        ("sensitive",),
        lambda: frozenset(Service.objects.filter(sensitive=True).values_list("code", flat=True)),
    )


@dataclass(frozen=True)
class Catalog:
    """The active services and the reseller site's active regions."""

    services: frozenset[str]
    regions: frozenset[str]

    @classmethod
    def load(cls, reseller: Reseller) -> Catalog:
        return _remember(("catalog", reseller.site), lambda: cls._read(reseller.site))

    @classmethod
    def _read(cls, site: str) -> Catalog:
        return cls(
            services=frozenset(
                Service.objects.filter(is_active=True).values_list("code", flat=True)
            ),
            regions=frozenset(
                Region.objects.filter(is_active=True, site=site).values_list("code", flat=True)
            ),
        )


@dataclass
class CustomerContext:
    """What the item rules need to know about one customer: its regions, links, open items."""

    enabled_regions: set[str] = field(default_factory=set)
    live_links: dict[str, Link] = field(default_factory=dict)
    other_billing: bool = False
    open_items: dict[str, RequestItem] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *,
        reseller: Reseller,
        enabled_regions: set[str],
        links,
        open_items,
        exclude_request_id: int | None = None,
        amends_link_id: int | None = None,
    ) -> CustomerContext:
        ctx = cls(enabled_regions=enabled_regions)
        for link in links:
            # A delegation past its end date is over even before the sweep marks it expired.
            if link.has_ended:
                continue
            if link.reseller_id == reseller.pk:
                if link.pk == amends_link_id:
                    continue
                ctx.live_links[link.link_type] = link
            elif link.link_type == LinkType.BILLING:
                ctx.other_billing = True
        for item in open_items:
            if exclude_request_id and item.request_id == exclude_request_id:
                continue
            ctx.open_items[item.link_type] = item
        return ctx


def _live_links_qs():
    return Link.objects.filter(status__in=Link.LIVE_STATUSES).only(
        "reseller_id", "customer_id", "link_type", "status", "ends_at"
    )


def _open_items_qs(reseller: Reseller):
    return RequestItem.objects.filter(reseller=reseller, is_open=True).select_related("request")


def check_items(
    *,
    reseller: Reseller,
    customer: CustomerAccount | None,
    items: list[ItemSpec],
    exclude_request_id: int | None = None,
    amends_link_id: int | None = None,
) -> list[Reason]:
    """The rules of each item: program, scope against catalogs and account, existing links.

    `amends_link_id`: the link a change of scope or a renewal is for, which must not count as
    "a link already exists" against itself.
    """
    if not items:
        return [reason("LNK-V014")]
    ctx = CustomerContext()
    if customer is not None:
        ctx = CustomerContext.build(
            reseller=reseller,
            enabled_regions=set(customer.regions.values_list("code", flat=True)),
            links=_live_links_qs().filter(customer=customer),
            open_items=_open_items_qs(reseller).filter(customer=customer),
            exclude_request_id=exclude_request_id,
            amends_link_id=amends_link_id,
        )
    return item_reasons(
        reseller=reseller,
        customer=customer,
        items=items,
        catalog=Catalog.load(reseller),
        ctx=ctx,
    )


def item_reasons(
    *,
    reseller: Reseller,
    customer: CustomerAccount | None,
    items: list[ItemSpec],
    catalog: Catalog,
    ctx: CustomerContext,
) -> list[Reason]:
    """The item rules on facts already loaded: no query, so a batch can run them per row."""
    if not items:
        return [reason("LNK-V014")]
    reasons: list[Reason] = []
    allowed = set(reseller.allowed_link_types)
    account_id = customer.formatted_id if customer else ""
    for spec in items:
        label = _type_label(spec.link_type)
        if spec.link_type not in allowed:
            reasons.append(reason("LNK-V009", item=spec.link_type, link_type=label))
            continue
        if spec.link_type in (LinkType.PROVISIONING, LinkType.DELEGATION):
            if not spec.services or not set(spec.services) <= catalog.services:
                reasons.append(reason("LNK-V015", item=spec.link_type, link_type=label))
            if not spec.regions or not set(spec.regions) <= catalog.regions:
                reasons.append(reason("LNK-V016", item=spec.link_type, link_type=label))
            elif customer is not None:
                for region in sorted(set(spec.regions) - ctx.enabled_regions):
                    reasons.append(
                        reason(
                            "LNK-V010", item=spec.link_type, region=region, account_id=account_id
                        )
                    )
        if spec.link_type == LinkType.DELEGATION:
            if spec.access_level not in AccessLevel.values:
                reasons.append(
                    reason("LNK-V018", item=spec.link_type, level=spec.access_level or "none")
                )
            days = spec.duration_days
            if days is None or not MIN_DELEGATION_DAYS <= days <= MAX_DELEGATION_DAYS:
                reasons.append(reason("LNK-V017", item=spec.link_type, days=days or 0))
        if customer is not None:
            reasons += _existing_reasons(spec.link_type, ctx, account_id)
    return reasons


def _existing_reasons(link_type: str, ctx: CustomerContext, account_id: str) -> list[Reason]:
    """What already exists with the customer for this type: another billing partner, a live
    link of ours (with the way to change it instead), a request still open."""
    label = _type_label(link_type)
    reasons = []
    if link_type == LinkType.BILLING and ctx.other_billing:
        reasons.append(reason("LNK-V008", item=link_type, account_id=account_id))
    if link_type in ctx.live_links:
        reasons.append(
            reason(
                "LNK-V011",
                item=link_type,
                link_id=ctx.live_links[link_type].pk,
                link_type=label,
                account_id=account_id,
            )
        )
    if link_type in ctx.open_items:
        reasons.append(
            reason(
                "LNK-V012",
                item=link_type,
                link_type=label,
                account_id=account_id,
                reference=ctx.open_items[link_type].request.reference,
            )
        )
    return reasons


def check_customer_for(
    *,
    reseller: Reseller,
    raw_account_id: str,
    link_types: list[str],
    exclude_request_id: int | None = None,
) -> tuple[CustomerAccount | None, list[Reason]]:
    """The wizard's customer step: everything known once the account and the link types are
    chosen (the account itself, then what already exists with it for those types), so a
    request that cannot be submitted stops there and not at the review."""
    customer, reasons = find_customer(raw_account_id)
    if customer is None:
        return None, reasons
    reasons = check_customer(reseller, customer)
    if link_types:
        ctx = CustomerContext.build(
            reseller=reseller,
            enabled_regions=set(),
            links=_live_links_qs().filter(customer=customer),
            open_items=_open_items_qs(reseller).filter(customer=customer),
            exclude_request_id=exclude_request_id,
        )
        account_id = customer.formatted_id
        for link_type in [t for t in LinkType.values if t in link_types]:
            reasons += _existing_reasons(link_type, ctx, account_id)
    return customer, reasons


def dry_run(
    *,
    actor: User,
    reseller: Reseller,
    account_id: str,
    items: list[ItemSpec],
    consent_days: int | None = None,
    exclude_request_id: int | None = None,
    amends_link_id: int | None = None,
) -> tuple[CustomerAccount | None, list[Reason]]:
    """Every blocking reason at once, for the acting user, reseller, account and items."""
    reasons = check_reseller(reseller) + check_actor(actor, reseller)
    customer, found = find_customer(account_id)
    reasons += found
    if customer is not None:
        reasons += check_customer(reseller, customer)
    reasons += check_items(
        reseller=reseller,
        customer=customer,
        items=items,
        exclude_request_id=exclude_request_id,
        amends_link_id=amends_link_id,
    )
    reasons += check_consent_days(consent_days)
    return customer, reasons


@dataclass
class DryRunRow:
    """One request of a bulk dry run: what the wizard would hold after its four steps."""

    account_id: str
    items: list[ItemSpec]
    consent_days: int | None = None


# Below SQLite's limit of bound parameters, and a size PostgreSQL plans well.
BULK_CHUNK = 5000


def _chunks(values: list, size: int = BULK_CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def dry_run_many(
    *, actor: User, reseller: Reseller, rows: list[DryRunRow]
) -> list[tuple[CustomerAccount | None, list[Reason]]]:
    """`dry_run` for many requests at once, with the same rules and a number of queries that
    does not grow with the rows (customers, regions, links and open items fetched in bulk)."""
    common = check_reseller(reseller) + check_actor(actor, reseller)
    catalog = Catalog.load(reseller)
    parsed = [parse_account_id(row.account_id) for row in rows]
    wanted = sorted({account_id for account_id, bad in parsed if not bad})
    customers: dict[str, CustomerAccount] = {}
    for chunk in _chunks(wanted):
        for customer in CustomerAccount.objects.filter(account_id__in=chunk).prefetch_related(
            "regions"
        ):
            customers[customer.account_id] = customer
    ids = [c.pk for c in customers.values()]
    links: dict[int, list[Link]] = {}
    open_items: dict[int, list[RequestItem]] = {}
    for chunk in _chunks(ids):
        for link in _live_links_qs().filter(customer_id__in=chunk):
            links.setdefault(link.customer_id, []).append(link)
        for item in _open_items_qs(reseller).filter(customer_id__in=chunk):
            open_items.setdefault(item.customer_id, []).append(item)
    contexts: dict[int, CustomerContext] = {}
    results = []
    for row, (account_id, bad) in zip(rows, parsed, strict=True):
        reasons = list(common) + bad
        customer = customers.get(account_id) if not bad else None
        if not bad:
            reasons += _found(account_id, customer)
        ctx = CustomerContext()
        if customer is not None:
            reasons += check_customer(reseller, customer)
            if customer.pk not in contexts:
                contexts[customer.pk] = CustomerContext.build(
                    reseller=reseller,
                    enabled_regions={r.code for r in customer.regions.all()},
                    links=links.get(customer.pk, []),
                    open_items=open_items.get(customer.pk, []),
                )
            ctx = contexts[customer.pk]
        reasons += item_reasons(
            reseller=reseller, customer=customer, items=row.items, catalog=catalog, ctx=ctx
        )
        reasons += check_consent_days(row.consent_days)
        results.append((customer, reasons))
    return results


MAX_CONSENT_DAYS = 30


def check_consent_days(consent_days: int | None) -> list[Reason]:
    """The customer's time to decide: 1 to 30 days (None: not given, nothing to check)."""
    if consent_days is not None and not 1 <= consent_days <= MAX_CONSENT_DAYS:
        return [reason("LNK-V022", days=consent_days, max_days=MAX_CONSENT_DAYS)]
    return []


def needs_approval(*, reseller: Reseller, items: list[ItemSpec]) -> bool:
    """The reseller's policy: does this scope need a second person before the customer sees it?"""
    policy = reseller.approval_policy
    if policy == Reseller.ApprovalPolicy.ALWAYS:
        return True
    if policy == Reseller.ApprovalPolicy.NEVER:
        return False
    sensitive = sensitive_services()
    for spec in items:
        if spec.link_type != LinkType.DELEGATION:
            return True
        if spec.access_level != AccessLevel.READ_ONLY or set(spec.services) & sensitive:
            return True
    return False


def needs_step_up(*, items: list[ItemSpec]) -> bool:
    """Approving this scope asks the approver's password again: manage delegation, or any
    sensitive service, grants enough that a left-open session must not approve it."""
    sensitive = sensitive_services()
    return any(
        (spec.link_type == LinkType.DELEGATION and spec.access_level == AccessLevel.MANAGE)
        or set(spec.services or []) & sensitive
        for spec in items
    )
