"""The catalogue of webhook event types: what a reseller's endpoint may subscribe to."""

from __future__ import annotations

# type → what happened, as the endpoint form and the documentation say it.
EVENT_TYPES: dict[str, str] = {
    "request.submitted": "A request was submitted (for approval, or straight to the customer).",
    "request.approved": "An approver approved a request; it went to the customer.",
    "request.rejected": "An approver rejected a request.",
    "request.customer_decided": "The customer accepted or declined a request's items.",
    "request.expired": "A request's approval or consent deadline passed.",
    "link.awaiting_setup": "A link waits for the customer's setup in the cloud.",
    "link.active": "A link was proven in the cloud and is active.",
    "link.verification_failed": "A link failed its verification in the cloud.",
    "link.broken": "A link was found broken in the cloud.",
    "link.over_privileged": "The cloud grants more than the customer consented to.",
    "link.revoked": "A link was revoked (billing links first run to the month's end).",
    "link.expired": "A link reached its end date, or its setup was not done in time.",
    "link.cleaned_up": "What a link had set up in the cloud was cleaned up.",
    "batch.finished": "A batch finished running its rows.",
}

# The request's status reached by a move → the event it makes.
REQUEST_EVENTS: dict[tuple[str, str], str] = {
    ("draft", "pending_approval"): "request.submitted",
    ("draft", "pending_consent"): "request.submitted",
    ("draft", "completed"): "request.submitted",
    ("pending_approval", "pending_consent"): "request.approved",
    ("pending_approval", "rejected"): "request.rejected",
    ("pending_consent", "completed"): "request.customer_decided",
    ("pending_consent", "declined"): "request.customer_decided",
    ("pending_approval", "expired"): "request.expired",
    ("pending_consent", "expired"): "request.expired",
}

# The link's status reached → the event it makes (whatever it came from).
LINK_EVENTS: dict[str, str] = {
    "awaiting_setup": "link.awaiting_setup",
    "active": "link.active",
    "broken": "link.broken",
    "revoking": "link.revoked",
    "revoked": "link.revoked",
    "expired": "link.expired",
    "setup_expired": "link.expired",
}


def event_choices() -> list[tuple[str, str]]:
    return [(name, f"{name} — {text}") for name, text in EVENT_TYPES.items()]
