"""Refused actions on a request, kept: the refused action rolls back, its refusal stays."""

from __future__ import annotations

import uuid

from django.db import transaction

from accounts.models import User
from linking.models import LinkRequest, Refusal
from portal.errors import PortalError


@transaction.atomic
def refusal_record(
    *, actor: User, req: LinkRequest, action: str, error: PortalError
) -> list[Refusal]:
    """Record a refused `action` on `req` with every code of `error`: one row per code, sharing
    one attempt id. Called after the refused service's transaction has rolled back (the
    views call it), so it commits on its own. Any view that turns a refusal into a message."""
    reasons = getattr(error, "reasons", None) or [error]
    attempt = uuid.uuid4()
    # Not tracked by simple-history (append-only evidence), so a bulk insert loses nothing.
    return Refusal.objects.bulk_create(
        [
            Refusal(
                request_id=req.pk,
                reseller_id=req.reseller_id,
                actor=actor,
                action=action,
                attempt=attempt,
                code=reason.code,
                stage=reason.stage,
                message=reason.message,
            )
            for reason in reasons
        ]
    )
