"""The linking funnel: where a reseller's requests end and how long each stage takes.

For a period (the requests submitted in it): the requests by outcome; the median and 90th
percentile of each stage (approval, the customer's decision, the cloud-side setup, a
verification run) with the requests and links waiting longest at each stage now; the refusals
by error code, week by week, and the requests each code stopped; the failed verification
checks by code. `reseller_id=None` is the whole platform (the admin's funnel).

Every figure is read by a fixed number of queries (at most twelve, whatever the data), each
served by an index on (reseller, date) or (status, date); durations are taken from the requests'
history (when each entered each status) and the links' own dates, and their percentiles are
computed here (the embedded SQLite has no percentile aggregate). The failed checks are read
from the newest `FAILED_RUNS_READ` failed runs of the period, which the page says when reached.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Min, QuerySet
from django.db.models.functions import TruncWeek
from django.utils.translation import gettext_lazy as _

from linking.models import Link, LinkRequest, Refusal, VerificationRun
from linking.models.links import VerificationStatus

Status = LinkRequest.Status
STUCK_SHOWN = 5
REQUESTS_PER_CODE = 50
FAILED_RUNS_READ = 5000

STAGES = {
    "approval": _("Approval (submitted to approved)"),
    "decision": _("Customer's decision (sent to accepted or declined)"),
    "setup": _("Cloud-side setup (accepted to proven)"),
    "verification": _("Verification run"),
}
OUTCOMES = [
    Status.COMPLETED,
    Status.DECLINED,
    Status.REJECTED,
    Status.EXPIRED,
    Status.CANCELLED,
    Status.PENDING_APPROVAL,
    Status.PENDING_CONSENT,
]


@dataclass(frozen=True)
class Period:
    since: datetime
    until: datetime  # exclusive


@dataclass
class Stage:
    key: str
    label: str
    count: int = 0
    median: timedelta | None = None
    p90: timedelta | None = None
    stuck: list = field(default_factory=list)


@dataclass
class Funnel:
    period: Period
    outcomes: list[tuple[str, str, int]]
    submitted: int
    stages: list[Stage]
    refusal_weeks: list[datetime]
    refusals: list[dict]
    failed_checks: list[tuple[str, int]]
    failed_runs_capped: bool
    code_requests: list[LinkRequest] | None = None


def percentile(values: list[timedelta], share: float) -> timedelta | None:
    """The nearest-rank percentile (`share` 0.5 is the median) of durations; None for none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def _scoped(
    queryset: QuerySet, reseller_id: int | None, field_name: str = "reseller_id"
) -> QuerySet:
    return queryset if reseller_id is None else queryset.filter(**{field_name: reseller_id})


def _stage(key: str, durations: list[timedelta], stuck: list) -> Stage:
    return Stage(
        key=key,
        label=str(STAGES[key]),
        count=len(durations),
        median=percentile(durations, 0.5),
        p90=percentile(durations, 0.9),
        stuck=stuck,
    )


