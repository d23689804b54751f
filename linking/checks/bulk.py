"""The dry run of many requests at once (a batch file), with the rules of `dry_run`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from accounts.models import Reseller, User
from linking.checks.accounts import (
    check_actor,
    check_customer,
    check_reseller,
    found_reasons,
    parse_account_id,
)
from linking.checks.catalog import Catalog
from linking.checks.items import CustomerContext, item_reasons, live_links_qs, open_items_qs
from linking.checks.policy import check_consent_days
from linking.checks.reasons import ItemSpec, Reason
from linking.models import (
    CustomerAccount,
    Link,
    RequestItem,
)


@dataclass
class DryRunRow:
    """One request of a bulk dry run: what the wizard would hold after its four steps."""

    account_id: str
    items: list[ItemSpec]
    consent_days: int | None = None


# Below SQLite's limit of bound parameters, and a size PostgreSQL plans well.
BULK_CHUNK = 5000


def chunks(values: list, size: int = BULK_CHUNK) -> Iterator[list]:
    """`values` in slices of `size`, for `__in` lookups that stay under the parameter limit."""
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
    for chunk in chunks(wanted):
        for account in CustomerAccount.objects.filter(account_id__in=chunk).prefetch_related(
            "regions"
        ):
            customers[account.account_id] = account
    ids = [c.pk for c in customers.values()]
    links: dict[int, list[Link]] = {}
    open_items: dict[int | None, list[RequestItem]] = {}
    for chunk in chunks(ids):
        for link in live_links_qs().filter(customer_id__in=chunk):
            links.setdefault(link.customer_id, []).append(link)
        for item in open_items_qs(reseller).filter(customer_id__in=chunk):
            open_items.setdefault(item.customer_id, []).append(item)
    contexts: dict[int, CustomerContext] = {}
    results: list[tuple[CustomerAccount | None, list[Reason]]] = []
    for row, (account_id, bad) in zip(rows, parsed, strict=True):
        reasons = list(common) + bad
        customer = customers.get(account_id) if not bad else None
        if not bad:
            reasons += found_reasons(account_id, customer)
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
