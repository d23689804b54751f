"""The reseller chosen in the session (or the user's first one), resolved when first asked and
cached on the request: pages that never ask cost no query."""

from __future__ import annotations

SESSION_KEY = "reseller_id"
_UNSET = object()


def get_membership(request):
    """The user's membership in the current reseller, or None; cached on the request."""
    cached = getattr(request, "_portal_membership", _UNSET)
    if cached is not _UNSET:
        return cached
    from accounts.models import Membership, Reseller

    membership = None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # The role is a column of the membership: what it may do needs no further query.
        memberships = list(
            Membership.objects.filter(user=user, reseller__status__in=Reseller.LIVE_STATUSES)
            .select_related("reseller")
            .order_by("reseller__name")
        )
        chosen = request.session.get(SESSION_KEY)
        membership = next((m for m in memberships if m.reseller_id == chosen), None)
        if membership is None and memberships:
            membership = memberships[0]
        request._portal_memberships = memberships
    request._portal_membership = membership
    return membership


def get_memberships(request):
    get_membership(request)
    return getattr(request, "_portal_memberships", [])
