"""Where a customer fact comes from and how old it is, worded once for checks and pages.

A customer account's facts come from two kinds of source: the cloud (the reseller's associated
customers, read by `linking.cloud.sync`) and platform staff (the directory import, the admin).
The account keeps, per group of facts, the source that last confirmed it and when:

- `status` (active, frozen, in arrears, deregistered): `status_source`, `status_confirmed_at`;
- the details (account name, display name, contact e-mail, real-name verification):
  `details_source`, `details_confirmed_at`.

A fact the cloud confirmed is expected to be confirmed again at every sync; once older than
`PORTAL_CLOUD_FACTS_STALE_HOURS` it reads "last confirmed … ago, may be out of date". What staff
entered is dated instead ("per the staff import of 2026-12-02"): nobody re-confirms it on a
schedule, so its day is what a reader needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import ngettext

from portal.dates import local_day


class FactSource(models.TextChoices):
    CLOUD = "cloud", "Huawei Cloud"
    STAFF_IMPORT = "staff_import", "staff import"
    STAFF = "staff", "platform staff"


def stale_after() -> timedelta:
    return timedelta(hours=settings.PORTAL_CLOUD_FACTS_STALE_HOURS)


def age_in_words(seconds: float) -> str:
    """ "3 minutes", "5 hours", "2 days"; under a minute: "less than a minute"."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours = minutes // 60
    if hours < 48:
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    days = hours // 24
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


@dataclass(frozen=True)
class Provenance:
    source: str
    confirmed_at: datetime | None

    @property
    def known(self) -> bool:
        return bool(self.source) and self.confirmed_at is not None

    def is_stale(self, now: datetime | None = None) -> bool:
        """A cloud fact not confirmed within the stale threshold; staff facts never are."""
        if not self.known or self.source != FactSource.CLOUD:
            return False
        assert self.confirmed_at is not None
        return (now or timezone.now()) - self.confirmed_at > stale_after()

    def words(self, now: datetime | None = None) -> str:
        """ "confirmed by Huawei Cloud 3 minutes ago", "per the staff import of 2026-12-02"."""
        if not self.known:
            return "as the directory holds it, with no source recorded"
        assert self.confirmed_at is not None
        if self.source == FactSource.CLOUD:
            now = now or timezone.now()
            age = age_in_words(max(0.0, (now - self.confirmed_at).total_seconds()))
            if self.is_stale(now):
                return f"last confirmed by Huawei Cloud {age} ago, may be out of date"
            return f"confirmed by Huawei Cloud {age} ago"
        day = local_day(self.confirmed_at)
        if self.source == FactSource.STAFF_IMPORT:
            return f"per the staff import of {day}"
        return f"as set by platform staff on {day}"


def fact_provenance(customer: object, fact: str) -> Provenance:
    """The provenance of `fact` ("status" or "details") of a customer account."""
    if fact not in ("status", "details"):
        raise ValueError(f"Unknown fact group {fact!r}.")
    return Provenance(
        source=getattr(customer, f"{fact}_source", "") or "",
        confirmed_at=getattr(customer, f"{fact}_confirmed_at", None),
    )
