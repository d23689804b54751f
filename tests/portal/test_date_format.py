"""One date format portal-wide: every page that shows a date or a moment writes it the same
way, a day as 2026-12-13 and a moment as 2026-12-13 16:30 UTC (portal/formats/en), whether a
template, a row tag, a history entry or the admin wrote it. The auditors' history pages add the
seconds (2026-12-13 16:30:15 UTC), so that ten changes within a minute read in their order."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.urls import reverse

from linking import services
from linking.checks import ItemSpec
from linking.consent.views import receipt_sign
from linking.models import ConsentRecord, Link
from tests.conftest import consent_code_for, login, make_draft, submit
from tests.journeys import activate

MANAGE = ItemSpec(
    link_type="delegation",
    services=["ECS", "OBS"],
    regions=["ap-southeast-1"],
    access_level="manage",
    duration_days=90,
)

DAY = r"\d{4}-\d{2}-\d{2}"
MOMENT = rf"{DAY} \d{{2}}:\d{{2}} (?:[A-Z]{{2,5}}|[+-]\d{{2,4}})"
# Any other way of writing a date or a time of day.
OTHER_WAYS = [
    (r"\b\d{1,2}:\d{2}:\d{2}\b", "a time with seconds"),
    (r"\b[ap]\.m\.", "a 12-hour time"),
    (
        r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.? \d{1,2}, \d{4}",
        "a month name first",
    ),
    (
        r"\b\d{1,2} (?:January|February|March|April|May|June|July|August|September|October"
        r"|November|December) \d{4}",
        "a month name",
    ),
    (r"\b\d{1,2}/\d{1,2}/\d{2,4}\b", "a slashed date"),
    (rf"{DAY}T\d{{2}}:\d{{2}}", "an ISO timestamp"),
    (
        rf"{DAY} \d{{2}}:\d{{2}}(?!(?::\d\d)? (?:[A-Z]{{2,5}}|[+-]\d{{2,4}})\b)",
        "a time without zone",
    ),
]


def dates_not_in_the_format(html: str, *, audit: bool = False) -> list[str]:
    text = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    # Machine-readable timestamps for the browser, not text a person reads.
    text = re.sub(r'datetime="[^"]*"', "", text)
    if audit:
        text = re.sub(rf"({DAY} \d{{2}}:\d{{2}}):\d{{2}}( [A-Z]{{2,5}}\b)", r"\1\2", text)
    found = []
    for pattern, what in OTHER_WAYS:
        found += [f"{what}: {m.group(0)!r}" for m in re.finditer(pattern, text)]
    return found


@pytest.fixture
def pages(cast, django_capture_on_commit_callbacks):
    """A completed request whose history changed dates (deadlines, reminders), its active link,
    a request waiting on the customer, an API key, invitations (one to a person who has an
    account elsewhere), and the pages that show their dates."""
    from accounts.invitations import invitation_create
    from accounts.services import api_key_create

    api_key_create(actor=cast.admin, reseller=cast.reseller, name="CRM", role="viewer")
    for email in ("new.colleague@northwind.example", cast.outsider.email):
        invitation_create(actor=cast.admin, reseller=cast.reseller, email=email, role="viewer")
    req = submit(cast, make_draft(cast, specs=[MANAGE]))
    req = services.link_request_approve(actor=cast.approver, request_id=req.pk)
    with transaction.atomic():
        token = services.consent_issue_token(request_id=req.pk)
    services.consent_decide(
        token=token,
        decisions={item.pk: (True, "") for item in req.items.all()},
        code=consent_code_for(req, token),
    )
    link = Link.objects.get(source_item__request=req)
    activate(cast, link.pk)
    with transaction.atomic():
        withdrawal = services.link_issue_withdrawal_token(link_id=link.pk)
    waiting = submit(cast, make_draft(cast, customer=cast.customer2, ticket="INC-2"))
    with transaction.atomic():
        consent_token = services.consent_issue_token(request_id=waiting.pk)
    record = ConsentRecord.objects.filter(item__request=req).first()
    return {
        cast.admin: [
            reverse("portal:dashboard"),
            reverse("linking:request-list"),
            reverse("linking:request-detail", args=[req.pk]),
            reverse("linking:request-detail", args=[waiting.pk]),
            reverse("linking:link-list"),
            reverse("linking:link-detail", args=[link.pk]),
            reverse("linking:link-revoke", args=[link.pk]),
            reverse("linking:customer-detail", args=[cast.customer.pk]),
            reverse("accounts:member-list"),
            reverse("accounts:session-list"),
            reverse("accounts:api-key-list"),
            reverse("accounts:activity"),
            reverse("accounts:team-list"),
        ],
        cast.outsider: [reverse("accounts:my-invitations")],
        cast.staff: [
            reverse("ops:outbox"),
            reverse("admin:linking_linkrequest_history", args=[req.pk]),
            reverse("admin:linking_link_change", args=[link.pk]),
        ],
        None: [
            reverse("consent:page", args=[consent_token]),
            reverse("consent:withdraw", args=[withdrawal]),
            reverse("consent:receipt", args=[receipt_sign(record.receipt_reference)]),
        ],
    }


def test_every_page_writes_dates_and_times_one_way(client, pages):
    problems, shown = [], 0
    for user, urls in pages.items():
        client.logout()
        if user is not None:
            login(client, user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            html = response.content.decode()
            shown += len(re.findall(DAY, html))
            audit = url.startswith("/admin/") and url.rstrip("/").endswith("/history")
            problems += [f"{url}: {found}" for found in dates_not_in_the_format(html, audit=audit)]
    assert not problems, "\n".join(problems)
    assert shown > sum(len(urls) for urls in pages.values())


def test_the_request_timeline_writes_every_moment_with_its_zone(client, cast, pages):
    login(client, cast.admin)
    request_page = pages[cast.admin][2]
    html = client.get(request_page).content.decode()
    timeline = html[html.index('id="timeline"') : html.index("</ol>", html.index('id="timeline"'))]
    moments = re.findall(MOMENT, timeline)
    # Each entry's moment, and the deadlines and reminder moments its changes name.
    assert len(moments) > timeline.count("<li")
    assert not dates_not_in_the_format(timeline)
