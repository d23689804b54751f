"""The dry run of many requests at once (a batch file), with the rules of `dry_run`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from accounts.models import Reseller, User
from linking import identity
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
from linking.checks.reasons import ItemSpec, Reason, reason
from linking.models import (
    CustomerAccount,
    Link,
    RequestItem,
)
from portal.identifiers import visible


@dataclass
class DryRunRow:
    """One request of a bulk dry run: what the wizard would hold after its four steps."""

    account_id: str
    items: list[ItemSpec]
    consent_days: int | None = None
    # Names the customer when `account_id` is blank; beside an id, it must be that account's.
    account_name: str = ""


def _identify(row: DryRunRow) -> tuple[str, str, list[Reason]]:
    """The row's account id and account name, normalised, or the reasons they are not."""
    name, bad_name = identity.parse_account_name(row.account_name)
    name_reasons = [reason(bad_name, account_name=visible(row.account_name))] if bad_name else []
    if row.account_name.strip() and not identity.normalise_account_id(row.account_id):
        return "", name, name_reasons
    account_id, bad = parse_account_id(row.account_id)
    return account_id, name, bad + name_reasons


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
    parsed = [_identify(row) for row in rows]
    wanted = sorted({account_id for account_id, _, bad in parsed if account_id and not bad})
    customers: dict[str, CustomerAccount] = {}
    for chunk in chunks(wanted):
        for account in CustomerAccount.objects.filter(account_id__in=chunk).prefetch_related(
            "regions"
        ):
            customers[account.account_id] = account
    # Rows that name their customer by account name only (no query when there are none).
    wanted_names = sorted({name for account_id, name, bad in parsed if not account_id and not bad})
    by_name: dict[str, CustomerAccount] = {}
    for chunk in chunks(wanted_names):
        for account in CustomerAccount.objects.filter(account_name__in=chunk).prefetch_related(
            "regions"
        ):
            by_name[account.account_name] = account
    ids = sorted({c.pk for c in (*customers.values(), *by_name.values())})
    links: dict[int, list[Link]] = {}
    open_items: dict[int | None, list[RequestItem]] = {}
    for chunk in chunks(ids):
        for link in live_links_qs().filter(customer_id__in=chunk):
            links.setdefault(link.customer_id, []).append(link)
        for item in open_items_qs(reseller).filter(customer_id__in=chunk):
            open_items.setdefault(item.customer_id, []).append(item)
    contexts: dict[int, CustomerContext] = {}
    results: list[tuple[CustomerAccount | None, list[Reason]]] = []
    for row, (account_id, name, bad) in zip(rows, parsed, strict=True):
        reasons = list(common) + bad
        customer = None
        if not bad and account_id:
            customer = customers.get(account_id)
            reasons += found_reasons(account_id, customer)
            if customer is not None and name and customer.account_name not in ("", name):
                reasons.append(reason("LNK-V025", account_id=customer.label, account_name=name))
                customer = None
        elif not bad:
            customer = by_name.get(name)
            if customer is None:
                reasons.append(reason("LNK-V024", account_name=name))
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
