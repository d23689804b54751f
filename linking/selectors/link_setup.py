"""A link's cloud-side setup and verification in a few words: for the exports, the batch result
and the dashboard, read from the link's own columns (no query of its own)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.utils import timezone

from linking.models import Link, VerificationStatus

# The setup of a link, as the exports write it (the codes) and the pages say it (the labels).
SETUP_AWAITING = "awaiting"
SETUP_PROVEN = "proven"
SETUP_EXPIRED = "expired"
SETUP_NOT_STARTED = "not_started"
SETUP_NOT_DONE = "not_done"
SETUP_LABELS = {
    SETUP_AWAITING: "Awaiting the customer's setup",
    SETUP_PROVEN: "Proven in the cloud",
    SETUP_EXPIRED: "Not done in time",
    SETUP_NOT_STARTED: "Not started (activation pending)",
    SETUP_NOT_DONE: "Never done (ended before)",
}

# The columns these reads need, for `.only()` and `.values()`.
SETUP_FIELDS = ("status", "activated_at", "setup_deadline", "verification_status", "verified_at")


def link_setup_state(*, status: str, activated_at: Any) -> str:
    """Where the customer's cloud-side setup of a link stands: awaiting it, proven (the link
    was active once), not done in time, not started (the activation worker has not run yet),
    or never done (the link ended before its setup was proven)."""
    if status == Link.Status.AWAITING_SETUP:
        return SETUP_AWAITING
    if status == Link.Status.SETUP_EXPIRED:
        return SETUP_EXPIRED
    if activated_at is not None:
        return SETUP_PROVEN
    if status == Link.Status.ACTIVATING:
        return SETUP_NOT_STARTED
    return SETUP_NOT_DONE


def when(value: datetime | None) -> str:
    """A moment as the exports write it: local ISO 8601 to the second, or empty."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


def links_of_requests(request_ids: Iterable[int]) -> dict[int, list[dict]]:
    """The links each request's accepted items created or last changed, in one query: a link
    changed since by a newer request belongs to that request now."""
    ids = [pk for pk in request_ids if pk]
    found: dict[int, list[dict]] = {}
    if not ids:
        return found
    rows = (
        Link.objects.filter(source_item__request_id__in=ids)
        .order_by("source_item__request_id", "id")
        .values("id", "link_type", "source_item__request_id", *SETUP_FIELDS)
    )
    for row in rows:
        found.setdefault(row["source_item__request_id"], []).append(row)
    return found


# The columns a request's links add to a request export or a batch result.
LINK_STATE_HEADER = ["Links", "Link status", "Setup", "Verification", "Last verified"]


def link_state_cells(links: list[dict]) -> list[str]:
    """One cell per column of `LINK_STATE_HEADER`, each holding one word per link, in the same
    order (a spreadsheet splits them on spaces)."""
    return [
        " ".join(f"LK-{link['id']:06d}" for link in links),
        " ".join(link["status"] for link in links),
        " ".join(
            link_setup_state(status=link["status"], activated_at=link["activated_at"])
            for link in links
        ),
        " ".join(link["verification_status"] for link in links),
        " ".join(when(link["verified_at"]) or "-" for link in links),
    ]


def described(link: dict) -> dict:
    """A row of `links_of_requests` with what a page shows of it, in words."""
    setup = link_setup_state(status=link["status"], activated_at=link["activated_at"])
    return {
        **link,
        "reference": f"LK-{link['id']:06d}",
        "status_label": Link.Status(link["status"]).label,
        "setup": setup,
        "setup_label": SETUP_LABELS[setup],
        "verification_label": VerificationStatus(link["verification_status"]).label,
    }
