"""Customer facts from the cloud: the sync of a reseller's associated customers.

`cloud_sync(reseller=...)` reads the partner's associated customers page by page through the
provider and writes what the cloud says into the directory:

- a customer not in the directory yet is created (account id, account name, display name,
  contact e-mail, real-name verification, frozen or active, the reseller's site);
- for a known one, the details and the frozen state follow the cloud; a status staff set that
  the cloud does not report (in arrears, deregistered) is left as it is;
- every account the page listed is marked confirmed by the cloud, now (`linking.provenance`);
- the association (type, date) is recorded per reseller and customer (`CloudAssociation`);
  after the last page, an association the cloud no longer reports is marked ended, not deleted.

Each cloud call is made outside any transaction (the provider refuses otherwise); each page is
written in one short transaction with a bounded number of queries, whatever the page holds:
one select of the page's known accounts and one of names another account holds; for new
accounts one insert and one insert of their history rows; for changed ones one update and one
insert of history rows (changed rows only: an unchanged account gets no history row); one
update of the confirmation of every listed account; one upsert of the associations. The
confirmation columns are not history (they move at every sync), so they are written with a
plain update. A status that changes goes through `customer_set_status` after the page, one
transaction per account: freezing suspends the account's links and unfreezing resumes them, as
when staff change it. Such changes are rare.

The outcome (time, counts, or the failure's code, message and hint) is stored on the
connection; a failed sync is tried again by the next run. Two syncs of one reseller never run
at once (a lock in the cache).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts.models import Reseller
from linking.cloud import provider_for
from linking.cloud.huawei import PAGE_LIMIT
from linking.cloud.models import CloudAssociation, CloudConnection
from linking.cloud.services import cloud_connection_settings
from linking.cloud.types import SubCustomer
from linking.identity import is_account_id, is_account_name
from linking.models import CustomerAccount
from linking.provenance import FactSource
from linking.services.suspension import customer_set_status
from portal.errors import PortalError

Status = CustomerAccount.Status
# The statuses the cloud decides (its "frozen" flag); staff's other statuses are kept.
CLOUD_STATUSES = (Status.ACTIVE, Status.FROZEN)
# What a sync compares and writes of a known account (status apart, see above).
DETAIL_FIELDS = ["account_name", "display_name", "contact_email", "verified_status"]
LOCK_SECONDS = 30 * 60


@dataclass
class SyncSummary:
    """What one sync did; stored on the connection and printed by the command."""

    reseller: str
    pages: int = 0
    listed: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    ended: int = 0
    status_changes: int = 0
    skipped: int = 0  # rows whose account id the directory cannot hold
    name_conflicts: int = 0  # kept without their name: another account holds it
    seconds: float = 0.0
    outcome: str = "ok"  # "ok", a failure's code, "busy" or "not connected"
    message: str = ""

    def line(self) -> str:
        if self.outcome not in ("ok",):
            head = f"{self.reseller}: {self.outcome}" + (f" {self.message}" if self.message else "")
            done = f" after {self.pages} pages" if self.pages else ""
            return head + done
        return (
            f"{self.reseller}: {self.pages} pages, {self.listed} customers listed: "
            f"{self.new} new, {self.changed} changed, {self.unchanged} unchanged, "
            f"{self.ended} no longer associated"
            + (f", {self.status_changes} status changes" if self.status_changes else "")
            + (f", {self.skipped} skipped" if self.skipped else "")
            + (
                f", {self.name_conflicts} without their name (held by another account)"
                if self.name_conflicts
                else ""
            )
            + f" in {self.seconds:.1f} s"
        )


@dataclass
class PageResult:
    """One page written: the observer of `cloud_sync` (the benchmark, the command) gets these."""

    offset: int
    rows: int
    new: int
    changed: int
    unchanged: int
    status_changes: list[tuple[int, str]] = field(default_factory=list)
    name_conflicts: int = 0


def _wanted_status(current: str, frozen: bool) -> str:
    if current not in CLOUD_STATUSES:
        return current
    return Status.FROZEN if frozen else Status.ACTIVE


def _details(sub: SubCustomer) -> dict:
    name = sub.account_name if is_account_name(sub.account_name) else ""
    return {
        "account_name": name,
        "display_name": (sub.display_name or sub.account_name or sub.domain_id)[:200],
        "contact_email": sub.contact_email[:254],
        "verified_status": sub.verified_status[:2],
    }


def _write_page(
    reseller: Reseller, items: tuple[SubCustomer, ...], offset: int, now: datetime
) -> PageResult:
    """One page into the directory, in one transaction with a bounded number of queries."""
    reason = f"cloud sync of {reseller.partner_id}"
    by_id = {sub.domain_id: sub for sub in items if is_account_id(sub.domain_id)}
    names = {sub.account_name for sub in by_id.values() if is_account_name(sub.account_name)}
    with transaction.atomic():
        known = {
            c.account_id: c for c in CustomerAccount.objects.filter(account_id__in=by_id).order_by()
        }
        # Another account already holding one of the page's names (a staff row with a mistyped
        # id, say): names are unique in the directory. A query of its own, not an OR with the
        # one above: each uses its unique index even before the table's statistics catch up
        # with a first sync's thousands of new rows.
        taken = set(
            CustomerAccount.objects.filter(account_name__in=names)
            .exclude(account_id__in=by_id)
            .values_list("account_name", flat=True)
        )
        new: list[CustomerAccount] = []
        changed: list[CustomerAccount] = []
        unchanged: list[CustomerAccount] = []
        status_changes: list[tuple[int, str]] = []
        conflicts = 0
        for domain_id, sub in by_id.items():
            details = _details(sub)
            if details["account_name"] in taken:
                # Kept without the name rather than stopping every sync at this page; the
                # summary counts it so that staff can look.
                details["account_name"] = ""
                conflicts += 1
            customer = known.get(domain_id)
            if customer is None:
                new.append(
                    CustomerAccount(
                        account_id=domain_id,
                        site=reseller.site,
                        status=Status.FROZEN if sub.frozen else Status.ACTIVE,
                        status_source=FactSource.CLOUD,
                        status_confirmed_at=now,
                        details_source=FactSource.CLOUD,
                        details_confirmed_at=now,
                        **details,
                    )
                )
                continue
            if not details["contact_email"]:
                # The cloud may not report an address: the one staff entered stays.
                details["contact_email"] = customer.contact_email
            if not details["account_name"]:
                details["account_name"] = customer.account_name
            diff = [name for name, value in details.items() if getattr(customer, name) != value]
            for name in diff:
                setattr(customer, name, details[name])
            (changed if diff else unchanged).append(customer)
            wanted = _wanted_status(customer.status, sub.frozen)
            if wanted != customer.status:
                status_changes.append((customer.pk, wanted))
        if new:
            new = bulk_create_with_history(new, CustomerAccount, default_change_reason=reason)
        if changed:
            bulk_update_with_history(
                changed, CustomerAccount, DETAIL_FIELDS, default_change_reason=reason
            )
        listed = [c.pk for c in changed + unchanged]
        if listed:
            # Confirmation only: these columns are not history, so no history row is written
            # for an account the cloud reported as it was (the point of a flat-cost sync).
            CustomerAccount.objects.filter(pk__in=listed).update(
                details_source=FactSource.CLOUD,
                details_confirmed_at=now,
                status_source=Case(
                    When(status__in=CLOUD_STATUSES, then=Value(FactSource.CLOUD)),
                    default=F("status_source"),
                ),
                status_confirmed_at=Case(
                    When(status__in=CLOUD_STATUSES, then=Value(now)),
                    default=F("status_confirmed_at"),
                ),
            )
        pks = {c.account_id: c.pk for c in [*new, *changed, *unchanged]}
        CloudAssociation.objects.bulk_create(
            [
                CloudAssociation(
                    reseller=reseller,
                    customer_id=pks[domain_id],
                    association_type=sub.association_type[:8],
                    associated_at=sub.associated_at,
                    first_seen_at=now,
                    confirmed_at=now,
                    ended_at=None,
                )
                for domain_id, sub in by_id.items()
            ],
            update_conflicts=True,
            unique_fields=["reseller", "customer"],
            update_fields=["association_type", "associated_at", "confirmed_at", "ended_at"],
        )
    moved = {pk for pk, _ in status_changes}
    changed_count = len({c.pk for c in changed} | moved)
    return PageResult(
        offset=offset,
        rows=len(items),
        new=len(new),
        changed=changed_count,
        unchanged=len(changed) + len(unchanged) - changed_count,
        status_changes=status_changes,
        name_conflicts=conflicts,
    )


def _apply_status_changes(reseller: Reseller, changes: list[tuple[int, str]]) -> None:
    for customer_id, status in changes:
        word = "frozen" if status == Status.FROZEN else "no longer frozen"
        customer_set_status(
            actor=None,
            customer_id=customer_id,
            status=status,
            reason=f"Huawei Cloud reports the account {word} (cloud sync of {reseller.partner_id})",
            source=FactSource.CLOUD,
        )


def _record(connection: CloudConnection, summary: SyncSummary, error: PortalError | None) -> None:
    now = timezone.now()
    with transaction.atomic():
        locked = CloudConnection.objects.select_for_update().filter(pk=connection.pk).first()
        if locked is None:
            return
        locked.synced_at = now
        locked.sync_summary = asdict(summary)
        if error is None:
            locked.sync_status = CloudConnection.SyncStatus.OK
            locked.sync_ok_at = now
            locked.sync_code = locked.sync_message = locked.sync_hint = ""
        else:
            locked.sync_status = CloudConnection.SyncStatus.FAILED
            locked.sync_code, locked.sync_message = error.code, error.message
            locked.sync_hint = error.hint
        locked.save_without_historical_record(
            update_fields=[
                "synced_at",
                "sync_summary",
                "sync_status",
                "sync_ok_at",
                "sync_code",
                "sync_message",
                "sync_hint",
            ]
        )


def cloud_sync(
    *,
    reseller: Reseller,
    on_page: Callable[[PageResult], None] | None = None,
    page_size: int = PAGE_LIMIT,
) -> SyncSummary:
    """Bring the directory in line with the reseller's associated customers in the cloud (the
    beat task, the `cloud_sync` command; no person acts). Stores the outcome on the connection
    and returns it; a cloud failure is recorded, not raised."""
    summary = SyncSummary(reseller=reseller.partner_id)
    connection = CloudConnection.objects.filter(reseller=reseller).first()
    if connection is None:
        summary.outcome = "not connected"
        return summary
    lock = f"cloud-sync:{reseller.pk}"
    if not cache.add(lock, 1, LOCK_SECONDS):
        summary.outcome = "busy"
        summary.message = "(another sync of this reseller is running)"
        return summary
    started = time.monotonic()
    run_started = timezone.now()
    CloudConnection.objects.filter(pk=connection.pk).update(sync_started_at=run_started)
    error: PortalError | None = None
    try:
        provider = provider_for(cloud_connection_settings(connection))
        offset = 0
        while True:
            page = provider.list_sub_customers(offset=offset, limit=page_size)
            if not page.items:
                break
            try:
                result = _write_page(reseller, page.items, offset, timezone.now())
                _apply_status_changes(reseller, result.status_changes)
            except DatabaseError as exc:
                raise PortalError("LNK-N011", detail=type(exc).__name__) from exc
            summary.pages += 1
            summary.listed += result.rows
            summary.new += result.new
            summary.changed += result.changed
            summary.unchanged += result.unchanged
            summary.status_changes += len(result.status_changes)
            summary.name_conflicts += result.name_conflicts
            summary.skipped += result.rows - result.new - result.changed - result.unchanged
            if on_page is not None:
                on_page(result)
            offset += len(page.items)
            if offset >= page.total:
                break
        # Only a complete read may say an association is gone: a failed page says nothing.
        summary.ended = CloudAssociation.objects.filter(
            reseller=reseller, ended_at__isnull=True, confirmed_at__lt=run_started
        ).update(ended_at=timezone.now())
    except PortalError as exc:  # every CloudError, an unreadable key pair, a failed write
        error = exc
        summary.outcome = exc.code
        summary.message = exc.message
    finally:
        cache.delete(lock)
    summary.seconds = time.monotonic() - started
    _record(connection, summary, error)
    return summary


def reseller_ids_to_sync() -> list[int]:
    """Every reseller with a cloud connection whose program is live."""
    return list(
        CloudConnection.objects.filter(reseller__status__in=Reseller.LIVE_STATUSES)
        .order_by("reseller_id")
        .values_list("reseller_id", flat=True)
    )