def funnel(*, reseller_id: int | None, period: Period, code: str = "") -> Funnel:
    requests = _scoped(
        LinkRequest.objects.filter(
            submitted_at__gte=period.since, submitted_at__lt=period.until
        ).order_by(),
        reseller_id,
    )
    # 1. Outcomes of the period's requests.
    by_status = dict(
        requests.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    outcomes = [(s.value, s.label, by_status.get(s.value, 0)) for s in OUTCOMES]
    # 2. When each request entered each status, from its history (one grouped query).
    entered: dict[tuple[int, str], datetime] = {
        (pk, status): at
        for pk, status, at in LinkRequest.history.filter(
            id__in=requests.values("id"),
            status__in=[
                Status.PENDING_APPROVAL,
                Status.PENDING_CONSENT,
                Status.COMPLETED,
                Status.DECLINED,
                Status.REJECTED,
            ],
        )
        .values("id", "status")
        .annotate(at=Min("history_date"))
        .values_list("id", "status", "at")
    }
    approval, decision = [], []
    for pk in {key[0] for key in entered}:
        # Only the requests that waited for an approver have an approval stage.
        asked = entered.get((pk, Status.PENDING_APPROVAL))
        approved = entered.get((pk, Status.PENDING_CONSENT))
        settled = approved or entered.get((pk, Status.REJECTED))
        if asked and settled and settled >= asked:
            approval.append(settled - asked)
        ended = entered.get((pk, Status.COMPLETED)) or entered.get((pk, Status.DECLINED))
        if approved and ended and ended >= approved:
            decision.append(ended - approved)
    # 3. Setup: links accepted in the period, from acceptance to proven.
    links = _scoped(
        Link.objects.filter(created_at__gte=period.since, created_at__lt=period.until).order_by(),
        reseller_id,
    )
    setup = [
        activated - created
        for created, activated in links.filter(activated_at__isnull=False).values_list(
            "created_at", "activated_at"
        )
        if activated >= created
    ]
    # 4. Verification runs of the period: their duration; the failed ones' checks.
    runs = _scoped(
        VerificationRun.objects.filter(
            started_at__gte=period.since, started_at__lt=period.until, finished_at__isnull=False
        ).order_by(),
        reseller_id,
        "link__reseller_id",
    )
    verification = [
        finished - started
        for started, finished in runs.order_by("-started_at")[:FAILED_RUNS_READ].values_list(
            "started_at", "finished_at"
        )
    ]
    failed = list(
        runs.filter(outcome="failed")
        .order_by("-started_at")[:FAILED_RUNS_READ]
        .values_list("checks", flat=True)
    )
    failed_checks = Counter(
        check.get("code", "")
        for checks in failed
        for check in (checks or [])
        if isinstance(check, dict) and check.get("outcome") == "failed"
    )
    stages = [
        _stage("approval", approval, _stuck_requests(reseller_id, Status.PENDING_APPROVAL)),
        _stage("decision", decision, _stuck_requests(reseller_id, Status.PENDING_CONSENT)),
        _stage("setup", setup, _stuck_links(reseller_id, setup=True)),
        _stage("verification", verification, _stuck_links(reseller_id, setup=False)),
    ]
    # 5. Refusals by code, week by week.
    refusals = _scoped(
        Refusal.objects.filter(
            created_at__gte=period.since, created_at__lt=period.until
        ).order_by(),
        reseller_id,
    )
    weekly = list(
        refusals.annotate(week=TruncWeek("created_at"))
        .values("code", "stage", "week")
        .annotate(n=Count("id"))
        .values_list("code", "stage", "week", "n")
    )
    weeks = sorted({week for _, _, week, _ in weekly})
    table: dict[str, dict] = {}
    for refusal_code, stage, week, n in weekly:
        row = table.setdefault(
            refusal_code, {"code": refusal_code, "stage": stage, "total": 0, "weeks": {}}
        )
        row["total"] += n
        row["weeks"][week] = row["weeks"].get(week, 0) + n
    rows = sorted(table.values(), key=lambda r: (-r["total"], r["code"]))
    for row in rows:
        row["by_week"] = [row["weeks"].get(week, 0) for week in weeks]
    code_requests = None
    if code:
        hit = refusals.filter(code=code).values("request_id")
        code_requests = list(
            _scoped(LinkRequest.objects.filter(id__in=hit), reseller_id)
            .select_related("customer", "reseller")
            .order_by("-submitted_at", "-id")[:REQUESTS_PER_CODE]
        )
    return Funnel(
        period=period,
        outcomes=outcomes,
        submitted=sum(by_status.values()),
        stages=stages,
        refusal_weeks=weeks,
        refusals=rows,
        failed_checks=failed_checks.most_common(),
        failed_runs_capped=len(failed) >= FAILED_RUNS_READ,
        code_requests=code_requests,
    )


def _stuck_requests(reseller_id: int | None, status: str) -> list[LinkRequest]:
    """The open requests waiting longest in `status` now (index on reseller, status, since)."""
    return list(
        _scoped(LinkRequest.objects.filter(status=status), reseller_id)
        .select_related("customer", "reseller")
        .order_by("status_changed_at", "id")[:STUCK_SHOWN]
    )


def _stuck_links(reseller_id: int | None, *, setup: bool) -> list[Link]:
    """The links waiting longest for their setup, or failing verification longest, now."""
    if setup:
        links = Link.objects.filter(status=Link.Status.AWAITING_SETUP).order_by("created_at", "id")
    else:
        links = Link.objects.filter(
            status__in=Link.LIVE_STATUSES, verification_status=VerificationStatus.FAILING
        ).order_by("verified_at", "id")
    return list(_scoped(links, reseller_id).select_related("customer", "reseller")[:STUCK_SHOWN])
